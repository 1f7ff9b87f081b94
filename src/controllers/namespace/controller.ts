// The namespace controller (upstream's `namespace`): empties a namespace that is being deleted,
// then removes the `kubernetes` finalizer from its spec so the API server can delete it.
//
// A namespace with a deletionTimestamp is queued after a short grace period (upstream's 5 s, so
// that objects created at the last moment are seen). Each pass, for every namespaced resource the
// API serves with delete (preferred versions, from the resource table, never a hand-made list):
// delete every object in the namespace with propagationPolicy Background, then list what is left.
// Objects held by finalizers (or pods still terminating) make the pass report an estimate and
// the namespace is looked at again after estimate/2 + 1 s; other failures retry with the
// namespace queue's back-off (5 ms doubling to 60 s). The status conditions upstream maintains
// (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining) are
// updated on every pass, with upstream's reasons and messages. When nothing is left, the
// `kubernetes` finalizer is removed through the namespace's `finalize` subresource; with
// metadata.finalizers also empty, the API server then deletes the namespace.
import type { Namespace, NamespaceCondition, Pod } from 'kubernetes-types/core/v1.js';
import { RESOURCES, isPreferredVersion, type ResourceInfo } from '../../api/resources.js';
import { isApiError } from '../../api/errors.js';
import { isConflict, isNotFound, type KubeObject, type ResourceClient, type ResourceRef } from '../../client/resource_client.js';
import { BucketRateLimiter, ExponentialFailureRateLimiter, MaxOfRateLimiter, WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Informer } from '../../client/informer.js';
import type { Clock } from '../../client/clock.js';
import type { Controller, ControllerContext } from '../controller.js';
import { rfc3339 } from '../../api/time.js';

export const namespaceDefaults = {
  /** Workers (upstream --concurrent-namespace-syncs). */
  concurrentNamespaceSyncs: 10,
  /** Delay before a deleted namespace is processed (upstream namespaceDeletionGracePeriod). */
  namespaceDeletionGracePeriodMs: 5_000,
  /** Assumed time for objects with finalizers to go (upstream finalizerEstimateSeconds). */
  finalizerEstimateSeconds: 15,
  /** Per-namespace retry back-off: at least once a minute (upstream nsControllerRateLimiter). */
  retryBaseMs: 5,
  retryMaxMs: 60_000,
} as const;

/** The finalizer this controller owns on namespaces' spec. */
export const FINALIZER_KUBERNETES = 'kubernetes';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

/** Namespaced resources whose objects the controller deletes: preferred versions with the delete verb. */
export function namespacedDeletableResources(table: readonly ResourceInfo[] = RESOURCES): ResourceInfo[] {
  return table.filter((r) => r.namespaced && r.listTypeName !== undefined && isPreferredVersion(r) && r.verbs.includes('delete'));
}

/** Some content is still going away; look again in about `estimate` seconds. */
export class ResourcesRemainingError extends Error {
  constructor(readonly estimate: number) {
    super(`some content remains in the namespace, estimate ${estimate} seconds before it is removed`);
    this.name = 'ResourcesRemainingError';
  }
}

// ---- status conditions (upstream's namespaceConditionUpdater) ------------------------------------

type ConditionType =
  | 'NamespaceDeletionDiscoveryFailure'
  | 'NamespaceDeletionGroupVersionParsingFailure'
  | 'NamespaceDeletionContentFailure'
  | 'NamespaceContentRemaining'
  | 'NamespaceFinalizersRemaining';

const CONDITION_TYPES: readonly ConditionType[] = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
];

const OK_MESSAGES: Record<ConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content-preserving finalizers finished',
};

const OK_REASONS: Record<ConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentHasNoFinalizers',
};

/** metav1.Time: RFC 3339 with second precision. */
function now(clock: Clock): string {
  return rfc3339(clock.now());
}

/** Go's sort.Strings: byte order, not locale order. */
function sortStrings(xs: string[]): string[] {
  return xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface ContentTotals {
  /** `resource.group` → instances left. */
  resourcesRemaining: Map<string, number>;
  /** finalizer → instances held by it. */
  finalizersRemaining: Map<string, number>;
}

export class ConditionUpdater {
  private readonly newConditions: NamespaceCondition[] = [];
  private readonly deleteContentErrors: string[] = [];

  constructor(private readonly clock: Clock) {}

  processDeleteContentError(err: unknown): void {
    this.deleteContentErrors.push(errorMessage(err));
  }

  processContentTotals(totals: ContentTotals): void {
    const resources: string[] = [];
    for (const [gr, n] of totals.resourcesRemaining) if (n > 0) resources.push(`${gr} has ${n} resource instances`);
    if (resources.length > 0) {
      this.newConditions.push({
        type: 'NamespaceContentRemaining',
        status: 'True',
        lastTransitionTime: now(this.clock),
        reason: 'SomeResourcesRemain',
        message: `Some resources are remaining: ${sortStrings(resources).join(', ')}`,
      });
    }
    const finalizers: string[] = [];
    for (const [f, n] of totals.finalizersRemaining) if (n > 0) finalizers.push(`${f} in ${n} resource instances`);
    if (finalizers.length > 0) {
      this.newConditions.push({
        type: 'NamespaceFinalizersRemaining',
        status: 'True',
        lastTransitionTime: now(this.clock),
        reason: 'SomeFinalizersRemain',
        message: `Some content in the namespace has finalizers remaining: ${sortStrings(finalizers).join(', ')}`,
      });
    }
  }

  /** Writes the conditions into `ns.status`; true when anything changed. */
  update(ns: Namespace): boolean {
    if (!this.newConditions.some((c) => c.type === 'NamespaceDeletionContentFailure') && this.deleteContentErrors.length > 0) {
      const msgs = sortStrings([...this.deleteContentErrors]);
      this.newConditions.push({
        type: 'NamespaceDeletionContentFailure',
        status: 'True',
        lastTransitionTime: now(this.clock),
        reason: 'ContentDeletionFailed',
        message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
      });
    }
    const status = (ns.status ??= {});
    const conditions = (status.conditions ??= []);
    let changed = false;
    for (const type of CONDITION_TYPES) {
      const next = this.newConditions.find((c) => c.type === type) ?? {
        type,
        status: 'False',
        lastTransitionTime: now(this.clock),
        reason: OK_REASONS[type],
        message: OK_MESSAGES[type],
      };
      const old = conditions.find((c) => c.type === type);
      if (!old) {
        conditions.push(next);
        changed = true;
      } else if (old.status !== next.status || old.message !== next.message || old.reason !== next.reason) {
        if (old.status !== next.status) old.lastTransitionTime = now(this.clock);
        old.status = next.status;
        old.reason = next.reason;
        old.message = next.message;
        changed = true;
      }
    }
    return changed;
  }
}

// ---- the deleter ---------------------------------------------------------------------------------

interface ResourceDeletion {
  /** Seconds until what is left is expected to be gone; 0 means no estimate (not that all is gone). */
  estimate: number;
  remaining: number;
  finalizers: Map<string, number>;
}

function refOf(r: ResourceInfo): ResourceRef {
  return { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced };
}

function errorMessage(err: unknown): string {
  if (isApiError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Go's %v of a schema.GroupVersionResource. */
function gvrString(r: ResourceInfo): string {
  return `${r.group}/${r.version}, Resource=${r.plural}`;
}

export class NamespacedResourcesDeleter {
  private readonly namespaces: ResourceClient<Namespace>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly resources: readonly ResourceInfo[] = namespacedDeletableResources(),
  ) {
    this.namespaces = ctx.source.resource<Namespace>(NAMESPACES);
  }

  /**
   * One pass over a namespace. Resolves when it is finalized (or gone, or not being deleted);
   * throws ResourcesRemainingError while content is still going away, other errors on failure.
   */
  async delete(name: string): Promise<void> {
    let ns: Namespace;
    try {
      // Several controllers may edit a terminating namespace: start from the live object.
      ns = await this.namespaces.get('', name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    try {
      ns = await this.retryOnConflict(ns, (n) => this.ensureTerminating(n));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    if ((ns.spec?.finalizers ?? []).length === 0) return;
    const content = await this.deleteAllContent(ns);
    if (content.estimate > 0) throw new ResourcesRemainingError(content.estimate);
    ns = content.ns;
    try {
      await this.retryOnConflict(ns, (n) => this.finalize(n));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private async retryOnConflict(ns: Namespace, fn: (ns: Namespace) => Promise<Namespace>): Promise<Namespace> {
    let latest = ns;
    for (;;) {
      try {
        return await fn(latest);
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
      const prev = latest;
      latest = await this.namespaces.get('', ns.metadata?.name ?? '');
      if (latest.metadata?.uid !== prev.metadata?.uid) throw new Error('namespace uid has changed across retries');
    }
  }

  private async ensureTerminating(ns: Namespace): Promise<Namespace> {
    if (!ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return ns;
    return this.namespaces.updateStatus('', { ...ns, status: { ...ns.status, phase: 'Terminating' } });
  }

  /** Removes our token from spec.finalizers through the finalize subresource. */
  private async finalize(ns: Namespace): Promise<Namespace> {
    const name = ns.metadata?.name ?? '';
    const rest = sortStrings([...new Set((ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER_KUBERNETES))]);
    const body: Namespace = { ...ns, spec: { ...ns.spec, finalizers: rest } };
    let result: Namespace;
    try {
      result = await this.namespaces.subresource<Namespace>('', name, 'finalize', 'PUT', body);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Upstream takes a 404 as "finalized already"; make sure it is not a missing route.
      try {
        await this.namespaces.get('', name);
      } catch (getErr) {
        if (isNotFound(getErr)) return ns;
        throw getErr;
      }
      throw new Error('the API server does not serve the namespaces/finalize subresource');
    }
    if ((result.spec?.finalizers ?? []).includes(FINALIZER_KUBERNETES)) {
      throw new Error(`the finalize subresource kept the ${JSON.stringify(FINALIZER_KUBERNETES)} finalizer in spec.finalizers`);
    }
    return result;
  }

  /**
   * Deletes everything in the namespace and updates its conditions. The estimate (seconds) is 0
   * when nothing is left; `ns` is the namespace as last written.
   */
  private async deleteAllContent(ns: Namespace): Promise<{ estimate: number; ns: Namespace }> {
    const name = ns.metadata?.name ?? '';
    const deletedAt = Date.parse(ns.metadata?.deletionTimestamp ?? '');
    const updater = new ConditionUpdater(this.ctx.clock);
    const errors: string[] = [];
    let estimate = 0;
    const totals: ContentTotals = { resourcesRemaining: new Map(), finalizersRemaining: new Map() };
    for (const r of this.resources) {
      let result: ResourceDeletion;
      try {
        result = await this.deleteAllContentFor(r, name, deletedAt);
      } catch (err) {
        // Keep going with the other resources; the failure is reported in the conditions.
        const detail = err instanceof PartialDeletion ? err.result : undefined;
        errors.push(errorMessage(err));
        updater.processDeleteContentError(err);
        if (!detail) continue;
        result = detail;
      }
      if (result.estimate > estimate) estimate = result.estimate;
      if (result.remaining > 0) {
        totals.resourcesRemaining.set(`${r.plural}.${r.group}`, result.remaining);
        for (const [f, n] of result.finalizers) if (n > 0) totals.finalizersRemaining.set(f, (totals.finalizersRemaining.get(f) ?? 0) + n);
      }
    }
    updater.processContentTotals(totals);
    // Always write changed conditions: a namespace may carry other finalizers and stay a while.
    let latest = ns;
    if (updater.update(ns)) {
      try {
        latest = await this.namespaces.updateStatus('', ns);
      } catch (err) {
        this.ctx.onError(new Error(`namespace: couldn't update status condition for namespace ${JSON.stringify(name)}: ${errorMessage(err)}`));
      }
    }
    if (errors.length > 0) throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
    return { estimate, ns: latest };
  }

  private async deleteAllContentFor(r: ResourceInfo, ns: string, deletedAt: number): Promise<ResourceDeletion> {
    const client = this.ctx.source.resource(refOf(r));
    let estimate = r.group === '' && r.plural === 'pods' ? await this.estimateForPods(client as ResourceClient<Pod>, ns) : 0;
    // Past the estimate since the namespace was deleted: no more waiting on it.
    if (Number.isFinite(deletedAt) && this.ctx.clock.now() - deletedAt >= estimate * 1000) estimate = 0;
    if (!r.verbs.includes('list')) return { estimate, remaining: 0, finalizers: new Map() };
    // Our client has no deletecollection: list, then delete each (upstream's deleteEachItem).
    // Background, so that the garbage collector adds no orphan finalizer to anything.
    const items = await listAll(client, ns);
    for (const item of items) {
      const itemName = item.metadata?.name;
      if (!itemName) continue;
      try {
        await client.delete(ns, itemName, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!isNotFound(err) && !(isApiError(err) && err.code === 405)) throw err;
      }
    }
    const left = await listAll(client, ns);
    if (left.length === 0) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const finalizers = new Map<string, number>();
    for (const item of left) for (const f of item.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    if (estimate !== 0) return { estimate, remaining: left.length, finalizers };
    if (finalizers.size > 0) {
      const seconds = Number(this.ctx.options.namespaceFinalizerEstimateSeconds ?? namespaceDefaults.finalizerEstimateSeconds);
      return { estimate: seconds, remaining: left.length, finalizers };
    }
    // Nothing explains why they are still here.
    throw new PartialDeletion(`unexpected items still remain in namespace: ${ns} for gvr: ${gvrString(r)}`, { estimate, remaining: left.length, finalizers });
  }

  /** The longest termination grace period of the namespace's pods that have not finished. */
  private async estimateForPods(client: ResourceClient<Pod>, ns: string): Promise<number> {
    let estimate = 0;
    for (const pod of await listAll(client, ns)) {
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const grace = pod.spec?.terminationGracePeriodSeconds;
      if (grace !== undefined && grace > estimate) estimate = grace;
    }
    return estimate;
  }
}

/** A resource whose deletion failed but whose remaining content was still counted. */
class PartialDeletion extends Error {
  constructor(
    message: string,
    readonly result: ResourceDeletion,
  ) {
    super(message);
    this.name = 'PartialDeletion';
  }
}

async function listAll<T extends KubeObject>(client: ResourceClient<T>, ns: string): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const page = await client.list(ns, { limit: 500, continue: cont });
    out.push(...page.items);
    cont = page.continue;
  } while (cont);
  return out;
}

// ---- the controller ------------------------------------------------------------------------------

export function namespaceController(): Controller {
  let queue: WorkQueue<string> | undefined;
  let informer: Informer<Namespace> | undefined;
  return {
    name: 'namespace',
    setup(ctx) {
      const q = new WorkQueue<string>({
        clock: ctx.clock,
        name: 'namespace',
        rateLimiter: new MaxOfRateLimiter<string>(
          new ExponentialFailureRateLimiter<string>(namespaceDefaults.retryBaseMs, namespaceDefaults.retryMaxMs),
          new BucketRateLimiter<string>(ctx.clock),
        ),
      });
      queue = q;
      const grace = Number(ctx.options.namespaceDeletionGracePeriodMs ?? namespaceDefaults.namespaceDeletionGracePeriodMs);
      const enqueue = (ns: Namespace): void => {
        // Only namespaces being deleted; after a delay, so that HA API servers see the deletion
        // and last-moment creations are visible before we list.
        if (!ns.metadata?.deletionTimestamp || !ns.metadata.name) return;
        q.addAfter(ns.metadata.name, grace);
      };
      informer = ctx.factory.informerFor<Namespace>(NAMESPACES);
      informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
    },
    async run(ctx, signal) {
      if (!queue || !informer) throw new Error('namespace: run before setup');
      const inf = informer;
      const deleter = new NamespacedResourcesDeleter(ctx);
      const workers = Number(ctx.options.concurrentNamespaceSyncs ?? namespaceDefaults.concurrentNamespaceSyncs);
      await runWorkers(
        queue,
        workers,
        async (name): Promise<void | ReconcileResult> => {
          if (!inf.get('', name)) return undefined; // deleted already
          try {
            await deleter.delete(name);
          } catch (err) {
            if (err instanceof ResourcesRemainingError) return { requeueAfterMs: (Math.floor(err.estimate / 2) + 1) * 1000 };
            throw err;
          }
          return undefined;
        },
        signal,
        { onError: (name, err) => ctx.onError(new Error(`namespace ${name}: ${errorMessage(err)}`)) },
      );
    },
  };
}
