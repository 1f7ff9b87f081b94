// The NoExecute taint manager (upstream tainteviction.Controller, which the node lifecycle
// controller runs in-process): it watches nodes' NoExecute taints and the pods bound to them and
// deletes every pod that does not tolerate them —
//  - at once when some NoExecute taint is not tolerated at all;
//  - after the smallest tolerationSeconds of the tolerations used, counted from when the manager
//    first saw the pod on the tainted node (not from the taint's timeAdded, as upstream);
//  - never when the tolerations used set no tolerationSeconds.
// A scheduled deletion is cancelled when the taints go away, the tolerations change so that the
// pod may stay forever, or the pod goes. Before deleting, the pod gets the DisruptionTarget
// condition (reason DeletionByTaintManager), and a TaintManagerEviction event records both the
// deletion and any cancellation. Deletion uses the pod's own grace period.
//
// Timers come from the injected Clock. As upstream's TimedWorkerQueue, a pod whose deletion was
// issued stays "scheduled" until it is deleted or its eviction is cancelled, so taint changes do
// not delete it twice.
import type { Node, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { EventRecorder } from '../../client/events.js';
import { indexers, type Informer } from '../../client/informer.js';
import { isConflict, isNotFound, objectKey, splitKey, type ResourceClient } from '../../client/resource_client.js';
import { WorkQueue, runWorkers } from '../../client/workqueue.js';
import { matchingTolerations, minTolerationMs, noExecuteTaints } from './taints.js';
import { rfc3339 } from '../../api/time.js';

export const POD_NODE_INDEX = 'spec.nodeName';

export interface TaintEvictionOptions {
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  podClient: ResourceClient<Pod>;
  clock: Clock;
  recorder?: EventRecorder;
  onError(err: unknown): void;
  /** Tries of one deletion (status write + delete). */
  retries: number;
}

interface Scheduled {
  createdAt: number;
  fireAt: number;
  timer?: TimerHandle;
  /** The deletion was issued; kept so that later taint changes do not issue it again. */
  done: boolean;
}

function sameTaintList(a: readonly Taint[], b: readonly Taint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.key !== y.key || x.effect !== y.effect || (x.value ?? '') !== (y.value ?? '') || (x.timeAdded ?? '') !== (y.timeAdded ?? '')) return false;
  }
  return true;
}

export class TaintEvictionManager {
  /** NoExecute taints by node name (only tainted nodes). */
  private readonly taintedNodes = new Map<string, Taint[]>();
  private readonly scheduled = new Map<string, Scheduled>();
  private readonly nodeQueue: WorkQueue<string>;
  private readonly podQueue: WorkQueue<string>;
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly o: TaintEvictionOptions) {
    this.nodeQueue = new WorkQueue<string>({ clock: o.clock, name: 'noexec_taint_node' });
    this.podQueue = new WorkQueue<string>({ clock: o.clock, name: 'noexec_taint_pod' });
  }

  /** Registers the informer handlers and the pods-by-node index; call in setup. */
  register(): void {
    if (!this.o.pods.hasIndexer(POD_NODE_INDEX)) this.o.pods.addIndexer(POD_NODE_INDEX, indexers.byNodeName);
    this.o.pods.addEventHandler({
      onAdd: (p) => this.podUpdated(undefined, p),
      onUpdate: (a, b) => this.podUpdated(a, b),
      onDelete: (p) => this.podUpdated(p, undefined),
    });
    this.o.nodes.addEventHandler({
      onAdd: (n) => this.nodeUpdated(undefined, n),
      onUpdate: (a, b) => this.nodeUpdated(a, b),
      onDelete: (n) => this.nodeUpdated(n, undefined),
    });
  }

  /** Works until `signal` aborts; then cancels pending timers and waits for deletions under way. */
  async run(signal: AbortSignal): Promise<void> {
    const onError = (key: string, err: unknown): void => this.o.onError(new Error(`taint eviction ${key}: ${err instanceof Error ? err.message : String(err)}`));
    try {
      await Promise.all([
        runWorkers(this.nodeQueue, 1, async (k) => this.handleNodeUpdate(k), signal, { onError }),
        runWorkers(this.podQueue, 1, async (k) => this.handlePodUpdate(k), signal, { onError }),
      ]);
    } finally {
      this.stopped = true;
      for (const s of this.scheduled.values()) s.timer?.cancel();
      this.scheduled.clear();
      await Promise.all([...this.inflight]);
    }
  }

  /** Pods with a deletion scheduled (and not yet issued), for tests and metrics. */
  get pendingEvictions(): number {
    let n = 0;
    for (const s of this.scheduled.values()) if (!s.done) n++;
    return n;
  }

  /** When the deletion of `podKey` is due (ms on the clock), if one is scheduled. */
  scheduledAt(podKey: string): number | undefined {
    const s = this.scheduled.get(podKey);
    return s && !s.done ? s.fireAt : undefined;
  }

  private podUpdated(oldPod: Pod | undefined, newPod: Pod | undefined): void {
    if (oldPod && newPod) {
      const sameNode = oldPod.spec?.nodeName === newPod.spec?.nodeName;
      const sameTolerations = JSON.stringify(oldPod.spec?.tolerations ?? []) === JSON.stringify(newPod.spec?.tolerations ?? []);
      if (sameNode && sameTolerations) return;
    }
    const p = newPod ?? oldPod;
    if (p) this.podQueue.add(objectKey(p));
  }

  private nodeUpdated(oldNode: Node | undefined, newNode: Node | undefined): void {
    if (oldNode && newNode && sameTaintList(noExecuteTaints(oldNode), noExecuteTaints(newNode))) return;
    const n = newNode ?? oldNode;
    if (n?.metadata?.name) this.nodeQueue.add(n.metadata.name);
  }

  private handleNodeUpdate(nodeName: string): void {
    const node = this.o.nodes.get('', nodeName);
    if (!node) {
      this.taintedNodes.delete(nodeName);
      return;
    }
    const taints = noExecuteTaints(node);
    if (taints.length === 0) this.taintedNodes.delete(nodeName);
    else this.taintedNodes.set(nodeName, taints);
    const pods = this.o.pods.byIndex(POD_NODE_INDEX, nodeName);
    if (taints.length === 0) {
      for (const p of pods) this.cancel(objectKey(p));
      return;
    }
    const now = this.o.clock.now();
    for (const p of pods) this.processPodOnNode(p, taints, now);
  }

  private handlePodUpdate(key: string): void {
    const pod = this.o.pods.getByKey(key);
    if (!pod) {
      this.cancel(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = this.taintedNodes.get(nodeName);
    // An untainted node: any scheduled eviction was cancelled when its taints went.
    if (!taints) return;
    this.processPodOnNode(pod, taints, this.o.clock.now());
  }

  private processPodOnNode(pod: Pod, taints: readonly Taint[], now: number): void {
    const key = objectKey(pod);
    if (taints.length === 0) {
      this.cancel(key);
      return;
    }
    const { all, used } = matchingTolerations(taints, pod.spec?.tolerations);
    if (!all) {
      // Some taint is not tolerated at all: delete now, replacing any later deletion.
      this.cancel(key);
      this.schedule(key, now, now);
      return;
    }
    const min = minTolerationMs(used);
    if (min < 0) {
      this.cancel(key);
      return;
    }
    // As upstream: a deletion already scheduled keeps its time.
    if (this.scheduled.has(key)) return;
    this.schedule(key, now, now + min);
  }

  private schedule(key: string, createdAt: number, fireAt: number): void {
    if (this.stopped || this.scheduled.has(key)) return;
    const s: Scheduled = { createdAt, fireAt, done: false };
    this.scheduled.set(key, s);
    const delay = fireAt - this.o.clock.now();
    // Due now: run at once rather than on the next clock tick (a fake clock may never tick).
    if (delay <= 0) queueMicrotask(() => this.fire(key, s));
    else s.timer = this.o.clock.setTimeout(() => this.fire(key, s), delay);
  }

  /** Cancels a scheduled deletion (with an event if it had not been issued yet). */
  private cancel(key: string): void {
    const s = this.scheduled.get(key);
    if (!s) return;
    this.scheduled.delete(key);
    s.timer?.cancel();
    if (!s.done) this.event(key, 'Cancelling deletion of Pod');
  }

  private fire(key: string, s: Scheduled): void {
    if (this.stopped || this.scheduled.get(key) !== s) return;
    s.done = true;
    s.timer = undefined;
    this.event(key, 'Marking for deletion Pod');
    const p = this.deletePod(key).then(
      (ok) => {
        // A failed deletion is forgotten so that the next pod or node update schedules it again.
        if (!ok && this.scheduled.get(key) === s) this.scheduled.delete(key);
      },
      (err: unknown) => {
        if (this.scheduled.get(key) === s) this.scheduled.delete(key);
        this.o.onError(err);
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private event(key: string, verb: string): void {
    const { namespace, name } = splitKey(key);
    this.o.recorder?.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', `${verb} ${key}`);
  }

  /** DisruptionTarget condition, then delete; true when the pod is gone or going. */
  private async deletePod(key: string): Promise<boolean> {
    const { namespace, name } = splitKey(key);
    let lastErr: unknown;
    for (let i = 0; i < this.o.retries; i++) {
      try {
        const pod = await this.o.podClient.get(namespace, name);
        if (!pod.metadata?.deletionTimestamp) {
          const conds = pod.status?.conditions ?? [];
          const existing = conds.find((c) => c.type === 'DisruptionTarget');
          if (!existing || existing.status !== 'True' || existing.reason !== 'DeletionByTaintManager') {
            const cond: PodCondition = {
              type: 'DisruptionTarget',
              status: 'True',
              reason: 'DeletionByTaintManager',
              message: 'Taint manager: deleting due to NoExecute taint',
              lastTransitionTime: existing?.status === 'True' ? existing.lastTransitionTime : rfc3339(this.o.clock.now()),
            };
            const next: Pod = { ...pod, status: { ...pod.status, conditions: [...conds.filter((c) => c.type !== 'DisruptionTarget'), cond] } };
            await this.o.podClient.updateStatus(namespace, next);
          }
        }
        await this.o.podClient.delete(namespace, name, { preconditions: pod.metadata?.uid ? { uid: pod.metadata.uid } : undefined });
        return true;
      } catch (err) {
        if (isNotFound(err)) return true;
        lastErr = err;
        if (!isConflict(err)) continue;
      }
    }
    this.o.onError(new Error(`taint eviction: deleting pod ${key} failed: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}`));
    return false;
  }
}
