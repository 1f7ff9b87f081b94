// The Deployment controller: rolls a Deployment's pod template out through ReplicaSets named
// `<deployment>-<pod-template-hash>`, as upstream's deployment controller.
//
// A sync of one Deployment (upstream syncDeployment):
//   - claim its ReplicaSets (adopt orphans the selector matches, release those it no longer does);
//   - being deleted: only status; paused, or spec.replicas changed (a ReplicaSet's
//     desired-replicas annotation differs): resize without rolling (proportionally across the
//     ReplicaSets mid-rollout), and when paused, clean up history;
//   - otherwise roll: RollingUpdate grows the new ReplicaSet within replicas + maxSurge, then
//     shrinks old ones while at least replicas - maxUnavailable pods stay available (unhealthy old
//     pods go first); Recreate scales every old ReplicaSet to 0, waits until their pods are gone,
//     then scales the new one up;
//   - once complete, delete the oldest empty ReplicaSets beyond revisionHistoryLimit;
//   - status and conditions, with a requeue for when progressDeadlineSeconds would pass.
// The "new" ReplicaSet is the oldest whose template equals the Deployment's (ignoring the hash
// label). A rollback (`kubectl rollout undo` copies an old ReplicaSet's template back into the
// Deployment) therefore makes that old ReplicaSet new again: it gets the next revision and its old
// one moves to revision-history. `kubectl rollout restart` changes the template, so a new
// ReplicaSet follows.
//
// Unlike upstream, the Deployment's revision annotation is written with a metadata patch: our
// status subresource changes nothing but status (upstream's lets Deployment annotations through).
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { fromLabelSelector, type Selector } from '../../api/labels.js';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/events.js';
import { indexers, type Informer } from '../../client/informer.js';
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  objectKey,
  resourceRef,
  type ResourceClient,
  type ResourceRef,
} from '../../client/resource_client.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { numberOption } from '../controller.js';
import { claimObjects, controllerOf, newControllerRef } from '../replicaset/controller_ref.js';
import {
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  equalIgnoreHash,
  maxRevision,
  replicasAnnotationsNeedUpdate,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './annotations.js';
import {
  REASON,
  calculateStatus,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  removeCondition,
  setCondition,
  statusEqual,
} from './conditions.js';
import { computeHash } from './pod_template_hash.js';
import {
  availableReplicas,
  actualReplicas,
  byCreationTimestamp,
  byRevision,
  isActive,
  maxScaledDown,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  planScale,
  replicasOf,
  specReplicas,
} from './rolling_math.js';

export const DEPLOYMENTS: ResourceRef = resourceRef('apps', 'v1', 'deployments');
const REPLICASETS: ResourceRef = resourceRef('apps', 'v1', 'replicasets');
const PODS: ResourceRef = resourceRef('', 'v1', 'pods');

/** Concurrent syncs (upstream --concurrent-deployment-syncs). */
export const DEFAULT_WORKERS = 5;

export interface DeploymentControllerOptions {
  workers?: number;
}

/** Splits a key `ns/name`. */
function split(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  queue!: WorkQueue<string>;
  private deployments!: Informer<Deployment>;
  private replicaSets!: Informer<ReplicaSet>;
  private pods!: Informer<Pod>;
  private dClient!: ResourceClient<Deployment>;
  private rsClient!: ResourceClient<ReplicaSet>;
  private recorder: EventRecorder | undefined;
  private clock!: Clock;
  private onError: (err: unknown) => void = () => undefined;

  constructor(private readonly opts: DeploymentControllerOptions = {}) {}

  setup(ctx: ControllerContext): void {
    this.clock = ctx.clock;
    this.onError = ctx.onError;
    this.recorder = ctx.recorder('deployment-controller');
    this.queue = new WorkQueue<string>({ clock: ctx.clock, name: 'deployment' });
    this.dClient = ctx.source.resource<Deployment>(DEPLOYMENTS);
    this.rsClient = ctx.source.resource<ReplicaSet>(REPLICASETS);
    this.deployments = ctx.factory.informerFor<Deployment>(DEPLOYMENTS);
    this.replicaSets = ctx.factory.informerFor<ReplicaSet>(REPLICASETS, { indexers: { byOwnerUid: indexers.byOwnerUid } });
    this.pods = ctx.factory.informerFor<Pod>(PODS, { indexers: { byOwnerUid: indexers.byOwnerUid } });

    this.deployments.addEventHandler({
      onAdd: (d) => this.queue.add(objectKey(d)),
      onUpdate: (_o, d) => this.queue.add(objectKey(d)),
      onDelete: (d) => this.queue.add(objectKey(d)),
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.rsChanged(undefined, rs),
      onUpdate: (old, rs) => this.rsChanged(old, rs),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.pods.addEventHandler({
      // Recreate waits for the old pods to be gone.
      onDelete: (pod) => {
        const ref = controllerOf(pod);
        if (!ref || ref.kind !== 'ReplicaSet') return;
        const rs = this.replicaSets.get(pod.metadata?.namespace ?? '', ref.name);
        if (!rs || rs.metadata?.uid !== ref.uid) return;
        const d = this.ownerOf(rs);
        if (d && d.spec?.strategy?.type === 'Recreate') this.queue.add(objectKey(d));
      },
    });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const synced = await Promise.all([this.deployments.waitForSync(signal), this.replicaSets.waitForSync(signal), this.pods.waitForSync(signal)]);
    if (!synced.every(Boolean)) return;
    const workers = this.opts.workers ?? numberOption(ctx, 'deploymentWorkers', DEFAULT_WORKERS, { positive: true });
    await runWorkers(this.queue, workers, (key) => this.sync(key), signal, {
      // A conflict means the cache was behind a write; the retry reads the newer object.
      onError: (key, err) => {
        if (!isConflict(err)) this.onError(new Error(`deployment ${key}: ${msg(err)}`));
      },
    });
  }

  // ---- handlers ----

  private ownerOf(rs: ReplicaSet): Deployment | undefined {
    const ref = controllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(rs.metadata?.namespace ?? '', ref.name);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.ownerOf(rs);
    if (d) this.queue.add(objectKey(d));
  }

  private rsChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    if (old && controllerOf(old)?.uid !== controllerOf(rs)?.uid) this.enqueueOwner(old);
    if (controllerOf(rs)) {
      this.enqueueOwner(rs);
      return;
    }
    // An orphan: any Deployment that selects it may adopt it.
    const labels = rs.metadata?.labels ?? {};
    for (const d of this.deployments.list(rs.metadata?.namespace ?? '')) {
      try {
        const sel = fromLabelSelector(d.spec?.selector);
        if (!sel.isEmpty() && sel.matches(labels)) this.queue.add(objectKey(d));
      } catch {
        // an invalid selector selects nothing
      }
    }
  }

  // ---- the reconcile ----

  async sync(key: string): Promise<void | ReconcileResult> {
    const cached = this.deployments.getByKey(key);
    if (!cached) return;
    const d = structuredClone(cached) as Deployment;
    if (isEmptySelector(d.spec?.selector)) {
      this.recorder?.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata?.generation ?? 0 });
      }
      return;
    }
    let selector: Selector;
    try {
      selector = fromLabelSelector(d.spec?.selector);
    } catch (err) {
      this.onError(new Error(`deployment ${key}: invalid selector: ${msg(err)}`));
      return;
    }
    const rsList = await this.claimReplicaSets(d, selector);

    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
      await this.syncStatusOnly(d, [...oldRSs, newRS], newRS);
      return;
    }
    await this.checkPausedConditions(d);
    if (d.spec?.paused) return this.resize(d, rsList);
    if (await this.isScalingEvent(d, rsList)) return this.resize(d, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(d, rsList);
    return this.rolloutRolling(d, rsList);
  }

  private async claimReplicaSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    const [ns, name] = [d.metadata?.namespace ?? '', d.metadata?.name ?? ''];
    return claimObjects(this.replicaSets.list(ns), {
      owner: d,
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      selector,
      client: this.rsClient,
      getOwnerFresh: () => this.dClient.get(ns, name),
    });
  }

  /** Writes status when it differs (keeping `d` current for later writes in the same sync). */
  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    if (statusEqual(d.status, status)) return;
    const updated = await this.dClient.updateStatus(d.metadata?.namespace ?? '', { ...d, status });
    // `d` is this sync's private copy; keep it at the stored version for the next write.
    Object.assign(d, { status: updated.status });
    Object.assign(d.metadata!, { resourceVersion: updated.metadata?.resourceVersion });
  }

  /** Mirrors the new ReplicaSet's revision on the Deployment. */
  private async setDeploymentRevision(d: Deployment, revision: string): Promise<void> {
    if (d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return;
    const updated = await this.dClient.patch(d.metadata?.namespace ?? '', d.metadata?.name ?? '', 'merge', {
      metadata: { annotations: { [REVISION_ANNOTATION]: revision } },
    });
    Object.assign(d.metadata!, { annotations: updated.metadata?.annotations, resourceVersion: updated.metadata?.resourceVersion });
  }

  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === REASON.timedOut) return;
    const pausedCond = cond?.reason === REASON.paused;
    const status: DeploymentStatus = structuredClone(d.status ?? {});
    const now = this.clock.now();
    if (d.spec?.paused && !pausedCond) setCondition(status, newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', now));
    else if (!d.spec?.paused && pausedCond) setCondition(status, newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', now));
    else return;
    await this.writeStatus(d, status);
  }

  /**
   * The new ReplicaSet (created when asked and missing) and the old ones; syncs the new one's
   * revision and annotations and the Deployment's revision (upstream getAllReplicaSetsAndSyncRevision).
   * `rsList` is updated in place with whatever was written.
   */
  private async newAndOld(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const sorted = [...rsList].sort(byCreationTimestamp);
    const existing = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    const ns = d.metadata?.namespace ?? '';
    const now = this.clock.now();
    if (existing) {
      const annotations = { ...(existing.metadata?.annotations ?? {}) };
      const changed = setNewReplicaSetAnnotations(d, annotations, { newRevision, exists: true, maxReplicas: (d.spec?.replicas ?? 1) + maxSurge(d) });
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (changed || (existing.spec?.minReadySeconds ?? 0) !== minReady) {
        const updated = await this.rsClient.update(ns, { ...existing, metadata: { ...existing.metadata, annotations }, spec: { ...existing.spec!, minReadySeconds: minReady } });
        replaceIn(rsList, updated);
        // The next sync (the update event) carries on with the stored object.
        return { newRS: updated, oldRSs };
      }
      await this.setDeploymentRevision(d, existing.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        const status = structuredClone(d.status ?? {});
        setCondition(status, newCondition('Progressing', 'True', REASON.foundNewRS, `Found new replica set "${existing.metadata?.name ?? ''}"`, now));
        await this.writeStatus(d, status);
      }
      return { newRS: existing, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };

    const collisionCount = d.status?.collisionCount;
    const hash = computeHash(d.spec?.template, collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector: LabelSelector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata?.name ?? ''}-${hash}`;
    const fresh: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: ns, labels: { ...template.metadata.labels }, ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')] },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, fresh], fresh);
    fresh.spec!.replicas = replicas;
    const annotations: Record<string, string> = {};
    setNewReplicaSetAnnotations(d, annotations, { newRevision, exists: false, maxReplicas: (d.spec?.replicas ?? 1) + maxSurge(d) });
    fresh.metadata!.annotations = annotations;

    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.rsClient.create(ns, fresh);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const rs = await this.rsClient.get(ns, name);
        if (controllerOf(rs)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, rs.spec?.template)) {
          // Our own, created by an earlier sync that the cache has not shown us yet.
          created = rs;
          alreadyExisted = true;
        } else {
          // A hash collision: another template hashed to this name. Bump collisionCount; the
          // next sync computes a different hash.
          await this.writeStatus(d, { ...structuredClone(d.status ?? {}), collisionCount: (collisionCount ?? 0) + 1 });
          throw err;
        }
      } else {
        const message = `Failed to create new replica set "${name}": ${msg(err)}`;
        if (hasProgressDeadline(d)) {
          const status = structuredClone(d.status ?? {});
          setCondition(status, newCondition('Progressing', 'False', REASON.failedRSCreate, message, now));
          await this.writeStatus(d, status).catch(() => undefined);
        }
        this.recorder?.event(d, 'Warning', REASON.failedRSCreate, message);
        throw err;
      }
    }
    rsList.push(created);
    if (!alreadyExisted && replicas > 0) {
      this.recorder?.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata?.name ?? ''} from 0 to ${replicas}`);
    }
    await this.setDeploymentRevision(d, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const status = structuredClone(d.status ?? {});
      setCondition(status, newCondition('Progressing', 'True', REASON.newRSCreated, `Created new replica set "${created.metadata?.name ?? ''}"`, now));
      await this.writeStatus(d, status);
    }
    return { newRS: created, oldRSs };
  }

  /** spec.replicas differs from what an active ReplicaSet was last sized for. */
  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    for (const rs of [...oldRSs, newRS].filter(isActive)) {
      const v = rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'];
      if (v === undefined || !/^-?\d+$/.test(v)) continue;
      if (Number(v) !== (d.spec?.replicas ?? 1)) return true;
    }
    return false;
  }

  /** Resize without rolling (upstream `sync`): paused Deployments and replica changes. */
  private async resize(d: Deployment, rsList: ReplicaSet[]): Promise<void | ReconcileResult> {
    const { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    for (const step of planScale(d, newRS, oldRSs)) {
      const op = step.replicas > replicasOf(step.rs) ? 'up' : 'down';
      const updated = await this.scaleReplicaSet(step.rs, step.replicas, d, op);
      replaceIn(rsList, updated);
    }
    const fresh = this.refreshed(rsList, newRS, oldRSs);
    if (d.spec?.paused) await this.cleanup(d, fresh.oldRSs);
    const status = calculateStatus(d, [...fresh.oldRSs, fresh.newRS], fresh.newRS, this.clock.now());
    await this.writeStatus(d, status);
  }

  private async syncStatusOnly(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    await this.writeStatus(d, calculateStatus(d, allRSs, newRS, this.clock.now()));
  }

  /** The same new/old split with the objects as last written. */
  private refreshed(rsList: ReplicaSet[], newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const byUid = new Map(rsList.map((rs) => [rs.metadata?.uid, rs]));
    return {
      newRS: newRS ? (byUid.get(newRS.metadata?.uid) ?? newRS) : undefined,
      oldRSs: oldRSs.map((rs) => byUid.get(rs.metadata?.uid) ?? rs),
    };
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void | ReconcileResult> {
    const got = await this.newAndOld(d, rsList, true);
    let newRS = got.newRS!;
    let oldRSs = got.oldRSs;
    const all = (): ReplicaSet[] => [...oldRSs, newRS];

    // Grow the new ReplicaSet as far as maxSurge allows.
    const want = d.spec?.replicas ?? 1;
    if (replicasOf(newRS) !== want) {
      const target = replicasOf(newRS) > want ? want : newRSNewReplicas(d, all(), newRS);
      if (target !== replicasOf(newRS)) {
        newRS = await this.scaleReplicaSet(newRS, target, d, target > replicasOf(newRS) ? 'up' : 'down');
        replaceIn(rsList, newRS);
        return this.syncRolloutStatus(d, all(), newRS);
      }
    }
    // Shrink old ones as far as maxUnavailable allows.
    const scaledDown = await this.reconcileOldReplicaSets(d, oldRSs, newRS);
    if (scaledDown.count > 0) {
      oldRSs = scaledDown.oldRSs;
      return this.syncRolloutStatus(d, all(), newRS);
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(d, all(), newRS);
  }

  /** upstream reconcileOldReplicaSets: first unhealthy old replicas, then healthy ones within maxUnavailable. */
  private async reconcileOldReplicaSets(d: Deployment, oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<{ count: number; oldRSs: ReplicaSet[] }> {
    const olds = [...oldRSs];
    if (specReplicas(olds.filter(isActive)) === 0) return { count: 0, oldRSs: olds };
    const maxDown = maxScaledDown(d, [...olds, newRS], newRS);
    if (maxDown <= 0) return { count: 0, oldRSs: olds };

    // Old pods that are not available cost nothing to remove.
    olds.sort(byCreationTimestamp);
    let cleaned = 0;
    for (let i = 0; i < olds.length && cleaned < maxDown; i++) {
      const rs = olds[i]!;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (replicasOf(rs) === 0 || unhealthy <= 0) continue;
      const down = Math.min(maxDown - cleaned, unhealthy);
      olds[i] = await this.scaleReplicaSet(rs, replicasOf(rs) - down, d, 'down');
      cleaned += down;
    }

    // Then available ones, keeping replicas - maxUnavailable available.
    const minAvailable = (d.spec?.replicas ?? 1) - maxUnavailable(d);
    const availableNow = availableReplicas([...olds, newRS]);
    let scaled = 0;
    if (availableNow > minAvailable) {
      const total = availableNow - minAvailable;
      for (let i = 0; i < olds.length && scaled < total; i++) {
        const rs = olds[i]!;
        if (replicasOf(rs) === 0) continue;
        const down = Math.min(replicasOf(rs), total - scaled);
        olds[i] = await this.scaleReplicaSet(rs, replicasOf(rs) - down, d, 'down');
        scaled += down;
      }
    }
    return { count: cleaned + scaled, oldRSs: olds };
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<void | ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(d, rsList, false);
    let scaled = false;
    oldRSs = [...oldRSs];
    for (let i = 0; i < oldRSs.length; i++) {
      const rs = oldRSs[i]!;
      if (replicasOf(rs) === 0) continue;
      oldRSs[i] = await this.scaleReplicaSet(rs, 0, d, 'down');
      scaled = true;
    }
    if (scaled || this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.newAndOld(d, rsList, true));
    const rs = newRS!;
    if (replicasOf(rs) !== (d.spec?.replicas ?? 1)) {
      newRS = await this.scaleReplicaSet(rs, d.spec?.replicas ?? 1, d, replicasOf(rs) < (d.spec?.replicas ?? 1) ? 'up' : 'down');
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
  }

  /** Old ReplicaSets still report pods, or pods of theirs that have not finished exist. */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    for (const rs of oldRSs) {
      const uid = rs.metadata?.uid ?? '';
      if (uid === newRS?.metadata?.uid) continue;
      for (const p of this.pods.byIndex('byOwnerUid', uid)) {
        if (controllerOf(p)?.uid !== uid) continue;
        const phase = p.status?.phase;
        if (phase !== 'Failed' && phase !== 'Succeeded') return true;
      }
    }
    return false;
  }

  /** Sets a ReplicaSet's size and replicas annotations, with a ScalingReplicaSet event. */
  private async scaleReplicaSet(rs: ReplicaSet, replicas: number, d: Deployment, op: 'up' | 'down'): Promise<ReplicaSet> {
    const want = d.spec?.replicas ?? 1;
    const max = want + maxSurge(d);
    const sizeChanges = replicasOf(rs) !== replicas;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, want, max)) return rs;
    const annotations = { ...(rs.metadata?.annotations ?? {}) };
    setReplicasAnnotations(annotations, want, max);
    const updated = await this.rsClient.update(rs.metadata?.namespace ?? '', { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas } });
    if (sizeChanges) {
      this.recorder?.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata?.name ?? ''} from ${replicasOf(rs)} to ${replicas}`);
    }
    return updated;
  }

  /** Deletes the oldest empty ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null || limit === 2147483647) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.rsClient.delete(rs.metadata?.namespace ?? '', rs.metadata?.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  /** Status with the Progressing condition, and a requeue for when the deadline would pass. */
  private async syncRolloutStatus(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void | ReconcileResult> {
    const now = this.clock.now();
    const status = calculateStatus(d, allRSs, newRS, now);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === REASON.newRSAvailable;
    const what = newRS ? `ReplicaSet "${newRS.metadata?.name ?? ''}"` : `Deployment "${d.metadata?.name ?? ''}"`;
    if (hasProgressDeadline(d) && !complete) {
      if (deploymentComplete(d, status)) {
        setCondition(status, newCondition('Progressing', 'True', REASON.newRSAvailable, `${what} has successfully progressed.`, now));
      } else if (deploymentProgressing(d, status)) {
        // Progress refreshes lastUpdateTime even with the same reason (what the deadline counts from).
        const c = newCondition('Progressing', 'True', REASON.rsUpdated, `${what} is progressing.`, now);
        if (current) {
          if (current.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, c);
      } else if (deploymentTimedOut(d, status, now)) {
        setCondition(status, newCondition('Progressing', 'False', REASON.timedOut, `${what} has timed out progressing.`, now));
      }
    }
    const failure = [newRS, ...allRSs].map((rs) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find(Boolean);
    if (failure) setCondition(status, { type: 'ReplicaFailure', status: failure.status, reason: failure.reason, message: failure.message, lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime });
    else removeCondition(status, 'ReplicaFailure');

    if (statusEqual(d.status, status)) return this.requeueStuck(d, status, now);
    await this.writeStatus(d, status);
  }

  /** upstream requeueStuckDeployment: look again when the progress deadline would pass. */
  private requeueStuck(d: Deployment, status: DeploymentStatus, now: number): ReconcileResult | undefined {
    const c = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !c) return undefined;
    if (deploymentComplete(d, status) || c.reason === REASON.timedOut) return undefined;
    const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
    if (Number.isNaN(from)) return undefined;
    const after = from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 - now;
    return { requeueAfterMs: Math.max(0, after) + 1000 };
  }
}

function isEmptySelector(s: LabelSelector | undefined): boolean {
  return s !== undefined && Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
}

function replaceIn(list: ReplicaSet[], rs: ReplicaSet): void {
  const i = list.findIndex((x) => x.metadata?.uid === rs.metadata?.uid);
  if (i >= 0) list[i] = rs;
  else list.push(rs);
}

/** The `deployment` controller. */
export function deploymentController(options: DeploymentControllerOptions = {}): Controller {
  return new DeploymentController(options);
}
