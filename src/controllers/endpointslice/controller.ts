// The EndpointSlice controller (upstream pkg/controller/endpointslice), `--controllers` name
// `endpointslice`. For every Service with a selector it keeps discovery.k8s.io/v1 EndpointSlices
// (label `kubernetes.io/service-name`, managed-by `endpointslice-controller.k8s.io`, owned by
// the Service) holding one endpoint per selected pod: ready/serving/terminating conditions
// (terminating pods stay, with ready=false unless publishNotReadyAddresses), node name and zone,
// ports resolved per pod, at most maxEndpointsPerSlice (100) endpoints a slice, reusing slices to
// keep writes few (reconciler.ts). A Service without a selector, or of type ExternalName, is left
// alone (the mirroring controller in mirroring.ts covers hand-made Endpoints).
//
// Differences from upstream, on purpose: when a Service is deleted this controller deletes its
// slices itself instead of leaving that to the garbage collector's ownerReference sweep (both
// can run; the second finds nothing to do). Topology hints and trafficDistribution are not
// implemented. A cache that has not yet seen our own writes is detected by generation, as
// upstream's EndpointSliceTracker, and the sync is retried shortly instead of working on stale
// slices.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Informer } from '../../client/informer.js';
import { isConflict, isNotFound, objectKey, resourceRef, splitKey, type ResourceClient } from '../../client/resource_client.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { controllerFrom, numberOption } from '../controller.js';
import {
  ANNOTATION_LAST_CHANGE_TRIGGER_TIME,
  TriggerTimeTracker,
  hasSelector,
  podServiceKeys,
  rfc3339Nano,
  selectedPods,
  servicesToUpdateOnPodChange,
} from '../endpoints/pod_endpoints.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, reconcileSlices } from './reconciler.js';

export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** Index of EndpointSlices by `namespace/service-name` label. */
export const SLICE_SERVICE_INDEX = 'byServiceName';

export const endpointSliceDefaults = {
  /** --max-endpoints-per-slice */
  maxEndpointsPerSlice: 100,
  /** --concurrent-service-endpoint-syncs */
  workers: 5,
  /** --endpointslice-updates-batch-period: delay of syncs caused by pod changes. */
  endpointUpdatesBatchPeriodMs: 0,
  /** Minimum delay of a sync caused by someone else changing one of our slices. */
  endpointSliceChangeMinSyncDelayMs: 1000,
} as const;

export function sliceServiceIndex(s: EndpointSlice): string[] {
  const svc = s.metadata?.labels?.[LABEL_SERVICE_NAME];
  return svc ? [`${s.metadata?.namespace ?? ''}/${svc}`] : [];
}

const DELETED = -1;

/**
 * What we last wrote, per Service key and slice name: the generation we expect the cache to
 * reach, or DELETED. Lets a sync tell a cache that lags our own writes (upstream
 * EndpointSliceTracker).
 */
export class SliceTracker {
  private readonly bySvc = new Map<string, Map<string, number>>();

  private of(key: string): Map<string, number> {
    let m = this.bySvc.get(key);
    if (!m) this.bySvc.set(key, (m = new Map()));
    return m;
  }

  wrote(key: string, slice: EndpointSlice): void {
    const name = slice.metadata?.name;
    if (name) this.of(key).set(name, slice.metadata?.generation ?? 0);
  }

  deleted(key: string, name: string): void {
    this.of(key).set(name, DELETED);
  }

  /** The cache no longer has the slice: forget it. */
  gone(key: string, name: string): void {
    this.bySvc.get(key)?.delete(name);
  }

  /** Whether this slice version is one we wrote (so its event needs no sync). */
  expected(key: string, slice: EndpointSlice): boolean {
    const g = this.bySvc.get(key)?.get(slice.metadata?.name ?? '');
    return g !== undefined && g !== DELETED && (slice.metadata?.generation ?? 0) <= g;
  }

  stale(key: string, cached: readonly EndpointSlice[]): boolean {
    const m = this.bySvc.get(key);
    if (!m || m.size === 0) return false;
    const names = new Set<string>();
    for (const s of cached) {
      const name = s.metadata?.name ?? '';
      names.add(name);
      const g = m.get(name);
      if (g === undefined) continue;
      if (g === DELETED || (s.metadata?.generation ?? 0) < g) return true;
    }
    for (const [name, g] of m) if (g !== DELETED && !names.has(name)) return true;
    return false;
  }

  deleteService(key: string): void {
    this.bySvc.delete(key);
  }
}

class EndpointSliceController {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly client: ResourceClient<EndpointSlice>;
  private readonly queue: WorkQueue<string>;
  private readonly tracker = new SliceTracker();
  private readonly triggers = new TriggerTimeTracker();
  private readonly maxPerSlice: number;
  private readonly batchMs: number;
  private readonly sliceChangeDelayMs: number;

  constructor(private readonly ctx: ControllerContext) {
    this.services = ctx.factory.informerFor<Service>(resourceRef('', 'v1', 'services'));
    this.pods = ctx.factory.informerFor<Pod>(resourceRef('', 'v1', 'pods'));
    this.nodes = ctx.factory.informerFor<Node>(resourceRef('', 'v1', 'nodes'));
    const ref = resourceRef('discovery.k8s.io', 'v1', 'endpointslices');
    this.slices = ctx.factory.informerFor<EndpointSlice>(ref, { indexers: { [SLICE_SERVICE_INDEX]: sliceServiceIndex } });
    this.client = ctx.source.resource<EndpointSlice>(ref);
    this.queue = new WorkQueue<string>({ clock: ctx.clock, name: 'endpoint_slice' });
    this.maxPerSlice = Math.max(1, numberOption(ctx, 'maxEndpointsPerSlice', endpointSliceDefaults.maxEndpointsPerSlice));
    this.batchMs = numberOption(ctx, 'endpointSliceUpdatesBatchPeriodMs', endpointSliceDefaults.endpointUpdatesBatchPeriodMs);
    this.sliceChangeDelayMs = Math.max(this.batchMs, numberOption(ctx, 'endpointSliceChangeMinSyncDelayMs', endpointSliceDefaults.endpointSliceChangeMinSyncDelayMs));

    this.services.addEventHandler({
      onAdd: (s) => this.queue.add(objectKey(s)),
      onUpdate: (_o, s) => this.queue.add(objectKey(s)),
      onDelete: (s) => this.queue.add(objectKey(s)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueAll(podServiceKeys(this.services, p)),
      onUpdate: (o, p) => this.enqueueAll(servicesToUpdateOnPodChange(this.services, o, p)),
      onDelete: (p) => this.enqueueAll(podServiceKeys(this.services, p)),
    });
    this.slices.addEventHandler({
      onAdd: (s) => this.onSliceChange(s, false),
      onUpdate: (_o, s) => this.onSliceChange(s, false),
      onDelete: (s) => this.onSliceChange(s, true),
    });
  }

  private enqueueAll(keys: Iterable<string>): void {
    for (const k of keys) this.queue.addAfter(k, this.batchMs);
  }

  private onSliceChange(s: EndpointSlice, deleted: boolean): void {
    if (s.metadata?.labels?.[LABEL_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER_NAME) return;
    const [key] = sliceServiceIndex(s);
    if (!key) return;
    if (deleted) {
      this.tracker.gone(key, s.metadata?.name ?? '');
      this.queue.addAfter(key, this.sliceChangeDelayMs);
      return;
    }
    // Our own writes arriving in the cache need no sync; anyone else's change does.
    if (!this.tracker.expected(key, s)) this.queue.addAfter(key, this.sliceChangeDelayMs);
  }

  async run(signal: AbortSignal): Promise<void> {
    // Slices whose Service went while we were not watching.
    for (const s of this.slices.list()) {
      if (s.metadata?.labels?.[LABEL_MANAGED_BY] !== ENDPOINTSLICE_CONTROLLER_NAME) continue;
      const [key] = sliceServiceIndex(s);
      if (key && !this.services.getByKey(key)) this.queue.add(key);
    }
    await runWorkers(this.queue, numberOption(this.ctx, 'concurrentServiceEndpointSyncs', endpointSliceDefaults.workers) || 1, (key) => this.sync(key), signal, {
      onError: (key, err) => this.ctx.onError(new Error(`endpointslice ${key}: ${err instanceof Error ? err.message : String(err)}`)),
    });
  }

  private ourSlices(key: string): EndpointSlice[] {
    return this.slices.byIndex(SLICE_SERVICE_INDEX, key).filter((s) => s.metadata?.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME);
  }

  async sync(key: string): Promise<void | ReconcileResult> {
    const { namespace } = splitKey(key);
    const svc = this.services.getByKey(key);
    if (!svc) {
      this.triggers.deleteService(key);
      for (const s of this.ourSlices(key)) {
        const name = s.metadata?.name ?? '';
        try {
          await this.client.delete(namespace, name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      this.tracker.deleteService(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;

    const existing = this.ourSlices(key).filter((s) => !s.metadata?.deletionTimestamp);
    if (this.tracker.stale(key, existing)) return { requeueAfterMs: 100 };
    const pods = selectedPods(this.pods, svc);
    const trigger = this.triggers.compute(svc, pods);
    const plan = reconcileSlices({
      service: svc,
      pods,
      existing,
      node: (name) => this.nodes.get('', name),
      maxEndpointsPerSlice: this.maxPerSlice,
      controllerName: ENDPOINTSLICE_CONTROLLER_NAME,
    });
    const annotate = (s: EndpointSlice): EndpointSlice => {
      const annotations = { ...(s.metadata?.annotations ?? {}) };
      if (trigger !== undefined) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(trigger);
      else delete annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
      return { ...s, metadata: { ...s.metadata, annotations } };
    };
    try {
      // No new slices for a Service on its way out: the garbage collector would race us.
      if (!svc.metadata?.deletionTimestamp) {
        for (const s of plan.create) this.tracker.wrote(key, await this.client.create(namespace, annotate(s)));
      }
      for (const s of plan.update) this.tracker.wrote(key, await this.client.update(namespace, annotate(s)));
      for (const s of plan.delete) {
        const name = s.metadata?.name ?? '';
        try {
          await this.client.delete(namespace, name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        this.tracker.deleted(key, name);
      }
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
    if (plan.problems.length > 0) throw new Error(plan.problems.join('; '));
  }
}

/** The `endpointslice` controller: EndpointSlices for Services with selectors. */
export function endpointSliceController(): Controller {
  return controllerFrom('endpointslice', (ctx) => new EndpointSliceController(ctx));
}
