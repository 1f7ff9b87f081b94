// NodeInfo: a node as the scheduler sees it — the Node object, the pods on it (bound and
// assumed), their summed requests, used host ports and image states. Kept up to date by the
// cache (add/remove pod in O(1) amortised) and copied into the Snapshot when its generation
// changes; a copy shares the immutable PodInfos, so cloning costs one array copy.

import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { Resource, resourceFromList } from './resource.js';
import type { HostPort, PodInfo } from './pod_info.js';

let generationCounter = 0;
/** A process-wide monotonic generation; every NodeInfo mutation takes the next one. */
export function nextGeneration(): number {
  return ++generationCounter;
}

/** An image present on some nodes: its size and how many nodes have it (live, from the cache). */
export interface ImageState {
  size: number;
  nodes: Set<string>;
}

/** Host ports in use, by IP, as `protocol/port` strings. */
export class HostPortInfo {
  private readonly byIp = new Map<string, Set<string>>();

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [ip, set] of this.byIp) c.byIp.set(ip, new Set(set));
    return c;
  }

  add(p: HostPort): void {
    let s = this.byIp.get(p.ip);
    if (s === undefined) this.byIp.set(p.ip, (s = new Set()));
    s.add(`${p.protocol}/${p.port}`);
  }

  remove(p: HostPort): void {
    const s = this.byIp.get(p.ip);
    if (s === undefined) return;
    s.delete(`${p.protocol}/${p.port}`);
    if (s.size === 0) this.byIp.delete(p.ip);
  }

  /** 0.0.0.0 conflicts with every IP on the same protocol and port (upstream CheckConflict). */
  conflicts(p: HostPort): boolean {
    const k = `${p.protocol}/${p.port}`;
    if (p.ip === '0.0.0.0') {
      for (const s of this.byIp.values()) if (s.has(k)) return true;
      return false;
    }
    return (this.byIp.get(p.ip)?.has(k) ?? false) || (this.byIp.get('0.0.0.0')?.has(k) ?? false);
  }

  get size(): number { return this.byIp.size; }
}

export class NodeInfo {
  node: Node | undefined;
  name: string;
  pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  podsWithRequiredAntiAffinity: PodInfo[] = [];
  usedPorts = new HostPortInfo();
  /** Sum of the pods' requests. */
  requested = new Resource();
  /** cpu and memory with defaults for unset requests, for scoring. */
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  allocatable = new Resource();
  /** Images on the node by every name they are known under. */
  imageStates = new Map<string, ImageState>();
  generation = 0;
  /**
   * One value derived from this generation of the NodeInfo, under a small integer key (e.g.
   * PodTopologySpread's matching-pod count for an interned selector). One slot: cheap to check
   * in a loop over every node, and enough for the common one-selector-per-workload case.
   */
  private memoGeneration = -1;
  private memoKey = -1;
  private memoValue = 0;

  constructor(node?: Node, name?: string) {
    this.name = name ?? node?.metadata?.name ?? '';
    if (node !== undefined) this.setNode(node);
    this.generation = nextGeneration();
  }

  /** Sets the node; throws QuantityError when its allocatable is malformed (caller decides). */
  setNode(node: Node): void {
    const st = node.status;
    const alloc = (st?.allocatable ?? st?.capacity) as Record<string, unknown> | undefined;
    this.allocatable = resourceFromList(alloc);
    this.node = node;
    this.name = node.metadata?.name ?? this.name;
    this.generation = nextGeneration();
  }

  /** The memoised value for `key` at this generation, or undefined. */
  memoGet(key: number): number | undefined {
    return this.memoGeneration === this.generation && this.memoKey === key ? this.memoValue : undefined;
  }

  memoSet(key: number, v: number): void {
    this.memoGeneration = this.generation;
    this.memoKey = key;
    this.memoValue = v;
  }

  get labels(): Record<string, string> {
    return this.node?.metadata?.labels ?? EMPTY_LABELS;
  }

  get taints(): readonly Taint[] | undefined {
    return this.node?.spec?.taints;
  }

  addPod(pi: PodInfo): void {
    this.pods.push(pi);
    if (pi.hasAffinity()) this.podsWithAffinity.push(pi);
    if (pi.hasRequiredAntiAffinity()) this.podsWithRequiredAntiAffinity.push(pi);
    this.requested.add(pi.requests);
    this.nonZeroMilliCPU += pi.nonZeroMilliCPU;
    this.nonZeroMemory += pi.nonZeroMemory;
    for (const p of pi.hostPorts) this.usedPorts.add(p);
    this.generation = nextGeneration();
  }

  /** Removes the pod with this uid; returns false when it is not on the node. */
  removePod(uid: string): boolean {
    const idx = indexOfUid(this.pods, uid);
    if (idx < 0) return false;
    const pi = this.pods[idx]!;
    swapRemove(this.pods, idx);
    if (pi.hasAffinity()) swapRemove(this.podsWithAffinity, indexOfUid(this.podsWithAffinity, uid));
    if (pi.hasRequiredAntiAffinity()) swapRemove(this.podsWithRequiredAntiAffinity, indexOfUid(this.podsWithRequiredAntiAffinity, uid));
    this.requested.sub(pi.requests);
    this.nonZeroMilliCPU -= pi.nonZeroMilliCPU;
    this.nonZeroMemory -= pi.nonZeroMemory;
    for (const p of pi.hostPorts) this.usedPorts.remove(p);
    this.generation = nextGeneration();
    return true;
  }

  clone(): NodeInfo {
    const c = new NodeInfo(undefined, this.name);
    c.copyFrom(this);
    return c;
  }

  /** Overwrites this NodeInfo with a copy of `o` (the snapshot updates its entries in place). */
  copyFrom(o: NodeInfo): void {
    this.node = o.node;
    this.name = o.name;
    this.pods = o.pods.slice();
    this.podsWithAffinity = o.podsWithAffinity.slice();
    this.podsWithRequiredAntiAffinity = o.podsWithRequiredAntiAffinity.slice();
    this.usedPorts = o.usedPorts.size === 0 ? new HostPortInfo() : o.usedPorts.clone();
    this.requested = o.requested.clone();
    this.nonZeroMilliCPU = o.nonZeroMilliCPU;
    this.nonZeroMemory = o.nonZeroMemory;
    this.allocatable = o.allocatable; // replaced, never mutated
    this.imageStates = o.imageStates; // replaced, never mutated
    this.generation = o.generation;
  }
}

const EMPTY_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function indexOfUid(list: PodInfo[], uid: string): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.uid === uid) return i;
  return -1;
}

function swapRemove<T>(list: T[], idx: number): void {
  if (idx < 0) return;
  const last = list.length - 1;
  if (idx !== last) list[idx] = list[last]!;
  list.pop();
}
