// The EndpointSlice reconciler (upstream k8s.io/endpointslice Reconciler), as a pure function:
// given a Service, the pods it selects and the slices this controller already has for it, it says
// which slices to create, update and delete. Its aim, as upstream's, is few writes rather than
// perfectly packed slices:
//  1. Endpoints are grouped by their resolved port list (named targetPorts can differ per pod), one
//     set of slices per group and address type.
//  2. In each existing slice, endpoints no longer wanted are dropped and changed ones replaced; a
//     slice left empty is deleted, a changed one updated.
//  3. New endpoints first fill the slices that are being updated anyway (fullest first), then the
//     unchanged slice they fit best into, and only then new slices of up to maxEndpointsPerSlice.
//  4. A create and a delete in the same pass become an update of the doomed slice instead.
//  5. A Service with no endpoints keeps one empty placeholder slice.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { LABEL_HEADLESS, findPort, isIPv6, isPodReady, isServiceIPSet, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from '../endpoints/pod_endpoints.js';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export type AddressType = 'IPv4' | 'IPv6';

export interface ReconcileInput {
  service: Service;
  pods: readonly Pod[];
  /** This controller's slices for the Service (not being deleted). */
  existing: readonly EndpointSlice[];
  node(name: string): Node | undefined;
  maxEndpointsPerSlice: number;
  controllerName: string;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** Pods left out for now (their node is not known yet); the caller retries later. */
  problems: string[];
}

/** The address types the Service's endpoints use (upstream getAddressTypesForService, simplified). */
export function addressTypesFor(svc: Service): AddressType[] {
  const out: AddressType[] = [];
  for (const f of svc.spec?.ipFamilies ?? []) if ((f === 'IPv4' || f === 'IPv6') && !out.includes(f)) out.push(f);
  if (out.length > 0) return out;
  if (isServiceIPSet(svc)) return [isIPv6(svc.spec?.clusterIP ?? '') ? 'IPv6' : 'IPv4'];
  // Upstream assumes both families for a headless Service without ipFamilies (an API server
  // that predates dual-stack); ours always sets them when it allocates, so IPv4 is the safe guess
  // and avoids an empty IPv6 placeholder slice for every Service.
  return ['IPv4'];
}

// ---- endpoints ----

function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, type: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // Ready is never true for a terminating pod, unless publishNotReadyAddresses says publish anyway.
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPs(pod).filter((ip) => isIPv6(ip) === (type === 'IPv6')),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[LABEL_ZONE];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec?.hostname;
  return ep;
}

function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0 && svc.spec?.clusterIP === 'None') return out;
  for (const sp of ports) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** Identity of an endpoint across syncs (upstream hashEndpoint): addresses, hostname, target. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...(ep.addresses ?? [])].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** Upstream EndpointsEqualBeyondHash: node, zone, conditions and target (minus resourceVersion). */
function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const r = (e: Endpoint): string => JSON.stringify([e.targetRef?.kind ?? '', e.targetRef?.namespace ?? '', e.targetRef?.name ?? '', e.targetRef?.uid ?? '']);
  const c = (v: boolean | undefined): string => (v === undefined || v === null ? 'nil' : String(v));
  return (
    (a.nodeName ?? '') === (b.nodeName ?? '') &&
    (a.zone ?? '') === (b.zone ?? '') &&
    c(a.conditions?.ready) === c(b.conditions?.ready) &&
    c(a.conditions?.serving) === c(b.conditions?.serving) &&
    c(a.conditions?.terminating) === c(b.conditions?.terminating) &&
    r(a) === r(b)
  );
}

/** A canonical key of a port list (order-insensitive). */
export function portListKey(ports: readonly EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => JSON.stringify([p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? ''])).sort());
}

// ---- slices ----

function isOwnedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

function isReservedLabel(k: string): boolean {
  return k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS;
}

/** The labels a slice should carry, and whether the Service's own labels differ from the slice's. */
export function sliceLabels(slice: EndpointSlice | undefined, svc: Service, controllerName: string): { labels: Record<string, string>; changed: boolean } {
  const mine: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata?.labels ?? {})) if (!isReservedLabel(k)) mine[k] = v;
  const want: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!isReservedLabel(k)) want[k] = v;
  const km = Object.keys(mine);
  const changed = km.length !== Object.keys(want).length || km.some((k) => mine[k] !== want[k]);
  if (!isServiceIPSet(svc)) want[LABEL_HEADLESS] = '';
  want[LABEL_SERVICE_NAME] = svc.metadata?.name ?? '';
  want[LABEL_MANAGED_BY] = controllerName;
  // A headless flip changes a reserved label, which the comparison above skips; count it too.
  const headlessNow = Object.hasOwn(slice?.metadata?.labels ?? {}, LABEL_HEADLESS);
  return { labels: want, changed: changed || (slice !== undefined && headlessNow !== !isServiceIPSet(svc)) };
}

/** A slice name prefix: `<service>-` (the server adds a random suffix). */
function slicePrefix(svcName: string): string {
  return svcName.length + 1 <= 253 - 5 ? `${svcName}-` : svcName.slice(0, 247);
}

function newSlice(svc: Service, ports: EndpointPort[], type: AddressType, controllerName: string): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: slicePrefix(svc.metadata?.name ?? ''),
      namespace: svc.metadata?.namespace,
      labels: sliceLabels(undefined, svc, controllerName).labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata?.name ?? '', uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    addressType: type,
    endpoints: [],
    ports,
  };
}

function isPlaceholder(slice: EndpointSlice, svc: Service, controllerName: string): boolean {
  if ((slice.endpoints ?? []).length > 0 || (slice.ports ?? []).length > 0) return false;
  if (!isOwnedBy(slice, svc)) return false;
  const want = sliceLabels(undefined, svc, controllerName).labels;
  const have = slice.metadata?.labels ?? {};
  const kw = Object.keys(want);
  return kw.length === Object.keys(have).length && kw.every((k) => have[k] === want[k]);
}

interface Group {
  ports: EndpointPort[];
  /** endpointKey → endpoint, in pod-name order. */
  desired: Map<string, Endpoint>;
}

function reconcileByPortMapping(
  svc: Service,
  existing: readonly EndpointSlice[],
  group: Group,
  type: AddressType,
  max: number,
  controllerName: string,
): { create: EndpointSlice[]; update: EndpointSlice[]; delete: EndpointSlice[] } {
  const desired = new Map(group.desired);
  const byName = new Map<string, EndpointSlice>();
  const unchanged: string[] = [];
  const toUpdate = new Set<string>();
  const toDelete: EndpointSlice[] = [];

  // 1. Keep wanted endpoints (replaced by their desired version), drop the rest.
  for (const slice of existing) {
    const name = slice.metadata?.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let updated = false;
    for (const ep of slice.endpoints ?? []) {
      const k = endpointKey(ep);
      const want = desired.get(k);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) updated = true;
      desired.delete(k);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice, svc, controllerName);
    if (updated || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) {
        toDelete.push(slice);
      } else {
        byName.set(name, { ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      byName.set(name, { ...slice, metadata: { ...slice.metadata, labels } });
      toUpdate.add(name);
    } else {
      unchanged.push(name);
    }
  }

  const remaining = [...desired.values()];
  let next = 0;
  // 2. Fill the slices being updated anyway, fullest first.
  if (remaining.length > 0 && toUpdate.size > 0) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of slices) {
      const eps = [...(s.endpoints ?? [])];
      while (next < remaining.length && eps.length < max) eps.push(remaining[next++]!);
      byName.set(s.metadata?.name ?? '', { ...s, endpoints: eps });
    }
  }

  // 3. The rest: into the unchanged slice they fit best (if fewer than a slice's worth), else new ones.
  const create: EndpointSlice[] = [];
  while (next < remaining.length) {
    const left = remaining.length - next;
    let target: EndpointSlice | undefined;
    if (left < max && unchanged.length > 0) {
      let best = max;
      for (const n of unchanged) {
        const s = byName.get(n)!;
        const diff = max - (left + (s.endpoints?.length ?? 0));
        if (diff >= 0 && diff < best) {
          best = diff;
          target = s;
        }
      }
    }
    const slice = target ? { ...target, endpoints: [...(target.endpoints ?? [])] } : newSlice(svc, group.ports, type, controllerName);
    const eps = slice.endpoints ?? [];
    while (next < remaining.length && eps.length < max) eps.push(remaining[next++]!);
    slice.endpoints = eps;
    const name = slice.metadata?.name;
    if (name) {
      byName.set(name, slice);
      toUpdate.add(name);
      unchanged.splice(unchanged.indexOf(name), 1);
    } else {
      create.push(slice);
    }
  }
  return { create, update: [...toUpdate].map((n) => byName.get(n)!), delete: toDelete };
}

/** Computes the writes that make the Service's slices match its pods. */
export function reconcileSlices(input: ReconcileInput): SlicePlan {
  const { service: svc, controllerName } = input;
  const plan: SlicePlan = { create: [], update: [], delete: [], problems: [] };
  const types = addressTypesFor(svc);
  const byType = new Map<AddressType, EndpointSlice[]>();
  for (const s of input.existing) {
    const t = s.addressType as AddressType;
    if (!types.includes(t)) {
      plan.delete.push(s);
      continue;
    }
    const list = byType.get(t) ?? [];
    list.push(s);
    byType.set(t, list);
  }
  const pods = [...input.pods].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const type of types) {
    const existing = byType.get(type) ?? [];
    const create: EndpointSlice[] = [];
    const update: EndpointSlice[] = [];
    const del: EndpointSlice[] = [];
    const existingByPorts = new Map<string, EndpointSlice[]>();
    for (const s of existing) {
      if (!isOwnedBy(s, svc)) {
        del.push(s);
        continue;
      }
      const k = portListKey(s.ports);
      existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
    }
    const groups = new Map<string, Group>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = endpointPorts(svc, pod);
      const k = portListKey(ports);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { ports, desired: new Map() }));
      const nodeName = pod.spec?.nodeName ?? '';
      const node = nodeName ? input.node(nodeName) : undefined;
      if (!node && svc.spec?.publishNotReadyAddresses !== true) {
        // Upstream leaves such a pod out and retries: its Node may not be in the cache yet.
        plan.problems.push(`skipping pod ${pod.metadata?.name} for service ${svc.metadata?.namespace}/${svc.metadata?.name}: node ${JSON.stringify(nodeName)} not found`);
        continue;
      }
      const ep = podToEndpoint(pod, node, svc, type);
      if ((ep.addresses ?? []).length > 0) g.desired.set(endpointKey(ep), ep);
    }
    for (const [k, g] of groups) {
      const r = reconcileByPortMapping(svc, existingByPorts.get(k) ?? [], g, type, input.maxEndpointsPerSlice, controllerName);
      create.push(...r.create);
      update.push(...r.update);
      del.push(...r.delete);
    }
    for (const [k, slices] of existingByPorts) if (!groups.has(k)) del.push(...slices);

    // No endpoints at all: one empty placeholder slice (kept if it is already there).
    if (existing.length === del.length && create.length === 0) {
      const only = del.length === 1 ? del[0] : undefined;
      if (only && isPlaceholder(only, svc, controllerName)) del.length = 0;
      else create.push(newSlice(svc, [], type, controllerName));
    }

    // Turn creates into updates of slices about to be deleted (same type, same owner).
    for (let i = 0; i < del.length && create.length > 0; ) {
      const doomed = del[i]!;
      if (doomed.addressType === type && isOwnedBy(doomed, svc)) {
        const c = create.pop()!;
        const { generateName: _g, ...meta } = c.metadata ?? {};
        update.push({ ...c, metadata: { ...doomed.metadata, ...meta, name: doomed.metadata?.name } });
        del.splice(i, 1);
      } else {
        i++;
      }
    }
    plan.create.push(...create);
    plan.update.push(...update);
    plan.delete.push(...del);
  }
  return plan;
}
