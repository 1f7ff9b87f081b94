// Scheduler: the queue, the cache and one Framework per profile, composed. Informer handlers
// call the add/update/delete entry points; `run(signal)` pops pods and schedules them one at a
// time: the scheduling cycle is synchronous over the snapshot, the pod is assumed in the cache
// on its chosen node at once, and binding (Permit wait, PreBind, the injected `bind`) continues
// asynchronously while the next pod is scheduled. Failures go to the injected `recordFailure`
// (PodScheduled=False + an Event) and back to the queue; preemption outcomes go to `preempt`.
//
// Nothing here talks to the API server: the lead wires informers to the entry points and the
// injected functions to the REST client.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Selector } from '../api/labels.js';
import { SchedulerCache } from './cache.js';
import { CACHE_CLEANUP_INTERVAL_MS } from './defaults.js';
import { DEFAULT_SCHEDULER_NAME, type SchedulerConfiguration, defaultConfiguration } from './framework/config.js';
import { FitError, newDiagnosis } from './framework/fit_error.js';
import { Framework, isFailure } from './framework/framework.js';
import type { ClusterEvent, PluginFactory, QueuedPodInfo } from './framework/interfaces.js';
import { type NamespaceLabels, type PodInfo, derivePodInfo, isTerminating, podInfoOf } from './framework/pod_info.js';
import { Snapshot } from './framework/snapshot.js';
import type { Status } from './framework/status.js';
import type { CycleState } from './framework/cycle_state.js';
import { registry as defaultRegistry } from './plugins/registry.js';
import { type Clock, EVENTS, SchedulingQueue, realClock } from './queue.js';

/** What `recordFailure` receives besides the pod. */
export interface FailureInfo {
  /** `Unschedulable` when no node fits (a FitError), `SchedulerError` for internal errors. */
  reason: 'Unschedulable' | 'SchedulerError';
  /** The condition/Event message, e.g. `0/3 nodes are available: 3 Insufficient cpu.` */
  message: string;
  error: Error;
  /** Set when preemption nominated a node for the pod (write status.nominatedNodeName). */
  nominatedNodeName?: string;
}

export interface SchedulerLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export interface SchedulerOptions {
  config?: SchedulerConfiguration;
  registry?: Readonly<Record<string, PluginFactory>>;
  /** POST pods/binding. Rejecting makes the scheduler forget the assumed pod and retry. */
  bind: (pod: Pod, nodeName: string) => Promise<void>;
  /** Set PodScheduled=False (reason, message) and emit a FailedScheduling Event. */
  recordFailure?: (pod: Pod, info: FailureInfo) => void | Promise<void>;
  /** Evict the victims (and set the preemptor's status.nominatedNodeName). */
  preempt?: (victims: Pod[], preemptor: Pod, nominatedNodeName: string) => void | Promise<void>;
  /** Called after a successful bind (e.g. a Scheduled Event). */
  onScheduled?: (pod: Pod, nodeName: string) => void;
  /** A node whose capacity could not be parsed; it is ignored (emit an Event). */
  onInvalidNode?: (node: Node, error: Error) => void;
  pdbs?: () => readonly PodDisruptionBudget[];
  namespaceLabels?: NamespaceLabels;
  defaultSpreadSelector?: (pod: Pod) => Selector | undefined;
  clock?: Clock;
  random?: () => number;
  logger?: SchedulerLogger;
  assumedPodTtlMs?: number;
}

const silentLogger: SchedulerLogger = { info: () => {}, error: () => {} };

function isAssigned(pod: Pod): boolean {
  return !!pod.spec?.nodeName;
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class Scheduler {
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly profiles = new Map<string, Framework>();
  readonly snapshot = new Snapshot();
  private readonly opts: SchedulerOptions;
  private readonly clock: Clock;
  private readonly log: SchedulerLogger;
  private readonly bindings = new Set<Promise<void>>();
  private lastCleanup = 0;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? silentLogger;
    const config = opts.config ?? defaultConfiguration();
    const registry = opts.registry ?? defaultRegistry;
    this.cache = new SchedulerCache({ clock: this.clock, ...(opts.assumedPodTtlMs !== undefined ? { assumedPodTtlMs: opts.assumedPodTtlMs } : {}) });
    // The queue is the nominator of every profile; it is created after the profiles (it needs
    // their QueueSort and events), so the frameworks reach it through this indirection.
    const nominator = { nominatedPodsForNode: (n: string) => this.queue.nominatedPodsForNode(n) };
    for (const profile of config.profiles) {
      const fwk = new Framework({
        profile,
        registry,
        bindPod: opts.bind,
        pdbs: opts.pdbs ?? (() => []),
        nominator,
        now: () => this.clock.now(),
        ...(config.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: config.percentageOfNodesToScore } : {}),
        ...(opts.namespaceLabels !== undefined ? { namespaceLabels: opts.namespaceLabels } : {}),
        ...(opts.random !== undefined ? { random: opts.random } : {}),
        ...(opts.defaultSpreadSelector !== undefined ? { defaultSpreadSelector: opts.defaultSpreadSelector } : {}),
      });
      this.profiles.set(profile.schedulerName, fwk);
    }
    const first = this.profiles.values().next().value as Framework | undefined;
    if (first === undefined) throw new Error('scheduler configuration has no profiles');
    const events = new Map<string, ClusterEvent[]>();
    for (const f of this.profiles.values()) for (const [k, v] of f.eventsByPlugin()) events.set(k, v);
    const less = first.queueSortLess();
    this.queue = new SchedulingQueue({
      clock: this.clock,
      eventsByPlugin: events,
      preEnqueue: (pod) => this.frameworkFor(pod)?.runPreEnqueuePlugins(pod),
      ...(less !== undefined ? { less } : {}),
      ...(config.podInitialBackoffSeconds !== undefined ? { initialBackoffMs: config.podInitialBackoffSeconds * 1000 } : {}),
      ...(config.podMaxBackoffSeconds !== undefined ? { maxBackoffMs: config.podMaxBackoffSeconds * 1000 } : {}),
    });
  }

  /** The profile for the pod's spec.schedulerName; undefined when not ours (left untouched). */
  frameworkFor(pod: Pod): Framework | undefined {
    return this.profiles.get(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  // ----- informer entry points ---------------------------------------------------------------

  addPod(pod: Pod): void {
    if (isAssigned(pod)) {
      if (isTerminal(pod)) { this.cache.removePod(pod); return; }
      this.cache.addPod(pod);
      this.queue.deleteNominatedPodIfExists(podInfoOf(pod).uid);
      this.queue.moveAllToActiveOrBackoff(EVENTS.AssignedPodAdd);
      return;
    }
    if (this.frameworkFor(pod) === undefined || isTerminal(pod) || isTerminating(pod)) return;
    this.queue.add(pod);
  }

  updatePod(oldPod: Pod | undefined, pod: Pod): void {
    const wasAssigned = oldPod !== undefined && isAssigned(oldPod);
    if (isAssigned(pod)) {
      if (!wasAssigned) this.queue.delete(pod);
      if (isTerminal(pod)) {
        this.cache.removePod(pod);
        this.queue.moveAllToActiveOrBackoff(EVENTS.AssignedPodDelete);
        return;
      }
      this.cache.updatePod(oldPod, pod);
      this.queue.deleteNominatedPodIfExists(podInfoOf(pod).uid);
      this.queue.moveAllToActiveOrBackoff(wasAssigned ? EVENTS.AssignedPodUpdate : EVENTS.AssignedPodAdd);
      return;
    }
    if (this.frameworkFor(pod) === undefined) return;
    // Our own assumed pod's status updates (e.g. the PodScheduled condition) change nothing.
    if (this.cache.isAssumedPod(pod)) return;
    if (isTerminal(pod)) { this.queue.delete(pod); return; }
    this.queue.update(oldPod, pod);
  }

  deletePod(pod: Pod): void {
    const uid = podInfoOf(pod).uid;
    for (const f of this.profiles.values()) f.rejectWaitingPod(uid, 'pod deleted');
    if (isAssigned(pod) || this.cache.podNode(pod) !== undefined) {
      this.cache.removePod(pod);
      this.queue.moveAllToActiveOrBackoff(EVENTS.AssignedPodDelete);
    }
    this.queue.delete(pod);
  }

  addNode(node: Node): void {
    try {
      this.cache.addNode(node);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.log.error({ component: 'scheduler', node: node.metadata?.name, err: err.message }, 'ignoring node with invalid capacity');
      this.opts.onInvalidNode?.(node, err);
      return;
    }
    this.queue.moveAllToActiveOrBackoff(EVENTS.NodeAdd);
  }

  updateNode(oldNode: Node | undefined, node: Node): void {
    try {
      this.cache.updateNode(oldNode, node);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.log.error({ component: 'scheduler', node: node.metadata?.name, err: err.message }, 'ignoring node update with invalid capacity');
      this.opts.onInvalidNode?.(node, err);
      return;
    }
    for (const ev of nodeUpdateEvents(oldNode, node)) this.queue.moveAllToActiveOrBackoff(ev);
  }

  deleteNode(node: Node): void {
    this.cache.removeNode(node);
    this.queue.moveAllToActiveOrBackoff(EVENTS.NodeDelete);
  }

  // ----- scheduling --------------------------------------------------------------------------

  /**
   * Pops one pod and runs its scheduling cycle; binding continues in the background.
   * Returns false when no pod was ready.
   */
  scheduleOne(): boolean {
    this.maybeCleanup();
    const qpi = this.queue.pop();
    if (qpi === undefined) return false;
    const cycle = this.queue.cycle;
    const pi = qpi.podInfo;
    const pod = pi.pod;
    const fwk = this.frameworkFor(pod);
    if (fwk === undefined || isTerminating(pod) || this.cache.podNode(pi) !== undefined) {
      this.queue.done(pi.uid);
      return true;
    }
    this.cache.updateSnapshot(this.snapshot);
    let assumedPi: PodInfo | undefined;
    let result;
    try {
      result = fwk.schedulePod(pi, this.snapshot, {
        assume: (p, nodeName) => {
          const assumed: Pod = { ...p.pod, spec: { ...p.pod.spec!, nodeName } };
          assumedPi = derivePodInfo(assumed, p);
          this.cache.assumePod(assumedPi, nodeName);
        },
        forget: () => { if (assumedPi !== undefined) this.cache.forgetPod(assumedPi); },
      });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      if (assumedPi !== undefined && this.cache.isAssumedPod(assumedPi)) this.cache.forgetPod(assumedPi);
      this.handleFailure(qpi, cycle, err);
      return true;
    }
    if (isFailure(result)) {
      const pf = result.postFilterResult;
      if (pf !== undefined) {
        this.queue.addNominatedPod(pi, pf.nominatedNodeName);
        this.log.info({ component: 'scheduler', pod: pi.key, node: pf.nominatedNodeName, victims: pf.victims.length }, 'preempting');
        if (this.opts.preempt !== undefined) {
          void Promise.resolve().then(() => this.opts.preempt!(pf.victims, pod, pf.nominatedNodeName)).catch((e: unknown) => {
            this.log.error({ component: 'scheduler', pod: pi.key, err: String(e) }, 'preemption failed');
          });
        }
      }
      qpi.unschedulablePlugins = result.failure.diagnosis.unschedulablePlugins;
      this.handleFailure(qpi, cycle, result.failure, pf?.nominatedNodeName);
      return true;
    }
    this.queue.deleteNominatedPodIfExists(pi.uid);
    const nodeName = result.nodeName;
    const bound = assumedPi!;
    const p = this.bindingCycle(fwk, qpi, cycle, result.state, bound, nodeName);
    this.bindings.add(p);
    void p.finally(() => this.bindings.delete(p));
    return true;
  }

  private async bindingCycle(
    fwk: Framework, qpi: QueuedPodInfo, cycle: number, state: CycleState,
    assumed: PodInfo, nodeName: string,
  ): Promise<void> {
    let st: Status | undefined;
    try {
      st = await fwk.runBindingCycle(state, assumed, nodeName);
    } catch (e) {
      st = undefined;
      this.log.error({ component: 'scheduler', pod: assumed.key, err: String(e) }, 'binding cycle threw');
      fwk.runReservePluginsUnreserve(state, assumed, nodeName);
      this.forgetAndRequeue(qpi, cycle, assumed, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (st === undefined) {
      this.cache.finishBinding(assumed);
      this.queue.done(assumed.uid);
      this.opts.onScheduled?.(qpi.podInfo.pod, nodeName);
      return;
    }
    let err: Error;
    if (st.isRejected()) {
      const d = newDiagnosis();
      d.nodeToStatus.set(nodeName, st);
      if (st.plugin) d.unschedulablePlugins.add(st.plugin);
      qpi.unschedulablePlugins = d.unschedulablePlugins;
      err = new FitError(qpi.podInfo, 1, d);
    } else {
      err = st.error ?? new Error(`binding rejected: ${st.message()}`);
    }
    this.forgetAndRequeue(qpi, cycle, assumed, err);
  }

  private forgetAndRequeue(qpi: QueuedPodInfo, cycle: number, assumed: PodInfo, err: Error): void {
    if (this.cache.isAssumedPod(assumed)) this.cache.forgetPod(assumed);
    // The resources the pod held are free again: pods waiting for them may fit now.
    this.queue.moveAllToActiveOrBackoff(EVENTS.AssignedPodDelete);
    this.handleFailure(qpi, cycle, err);
  }

  private handleFailure(qpi: QueuedPodInfo, cycle: number, err: Error, nominatedNodeName?: string): void {
    const pod = qpi.podInfo.pod;
    const fit = err instanceof FitError;
    if (!fit) qpi.lastError = err;
    else delete qpi.lastError;
    const info: FailureInfo = { reason: fit ? 'Unschedulable' : 'SchedulerError', message: err.message, error: err };
    if (nominatedNodeName !== undefined) info.nominatedNodeName = nominatedNodeName;
    this.log.info({ component: 'scheduler', pod: qpi.podInfo.key, reason: info.reason, message: info.message }, 'unable to schedule pod');
    this.queue.addUnschedulableIfNotPresent(qpi, cycle);
    if (this.opts.recordFailure !== undefined) {
      void Promise.resolve().then(() => this.opts.recordFailure!(pod, info)).catch((e: unknown) => {
        this.log.error({ component: 'scheduler', pod: qpi.podInfo.key, err: String(e) }, 'recording scheduling failure failed');
      });
    }
  }

  private maybeCleanup(): void {
    const now = this.clock.now();
    if (now - this.lastCleanup < CACHE_CLEANUP_INTERVAL_MS) return;
    this.lastCleanup = now;
    const expired = this.cache.cleanupAssumedPods(now);
    if (expired.length > 0) {
      for (const p of expired) this.log.info({ component: 'scheduler', pod: p.key }, 'assumed pod expired');
      this.queue.moveAllToActiveOrBackoff(EVENTS.AssignedPodDelete);
    }
  }

  /** Schedules until the signal aborts; waits for in-flight bindings before returning. */
  async run(signal: AbortSignal): Promise<void> {
    let n = 0;
    while (!signal.aborted) {
      if (this.scheduleOne()) {
        // Let informer events and binding completions in between pods.
        if (++n % 8 === 0) await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const next = this.queue.nextBackoffInMs();
      await this.queue.waitForWork(Math.min(next ?? 1000, 1000), signal);
    }
    await this.idle();
  }

  /** Resolves when no binding is in flight. */
  async idle(): Promise<void> {
    while (this.bindings.size > 0) await Promise.allSettled([...this.bindings]);
  }
}

/** The events a node update is (none when nothing the scheduler reads changed). */
export function nodeUpdateEvents(oldNode: Node | undefined, node: Node): ClusterEvent[] {
  if (oldNode === undefined) return [EVENTS.NodeUpdate];
  const j = JSON.stringify;
  const out: ClusterEvent[] = [];
  if (j(oldNode.spec?.taints) !== j(node.spec?.taints) || oldNode.spec?.unschedulable !== node.spec?.unschedulable) out.push(EVENTS.NodeTaintChange);
  if (j(oldNode.metadata?.labels) !== j(node.metadata?.labels)) out.push(EVENTS.NodeLabelChange);
  if (j(oldNode.status?.allocatable) !== j(node.status?.allocatable)) out.push(EVENTS.NodeAllocatableChange);
  if (out.length === 0 && j(oldNode.status?.images) !== j(node.status?.images)) out.push(EVENTS.NodeUpdate);
  return out;
}
