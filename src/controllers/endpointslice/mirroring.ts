// The EndpointSlice mirroring controller (upstream pkg/controller/endpointslicemirroring),
// `--controllers` name `endpointslicemirroring`. Consumers read EndpointSlices only, so Endpoints
// written by hand for a Service *without* a selector are mirrored into slices (managed-by
// `endpointslicemirroring-controller.k8s.io`, owned by the Endpoints, labels and annotations
// copied but the trigger time and kubectl's last-applied configuration): each subset's addresses
// become endpoints (ready=true from `addresses`, false from `notReadyAddresses`), grouped by
// address type and port list, at most 1000 per subset (the rest is skipped, with an event) and
// 1000 per slice. Nothing is mirrored for a Service with a selector (the EndpointSlice controller
// covers it), for Endpoints labelled `endpointslice.kubernetes.io/skip-mirror: "true"`, for
// leader-election locks, or when the Service or the Endpoints are missing; mirrored slices
// left over in those cases are deleted. Slices are written only when their content differs.
import type { EndpointAddress, Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { EventRecorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import { isConflict, isNotFound, objectKey, resourceRef, splitKey, type ResourceClient } from '../../client/resource_client.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { controllerFrom, numberOption } from '../controller.js';
import { ANNOTATION_LAST_CHANGE_TRIGGER_TIME, ANNOTATION_LEADER, hasSelector } from '../endpoints/pod_endpoints.js';
import { SLICE_SERVICE_INDEX, SliceTracker, sliceServiceIndex } from './controller.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, portListKey } from './reconciler.js';

export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export const mirroringDefaults = {
  /** --mirroring-max-endpoints-per-subset (also the most endpoints one mirrored slice holds). */
  maxEndpointsPerSubset: 1000,
  /** --mirroring-concurrent-service-endpoint-syncs */
  workers: 5,
} as const;

/** An IPv4 or IPv6 literal, re-printed canonically; undefined for anything else. */
function parseIP(ip: string | undefined): { ip: string; type: 'IPv4' | 'IPv6' } | undefined {
  if (!ip) return undefined;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { ip: parts.join('.'), type: 'IPv4' };
  }
  if (ip.includes(':') && /^[0-9a-fA-F:.]+$/.test(ip)) {
    try {
      // URL parsing normalizes an IPv6 literal (compression, case) as Go's net.IP.String does.
      const host = new URL(`http://[${ip}]/`).hostname;
      return { ip: host.slice(1, -1), type: 'IPv6' };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function addressToEndpoint(a: EndpointAddress, ready: boolean): { ep: Endpoint; type: 'IPv4' | 'IPv6' } | undefined {
  const p = parseIP(a.ip);
  if (!p) return undefined;
  const ep: Endpoint = { addresses: [p.ip], conditions: { ready } };
  if (a.targetRef) ep.targetRef = a.targetRef;
  if (a.nodeName) ep.nodeName = a.nodeName;
  if (a.hostname) ep.hostname = a.hostname;
  return { ep, type: p.type };
}

function canonical(s: EndpointSlice): string {
  const sortMap = (m: Record<string, string> | undefined): [string, string][] => Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([
    s.addressType,
    portListKey(s.ports),
    (s.endpoints ?? []).map((e) => [e.addresses, e.conditions?.ready ?? null, e.nodeName ?? '', e.hostname ?? '', e.targetRef ? [e.targetRef.kind ?? '', e.targetRef.namespace ?? '', e.targetRef.name ?? '', e.targetRef.uid ?? ''] : null]),
    sortMap(s.metadata?.labels),
    sortMap(s.metadata?.annotations),
    (s.metadata?.ownerReferences ?? []).map((o) => [o.apiVersion, o.kind, o.name, o.uid, o.controller ?? false]),
  ]);
}

/** The slices hand-made Endpoints should be mirrored into, and how many addresses were skipped. */
export function desiredMirrorSlices(ep: Endpoints, max: number = mirroringDefaults.maxEndpointsPerSubset): { slices: EndpointSlice[]; skipped: number } {
  const groups = new Map<string, { type: 'IPv4' | 'IPv6'; ports: EndpointPort[]; endpoints: Endpoint[] }>();
  let skipped = 0;
  for (const ss of ep.subsets ?? []) {
    const ports: EndpointPort[] = (ss.ports ?? []).map((p) => {
      const out: EndpointPort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol) out.appProtocol = p.appProtocol;
      return out;
    });
    // Ready addresses first, then not-ready ones, at most `max` per subset.
    const all: [EndpointAddress, boolean][] = [...(ss.addresses ?? []).map((a): [EndpointAddress, boolean] => [a, true]), ...(ss.notReadyAddresses ?? []).map((a): [EndpointAddress, boolean] => [a, false])];
    if (all.length > max) skipped += all.length - max;
    for (const [a, ready] of all.slice(0, max)) {
      const r = addressToEndpoint(a, ready);
      if (!r) {
        skipped++;
        continue;
      }
      const key = `${r.type}-${portListKey(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { type: r.type, ports, endpoints: [] }));
      g.endpoints.push(r.ep);
    }
  }
  const labels: Record<string, string> = { ...(ep.metadata?.labels ?? {}), [LABEL_SERVICE_NAME]: ep.metadata?.name ?? '', [LABEL_MANAGED_BY]: MIRRORING_CONTROLLER_NAME };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(ep.metadata?.annotations ?? {})) if (k !== ANNOTATION_LAST_CHANGE_TRIGGER_TIME && k !== LAST_APPLIED) annotations[k] = v;
  const slices: EndpointSlice[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += max) {
      slices.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${ep.metadata?.name ?? ''}-`,
          namespace: ep.metadata?.namespace,
          labels: { ...labels },
          annotations: { ...annotations },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: ep.metadata?.name ?? '', uid: ep.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        addressType: g.type,
        ports: g.ports,
        endpoints: g.endpoints.slice(i, i + max),
      });
    }
  }
  return { slices, skipped };
}

class MirroringController {
  private readonly endpoints: Informer<Endpoints>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly client: ResourceClient<EndpointSlice>;
  private readonly queue: WorkQueue<string>;
  private readonly recorder: EventRecorder | undefined;
  private readonly max: number;
  private readonly tracker = new SliceTracker();

  constructor(private readonly ctx: ControllerContext) {
    this.endpoints = ctx.factory.informerFor<Endpoints>(resourceRef('', 'v1', 'endpoints'));
    this.services = ctx.factory.informerFor<Service>(resourceRef('', 'v1', 'services'));
    const ref = resourceRef('discovery.k8s.io', 'v1', 'endpointslices');
    this.slices = ctx.factory.informerFor<EndpointSlice>(ref, { indexers: { [SLICE_SERVICE_INDEX]: sliceServiceIndex } });
    this.client = ctx.source.resource<EndpointSlice>(ref);
    this.recorder = ctx.recorder('endpoint-slice-mirroring-controller');
    this.queue = new WorkQueue<string>({ clock: ctx.clock, name: 'endpoint_slice_mirroring' });
    this.max = numberOption(ctx, 'mirroringMaxEndpointsPerSubset', mirroringDefaults.maxEndpointsPerSubset, { positive: true });
    const enqueue = (o: { metadata?: { name?: string; namespace?: string } }): void => this.queue.add(objectKey(o));
    this.endpoints.addEventHandler({ onAdd: enqueue, onUpdate: (_o, e) => enqueue(e), onDelete: enqueue });
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
    const onSlice = (s: EndpointSlice, deleted: boolean): void => {
      if (s.metadata?.labels?.[LABEL_MANAGED_BY] !== MIRRORING_CONTROLLER_NAME) return;
      const [key] = sliceServiceIndex(s);
      if (!key) return;
      if (deleted) this.tracker.gone(key, s.metadata?.name ?? '');
      // Our own writes arriving in the cache need no sync; anyone else's change does.
      if (deleted || !this.tracker.expected(key, s)) this.queue.add(key);
    };
    this.slices.addEventHandler({ onUpdate: (_o, s) => onSlice(s, false), onDelete: (s) => onSlice(s, true) });
  }

  async run(signal: AbortSignal): Promise<void> {
    for (const s of this.slices.list()) {
      if (s.metadata?.labels?.[LABEL_MANAGED_BY] !== MIRRORING_CONTROLLER_NAME) continue;
      const [key] = sliceServiceIndex(s);
      if (key) this.queue.add(key);
    }
    await runWorkers(this.queue, numberOption(this.ctx, 'mirroringConcurrentServiceEndpointSyncs', mirroringDefaults.workers, { positive: true }), (key) => this.sync(key), signal, {
      onError: (key, err) => this.ctx.onError(new Error(`endpointslicemirroring ${key}: ${err instanceof Error ? err.message : String(err)}`)),
    });
  }

  private mirrored(key: string): EndpointSlice[] {
    return this.slices.byIndex(SLICE_SERVICE_INDEX, key).filter((s) => s.metadata?.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME && !s.metadata?.deletionTimestamp);
  }

  private async deleteAll(key: string, slices: readonly EndpointSlice[]): Promise<void> {
    const { namespace } = splitKey(key);
    for (const s of slices) {
      const name = s.metadata?.name ?? '';
      try {
        await this.client.delete(namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.tracker.deleted(key, name);
    }
  }

  async sync(key: string): Promise<void | ReconcileResult> {
    const { namespace } = splitKey(key);
    const ep = this.endpoints.getByKey(key);
    const svc = this.services.getByKey(key);
    const existing = this.mirrored(key);
    if (
      !ep ||
      !svc ||
      hasSelector(svc) ||
      ep.metadata?.labels?.[LABEL_SKIP_MIRROR] === 'true' ||
      ep.metadata?.annotations?.[ANNOTATION_LEADER] !== undefined
    ) {
      await this.deleteAll(key, existing);
      return;
    }
    // The cache has not caught up with our own writes yet: look again shortly.
    if (this.tracker.stale(key, existing)) return { requeueAfterMs: 100 };
    const { slices: desired, skipped } = desiredMirrorSlices(ep, this.max);
    if (skipped > 0) this.recorder?.event(ep, 'Warning', 'AddressesSkipped', `Skipped ${skipped} invalid or excess addresses while mirroring Endpoints ${key} to EndpointSlices`);

    // Pair desired slices with existing ones of the same address type and ports, in order.
    const pool = new Map<string, EndpointSlice[]>();
    for (const s of existing) {
      const k = `${s.addressType}-${portListKey(s.ports)}`;
      pool.set(k, [...(pool.get(k) ?? []), s]);
    }
    const creates: EndpointSlice[] = [];
    const updates: EndpointSlice[] = [];
    for (const d of desired) {
      const k = `${d.addressType}-${portListKey(d.ports)}`;
      const match = pool.get(k)?.shift();
      if (!match) {
        creates.push(d);
        continue;
      }
      const { generateName: _g, ...meta } = d.metadata ?? {};
      const next: EndpointSlice = { ...d, metadata: { ...match.metadata, ...meta, name: match.metadata?.name } };
      if (canonical(next) !== canonical(match)) updates.push(next);
    }
    const leftovers = [...pool.values()].flat();
    // Reuse a leftover of the same address type (addressType is immutable) instead of create + delete.
    for (let i = 0; i < creates.length; ) {
      const j = leftovers.findIndex((s) => s.addressType === creates[i]!.addressType);
      if (j < 0) {
        i++;
        continue;
      }
      const [old] = leftovers.splice(j, 1);
      const d = creates.splice(i, 1)[0]!;
      const { generateName: _g, ...meta } = d.metadata ?? {};
      updates.push({ ...d, metadata: { ...old!.metadata, ...meta, name: old!.metadata?.name } });
    }
    try {
      for (const s of creates) this.tracker.wrote(key, await this.client.create(namespace, s));
      for (const s of updates) this.tracker.wrote(key, await this.client.update(namespace, s));
      await this.deleteAll(key, leftovers);
    } catch (err) {
      if (isConflict(err)) return { requeueAfterMs: 100 };
      throw err;
    }
  }
}

/** The `endpointslicemirroring` controller: slices for hand-made Endpoints of selector-less Services. */
export function endpointSliceMirroringController(): Controller {
  return controllerFrom('endpointslicemirroring', (ctx) => new MirroringController(ctx));
}
