// The node lifecycle controller (upstream pkg/controller/nodelifecycle), `--controllers` name
// `nodelifecycle`. It notices nodes that stopped talking and gets their pods off them:
//
//  - Health: every nodeMonitorPeriod it looks at each node's kube-node-lease Lease and its Ready
//    condition. Any *change* of the Lease's renewTime or of the condition's lastHeartbeatTime counts
//    as a sign of life, timed by our own clock (so clock skew between kubelet and controller does
//    not matter). A node silent for nodeMonitorGracePeriod (nodeStartupGracePeriod if it never
//    posted Ready) gets Ready, MemoryPressure, DiskPressure and PIDPressure set to Unknown
//    ("NodeStatusUnknown", "Kubelet stopped posting node status."), a NodeNotReady event, and its
//    pods' Ready condition set to False (MarkPodsNotReady).
//  - Taints: a node whose Ready was Unknown at the previous pass gets the
//    `node.kubernetes.io/unreachable:NoExecute` taint, Ready=False gets
//    `node.kubernetes.io/not-ready:NoExecute` (the two are swapped directly when the state flips),
//    and both go when Ready is True again. Adding them is rate-limited per zone
//    (rate_limited_queue.ts explains the zone states). Conditions also map to NoSchedule taints
//    (not-ready, unreachable, memory/disk/pid-pressure, network-unavailable) and
//    spec.unschedulable to `node.kubernetes.io/unschedulable:NoSchedule`, as TaintNodesByCondition.
//  - Eviction: the NoExecute taint manager (taint_eviction.ts) deletes pods that do not tolerate
//    the taints, at once or after their tolerationSeconds (300 s by the DefaultTolerationSeconds
//    admission step). Their owners (ReplicaSets, ...) then make replacements elsewhere.
//
// Options (ctx.options, defaults in defaults.ts): nodeMonitorPeriodMs, nodeMonitorGracePeriodMs,
// nodeStartupGracePeriodMs, nodeEvictionRate, secondaryNodeEvictionRate, largeClusterSizeThreshold,
// unhealthyZoneThreshold. Events come from `node-controller` and `taint-eviction-controller`.
// Differences from upstream: DaemonSet pods are not special-cased (upstream only needs that for
// the pre-taint eviction path it no longer uses); beta os/arch labels are reconciled as upstream.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, NodeStatus, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { sleep } from '../../client/clock.js';
import type { EventRecorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import { isConflict, isNotFound, objectKey, resourceRef, splitKey, type ResourceClient } from '../../client/resource_client.js';
import { WorkQueue, runWorkers } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { resolveNodeLifecycleOptions, type NodeLifecycleOptions } from './defaults.js';
import { RateLimitedTimedQueue } from './rate_limited_queue.js';
import { POD_NODE_INDEX, TaintEvictionManager } from './taint_eviction.js';
import {
  CONDITION_TAINTS,
  CONDITION_TAINT_KEYS,
  NOT_READY_TAINT,
  TAINT_UNSCHEDULABLE,
  UNREACHABLE_TAINT,
  nodeCondition,
  podCondition,
  sameTaint,
  taintExists,
  zoneKey,
} from './taints.js';
import { rfc3339 } from '../../api/time.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Nodes with this label do not count towards their zone's disruption state. */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

type ZoneState = 'Initial' | 'Normal' | 'FullDisruption' | 'PartialDisruption';

interface NodeHealth {
  /** When we last saw a sign of life (clock ms). */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  status: NodeStatus;
  lease?: Lease;
}

interface HealthResult {
  observed: NodeCondition;
  current: NodeCondition | undefined;
}

/** Beta labels kept equal to their stable forms (upstream labelReconcileInfo). */
const LABEL_RECONCILE = [
  { primary: 'kubernetes.io/os', secondary: 'beta.kubernetes.io/os' },
  { primary: 'kubernetes.io/arch', secondary: 'beta.kubernetes.io/arch' },
];

/** The condition types set to Unknown when a node goes silent (NetworkUnavailable is the network's). */
const SILENT_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Whether MicroTime `a` is after `b` (sub-millisecond digits decide when the ms are equal). */
function microTimeAfter(a: string | undefined, b: string | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  const ta = parseTime(a);
  const tb = parseTime(b);
  if (ta !== undefined && tb !== undefined && ta !== tb) return ta > tb;
  return a > b;
}

function sameCondition(a: NodeCondition | undefined, b: NodeCondition | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.type === b.type &&
    a.status === b.status &&
    (a.reason ?? '') === (b.reason ?? '') &&
    (a.message ?? '') === (b.message ?? '') &&
    (a.lastHeartbeatTime ?? '') === (b.lastHeartbeatTime ?? '') &&
    (a.lastTransitionTime ?? '') === (b.lastTransitionTime ?? '')
  );
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class NodeLifecycle {
  private readonly o: NodeLifecycleOptions;
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  private readonly nodeClient: ResourceClient<Node>;
  private readonly podClient: ResourceClient<Pod>;
  private readonly recorder: EventRecorder | undefined;
  private readonly taintManager: TaintEvictionManager;
  private readonly knownNodes = new Map<string, Node>();
  private readonly health = new Map<string, NodeHealth>();
  private readonly zoneTainter = new Map<string, RateLimitedTimedQueue>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly nodesToRetry = new Set<string>();
  private readonly nodeUpdateQueue: WorkQueue<string>;
  private readonly podUpdateQueue: WorkQueue<string>;

  constructor(private readonly ctx: ControllerContext) {
    this.o = resolveNodeLifecycleOptions(ctx.options);
    const nodeRef = resourceRef('', 'v1', 'nodes');
    const podRef = resourceRef('', 'v1', 'pods');
    this.nodes = ctx.factory.informerFor<Node>(nodeRef);
    this.leases = ctx.factory.informerFor<Lease>(resourceRef('coordination.k8s.io', 'v1', 'leases'), { namespace: NODE_LEASE_NAMESPACE });
    this.pods = ctx.factory.informerFor<Pod>(podRef);
    this.nodeClient = ctx.source.resource<Node>(nodeRef);
    this.podClient = ctx.source.resource<Pod>(podRef);
    this.recorder = ctx.recorder('node-controller');
    this.nodeUpdateQueue = new WorkQueue<string>({ clock: ctx.clock, name: 'node_lifecycle_controller' });
    this.podUpdateQueue = new WorkQueue<string>({ clock: ctx.clock, name: 'node_lifecycle_controller_pods' });
    this.taintManager = new TaintEvictionManager({
      pods: this.pods,
      nodes: this.nodes,
      podClient: this.podClient,
      clock: ctx.clock,
      recorder: ctx.recorder('taint-eviction-controller'),
      onError: (err) => ctx.onError(err),
      retries: this.o.podDeletionRetries,
    });
    this.taintManager.register();
    this.pods.addEventHandler({
      onAdd: (p) => this.podUpdated(undefined, p),
      onUpdate: (a, b) => this.podUpdated(a, b),
    });
    this.nodes.addEventHandler({
      onAdd: (n) => this.nodeUpdateQueue.add(n.metadata?.name ?? ''),
      onUpdate: (_a, n) => this.nodeUpdateQueue.add(n.metadata?.name ?? ''),
      onDelete: (n) => this.nodesToRetry.delete(n.metadata?.name ?? ''),
    });
  }

  /** The taint manager, for tests. */
  get evictions(): TaintEvictionManager {
    return this.taintManager;
  }

  async run(signal: AbortSignal): Promise<void> {
    const onError = (key: string, err: unknown): void => this.ctx.onError(new Error(`nodelifecycle ${key}: ${errText(err)}`));
    await Promise.all([
      this.taintManager.run(signal),
      runWorkers(this.nodeUpdateQueue, 2, (name) => this.processNode(name), signal, { onError }),
      runWorkers(this.podUpdateQueue, 2, (key) => this.processPod(key), signal, { onError }),
      this.every(this.o.nodeEvictionPeriodMs, signal, () => this.doNoExecuteTaintingPass()),
      this.every(this.o.nodeMonitorPeriodMs, signal, () => this.monitorNodeHealth()),
    ]);
  }

  /** Runs `fn` now and then `periodMs` after each run ends, until `signal` aborts (wait.Until). */
  private async every(periodMs: number, signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        await fn();
      } catch (err) {
        this.ctx.onError(err);
      }
      try {
        await sleep(this.ctx.clock, Math.max(1, periodMs), signal);
      } catch {
        return;
      }
    }
  }

  private now(): number {
    return this.ctx.clock.now();
  }

  private nodeEvent(node: Node, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder?.event({ apiVersion: 'v1', kind: 'Node', name: node.metadata?.name, uid: node.metadata?.uid }, type, reason, message);
  }

  // ---- NoSchedule taints and labels (per node, on every node change) ----

  private async processNode(name: string): Promise<void> {
    if (!name) return;
    const node = this.nodes.get('', name);
    if (!node) return;
    await this.doNoScheduleTaintingPass(node);
    await this.reconcileNodeLabels(node);
  }

  private async doNoScheduleTaintingPass(node: Node): Promise<void> {
    const want: Taint[] = [];
    for (const c of node.status?.conditions ?? []) {
      const key = CONDITION_TAINTS[c.type]?.[c.status];
      if (key) want.push({ key, effect: 'NoSchedule' });
    }
    if (node.spec?.unschedulable) want.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    const have = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' && (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key)));
    const add = want.filter((t) => !taintExists(have, t));
    const del = have.filter((t) => !taintExists(want, t));
    if (add.length === 0 && del.length === 0) return;
    if (!(await this.swapNodeControllerTaint(node.metadata?.name ?? '', add, del))) throw new Error(`failed to swap NoSchedule taints of node ${node.metadata?.name}`);
  }

  private async reconcileNodeLabels(node: Node): Promise<void> {
    const labels = node.metadata?.labels;
    if (!labels) return;
    const update: Record<string, string> = {};
    for (const r of LABEL_RECONCILE) {
      const primary = labels[r.primary];
      if (primary === undefined) continue;
      if (labels[r.secondary] !== primary) update[r.secondary] = primary;
    }
    if (Object.keys(update).length === 0) return;
    await this.nodeClient.patch('', node.metadata?.name ?? '', 'merge', { metadata: { labels: update } });
  }

  // ---- taint writes ----

  /**
   * Adds `add` (with timeAdded now; an existing taint of the same key and effect is replaced
   * only if its value differs) and removes `remove` on the live node, retrying conflicts.
   * True on success (also when there was nothing to do).
   */
  private async swapNodeControllerTaint(nodeName: string, add: readonly Taint[], remove: readonly Taint[]): Promise<boolean> {
    const cached = this.nodes.get('', nodeName);
    // Cheap exit from the cache, as upstream's RemoveTaintOffNode: nothing to remove, nothing to add.
    if (cached && add.length === 0 && !remove.some((t) => taintExists(cached.spec?.taints, t))) return true;
    for (let attempt = 0; attempt < this.o.nodeHealthUpdateRetry; attempt++) {
      let node: Node;
      try {
        node = attempt === 0 && cached ? cached : await this.nodeClient.get('', nodeName);
      } catch (err) {
        if (isNotFound(err)) return true;
        this.ctx.onError(err);
        return false;
      }
      const old = node.spec?.taints ?? [];
      let taints = old.filter((t) => !remove.some((r) => sameTaint(r, t)));
      let changed = taints.length !== old.length;
      for (const a of add) {
        const i = taints.findIndex((t) => sameTaint(t, a));
        if (i >= 0 && (taints[i]!.value ?? '') === (a.value ?? '')) continue;
        const t: Taint = { key: a.key, effect: a.effect, ...(a.value ? { value: a.value } : {}), timeAdded: rfc3339(this.now()) };
        taints = i >= 0 ? taints.map((x, j) => (j === i ? t : x)) : [...taints, t];
        changed = true;
      }
      if (!changed) return true;
      try {
        await this.nodeClient.update('', { ...node, spec: { ...node.spec, taints } });
        return true;
      } catch (err) {
        if (isNotFound(err)) return true;
        if (isConflict(err)) continue;
        this.ctx.onError(new Error(`unable to update taints of node ${nodeName}: ${errText(err)}`));
        return false;
      }
    }
    return false;
  }

  private async markNodeAsReachable(node: Node): Promise<boolean> {
    const name = node.metadata?.name ?? '';
    const ok = await this.swapNodeControllerTaint(name, [], [UNREACHABLE_TAINT, NOT_READY_TAINT]);
    if (!ok) throw new Error(`failed to remove NoExecute taints from node ${name}`);
    return this.zoneTainter.get(zoneKey(node))?.remove(name) ?? false;
  }

  private markNodeForTainting(node: Node, status: 'False' | 'Unknown'): boolean {
    const name = node.metadata?.name ?? '';
    const q = this.zoneTainter.get(zoneKey(node));
    if (!q) return false;
    // A node the queue processed earlier but that lacks the taint (removed by hand, or the state
    // flipped) must be queued again.
    if (status === 'False' && !taintExists(node.spec?.taints, NOT_READY_TAINT)) q.remove(name);
    if (status === 'Unknown' && !taintExists(node.spec?.taints, UNREACHABLE_TAINT)) q.remove(name);
    return q.add(name, node.metadata?.uid ?? '');
  }

  private async doNoExecuteTaintingPass(): Promise<void> {
    for (const q of [...this.zoneTainter.values()]) {
      if (q.length === 0) continue;
      await q.tryProcess(async (v) => {
        const node = this.nodes.get('', v.value);
        if (!node) return [true];
        const ready = nodeCondition(node, 'Ready');
        if (!ready) return [false, 50];
        let add: Taint;
        let opposite: Taint;
        if (ready.status === 'False') {
          add = NOT_READY_TAINT;
          opposite = UNREACHABLE_TAINT;
        } else if (ready.status === 'Unknown') {
          add = UNREACHABLE_TAINT;
          opposite = NOT_READY_TAINT;
        } else {
          return [true]; // ready again; nothing to taint
        }
        return [await this.swapNodeControllerTaint(v.value, [add], [opposite]), 0];
      });
    }
  }

  // ---- health monitoring ----

  private addZone(node: Node): void {
    const zone = zoneKey(node);
    if (this.zoneStates.has(zone)) return;
    this.zoneStates.set(zone, 'Initial');
    this.zoneTainter.set(zone, new RateLimitedTimedQueue(this.o.nodeEvictionRate, this.o.evictionRateLimiterBurst, () => this.now()));
  }

  private async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.list();
    const names = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata?.name ?? '';
      names.add(name);
      if (!this.knownNodes.has(name)) {
        this.nodeEvent(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
        this.knownNodes.set(name, node);
        this.addZone(node);
        try {
          await this.markNodeAsReachable(node);
        } catch (err) {
          this.ctx.onError(err);
        }
      } else {
        this.addZone(node);
      }
    }
    for (const [name, node] of [...this.knownNodes]) {
      if (names.has(name)) continue;
      this.nodeEvent(node, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      this.knownNodes.delete(name);
      this.health.delete(name);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    // Bounded concurrency, as upstream's ParallelizeUntil: most of the time is spent in writes.
    const workers = 8;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(workers, nodes.length) }, async () => {
        while (next < nodes.length) {
          const node = nodes[next++]!;
          await this.updateNode(node, zoneConditions);
        }
      }),
    );
    await this.handleDisruption(zoneConditions, nodes);
  }

  private async updateNode(cached: Node, zoneConditions: Map<string, (NodeCondition | undefined)[]>): Promise<void> {
    const name = cached.metadata?.name ?? '';
    let node: Node = structuredClone(cached);
    let result: HealthResult | undefined;
    for (let i = 0; i < this.o.nodeHealthUpdateRetry; i++) {
      try {
        result = await this.tryUpdateNodeHealth(node);
        break;
      } catch (err) {
        if (!isConflict(err)) this.ctx.onError(new Error(`updating health of node ${name}: ${errText(err)}`));
        try {
          node = await this.nodeClient.get('', name);
        } catch {
          return; // probably deleted
        }
      }
    }
    if (!result) {
      this.ctx.onError(new Error(`update health of node ${name} failed; skipping it this pass (no pods will be evicted)`));
      return;
    }
    if (!Object.hasOwn(node.metadata?.labels ?? {}, LABEL_EXCLUDE_DISRUPTION)) {
      const zone = zoneKey(node);
      const list = zoneConditions.get(zone) ?? [];
      list.push(result.current);
      zoneConditions.set(zone, list);
    }
    const { observed, current } = result;
    if (!current) {
      this.nodesToRetry.delete(name);
      return;
    }
    try {
      await this.processTaintBaseEviction(node, observed);
    } catch (err) {
      this.ctx.onError(err);
    }
    const needsRetry = this.nodesToRetry.has(name);
    const wentNotReady = current.status !== 'True' && observed.status === 'True';
    if (wentNotReady) this.nodeEvent(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    if (wentNotReady || (needsRetry && observed.status !== 'True')) {
      try {
        await this.markPodsNotReady(this.pods.byIndex(POD_NODE_INDEX, name), name);
      } catch (err) {
        this.ctx.onError(new Error(`unable to mark all pods NotReady on node ${name}: ${errText(err)}; queuing for retry`));
        this.nodesToRetry.add(name);
        return;
      }
    }
    this.nodesToRetry.delete(name);
  }

  /**
   * Upstream tryUpdateNodeHealth: refreshes the node's health record from its Ready condition and
   * Lease and, when it has been silent past the grace period, writes Unknown conditions. `node`
   * is a private copy and is updated in place. Returns the Ready condition as observed before this
   * pass and as it is now.
   */
  private async tryUpdateNodeHealth(node: Node): Promise<HealthResult> {
    const name = node.metadata?.name ?? '';
    const now = this.now();
    let health = this.health.get(name);
    const status: NodeStatus = node.status ?? {};
    let current = nodeCondition(node, 'Ready');
    let observed: NodeCondition;
    let gracePeriod: number;
    if (!current) {
      // Never posted: pretend an Unknown condition from creation time, with the startup grace.
      const created = parseTime(node.metadata?.creationTimestamp);
      const createdAt = created !== undefined && created <= now ? created : now;
      observed = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: node.metadata?.creationTimestamp };
      gracePeriod = this.o.nodeStartupGracePeriodMs;
      if (health) health.status = status;
      else health = { status, probeTimestamp: createdAt, readyTransitionTimestamp: createdAt };
    } else {
      observed = { ...current };
      gracePeriod = this.o.nodeMonitorGracePeriodMs;
    }
    const saved = health ? nodeCondition({ status: health.status }, 'Ready') : undefined;
    const savedLease = health?.lease;
    if (!health) {
      health = { status, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (!saved && current) {
      health = { status, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (saved && !current) {
      this.ctx.onError(new Error(`the Ready condition was removed from the status of node ${name}`));
      health = { status, probeTimestamp: now, readyTransitionTimestamp: now };
    } else if (saved && current && (saved.lastHeartbeatTime ?? '') !== (current.lastHeartbeatTime ?? '')) {
      const transition = (saved.lastTransitionTime ?? '') !== (current.lastTransitionTime ?? '') ? now : health.readyTransitionTimestamp;
      health = { status, probeTimestamp: now, readyTransitionTimestamp: transition };
    }
    // A renewed Lease is a sign of life even when the status is not updated.
    const lease = this.leases.get(NODE_LEASE_NAMESPACE, name);
    if (lease && (!savedLease || microTimeAfter(lease.spec?.renewTime, savedLease.spec?.renewTime))) {
      health = { ...health, lease, probeTimestamp: now };
    } else if (savedLease && health.lease !== savedLease) {
      health = { ...health, lease: savedLease };
    }
    this.health.set(name, health);

    if (now > health.probeTimestamp + gracePeriod) {
      const conditions = (status.conditions ??= []);
      const ts = rfc3339(now);
      for (const type of SILENT_CONDITIONS) {
        const c = conditions.find((x) => x.type === type);
        if (!c) {
          conditions.push({
            type,
            status: 'Unknown',
            reason: 'NodeStatusNeverUpdated',
            message: 'Kubelet never posted node status.',
            lastHeartbeatTime: node.metadata?.creationTimestamp,
            lastTransitionTime: ts,
          });
        } else if (c.status !== 'Unknown') {
          c.status = 'Unknown';
          c.reason = 'NodeStatusUnknown';
          c.message = 'Kubelet stopped posting node status.';
          c.lastTransitionTime = ts;
        }
      }
      current = nodeCondition({ status }, 'Ready');
      if (!sameCondition(current, observed)) {
        const written = await this.nodeClient.updateStatus('', { ...node, status });
        this.health.set(name, {
          status: written.status ?? status,
          probeTimestamp: health.probeTimestamp,
          readyTransitionTimestamp: now,
          lease: lease ?? health.lease,
        });
        // Keep the caller's copy current (resourceVersion) for any later write in this pass.
        node.metadata = written.metadata;
        node.spec = written.spec;
      }
    }
    return { observed, current };
  }

  private async processTaintBaseEviction(node: Node, observed: NodeCondition): Promise<void> {
    const name = node.metadata?.name ?? '';
    switch (observed.status) {
      case 'False':
        if (taintExists(node.spec?.taints, UNREACHABLE_TAINT)) {
          if (!(await this.swapNodeControllerTaint(name, [NOT_READY_TAINT], [UNREACHABLE_TAINT]))) {
            this.ctx.onError(new Error(`failed to swap the unreachable taint of node ${name} for not-ready; will try again`));
          }
        } else {
          this.markNodeForTainting(node, 'False');
        }
        break;
      case 'Unknown':
        if (taintExists(node.spec?.taints, NOT_READY_TAINT)) {
          if (!(await this.swapNodeControllerTaint(name, [UNREACHABLE_TAINT], [NOT_READY_TAINT]))) {
            this.ctx.onError(new Error(`failed to swap the not-ready taint of node ${name} for unreachable; will try again`));
          }
        } else {
          this.markNodeForTainting(node, 'Unknown');
        }
        break;
      case 'True':
        await this.markNodeAsReachable(node);
        break;
      default:
        break;
    }
  }

  private computeZoneState(conditions: readonly (NodeCondition | undefined)[]): { unhealthy: number; state: ZoneState } {
    let ready = 0;
    let notReady = 0;
    for (const c of conditions) {
      if (c && c.status === 'True') ready++;
      else notReady++;
    }
    if (ready === 0 && notReady > 0) return { unhealthy: notReady, state: 'FullDisruption' };
    if (notReady > 2 && notReady / (notReady + ready) >= this.o.unhealthyZoneThreshold) return { unhealthy: notReady, state: 'PartialDisruption' };
    return { unhealthy: notReady, state: 'Normal' };
  }

  private setLimiterInZone(zone: string, zoneSize: number, state: ZoneState): void {
    const q = this.zoneTainter.get(zone);
    if (!q) return;
    switch (state) {
      case 'Normal':
        q.swapLimiter(this.o.nodeEvictionRate);
        break;
      case 'PartialDisruption':
        q.swapLimiter(zoneSize > this.o.largeClusterSizeThreshold ? this.o.secondaryNodeEvictionRate : 0);
        break;
      case 'FullDisruption':
        q.swapLimiter(this.o.nodeEvictionRate);
        break;
      default:
        break;
    }
  }

  /** Upstream handleDisruption: per-zone tainting rates from the zones' health. */
  private async handleDisruption(zoneConditions: Map<string, (NodeCondition | undefined)[]>, nodes: readonly Node[]): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allAreFullyDisrupted = true;
    for (const [zone, conds] of zoneConditions) {
      const { state } = this.computeZoneState(conds);
      if (state !== 'FullDisruption') allAreFullyDisrupted = false;
      newStates.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWasFullyDisrupted = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneConditions.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWasFullyDisrupted = false;
        break;
      }
    }
    if (allAreFullyDisrupted && allWasFullyDisrupted) return;
    if (allAreFullyDisrupted) {
      // Every zone lost every node: more likely our own connectivity than the nodes'. Lift the
      // taints and stop tainting until some node answers again.
      for (const node of nodes) {
        try {
          await this.markNodeAsReachable(node);
        } catch (err) {
          this.ctx.onError(err);
        }
      }
      for (const zone of this.zoneStates.keys()) this.zoneTainter.get(zone)?.swapLimiter(0);
      for (const zone of this.zoneStates.keys()) this.zoneStates.set(zone, 'FullDisruption');
      return;
    }
    if (allWasFullyDisrupted) {
      // Leaving master disruption mode: give every node a fresh grace period.
      const now = this.now();
      for (const node of nodes) {
        const h = this.health.get(node.metadata?.name ?? '');
        if (h) {
          h.probeTimestamp = now;
          h.readyTransitionTimestamp = now;
        }
      }
      for (const zone of this.zoneStates.keys()) {
        const state = newStates.get(zone) ?? 'Normal';
        this.setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, state);
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of [...this.zoneStates]) {
      const next = newStates.get(zone);
      if (!next || next === state) continue;
      this.setLimiterInZone(zone, zoneConditions.get(zone)?.length ?? 0, next);
      this.zoneStates.set(zone, next);
    }
  }

  // ---- pods ----

  private podUpdated(oldPod: Pod | undefined, newPod: Pod): void {
    const node = newPod.spec?.nodeName;
    if (node && (!oldPod || oldPod.spec?.nodeName !== node)) this.podUpdateQueue.add(objectKey(newPod));
  }

  /** A pod newly bound to a node that is not Ready is marked not ready at once. */
  private async processPod(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const nodeName = pod.spec?.nodeName ?? '';
    const health = this.health.get(nodeName);
    if (!health) return; // not looked at yet, or gone: the next node pass handles it
    if (!this.nodes.get('', nodeName)) throw new Error(`node ${nodeName} of pod ${key} is not in the cache yet`);
    const ready = nodeCondition({ status: health.status }, 'Ready');
    if (!ready) return;
    if (ready.status !== 'True') await this.markPodsNotReady([pod], nodeName);
  }

  /** Upstream MarkPodsNotReady: Ready=False on each pod of the node that has a Ready condition. */
  private async markPodsNotReady(pods: readonly Pod[], nodeName: string): Promise<void> {
    const errs: string[] = [];
    for (const cached of pods) {
      if (cached.spec?.nodeName !== nodeName) continue;
      let pod = cached;
      for (let attempt = 0; attempt < 2; attempt++) {
        const cond = podCondition(pod, 'Ready');
        if (!cond || cond.status === 'False') break;
        const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: rfc3339(this.now()) } : c));
        try {
          await this.podClient.updateStatus(pod.metadata?.namespace ?? '', { ...pod, status: { ...pod.status, conditions } });
          this.recorder?.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
          break;
        } catch (err) {
          if (isNotFound(err)) break;
          if (isConflict(err) && attempt === 0) {
            const { namespace, name } = splitKey(objectKey(pod));
            try {
              pod = await this.podClient.get(namespace, name);
              continue;
            } catch (e) {
              if (isNotFound(e)) break;
              errs.push(errText(e));
              break;
            }
          }
          errs.push(`pod ${objectKey(pod)}: ${errText(err)}`);
          break;
        }
      }
    }
    if (errs.length > 0) throw new Error(errs.join('; '));
  }
}

/** The `nodelifecycle` controller (with the NoExecute taint manager inside, as upstream by default). */
export function nodeLifecycleController(): Controller {
  let impl: NodeLifecycle | undefined;
  return {
    name: 'nodelifecycle',
    setup(ctx) {
      impl = new NodeLifecycle(ctx);
    },
    async run(ctx, signal) {
      impl ??= new NodeLifecycle(ctx);
      await impl.run(signal);
    },
  };
}
