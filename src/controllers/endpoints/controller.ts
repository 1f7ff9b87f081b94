// The Endpoints controller (upstream pkg/controller/endpoint), `--controllers` name `endpoint`.
// For every Service with a selector it keeps the core/v1 Endpoints object of the same name equal
// to the selected pods: ready pods under `addresses`, not-ready ones under `notReadyAddresses`
// (all under `addresses` with publishNotReadyAddresses, which also keeps terminating pods),
// finished, IP-less and (otherwise) terminating pods left out, one port per Service port with
// named targetPorts resolved per pod, subsets packed by identical port sets, at most 1000
// addresses (more are truncated, with the over-capacity annotation), and the
// `endpoints.kubernetes.io/last-change-trigger-time` annotation. Services without a selector (and
// ExternalName ones) are left alone: their Endpoints are written by hand. When a Service goes,
// its Endpoints go too, and at start-up Endpoints without a Service are removed, as upstream
// (leader-election locks excepted).
//
// The Endpoints object is written only when subsets, labels or the capacity annotation differ,
// comparing canonical forms so that server-side defaulting never causes a write loop.
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../../client/events.js';
import type { Informer } from '../../client/informer.js';
import { isAlreadyExists, isConflict, isNotFound, objectKey, resourceRef, splitKey, type ResourceClient } from '../../client/resource_client.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { controllerFrom, numberOption } from '../controller.js';
import {
  ANNOTATION_LAST_CHANGE_TRIGGER_TIME,
  ANNOTATION_LEADER,
  ANNOTATION_OVER_CAPACITY,
  LABEL_HEADLESS,
  TriggerTimeTracker,
  compareResourceVersions,
  findPort,
  hasSelector,
  isIPv6,
  isPodReady,
  isServiceIPSet,
  podIPs,
  podServiceKeys,
  rfc3339Nano,
  selectedPods,
  servicesToUpdateOnPodChange,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './pod_endpoints.js';

export const endpointsDefaults = {
  /** Addresses (ready + not ready) one Endpoints object may hold (upstream maxCapacity). */
  maxCapacity: 1000,
  /** Workers (--concurrent-endpoint-syncs). */
  workers: 5,
  /** Delay of syncs caused by pod changes, to batch them (--endpoint-updates-batch-period). */
  endpointUpdatesBatchPeriodMs: 0,
} as const;

// ---- building subsets ----

/** The pod's address for the Service's IP family (upstream podToEndpointAddressForService). */
function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  const fam = svc.spec?.ipFamilies?.[0];
  if (fam) v6 = fam === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6(svc.spec?.clusterIP ?? '');
  else v6 = isIPv6(pod.status?.podIP ?? '');
  const ip = podIPs(pod).find((x) => isIPv6(x) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = {
    ip,
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec?.hostname;
  return addr;
}

function addressKey(a: EndpointAddress): string {
  return JSON.stringify([a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef?.kind ?? '', a.targetRef?.namespace ?? '', a.targetRef?.name ?? '', a.targetRef?.uid ?? '']);
}

function portKey(p: EndpointPort): string {
  return JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
}

function normAddress(a: EndpointAddress): EndpointAddress {
  const out: EndpointAddress = { ip: a.ip };
  if (a.hostname) out.hostname = a.hostname;
  if (a.nodeName) out.nodeName = a.nodeName;
  if (a.targetRef) {
    const r = a.targetRef;
    out.targetRef = { kind: r.kind, namespace: r.namespace, name: r.name, uid: r.uid };
    for (const k of ['kind', 'namespace', 'name', 'uid'] as const) if (out.targetRef[k] === undefined || out.targetRef[k] === '') delete out.targetRef[k];
  }
  return out;
}

function normPort(p: EndpointPort): EndpointPort {
  const out: EndpointPort = { port: p.port, protocol: p.protocol ?? 'TCP' };
  if (p.name) out.name = p.name;
  if (p.appProtocol) out.appProtocol = p.appProtocol;
  return out;
}

function byAddress(a: EndpointAddress, b: EndpointAddress): number {
  const x = addressKey(a);
  const y = addressKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Upstream RepackSubsets: one subset per distinct set of (ports, readiness) an address has, so
 * addresses that share all their ports share a subset; everything sorted for stable comparison.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  // address key → (port key → ready?), keeping the objects.
  const addrs = new Map<string, EndpointAddress>();
  const ports = new Map<string, EndpointPort | undefined>();
  const byPort = new Map<string, Map<string, boolean>>();
  const note = (a: EndpointAddress, p: EndpointPort | undefined, ready: boolean): void => {
    const ak = addressKey(a);
    addrs.set(ak, normAddress(a));
    const pk = p ? portKey(p) : '';
    ports.set(pk, p ? normPort(p) : undefined);
    let m = byPort.get(pk);
    if (!m) byPort.set(pk, (m = new Map()));
    // Ready wins if an address shows up both ways for one port.
    m.set(ak, (m.get(ak) ?? false) || ready);
  };
  for (const ss of subsets) {
    const ps: (EndpointPort | undefined)[] = ss.ports && ss.ports.length > 0 ? ss.ports : [undefined];
    for (const p of ps) {
      for (const a of ss.addresses ?? []) note(a, p, true);
      for (const a of ss.notReadyAddresses ?? []) note(a, p, false);
    }
  }
  // Group ports by their exact address→readiness map.
  const groups = new Map<string, { ports: string[]; addrs: Map<string, boolean> }>();
  for (const [pk, m] of byPort) {
    const gk = JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const g = groups.get(gk);
    if (g) g.ports.push(pk);
    else groups.set(gk, { ports: [pk], addrs: m });
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [ak, r] of g.addrs) (r ? ready : notReady).push(addrs.get(ak)!);
    ready.sort(byAddress);
    notReady.sort(byAddress);
    const ss: EndpointSubset = {};
    if (ready.length > 0) ss.addresses = ready;
    if (notReady.length > 0) ss.notReadyAddresses = notReady;
    const ps = g.ports
      .sort()
      .map((pk) => ports.get(pk))
      .filter((p): p is EndpointPort => p !== undefined);
    if (ps.length > 0) ss.ports = ps;
    out.push(ss);
  }
  out.sort((a, b) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return out;
}

/** The desired subsets for a Service and the pods it selects. */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publish = svc.spec?.publishNotReadyAddresses === true;
  const raw: EndpointSubset[] = [];
  const svcPorts = svc.spec?.ports ?? [];
  const sorted = [...pods].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const ready = publish || isPodReady(pod);
    const put = (ports: EndpointPort[]): void => {
      raw.push(ready ? { addresses: [addr], ports } : { notReadyAddresses: [addr], ports });
    };
    if (svcPorts.length === 0) {
      // A headless Service may have no ports: addresses only.
      if (svc.spec?.clusterIP === 'None') put([]);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      put([ep]);
    }
  }
  return repackSubsets(raw);
}

/** Canonical form for comparison (order, defaults and empty fields normalized). */
function canonicalSubsets(subsets: readonly EndpointSubset[] | undefined): string {
  return JSON.stringify(repackSubsets(subsets ?? []));
}

/**
 * Upstream truncateEndpoints: keeps at most `max` addresses, ready ones first, each subset
 * getting its proportional (rounded up) share. True if anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max: number): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const ss of subsets) {
    totalReady += ss.addresses?.length ?? 0;
    totalNotReady += ss.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return false;
  const truncateReady = totalReady > max;
  const budget = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = budget;
  for (let i = 0; i < subsets.length; i++) {
    const ss = { ...subsets[i]! };
    const n = truncateReady ? (ss.addresses?.length ?? 0) : (ss.notReadyAddresses?.length ?? 0);
    const share = Math.min(left, Math.ceil((n / total) * budget));
    if (truncateReady) {
      ss.addresses = (ss.addresses ?? []).slice(0, share);
      delete ss.notReadyAddresses;
      left -= ss.addresses.length;
    } else {
      ss.notReadyAddresses = (ss.notReadyAddresses ?? []).slice(0, share);
      left -= ss.notReadyAddresses.length;
    }
    subsets[i] = ss;
  }
  return true;
}

function withoutKey(m: Record<string, string> | undefined, key: string): Record<string, string> {
  const out: Record<string, string> = { ...(m ?? {}) };
  delete out[key];
  return out;
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => (a ?? {})[k] === (b ?? {})[k]);
}

// ---- the controller ----

class EndpointsController {
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly endpoints: Informer<Endpoints>;
  private readonly client: ResourceClient<Endpoints>;
  private readonly queue: WorkQueue<string>;
  private readonly triggers = new TriggerTimeTracker();
  /** The resourceVersion we last wrote, per key: a cache older than that is stale. */
  private readonly written = new Map<string, string>();
  private readonly recorder: EventRecorder | undefined;
  private readonly batchMs: number;

  constructor(private readonly ctx: ControllerContext) {
    this.services = ctx.factory.informerFor<Service>(resourceRef('', 'v1', 'services'));
    this.pods = ctx.factory.informerFor<Pod>(resourceRef('', 'v1', 'pods'));
    const ref = resourceRef('', 'v1', 'endpoints');
    this.endpoints = ctx.factory.informerFor<Endpoints>(ref);
    this.client = ctx.source.resource<Endpoints>(ref);
    this.recorder = ctx.recorder('endpoint-controller');
    this.queue = new WorkQueue<string>({ clock: ctx.clock, name: 'endpoint' });
    this.batchMs = numberOption(ctx, 'endpointUpdatesBatchPeriodMs', endpointsDefaults.endpointUpdatesBatchPeriodMs);
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
    this.endpoints.addEventHandler({ onDelete: (e) => this.queue.add(objectKey(e)) });
  }

  private enqueueAll(keys: Iterable<string>): void {
    for (const k of keys) this.queue.addAfter(k, this.batchMs);
  }

  async run(signal: AbortSignal): Promise<void> {
    // Endpoints whose Service went while we were not watching (upstream checkLeftoverEndpoints).
    for (const ep of this.endpoints.list()) {
      if (ep.metadata?.annotations?.[ANNOTATION_LEADER] !== undefined) continue;
      this.queue.add(objectKey(ep));
    }
    await runWorkers(this.queue, numberOption(this.ctx, 'concurrentEndpointSyncs', endpointsDefaults.workers, { positive: true }), (key) => this.sync(key), signal, {
      onError: (key, err) => this.ctx.onError(new Error(`endpoint ${key}: ${err instanceof Error ? err.message : String(err)}`)),
    });
  }

  async sync(key: string): Promise<void | ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.getByKey(key);
    if (!svc) {
      // The Service is gone: so are its Endpoints (unless they are a leader-election lock).
      const ep = this.endpoints.getByKey(key);
      if (ep?.metadata?.annotations?.[ANNOTATION_LEADER] !== undefined) return;
      this.triggers.deleteService(key);
      this.written.delete(key);
      try {
        await this.client.delete(namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;

    const pods = selectedPods(this.pods, svc);
    const trigger = this.triggers.compute(svc, pods);
    const subsets = desiredSubsets(svc, pods);

    const current = this.endpoints.getByKey(key);
    const wrote = this.written.get(key);
    if (current && wrote && (compareResourceVersions(current.metadata?.resourceVersion, wrote) ?? 0) < 0) {
      // Our cache has not caught up with our own last write; look again shortly.
      return { requeueAfterMs: 100 };
    }
    const svcLabels = svc.metadata?.labels ?? {};
    const out = [...subsets];
    const truncated = truncateSubsets(out, endpointsDefaults.maxCapacity);
    if (
      current &&
      canonicalSubsets(current.subsets) === canonicalSubsets(out) &&
      sameMap(withoutKey(current.metadata?.labels, LABEL_HEADLESS), svcLabels) &&
      (current.metadata?.annotations?.[ANNOTATION_OVER_CAPACITY] !== undefined) === truncated
    ) {
      return;
    }
    const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
    if (trigger !== undefined) annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(trigger);
    else delete annotations[ANNOTATION_LAST_CHANGE_TRIGGER_TIME];
    if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
    else delete annotations[ANNOTATION_OVER_CAPACITY];
    const labels: Record<string, string> = { ...svcLabels };
    if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
    else delete labels[LABEL_HEADLESS];

    const next: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? {}), name, namespace, labels, annotations },
      subsets: out,
    };
    try {
      const res = current ? await this.client.update(namespace, next) : await this.client.create(namespace, next);
      if (res.metadata?.resourceVersion) this.written.set(key, res.metadata.resourceVersion);
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        // Someone else (or our own earlier write) got there first: retry from a fresher cache.
        return { requeueAfterMs: 100 };
      }
      this.recorder?.event(next, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint', `Failed to ${current ? 'update' : 'create'} endpoint ${key}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }
}

/** The `endpoint` controller: core/v1 Endpoints for Services with selectors. */
export function endpointsController(): Controller {
  return controllerFrom('endpoint', (ctx) => new EndpointsController(ctx));
}
