// The scheduler cache: nodes and the pods on them, from informers, plus *assumed* pods — pods
// the scheduler has chosen a node for whose binding has not been confirmed yet — so the next
// cycle already sees their resources. An assumed pod is confirmed by the informer's add,
// dropped by forgetPod when binding fails, and expires TTL after its binding finished if the
// informer never confirmed it.
//
// Snapshots are refreshed incrementally, as upstream: NodeInfos sit in a list ordered by
// most recent change, each carrying a generation; updateSnapshot walks from the head and copies
// only the NodeInfos newer than the snapshot's generation, so a cycle after one bind copies
// one node, not five thousand. The node list order interleaves zones (upstream's node tree),
// so the rotating start of Filter spreads over zones.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { LABEL_REGION, LABEL_ZONE, podUid } from './framework/helpers.js';
import { type ImageState, NodeInfo, nextGeneration } from './framework/node_info.js';
import { type PodInfo, podInfoOf } from './framework/pod_info.js';
import type { Snapshot } from './framework/snapshot.js';
import { ASSUMED_POD_TTL_MS } from './defaults.js';
import { type Clock, realClock } from './queue.js';

export class CacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheError';
  }
}

interface NodeItem {
  info: NodeInfo;
  prev: NodeItem | undefined;
  next: NodeItem | undefined;
}

interface PodState {
  pi: PodInfo;
  nodeName: string;
  assumed: boolean;
  bindingFinished: boolean;
  deadline: number;
}

/** Node names grouped by zone; list() interleaves zones round-robin. */
class NodeTree {
  private readonly zones = new Map<string, string[]>();
  private readonly zoneOf = new Map<string, string>();
  count = 0;

  add(node: Node): void {
    const name = node.metadata?.name ?? '';
    const zone = zoneKey(node);
    const cur = this.zoneOf.get(name);
    if (cur === zone) return;
    if (cur !== undefined) this.remove(name);
    let list = this.zones.get(zone);
    if (list === undefined) this.zones.set(zone, (list = []));
    list.push(name);
    this.zoneOf.set(name, zone);
    this.count++;
  }

  remove(name: string): void {
    const zone = this.zoneOf.get(name);
    if (zone === undefined) return;
    const list = this.zones.get(zone)!;
    const i = list.indexOf(name);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.zones.delete(zone);
    this.zoneOf.delete(name);
    this.count--;
  }

  has(name: string): boolean {
    return this.zoneOf.has(name);
  }

  list(): string[] {
    const out: string[] = [];
    const lists = [...this.zones.values()];
    let max = 0;
    for (const l of lists) if (l.length > max) max = l.length;
    for (let i = 0; i < max; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
    return out;
  }
}

function zoneKey(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l[LABEL_REGION] ?? '';
  const zone = l[LABEL_ZONE] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\x00:${zone}`;
}

export interface CacheOptions {
  clock?: Clock;
  /** How long an assumed pod whose binding finished may stay unconfirmed. */
  assumedPodTtlMs?: number;
}

export class SchedulerCache {
  private readonly items = new Map<string, NodeItem>();
  private head: NodeItem | undefined;
  private readonly podStates = new Map<string, PodState>();
  private readonly assumed = new Set<string>();
  private readonly tree = new NodeTree();
  private readonly images = new Map<string, ImageState>();
  private readonly clock: Clock;
  private readonly ttl: number;

  constructor(opts: CacheOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttl = opts.assumedPodTtlMs ?? ASSUMED_POD_TTL_MS;
  }

  // ----- nodes -------------------------------------------------------------------------------

  /** Adds or replaces a node. Throws (QuantityError) when its allocatable is malformed; the cache is unchanged then. */
  addNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    if (name === '') throw new CacheError('node has no name');
    let item = this.items.get(name);
    if (item === undefined) {
      const info = new NodeInfo(node); // may throw before anything is registered
      item = { info, prev: undefined, next: undefined };
      this.items.set(name, item);
      this.pushFront(item);
    } else {
      const old = item.info.node;
      item.info.setNode(node);
      if (old !== undefined) this.removeNodeImages(old);
      this.moveToFront(item);
    }
    this.tree.add(node);
    this.addNodeImages(item.info, node);
    return item.info;
  }

  updateNode(_old: Node | undefined, node: Node): NodeInfo {
    return this.addNode(node);
  }

  /** Removes a node; its NodeInfo lingers (without node) while pods still point at it. */
  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const item = this.items.get(name);
    if (item === undefined) return;
    if (item.info.node !== undefined) this.removeNodeImages(item.info.node);
    this.tree.remove(name);
    item.info.node = undefined;
    item.info.imageStates = new Map();
    item.info.generation = nextGeneration();
    if (item.info.pods.length === 0) {
      this.unlink(item);
      this.items.delete(name);
    } else {
      this.moveToFront(item);
    }
  }

  private addNodeImages(info: NodeInfo, node: Node): void {
    const imgs = node.status?.images;
    const states = new Map<string, ImageState>();
    if (imgs !== undefined) {
      for (const img of imgs) {
        for (const n of img.names ?? []) {
          let st = this.images.get(n);
          if (st === undefined) this.images.set(n, (st = { size: img.sizeBytes ?? 0, nodes: new Set() }));
          st.nodes.add(info.name);
          states.set(n, st);
        }
      }
    }
    info.imageStates = states;
  }

  private removeNodeImages(node: Node): void {
    const name = node.metadata?.name ?? '';
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) {
        const st = this.images.get(n);
        if (st === undefined) continue;
        st.nodes.delete(name);
        if (st.nodes.size === 0) this.images.delete(n);
      }
    }
  }

  // ----- pods --------------------------------------------------------------------------------

  /** The pod was chosen for `nodeName`: account for it now. `pi.pod.spec.nodeName` need not be set. */
  assumePod(pi: PodInfo, nodeName: string): void {
    if (this.podStates.has(pi.uid)) throw new CacheError(`pod ${pi.key} is in the cache, so can't be assumed`);
    this.addPodToNode(pi, nodeName);
    this.podStates.set(pi.uid, { pi, nodeName, assumed: true, bindingFinished: false, deadline: 0 });
    this.assumed.add(pi.uid);
  }

  /** Binding returned: start the assumed pod's expiry clock. */
  finishBinding(pod: Pod | PodInfo): void {
    const uid = uidOf(pod);
    const st = this.podStates.get(uid);
    if (st === undefined || !st.assumed) return;
    st.bindingFinished = true;
    st.deadline = this.clock.now() + this.ttl;
  }

  /** Binding failed: drop the assumed pod. */
  forgetPod(pod: Pod | PodInfo): void {
    const uid = uidOf(pod);
    const st = this.podStates.get(uid);
    if (st === undefined) return;
    if (!st.assumed) throw new CacheError(`pod ${st.pi.key} wasn't assumed so cannot be forgotten`);
    this.removePodFromNode(st.pi, st.nodeName);
    this.podStates.delete(uid);
    this.assumed.delete(uid);
  }

  /** An assigned pod from the informer (confirms an assumed pod). */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const pi = podInfoOf(pod);
    const st = this.podStates.get(pi.uid);
    if (st !== undefined) {
      this.removePodFromNode(st.pi, st.nodeName);
      this.assumed.delete(pi.uid);
    }
    this.addPodToNode(pi, nodeName);
    this.podStates.set(pi.uid, { pi, nodeName, assumed: false, bindingFinished: false, deadline: 0 });
  }

  updatePod(_old: Pod | undefined, pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const uid = podUid(pod);
    const st = this.podStates.get(uid);
    if (st === undefined) return;
    this.removePodFromNode(st.pi, st.nodeName);
    this.podStates.delete(uid);
    this.assumed.delete(uid);
  }

  isAssumedPod(pod: Pod | PodInfo): boolean {
    return this.assumed.has(uidOf(pod));
  }

  /** The node a pod is (assumed or confirmed) on. */
  podNode(pod: Pod | PodInfo): string | undefined {
    return this.podStates.get(uidOf(pod))?.nodeName;
  }

  /** Drops assumed pods whose binding finished more than TTL ago; returns them. */
  cleanupAssumedPods(now = this.clock.now()): PodInfo[] {
    const expired: PodInfo[] = [];
    for (const uid of this.assumed) {
      const st = this.podStates.get(uid)!;
      if (!st.bindingFinished || now < st.deadline) continue;
      this.removePodFromNode(st.pi, st.nodeName);
      this.podStates.delete(uid);
      this.assumed.delete(uid);
      expired.push(st.pi);
    }
    return expired;
  }

  private addPodToNode(pi: PodInfo, nodeName: string): void {
    let item = this.items.get(nodeName);
    if (item === undefined) {
      // The pod arrived before its node: keep it on a node-less NodeInfo.
      item = { info: new NodeInfo(undefined, nodeName), prev: undefined, next: undefined };
      this.items.set(nodeName, item);
      this.pushFront(item);
    }
    item.info.addPod(pi);
    this.moveToFront(item);
  }

  private removePodFromNode(pi: PodInfo, nodeName: string): void {
    const item = this.items.get(nodeName);
    if (item === undefined) return;
    item.info.removePod(pi.uid);
    if (item.info.node === undefined && item.info.pods.length === 0) {
      this.unlink(item);
      this.items.delete(nodeName);
    } else {
      this.moveToFront(item);
    }
  }

  // ----- snapshot ----------------------------------------------------------------------------

  /** Brings `snap` up to date, copying only NodeInfos changed since its generation. */
  updateSnapshot(snap: Snapshot): void {
    const gen = snap.generation;
    let updateAll = false;
    let updateAffinity = false;
    for (let item = this.head; item !== undefined && item.info.generation > gen; item = item.next) {
      const info = item.info;
      if (info.node === undefined) {
        if (snap.nodeInfoMap.delete(info.name)) updateAll = true;
        continue;
      }
      const existing = snap.nodeInfoMap.get(info.name);
      if (existing === undefined) {
        snap.nodeInfoMap.set(info.name, info.clone());
        updateAll = true;
      } else {
        const hadAff = existing.podsWithAffinity.length > 0;
        const hadAnti = existing.podsWithRequiredAntiAffinity.length > 0;
        existing.copyFrom(info);
        if (hadAff !== (info.podsWithAffinity.length > 0) || hadAnti !== (info.podsWithRequiredAntiAffinity.length > 0)) updateAffinity = true;
      }
    }
    if (this.head !== undefined) snap.generation = Math.max(gen, this.head.info.generation);
    if (snap.nodeInfoMap.size > this.tree.count) {
      for (const name of [...snap.nodeInfoMap.keys()]) if (!this.tree.has(name)) snap.nodeInfoMap.delete(name);
      updateAll = true;
    }
    if (updateAll || snap.nodeInfoList.length !== snap.nodeInfoMap.size) {
      const list: NodeInfo[] = [];
      for (const name of this.tree.list()) {
        const ni = snap.nodeInfoMap.get(name);
        if (ni !== undefined) list.push(ni);
      }
      snap.nodeInfoList = list;
      snap.rebuildAffinityLists();
    } else if (updateAffinity) {
      snap.rebuildAffinityLists();
    }
  }

  nodeCount(): number { return this.tree.count; }
  podCount(): number { return this.podStates.size; }
  assumedCount(): number { return this.assumed.size; }

  nodeInfo(name: string): NodeInfo | undefined {
    const it = this.items.get(name);
    return it?.info.node === undefined ? undefined : it.info;
  }

  // ----- the recency list --------------------------------------------------------------------

  private pushFront(item: NodeItem): void {
    item.prev = undefined;
    item.next = this.head;
    if (this.head !== undefined) this.head.prev = item;
    this.head = item;
  }

  private unlink(item: NodeItem): void {
    if (item.prev !== undefined) item.prev.next = item.next;
    else if (this.head === item) this.head = item.next;
    if (item.next !== undefined) item.next.prev = item.prev;
    item.prev = undefined;
    item.next = undefined;
  }

  private moveToFront(item: NodeItem): void {
    if (this.head === item) return;
    this.unlink(item);
    this.pushFront(item);
  }
}

function uidOf(p: Pod | PodInfo): string {
  return 'uid' in p && typeof p.uid === 'string' ? p.uid : podUid(p as Pod);
}

