// The ReplicaSet controller (and, over the same logic, the ReplicationController controller): keep
// `spec.replicas` pods of the template running for each ReplicaSet.
//
// A sync of one ReplicaSet, as upstream's syncReplicaSet:
//   1. its active pods from the cache (not terminating, not Succeeded/Failed), claimed: orphans the
//      selector matches are adopted, owned pods it no longer matches are released;
//   2. if its expectations are met (every create and delete of the last sync observed in the cache,
//      or five minutes passed) and it is not being deleted: create the missing pods in slow-start
//      batches (1, 2, 4, ...; at most 500 a sync) or delete the surplus, chosen by deletion_ranking;
//   3. status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration,
//      a ReplicaFailure condition while creates or deletes fail) written only when it changed.
// Pod events lower expectations and enqueue the owner; the owner is found through the pod's
// controller reference, or for orphans, every ReplicaSet in the namespace that selects it.
// Pods that are ready but not yet available (minReadySeconds) requeue the owner for the moment
// they become available, since no event marks that moment.
import type { ReplicaSet, ReplicaSetCondition } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec, ReplicationController } from 'kubernetes-types/core/v1.js';
import { fromLabelSelector, selectorFromSet, type Selector } from '../../api/labels.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/events.js';
import { indexers, type Informer } from '../../client/informer.js';
import {
  isConflict,
  isNotFound,
  objectKey,
  resourceRef,
  splitKey,
  type ResourceClient,
  type ResourceRef,
} from '../../client/resource_client.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { numberOption } from '../controller.js';
import { claimObjects, controllerOf, newControllerRef } from './controller_ref.js';
import { podsToDelete } from './deletion_ranking.js';
import { Expectations } from './expectations.js';
import { availableAt, isPodActive, isPodReady } from './pod_status.js';
import { slowStartBatch } from './slow_start.js';
import { rfc3339 } from '../../api/time.js';

/** At most this many pods are created or deleted in one sync (upstream BurstReplicas). */
export const BURST_REPLICAS = 500;
/** The first slow-start batch (upstream SlowStartInitialBatchSize). */
export const SLOW_START_INITIAL_BATCH = 1;
/** Concurrent syncs (upstream --concurrent-replicaset-syncs). */
export const DEFAULT_WORKERS = 5;

export const PODS: ResourceRef = resourceRef('', 'v1', 'pods');
export const REPLICASETS: ResourceRef = resourceRef('apps', 'v1', 'replicasets');
export const REPLICATIONCONTROLLERS: ResourceRef = resourceRef('', 'v1', 'replicationcontrollers');

/** What ReplicaSets and ReplicationControllers share, as far as this controller is concerned. */
export type ReplicaOwner = ReplicaSet | ReplicationController;
type OwnerStatus = NonNullable<ReplicaSet['status']>;

/** The kind-specific part: which resource, and how its selector reads. */
export interface ReplicaKind<T extends ReplicaOwner> {
  controllerName: string;
  /** Event source component, as upstream names it. */
  component: string;
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  /** The owner's selector; throws for an invalid one. */
  selector(owner: T): Selector;
}

export const replicaSetKind: ReplicaKind<ReplicaSet> = {
  controllerName: 'replicaset',
  component: 'replicaset-controller',
  ref: REPLICASETS,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  selector: (rs) => fromLabelSelector(rs.spec?.selector),
};

export const replicationControllerKind: ReplicaKind<ReplicationController> = {
  controllerName: 'replicationcontroller',
  component: 'replication-controller',
  ref: REPLICATIONCONTROLLERS,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  // A map selector; an empty one would select everything, which validation forbids.
  selector: (rc) => selectorFromSet(rc.spec?.selector ?? {}),
};

export interface ReplicaControllerOptions {
  workers?: number;
  burstReplicas?: number;
  expectationsTimeoutMs?: number;
}

/** The shared implementation; exported for tests, which reach its queue and expectations. */
export class ReplicaController<T extends ReplicaOwner> implements Controller {
  readonly name: string;
  expectations!: Expectations;
  queue!: WorkQueue<string>;
  private owners!: Informer<T>;
  private pods!: Informer<Pod>;
  private ownerClient!: ResourceClient<T>;
  private podClient!: ResourceClient<Pod>;
  private recorder: EventRecorder | undefined;
  private clock!: Clock;
  private onError: (err: unknown) => void = () => undefined;

  constructor(
    private readonly k: ReplicaKind<T>,
    private readonly opts: ReplicaControllerOptions = {},
  ) {
    this.name = k.controllerName;
  }

  setup(ctx: ControllerContext): void {
    this.clock = ctx.clock;
    this.onError = ctx.onError;
    this.recorder = ctx.recorder(this.k.component);
    this.expectations = new Expectations(ctx.clock, this.opts.expectationsTimeoutMs);
    this.queue = new WorkQueue<string>({ clock: ctx.clock, name: this.k.controllerName });
    this.ownerClient = ctx.source.resource<T>(this.k.ref);
    this.podClient = ctx.source.resource<Pod>(PODS);
    this.owners = ctx.factory.informerFor<T>(this.k.ref, { indexers: { byOwnerUid: indexers.byOwnerUid } });
    this.pods = ctx.factory.informerFor<Pod>(PODS, { indexers: { byOwnerUid: indexers.byOwnerUid } });

    this.owners.addEventHandler({
      onAdd: (o) => this.queue.add(objectKey(o)),
      onUpdate: (_old, o) => this.queue.add(objectKey(o)),
      onDelete: (o) => {
        const key = objectKey(o);
        this.expectations.delete(key);
        this.queue.add(key);
      },
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.owners.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    const workers = this.opts.workers ?? numberOption(ctx, `${this.k.controllerName}Workers`, DEFAULT_WORKERS, { positive: true });
    await runWorkers(this.queue, workers, (key) => this.sync(key), signal, {
      // A conflict means the cache was behind a write; the retry reads the newer object.
      onError: (key, err) => {
        if (!isConflict(err)) this.onError(new Error(`${this.k.controllerName} ${key}: ${errorMessage(err)}`));
      },
    });
  }

  // ---- event handlers: find the owner, adjust expectations, enqueue ----

  /** The owner a controller reference names, if it is in the cache with the same uid. */
  private resolveOwner(pod: Pod): T | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== this.k.kind) return undefined;
    const owner = this.owners.get(pod.metadata?.namespace ?? '', ref.name);
    return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
  }

  /** Owners in the pod's namespace whose selector matches it (for orphans). */
  private selectingOwners(pod: Pod): T[] {
    const labels = pod.metadata?.labels ?? {};
    const out: T[] = [];
    for (const o of this.owners.list(pod.metadata?.namespace ?? '')) {
      try {
        const sel = this.k.selector(o);
        if (!sel.isEmpty() && sel.matches(labels)) out.push(o);
      } catch {
        // an invalid selector selects nothing
      }
    }
    return out;
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Restarted controller: a pod already terminating counts as a deletion.
      this.podDeleted(pod);
      return;
    }
    if (controllerOf(pod)) {
      const owner = this.resolveOwner(pod);
      if (!owner) return;
      const key = objectKey(owner);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const o of this.selectingOwners(pod)) this.queue.add(objectKey(o));
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return; // resync
    if (pod.metadata?.deletionTimestamp) {
      // Graceful deletion: the pod stops counting now, not when it finally disappears.
      this.podDeleted(pod);
      if (old.metadata?.labels !== pod.metadata?.labels) {
        const oldOwner = this.resolveOwner(old);
        if (oldOwner) this.queue.add(objectKey(oldOwner));
      }
      return;
    }
    const oldRef = controllerOf(old);
    const ref = controllerOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const oldOwner = this.resolveOwner(old);
      if (oldOwner) this.queue.add(objectKey(oldOwner));
    }
    if (ref) {
      const owner = this.resolveOwner(pod);
      if (owner) this.queue.add(objectKey(owner));
      return;
    }
    // An orphan: its labels may now match someone (or it was just released).
    for (const o of this.selectingOwners(pod)) this.queue.add(objectKey(o));
  }

  private podDeleted(pod: Pod): void {
    const owner = this.resolveOwner(pod);
    if (!owner) return;
    const key = objectKey(owner);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.queue.add(key);
  }

  // ---- the reconcile ----

  async sync(key: string): Promise<void | ReconcileResult> {
    const owner = this.owners.getByKey(key);
    if (!owner) {
      this.expectations.delete(key);
      return;
    }
    const { namespace } = splitKey(key);
    const needsSync = this.expectations.satisfied(key);
    let selector: Selector;
    try {
      selector = this.k.selector(owner);
    } catch (err) {
      // Validation should have stopped it; nothing to do until the object changes.
      this.onError(new Error(`${this.k.kind} ${key}: invalid selector: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const candidates = this.pods.list(namespace).filter(isPodActive);
    const pods = await claimObjects(candidates, {
      owner,
      apiVersion: this.k.apiVersion,
      kind: this.k.kind,
      selector,
      client: this.podClient,
      getOwnerFresh: () => this.ownerClient.get(namespace, owner.metadata?.name ?? ''),
    });

    let manageErr: unknown;
    let deleted = new Set<string>();
    if (needsSync && !owner.metadata?.deletionTimestamp) {
      const r = await this.manageReplicas(key, owner, pods);
      manageErr = r.error;
      deleted = r.deleted;
    }
    // Pods we have just deleted no longer exist; counting them would overstate status.replicas
    // until the delete events arrive (a Deployment reads it to decide how far to scale down).
    const counted = deleted.size ? pods.filter((p) => !deleted.has(objectKey(p))) : pods;
    const now = this.clock.now();
    const status = calculateStatus(owner, counted, manageErr, now);
    const updated = await this.updateStatus(owner, status);

    if (manageErr !== undefined) throw manageErr;
    return requeueForAvailability(updated, counted, now);
  }

  private async manageReplicas(key: string, owner: T, pods: Pod[]): Promise<{ error?: unknown; deleted: Set<string> }> {
    const want = owner.spec?.replicas ?? 1;
    const burst = this.opts.burstReplicas ?? BURST_REPLICAS;
    const deleted = new Set<string>();
    let diff = pods.length - want;
    if (diff < 0) {
      diff = Math.min(-diff, burst);
      // Expect before writing: a pod event may arrive before the create call returns.
      this.expectations.expectCreations(key, diff);
      const template = owner.spec?.template;
      const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH, () => this.createPod(owner, template));
      // Creates that failed or were never tried will not be observed.
      if (diff - successes > 0) this.expectations.creationObserved(key, diff - successes);
      return { error, deleted };
    }
    if (diff > 0) {
      diff = Math.min(diff, burst);
      const victims = podsToDelete(pods, this.relatedPods(owner, pods), diff, this.clock.now());
      const victimKeys = victims.map((p) => objectKey(p));
      this.expectations.expectDeletions(key, victimKeys);
      let error: unknown;
      await Promise.all(
        victims.map(async (pod, i) => {
          const podKey = victimKeys[i]!;
          try {
            await this.podClient.delete(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
            deleted.add(podKey);
            this.recorder?.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name ?? ''}`);
          } catch (err) {
            // Not going to be observed; a pod already gone is as good as deleted.
            this.expectations.deletionObserved(key, podKey);
            if (isNotFound(err)) {
              deleted.add(podKey);
              return;
            }
            this.recorder?.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
            error ??= err;
          }
        }),
      );
      return { error, deleted };
    }
    return { deleted };
  }

  private async createPod(owner: T, template: PodTemplateSpec | undefined): Promise<void> {
    try {
      const pod = podFromTemplate(owner, template, this.k);
      const created = await this.podClient.create(owner.metadata?.namespace ?? '', pod);
      this.recorder?.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata?.name ?? ''}`);
    } catch (err) {
      this.recorder?.event(owner, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  /**
   * Pods of every owner that shares this owner's controller (the ReplicaSets of one Deployment), or
   * just this owner's pods: scale-down prefers pods on nodes crowded with the family.
   */
  private relatedPods(owner: T, own: Pod[]): Pod[] {
    const ref = controllerOf(owner);
    if (!ref) return own;
    const out: Pod[] = [];
    for (const sibling of this.owners.byIndex('byOwnerUid', ref.uid)) {
      if (controllerOf(sibling)?.uid !== ref.uid) continue;
      for (const p of this.pods.byIndex('byOwnerUid', sibling.metadata?.uid ?? '')) {
        if (controllerOf(p)?.uid === sibling.metadata?.uid) out.push(p);
      }
    }
    return out;
  }

  /** Writes the status if it differs; one retry on a conflict with a fresh read, then the queue retries. */
  private async updateStatus(owner: T, status: OwnerStatus): Promise<T> {
    let current = owner;
    for (let attempt = 0; ; attempt++) {
      const want = { ...status, observedGeneration: current.metadata?.generation ?? 0 };
      if (statusEqual(current.status, want)) return current;
      try {
        return await this.ownerClient.updateStatus(current.metadata?.namespace ?? '', { ...current, status: want } as T);
      } catch (err) {
        if (!isConflict(err) || attempt >= 1) throw err;
        current = await this.ownerClient.get(current.metadata?.namespace ?? '', current.metadata?.name ?? '');
      }
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The pod an owner creates from its template (upstream GetPodFromTemplate). */
export function podFromTemplate<T extends ReplicaOwner>(owner: T, template: PodTemplateSpec | undefined, k: Pick<ReplicaKind<T>, 'apiVersion' | 'kind'>): Pod {
  const labels = { ...(template?.metadata?.labels ?? {}) };
  if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
  const meta = template?.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata?.name ?? ''}-`,
      namespace: owner.metadata?.namespace,
      labels,
      ownerReferences: [newControllerRef(owner, k.apiVersion, k.kind)],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
  if (meta.annotations && Object.keys(meta.annotations).length > 0) pod.metadata!.annotations = { ...meta.annotations };
  if (meta.finalizers && meta.finalizers.length > 0) pod.metadata!.finalizers = [...meta.finalizers];
  return pod;
}

/** upstream calculateStatus: counts over the owner's active pods, and the ReplicaFailure condition. */
export function calculateStatus(owner: ReplicaOwner, pods: readonly Pod[], manageErr: unknown, nowMs: number): OwnerStatus {
  const minReady = owner.spec?.minReadySeconds ?? 0;
  const templateLabels = selectorFromSet(owner.spec?.template?.metadata?.labels ?? {});
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (templateLabels.matches(p.metadata?.labels ?? {})) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      const at = availableAt(p, minReady)!;
      if (at === -Infinity || at < nowMs) available++;
    }
  }
  const old: OwnerStatus = owner.status ?? { replicas: 0 };
  let conditions: ReplicaSetCondition[] = [...(old.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageErr !== undefined && !failure) {
    const diff = pods.length - (owner.spec?.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    conditions.push({ type: 'ReplicaFailure', status: 'True', reason, message: errorMessage(manageErr), lastTransitionTime: rfc3339(nowMs) });
  } else if (manageErr === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: OwnerStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: old.observedGeneration,
  };
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** Field by field, absent numbers as 0 (Go's zero values), conditions exactly. */
export function statusEqual(a: OwnerStatus | undefined, b: OwnerStatus): boolean {
  const n = (v: number | undefined): number => v ?? 0;
  return (
    n(a?.replicas) === n(b.replicas) &&
    n(a?.fullyLabeledReplicas) === n(b.fullyLabeledReplicas) &&
    n(a?.readyReplicas) === n(b.readyReplicas) &&
    n(a?.availableReplicas) === n(b.availableReplicas) &&
    n(a?.observedGeneration) === n(b.observedGeneration) &&
    JSON.stringify(a?.conditions ?? []) === JSON.stringify(b.conditions ?? [])
  );
}

/** When some ready pod will turn available, a requeue for just after that moment. */
function requeueForAvailability(owner: ReplicaOwner, pods: readonly Pod[], nowMs: number): ReconcileResult | undefined {
  const minReady = owner.spec?.minReadySeconds ?? 0;
  if (minReady <= 0) return undefined;
  let next = Infinity;
  for (const p of pods) {
    const at = availableAt(p, minReady);
    if (at !== undefined && at >= nowMs && at < next) next = at;
  }
  return Number.isFinite(next) ? { requeueAfterMs: next - nowMs + 1 } : undefined;
}


/** The `replicaset` controller. */
export function replicaSetController(options: ReplicaControllerOptions = {}): Controller {
  return new ReplicaController<ReplicaSet>(replicaSetKind, options);
}

/** The `replicationcontroller` controller: the same logic over core/v1 ReplicationControllers. */
export function replicationControllerController(options: ReplicaControllerOptions = {}): Controller {
  return new ReplicaController<ReplicationController>(replicationControllerKind, options);
}
