// The scheduling queue: pending pods wait in one of three places.
//
//   activeQ        ready to be tried, ordered by the profile's QueueSort (priority, then time);
//   backoffQ       failed recently; waits 1 s, doubling per attempt up to 10 s, then → activeQ;
//   unschedulable  rejected by some plugins; parked until a cluster event one of those plugins
//                  registered for (queueing hints, simplified) moves it to backoffQ/activeQ, or
//                  until it has been parked for 5 minutes.
//
// Pods rejected by PreEnqueue (scheduling gates) are parked too and re-checked on update.
// The queue starts no timers: the scheduler's loop calls `flush()`; time comes from an
// injectable clock so tests control backoff and expiry. The queue is also the Nominator:
// pods that preempted others are remembered on their nominated node.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ClusterEvent, Nominator, QueuedPodInfo } from './framework/interfaces.js';
import { type PodInfo, podInfoOf } from './framework/pod_info.js';
import { podUid } from './framework/helpers.js';
import type { Status } from './framework/status.js';
import { KeyedHeap } from './heap.js';
import {
  POD_INITIAL_BACKOFF_MS, POD_MAX_BACKOFF_MS, POD_MAX_IN_UNSCHEDULABLE_MS, UNSCHEDULABLE_FLUSH_INTERVAL_MS,
} from './defaults.js';

export interface Clock {
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

export interface QueueOptions {
  clock?: Clock;
  /** QueueSort's less; defaults to priority then timestamp. */
  less?: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  /** PreEnqueue of the pod's profile. */
  preEnqueue?: (pod: Pod) => Status | undefined;
  /** Events each plugin registered; a parked pod moves only on an event one of its rejectors registered. */
  eventsByPlugin?: Map<string, ClusterEvent[]>;
}

interface Entry extends QueuedPodInfo {
  /** Set while PreEnqueue keeps the pod out. */
  gated: boolean;
}

export const EVENTS = {
  NodeAdd: { resource: 'Node', action: 'Add', label: 'NodeAdd' },
  NodeDelete: { resource: 'Node', action: 'Delete', label: 'NodeDelete' },
  NodeUpdate: { resource: 'Node', action: 'Update', label: 'NodeUpdate' },
  NodeLabelChange: { resource: 'Node', action: 'UpdateNodeLabel', label: 'NodeLabelChange' },
  NodeTaintChange: { resource: 'Node', action: 'UpdateNodeTaint', label: 'NodeTaintChange' },
  NodeAllocatableChange: { resource: 'Node', action: 'UpdateNodeAllocatable', label: 'NodeAllocatableChange' },
  AssignedPodAdd: { resource: 'AssignedPod', action: 'Add', label: 'AssignedPodAdd' },
  AssignedPodUpdate: { resource: 'AssignedPod', action: 'Update', label: 'AssignedPodUpdate' },
  AssignedPodDelete: { resource: 'AssignedPod', action: 'Delete', label: 'AssignedPodDelete' },
  UnschedulableTimeout: { resource: '*', action: 'All', label: 'UnschedulableTimeout' },
  ForceActivate: { resource: '*', action: 'All', label: 'ForceActivate' },
} as const satisfies Record<string, ClusterEvent>;

/** Whether a registered event covers an actual one. */
export function eventMatches(registered: ClusterEvent, ev: ClusterEvent): boolean {
  const resOk = registered.resource === '*' || ev.resource === '*' || registered.resource === ev.resource
    || (registered.resource === 'Pod' && (ev.resource === 'AssignedPod' || ev.resource === 'UnscheduledPod'));
  if (!resOk) return false;
  return registered.action === 'All' || ev.action === 'All' || registered.action === ev.action
    || (registered.action === 'Update' && ev.action.startsWith('Update'));
}

const defaultLess = (a: QueuedPodInfo, b: QueuedPodInfo): boolean => {
  const pa = a.podInfo.priority;
  const pb = b.podInfo.priority;
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
};

export class SchedulingQueue implements Nominator {
  private readonly clock: Clock;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxInUnschedulable: number;
  private readonly preEnqueue: ((pod: Pod) => Status | undefined) | undefined;
  private readonly eventsByPlugin: Map<string, ClusterEvent[]>;
  private readonly activeQ: KeyedHeap<Entry>;
  private readonly backoffQ: KeyedHeap<Entry>;
  private readonly unschedulable = new Map<string, Entry>();
  /** Popped and not yet done: uid → the scheduling cycle it was popped in. */
  private readonly inFlight = new Map<string, number>();
  private schedulingCycle = 0;
  /** The cycle in which the last move request happened; pods failing in an older cycle saw it. */
  private moveRequestCycle = -1;
  private lastUnschedulableFlush = 0;
  private readonly nominatedByNode = new Map<string, PodInfo[]>();
  private readonly nominatedNodeOf = new Map<string, string>();
  private waiters: (() => void)[] = [];

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoff = opts.initialBackoffMs ?? POD_INITIAL_BACKOFF_MS;
    this.maxBackoff = opts.maxBackoffMs ?? POD_MAX_BACKOFF_MS;
    this.maxInUnschedulable = opts.maxInUnschedulableMs ?? POD_MAX_IN_UNSCHEDULABLE_MS;
    this.preEnqueue = opts.preEnqueue;
    this.eventsByPlugin = opts.eventsByPlugin ?? new Map();
    const key = (e: Entry): string => e.podInfo.uid;
    this.activeQ = new KeyedHeap<Entry>(key, opts.less ?? defaultLess);
    this.backoffQ = new KeyedHeap<Entry>(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    this.lastUnschedulableFlush = this.clock.now();
  }

  // ----- adding and removing -----------------------------------------------------------------

  /** A new pending pod (from the informer). */
  add(pod: Pod): void {
    const pi = podInfoOf(pod);
    const now = this.clock.now();
    const e: Entry = { podInfo: pi, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set(), gated: false };
    this.remove(pi.uid);
    this.moveToActive(e);
    this.updateNomination(pi);
  }

  /** A pending pod changed. */
  update(oldPod: Pod | undefined, newPod: Pod): void {
    const pi = podInfoOf(newPod);
    const uid = pi.uid;
    this.updateNomination(pi);
    const inActive = this.activeQ.get(uid);
    if (inActive !== undefined) { this.activeQ.addOrUpdate({ ...inActive, podInfo: pi }); return; }
    const inBackoff = this.backoffQ.get(uid);
    if (inBackoff !== undefined) { this.backoffQ.addOrUpdate({ ...inBackoff, podInfo: pi }); return; }
    const parked = this.unschedulable.get(uid);
    if (parked !== undefined) {
      const updated: Entry = { ...parked, podInfo: pi };
      if (oldPod === undefined || schedulingInputsChanged(oldPod, newPod)) {
        this.unschedulable.delete(uid);
        if (!parked.gated && this.isBackingOff(updated)) this.backoffQ.addOrUpdate(updated);
        else this.moveToActive(updated);
      } else {
        this.unschedulable.set(uid, updated);
      }
      return;
    }
    if (this.inFlight.has(uid)) {
      // Being scheduled right now: a failure of this attempt should retry soon.
      this.moveRequestCycle = this.schedulingCycle;
      return;
    }
    this.add(newPod);
  }

  /** A pending pod was deleted (or got bound by someone else). */
  delete(pod: Pod): void {
    const uid = podUid(pod);
    this.remove(uid);
    this.deleteNominatedPodIfExists(uid);
  }

  private remove(uid: string): void {
    this.activeQ.delete(uid);
    this.backoffQ.delete(uid);
    this.unschedulable.delete(uid);
  }

  /** Runs PreEnqueue; gated pods are parked instead. */
  private moveToActive(e: Entry): void {
    const st = this.preEnqueue?.(e.podInfo.pod);
    if (st !== undefined && !st.isSuccess()) {
      e.gated = true;
      e.unschedulablePlugins = new Set(st.plugin ? [st.plugin] : []);
      this.unschedulable.set(e.podInfo.uid, e);
      return;
    }
    e.gated = false;
    this.activeQ.addOrUpdate(e);
    this.wake();
  }

  // ----- the scheduling loop's side -----------------------------------------------------------

  /** The next pod to schedule, or undefined when none is ready. */
  pop(): QueuedPodInfo | undefined {
    this.flush();
    const e = this.activeQ.pop();
    if (e === undefined) return undefined;
    e.attempts++;
    this.schedulingCycle++;
    this.inFlight.set(e.podInfo.uid, this.schedulingCycle);
    return e;
  }

  /** The current scheduling cycle (the one of the last pop). */
  get cycle(): number { return this.schedulingCycle; }

  /** The pod's attempt is over (scheduled, or requeued with addUnschedulableIfNotPresent). */
  done(uid: string): void {
    this.inFlight.delete(uid);
  }

  /**
   * Requeues a pod whose attempt failed. It goes to backoffQ when its attempt ended in an
   * error, had no rejecting plugin, or a move request happened since it was popped; else it is
   * parked as unschedulable.
   */
  addUnschedulableIfNotPresent(qpi: QueuedPodInfo, podSchedulingCycle: number): void {
    const uid = qpi.podInfo.uid;
    this.inFlight.delete(uid);
    if (this.activeQ.has(uid) || this.backoffQ.has(uid) || this.unschedulable.has(uid)) return;
    const e: Entry = { ...qpi, timestamp: this.clock.now(), gated: false };
    if (e.lastError !== undefined || e.unschedulablePlugins.size === 0 || this.moveRequestCycle >= podSchedulingCycle) {
      this.backoffQ.addOrUpdate(e);
    } else {
      this.unschedulable.set(uid, e);
    }
  }

  /**
   * A cluster event happened: parked pods that one of their rejecting plugins registered this
   * event for go to backoffQ (still backing off) or activeQ.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, filter?: (pi: PodInfo) => boolean): number {
    let moved = 0;
    for (const [uid, e] of this.unschedulable) {
      if (filter !== undefined && !filter(e.podInfo)) continue;
      if (!this.relevant(e, event)) continue;
      if (e.gated) {
        const st = this.preEnqueue?.(e.podInfo.pod);
        if (st !== undefined && !st.isSuccess()) continue;
      }
      this.unschedulable.delete(uid);
      if (this.isBackingOff(e)) this.backoffQ.addOrUpdate(e);
      else this.moveToActive(e);
      moved++;
    }
    this.moveRequestCycle = this.schedulingCycle;
    return moved;
  }

  private relevant(e: Entry, event: ClusterEvent): boolean {
    if (event.resource === '*') return true;
    if (e.gated) return event.resource === 'UnscheduledPod';
    if (e.unschedulablePlugins.size === 0) return true;
    for (const p of e.unschedulablePlugins) {
      const evs = this.eventsByPlugin.get(p);
      // A plugin that registered nothing may be helped by anything.
      if (evs === undefined) return true;
      for (const r of evs) if (eventMatches(r, event)) return true;
    }
    return false;
  }

  /** Moves finished backoffs to activeQ and, every 30 s, long-parked pods out of unschedulable. */
  flush(): void {
    const now = this.clock.now();
    for (;;) {
      const top = this.backoffQ.peek();
      if (top === undefined || this.backoffExpiry(top) > now) break;
      this.backoffQ.pop();
      this.moveToActive(top);
    }
    if (now - this.lastUnschedulableFlush >= UNSCHEDULABLE_FLUSH_INTERVAL_MS) {
      this.lastUnschedulableFlush = now;
      this.flushUnschedulableLeftover();
    }
  }

  /** Moves pods parked longer than the limit (5 minutes) back to the queues. */
  flushUnschedulableLeftover(): number {
    const now = this.clock.now();
    let moved = 0;
    for (const [uid, e] of this.unschedulable) {
      if (e.gated || now - e.timestamp < this.maxInUnschedulable) continue;
      this.unschedulable.delete(uid);
      if (this.isBackingOff(e)) this.backoffQ.addOrUpdate(e);
      else this.moveToActive(e);
      moved++;
    }
    return moved;
  }

  /** Milliseconds until the next backoff completes (undefined when backoffQ is empty). */
  nextBackoffInMs(): number | undefined {
    const top = this.backoffQ.peek();
    return top === undefined ? undefined : Math.max(0, this.backoffExpiry(top) - this.clock.now());
  }

  backoffDuration(e: QueuedPodInfo): number {
    let d = this.initialBackoff;
    for (let i = 1; i < e.attempts; i++) {
      if (d > this.maxBackoff - d) return this.maxBackoff;
      d += d;
    }
    return d;
  }

  private backoffExpiry(e: QueuedPodInfo): number {
    return e.timestamp + this.backoffDuration(e);
  }

  private isBackingOff(e: QueuedPodInfo): boolean {
    return e.attempts > 0 && this.backoffExpiry(e) > this.clock.now();
  }

  /** Resolves when a pod may be ready (activeQ got one), after `ms`, or on abort. */
  waitForWork(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.activeQ.size > 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  // ----- nominator ---------------------------------------------------------------------------

  private updateNomination(pi: PodInfo): void {
    const n = pi.pod.status?.nominatedNodeName;
    if (n) this.addNominatedPod(pi, n);
    else if (this.nominatedNodeOf.has(pi.uid)) {
      // Keep a nomination the scheduler made until the API object catches up.
      const cur = this.nominatedNodeOf.get(pi.uid)!;
      this.addNominatedPod(pi, cur);
    }
  }

  addNominatedPod(pi: PodInfo, nodeName: string): void {
    this.deleteNominatedPodIfExists(pi.uid);
    this.nominatedNodeOf.set(pi.uid, nodeName);
    let list = this.nominatedByNode.get(nodeName);
    if (list === undefined) this.nominatedByNode.set(nodeName, (list = []));
    list.push(pi);
  }

  deleteNominatedPodIfExists(uid: string): void {
    const node = this.nominatedNodeOf.get(uid);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(uid);
    const list = this.nominatedByNode.get(node);
    if (list === undefined) return;
    const rest = list.filter((p) => p.uid !== uid);
    if (rest.length === 0) this.nominatedByNode.delete(node);
    else this.nominatedByNode.set(node, rest);
  }

  nominatedPodsForNode(nodeName: string): readonly PodInfo[] {
    if (this.nominatedByNode.size === 0) return EMPTY;
    return this.nominatedByNode.get(nodeName) ?? EMPTY;
  }

  // ----- introspection -----------------------------------------------------------------------

  stats(): { active: number; backoff: number; unschedulable: number; inFlight: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size, inFlight: this.inFlight.size };
  }

  /** Where a pod is: 'active', 'backoff', 'unschedulable', 'inFlight', or undefined. */
  whereIs(uid: string): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    if (this.activeQ.has(uid)) return 'active';
    if (this.backoffQ.has(uid)) return 'backoff';
    if (this.unschedulable.has(uid)) return 'unschedulable';
    if (this.inFlight.has(uid)) return 'inFlight';
    return undefined;
  }

  pendingPods(): Pod[] {
    return [...this.activeQ.values(), ...this.backoffQ.values(), ...this.unschedulable.values()].map((e) => e.podInfo.pod);
  }
}

const EMPTY: readonly PodInfo[] = [];

/** Changes that can make a parked pod schedulable (labels, spec, annotations — not status). */
function schedulingInputsChanged(a: Pod, b: Pod): boolean {
  if (a.metadata?.resourceVersion !== undefined && a.metadata.resourceVersion === b.metadata?.resourceVersion) return false;
  return JSON.stringify(a.spec) !== JSON.stringify(b.spec)
    || JSON.stringify(a.metadata?.labels) !== JSON.stringify(b.metadata?.labels)
    || JSON.stringify(a.metadata?.annotations) !== JSON.stringify(b.metadata?.annotations);
}
