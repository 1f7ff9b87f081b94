// The garbage collector (upstream's `garbagecollector` controller): deletes objects whose owners
// are gone, and carries out the foreground and orphan propagation policies.
//
// It watches every resource the API serves with list, watch and delete (preferred versions, from
// the resource table; events are ignored as upstream) and keeps a graph of ownerReferences
// (graph.ts). Two rate-limited work queues, keyed by uid, drive it:
//  - attemptToDelete: an object whose owners may be gone. It is re-read from the API (the
//    cache may lag), each owner is looked up by a live GET and counts as absent only when it is
//    not found or has another uid (a new object with the same name is not the owner). With no
//    owner left it is deleted (Background, or the policy its own finalizers ask for), with a uid
//    precondition. References to absent owners are removed when a live owner remains. A
//    cluster-scoped object that names a namespaced owner kind is left alone (never collected).
//    An owner in foreground deletion (`foregroundDeletion` finalizer and deletionTimestamp) gets
//    its dependents deleted first; once none with blockOwnerDeletion remains, its finalizer is
//    removed and the API server deletes it.
//  - attemptToOrphan: an owner deleted with the `orphan` finalizer: its reference is removed from
//    every dependent, then the finalizer.
// The API server's side of the contract: a DELETE with propagationPolicy Foreground (Orphan, or
// orphanDependents=true) adds `foregroundDeletion` (`orphan`) to the object's finalizers and only
// marks it with a deletionTimestamp; removing the last finalizer deletes it.
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { RESOURCES, groupVersionString, isPreferredVersion, lookupKind, parseApiVersion, type ResourceInfo } from '../../api/resources.js';
import type { EventRecorder } from '../../client/events.js';
import { isApiError } from '../../api/errors.js';
import { isConflict, isNotFound, type KubeObject, type ResourceClient, type ResourceRef } from '../../client/resource_client.js';
import { WorkQueue, defaultControllerRateLimiter, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import {
  DependencyGraph,
  FINALIZER_DELETE_DEPENDENTS,
  FINALIZER_ORPHAN_DEPENDENTS,
  hasFinalizer,
  identityString,
  referenceIdentity,
  type GraphNode,
  type ObjectIdentity,
} from './graph.js';

export const garbageCollectorDefaults = {
  /** Workers per queue (upstream --concurrent-gc-syncs). */
  concurrentGcSyncs: 20,
  /** Tries of a read-modify-write (finalizers, ownerReferences) that meets a conflict. */
  conflictRetries: 5,
} as const;

/** Resources the collector never watches (upstream's default ignored resources). */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

type DeletionPropagation = 'Background' | 'Foreground' | 'Orphan';

/** The resources whose objects can own or be owned: preferred versions with list, watch and delete. */
export function deletableResources(table: readonly ResourceInfo[] = RESOURCES): ResourceInfo[] {
  return table.filter(
    (r) =>
      r.listTypeName !== undefined &&
      isPreferredVersion(r) &&
      r.verbs.includes('list') &&
      r.verbs.includes('watch') &&
      r.verbs.includes('delete') &&
      !IGNORED.has(`${r.group}/${r.plural}`),
  );
}

function refOf(r: ResourceInfo): ResourceRef {
  return { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced };
}

/** A reference to a kind the API does not serve (upstream's restMappingError); retried. */
class UnknownKindError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`unable to get REST mapping for ${kind}.${apiVersion}`);
    this.name = 'UnknownKindError';
  }
}

/** Upstream's namespacedOwnerOfClusterScopedObjectErr: will not resolve on retry; the object is kept. */
class NamespacedOwnerOfClusterScopedObjectError extends Error {
  constructor() {
    super('cluster-scoped objects cannot refer to namespaced owners');
    this.name = 'NamespacedOwnerOfClusterScopedObjectError';
  }
}

/** The object is gone (or replaced): a virtual delete event was fed to the graph. */
const VIRTUAL_DELETE = Symbol('virtual delete');

type Action = 'forget' | 'requeue';

/** 'requeue' looks again with the key's back-off; 'forget' resets it. */
function asResult(action: Action): ReconcileResult | undefined {
  return action === 'requeue' ? { requeue: true } : undefined;
}

class GarbageCollector {
  readonly graph: DependencyGraph;
  readonly attemptToDelete: WorkQueue<string>;
  readonly attemptToOrphan: WorkQueue<string>;
  private readonly recorder: EventRecorder | undefined;

  constructor(private readonly ctx: ControllerContext) {
    this.attemptToDelete = new WorkQueue<string>({ clock: ctx.clock, rateLimiter: defaultControllerRateLimiter(ctx.clock), name: 'garbage_collector_attempt_to_delete' });
    this.attemptToOrphan = new WorkQueue<string>({ clock: ctx.clock, rateLimiter: defaultControllerRateLimiter(ctx.clock), name: 'garbage_collector_attempt_to_orphan' });
    this.recorder = ctx.recorder('garbage-collector-controller');
    this.graph = new DependencyGraph({
      attemptToDelete: (node, opts) => (opts?.rateLimited ? this.attemptToDelete.addRateLimited(node.identity.uid) : this.attemptToDelete.add(node.identity.uid)),
      attemptToOrphan: (node) => this.attemptToOrphan.add(node.identity.uid),
      invalidNamespaceOwnerRef: (dep, uid) => this.reportInvalidNamespaceOwnerRef(dep, uid),
    });
  }

  /** Wires one informer per deletable resource into the graph. */
  watch(resources: readonly ResourceInfo[]): void {
    for (const r of resources) {
      const apiVersion = groupVersionString(r.group, r.version);
      const identity = (obj: KubeObject): ObjectIdentity => ({
        apiVersion,
        kind: r.kind,
        name: obj.metadata?.name ?? '',
        uid: obj.metadata?.uid ?? '',
        namespace: r.namespaced ? (obj.metadata?.namespace ?? '') : '',
      });
      this.ctx.factory.informerFor(refOf(r)).addEventHandler({
        onAdd: (obj) => this.graph.observe('add', identity(obj), obj.metadata),
        onUpdate: (old, obj) => this.graph.observe('update', identity(obj), obj.metadata, old.metadata),
        onDelete: (obj) => this.graph.observe('delete', identity(obj), obj.metadata),
      });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const n = Number(this.ctx.options.concurrentGcSyncs ?? garbageCollectorDefaults.concurrentGcSyncs);
    await Promise.all([
      runWorkers(this.attemptToDelete, n, async (uid) => asResult(await this.attemptToDeleteWorker(uid)), signal),
      runWorkers(this.attemptToOrphan, n, async (uid) => asResult(await this.attemptToOrphanWorker(uid)), signal),
    ]);
  }

  // ---- attemptToDelete -----------------------------------------------------------------------

  private async attemptToDeleteWorker(uid: string): Promise<Action> {
    const node = this.graph.node(uid);
    if (!node) return 'forget';
    let result: typeof VIRTUAL_DELETE | undefined;
    try {
      result = await this.attemptToDeleteItem(node);
    } catch (err) {
      if (err instanceof NamespacedOwnerOfClusterScopedObjectError) return 'forget';
      this.ctx.onError(new Error(`garbagecollector: error syncing item ${identityString(node.identity)}: ${message(err)}`));
      return 'requeue';
    }
    if (result === VIRTUAL_DELETE) return 'forget';
    // A virtual node that exists but has not been observed yet: look again until the informer
    // sees it (or it goes away), or it could stay in the graph forever.
    if (this.graph.node(uid)?.virtual) return 'requeue';
    return 'forget';
  }

  private async attemptToDeleteItem(item: GraphNode): Promise<typeof VIRTUAL_DELETE | undefined> {
    // Being deleted is a one-way trip; its dependents are handled when it is gone.
    if (item.beingDeleted && !item.deletingDependents) return undefined;
    const id = item.identity;
    const latest = await this.getObject(id);
    if (!latest || latest.metadata?.uid !== id.uid) {
      this.graph.virtualDelete(id);
      return VIRTUAL_DELETE;
    }
    if (item.deletingDependents) {
      await this.processDeletingDependentsItem(item);
      return undefined;
    }
    const refs = latest.metadata?.ownerReferences ?? [];
    if (refs.length === 0) return undefined;
    const { solid, dangling, waiting } = await this.classifyReferences(item, refs);
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return undefined;
      // Waiting references go too, or their owners would wait on this object forever.
      await this.removeOwnerReferences(item, [...dangling, ...waiting].map((r) => r.uid));
      return undefined;
    }
    if (waiting.length > 0 && item.dependents.size > 0) {
      for (const dep of item.dependents) {
        if (dep.deletingDependents) {
          // Owner and dependent both wait for their dependents: break a possible cycle by making
          // this object's references non-blocking before deleting it in the foreground.
          await this.unblockOwnerReferences(item);
          break;
        }
      }
      await this.deleteObject(id, 'Foreground');
      return undefined;
    }
    // No owner left: honour a propagation finalizer already on the object, else Background.
    const policy: DeletionPropagation = hasFinalizer(latest.metadata, FINALIZER_ORPHAN_DEPENDENTS)
      ? 'Orphan'
      : hasFinalizer(latest.metadata, FINALIZER_DELETE_DEPENDENTS)
        ? 'Foreground'
        : 'Background';
    await this.deleteObject(id, policy);
    return undefined;
  }

  private async processDeletingDependentsItem(item: GraphNode): Promise<void> {
    const blocking = item.blockingDependents();
    if (blocking.length === 0) {
      await this.removeFinalizer(item, FINALIZER_DELETE_DEPENDENTS);
      return;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.attemptToDelete.add(dep.identity.uid);
  }

  /** solid: the owner exists; dangling: it does not; waiting: it is being deleted in the foreground. */
  private async classifyReferences(
    item: GraphNode,
    refs: readonly OwnerReference[],
  ): Promise<{ solid: OwnerReference[]; dangling: OwnerReference[]; waiting: OwnerReference[] }> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = await this.liveOwner(ref, item);
      if (!owner) dangling.push(ref);
      else if (owner.metadata?.deletionTimestamp && hasFinalizer(owner.metadata, FINALIZER_DELETE_DEPENDENTS)) waiting.push(ref);
      else solid.push(ref);
    }
    return { solid, dangling, waiting };
  }

  /** The owner a reference names, by a live GET; undefined when it is absent (or has another uid). */
  private async liveOwner(ref: OwnerReference, item: GraphNode): Promise<KubeObject | undefined> {
    const clusterKey = referenceIdentity(ref, '');
    if (this.graph.absentOwners.has(clusterKey)) return undefined;
    const namespacedKey = referenceIdentity(ref, item.identity.namespace);
    if (this.graph.absentOwners.has(namespacedKey)) return undefined;
    const r = this.resourceFor(ref.apiVersion, ref.kind);
    const key = r.namespaced ? namespacedKey : clusterKey;
    if (item.identity.namespace === '' && r.namespaced) throw new NamespacedOwnerOfClusterScopedObjectError();
    let owner: KubeObject;
    try {
      owner = await this.client(r).get(r.namespaced ? item.identity.namespace : '', ref.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.graph.absentOwners.add(key);
      return undefined;
    }
    if (owner.metadata?.uid !== ref.uid) {
      this.graph.absentOwners.add(key);
      return undefined;
    }
    return owner;
  }

  // ---- attemptToOrphan -----------------------------------------------------------------------

  private async attemptToOrphanWorker(uid: string): Promise<Action> {
    const owner = this.graph.node(uid);
    if (!owner) return 'forget';
    const dependents = [...owner.dependents];
    const failures: string[] = [];
    await Promise.all(
      dependents.map(async (dep) => {
        try {
          await this.removeOwnerReferences(dep, [owner.identity.uid]);
        } catch (err) {
          failures.push(`orphaning ${identityString(dep.identity)} failed, ${message(err)}`);
        }
      }),
    );
    try {
      if (failures.length > 0) throw new Error(`failed to orphan dependents of owner ${identityString(owner.identity)}, got errors: ${failures.join(', ')}`);
      await this.removeFinalizer(owner, FINALIZER_ORPHAN_DEPENDENTS);
    } catch (err) {
      this.ctx.onError(new Error(`garbagecollector: ${message(err)}`));
      return 'requeue';
    }
    return 'forget';
  }

  // ---- API operations ------------------------------------------------------------------------

  private resourceFor(apiVersion: string, kind: string): ResourceInfo {
    const { group, version } = parseApiVersion(apiVersion);
    const r = lookupKind({ group, version, kind });
    if (!r || !r.verbs.includes('get')) throw new UnknownKindError(apiVersion, kind);
    return r;
  }

  private client(r: ResourceInfo): ResourceClient {
    return this.ctx.source.resource(refOf(r));
  }

  /** The object at these coordinates, or undefined when it does not exist. */
  private async getObject(id: ObjectIdentity): Promise<KubeObject | undefined> {
    const r = this.resourceFor(id.apiVersion, id.kind);
    // A namespaced kind with no namespace: a virtual owner named by a cluster-scoped object. It
    // stays in the graph, unverified, so its dependents are never collected on its account.
    if (r.namespaced && id.namespace === '') throw new NamespacedOwnerOfClusterScopedObjectError();
    try {
      return await this.client(r).get(r.namespaced ? id.namespace : '', id.name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async deleteObject(id: ObjectIdentity, propagationPolicy: DeletionPropagation): Promise<void> {
    const r = this.resourceFor(id.apiVersion, id.kind);
    try {
      await this.client(r).delete(r.namespaced ? id.namespace : '', id.name, { preconditions: { uid: id.uid }, propagationPolicy });
    } catch (err) {
      // Gone already: the informer's delete event (or the next attempt's GET) takes it from here.
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Read-modify-write of the live object guarded by its resourceVersion (a JSON merge patch, as
   * upstream's fallback for types without strategic merge), retried on conflict. `change`
   * returns the metadata fields to patch, or undefined when nothing needs to change.
   */
  private async patchMeta(id: ObjectIdentity, change: (meta: ObjectMeta) => Record<string, unknown> | undefined): Promise<void> {
    const r = this.resourceFor(id.apiVersion, id.kind);
    const retries = Number(this.ctx.options.gcConflictRetries ?? garbageCollectorDefaults.conflictRetries);
    for (let attempt = 1; ; attempt++) {
      const latest = await this.getObject(id);
      if (!latest || latest.metadata?.uid !== id.uid) return;
      const fields = change(latest.metadata ?? {});
      if (!fields) return;
      try {
        await this.client(r).patch(r.namespaced ? id.namespace : '', id.name, 'merge', { metadata: { ...fields, resourceVersion: latest.metadata?.resourceVersion } });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= retries) throw err;
      }
    }
  }

  private removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    return this.patchMeta(node.identity, (meta) => {
      const finalizers = meta.finalizers ?? [];
      if (!finalizers.includes(finalizer)) return undefined;
      const rest = finalizers.filter((f) => f !== finalizer);
      return { finalizers: rest.length > 0 ? rest : null };
    });
  }

  private removeOwnerReferences(node: GraphNode, uids: readonly string[]): Promise<void> {
    const drop = new Set(uids);
    return this.patchMeta(node.identity, (meta) => {
      const refs = meta.ownerReferences ?? [];
      const rest = refs.filter((r) => !drop.has(r.uid));
      if (rest.length === refs.length) return undefined;
      return { ownerReferences: rest.length > 0 ? rest : null };
    });
  }

  private unblockOwnerReferences(node: GraphNode): Promise<void> {
    return this.patchMeta(node.identity, (meta) => {
      const refs = meta.ownerReferences ?? [];
      if (!refs.some((r) => r.blockOwnerDeletion === true)) return undefined;
      return { ownerReferences: refs.map((r) => (r.blockOwnerDeletion === true ? { ...r, blockOwnerDeletion: false } : r)) };
    });
  }

  private reportInvalidNamespaceOwnerRef(dep: GraphNode, ownerUid: string): void {
    const ref = dep.owners.find((o) => o.uid === ownerUid);
    if (!ref) return;
    const id = dep.identity;
    const invalid = referenceIdentity(ref, id.namespace);
    this.recorder?.event(
      { apiVersion: id.apiVersion, kind: id.kind, namespace: id.namespace, name: id.name, uid: id.uid },
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${identityString(invalid)} does not exist in namespace ${JSON.stringify(id.namespace)}`,
    );
  }
}

function message(err: unknown): string {
  if (isApiError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export interface GarbageCollectorController extends Controller {
  /** The dependency graph (for tests and debugging), once set up. */
  readonly graph: DependencyGraph | undefined;
}

export function garbageCollectorController(): GarbageCollectorController {
  let gc: GarbageCollector | undefined;
  return {
    name: 'garbagecollector',
    get graph() {
      return gc?.graph;
    },
    setup(ctx) {
      gc = new GarbageCollector(ctx);
      gc.watch(deletableResources());
    },
    async run(_ctx, signal) {
      if (!gc) throw new Error('garbagecollector: run before setup');
      await gc.run(signal);
    },
  };
}
