// The cluster as the DNS server sees it: namespaces, Services, the ready endpoints of each Service
// and (in `pods verified` mode) pod addresses, reduced to what answers need and kept in maps
// keyed the way queries arrive (`ns/name`, canonical IP). Queries only read these maps, so an
// answer costs a few lookups and no API call.
//
// The index is a derived view: cluster_watch.ts recomputes an entry from the informer cache
// whenever an object behind it changes (level-triggered), and never patches it with deltas.
// Conversions from API objects live here too, and reproduce CoreDNS's object conversions: a
// Service's clusterIPs (falling back to clusterIP), headless meaning the first is `None`, no
// ports read as one port -1 (A records, no SRV); only ready endpoints (ready unset counts as
// ready) of an EndpointSlice, each slice keeping its own port list.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { canonicalIp, dashedIp } from './names.js';

export interface PortInfo {
  /** Lower case; '' for an unnamed port. */
  name: string;
  /** Lower case (`tcp`, `udp`, `sctp`); '' for the no-port sentinel. */
  protocol: string;
  /** -1: the sentinel of an object without ports (A records, no SRV). */
  port: number;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  type: string;
  headless: boolean;
  /** Canonical addresses (empty strings and `None` dropped). */
  clusterIPs: string[];
  /** ExternalName target without a trailing dot ('' for other types). */
  externalName: string;
  ports: PortInfo[];
}

export interface EndpointAddress {
  /** Canonical. */
  ip: string;
  /** spec.hostname of the endpoint ('' if none). */
  hostname: string;
  /** The name an endpoint is known by under its Service: hostname, else the dashed IP. */
  label: string;
}

/** The ready addresses of one EndpointSlice with that slice's ports. */
export interface EndpointGroup {
  addresses: EndpointAddress[];
  ports: PortInfo[];
}

export interface EndpointRef {
  namespace: string;
  service: string;
  address: EndpointAddress;
}

const NO_PORTS: readonly PortInfo[] = Object.freeze([{ name: '', protocol: '', port: -1 }]);

/** The Service label EndpointSlices carry (discovery.k8s.io/v1 LabelServiceName). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function serviceInfo(svc: Service): ServiceInfo {
  const spec = svc.spec ?? {};
  const raw = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  const headless = raw[0] === 'None';
  const clusterIPs: string[] = [];
  if (!headless) {
    for (const ip of raw) {
      const c = canonicalIp(ip);
      if (c) clusterIPs.push(c);
    }
  }
  const ports = (spec.ports ?? []).map((p) => ({ name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port }));
  return {
    namespace: svc.metadata?.namespace ?? '',
    name: svc.metadata?.name ?? '',
    type: spec.type ?? 'ClusterIP',
    headless,
    clusterIPs,
    externalName: (spec.externalName ?? '').replace(/\.$/, ''),
    ports: ports.length > 0 ? ports : [...NO_PORTS],
  };
}

/** The Service key (`ns/name`) an EndpointSlice belongs to, or undefined without the label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? `${slice.metadata?.namespace ?? ''}/${svc}` : undefined;
}

/** The ready addresses of a slice; undefined for FQDN slices (they hold names, not addresses). */
export function endpointGroup(slice: EndpointSlice): EndpointGroup | undefined {
  if (slice.addressType === 'FQDN') return undefined;
  const ports: PortInfo[] = (slice.ports ?? []).map((p) => ({
    name: (p.name ?? '').toLowerCase(),
    protocol: (p.protocol ?? '').toLowerCase(),
    port: p.port ?? -1,
  }));
  const addresses: EndpointAddress[] = [];
  for (const ep of slice.endpoints ?? []) {
    // Per the API, an unknown (unset) readiness is to be read as ready.
    if (ep.conditions?.ready === false) continue;
    const hostname = ep.hostname ?? '';
    for (const a of ep.addresses ?? []) {
      const ip = canonicalIp(a);
      if (!ip) continue;
      addresses.push({ ip, hostname, label: (hostname || dashedIp(ip)).toLowerCase() });
    }
  }
  return { addresses, ports: ports.length > 0 ? ports : [...NO_PORTS] };
}

/** A pod's addresses for `pods verified`; undefined while it terminates (CoreDNS ignores those). */
export function podAddresses(pod: Pod): string[] | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined;
  const ips = new Set<string>();
  for (const p of pod.status?.podIPs ?? []) {
    const c = canonicalIp(p.ip ?? '');
    if (c) ips.add(c);
  }
  const primary = canonicalIp(pod.status?.podIP ?? '');
  if (primary) ips.add(primary);
  return [...ips];
}

function addTo<V>(map: Map<string, V[]>, key: string, v: V): void {
  const list = map.get(key);
  if (list) list.push(v);
  else map.set(key, [v]);
}

function removeFrom<V>(map: Map<string, V[]>, key: string, pred: (v: V) => boolean): void {
  const list = map.get(key);
  if (!list) return;
  const kept = list.filter((v) => !pred(v));
  if (kept.length === 0) map.delete(key);
  else map.set(key, kept);
}

export class ClusterIndex {
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, ServiceInfo>();
  private readonly endpointsBySvc = new Map<string, EndpointGroup[]>();
  /** Canonical ClusterIP → Service keys, in the order they appeared. */
  private readonly svcByIp = new Map<string, string[]>();
  /** Canonical endpoint IP → where it is an endpoint. */
  private readonly epByIp = new Map<string, EndpointRef[]>();
  /** Canonical pod IP → pods (`ns/name`) with it. */
  private readonly podsByIp = new Map<string, string[]>();
  private readonly podIps = new Map<string, string[]>();
  /** Unix seconds of the last change: the SOA serial, as CoreDNS gives it. */
  modified = Math.floor(Date.now() / 1000);

  private touch(): void {
    this.modified = Math.floor(Date.now() / 1000);
  }

  // ---- writes (cluster_watch.ts) ----

  setNamespace(name: string, exists: boolean): void {
    if (exists === this.namespaces.has(name)) return;
    if (exists) this.namespaces.add(name);
    else this.namespaces.delete(name);
    this.touch();
  }

  setService(key: string, info: ServiceInfo | undefined): void {
    const old = this.services.get(key);
    if (old) for (const ip of old.clusterIPs) removeFrom(this.svcByIp, ip, (k) => k === key);
    if (info) {
      this.services.set(key, info);
      for (const ip of info.clusterIPs) addTo(this.svcByIp, ip, key);
    } else this.services.delete(key);
    this.touch();
  }

  setEndpoints(key: string, groups: EndpointGroup[]): void {
    const old = this.endpointsBySvc.get(key);
    if (old) {
      for (const g of old) for (const a of g.addresses) removeFrom(this.epByIp, a.ip, (r) => r.address === a);
    }
    if (groups.length > 0) {
      this.endpointsBySvc.set(key, groups);
      const i = key.indexOf('/');
      const namespace = key.slice(0, i);
      const service = key.slice(i + 1);
      for (const g of groups) for (const a of g.addresses) addTo(this.epByIp, a.ip, { namespace, service, address: a });
    } else this.endpointsBySvc.delete(key);
    this.touch();
  }

  setPod(key: string, ips: string[] | undefined): void {
    for (const ip of this.podIps.get(key) ?? []) removeFrom(this.podsByIp, ip, (k) => k === key);
    if (ips && ips.length > 0) {
      this.podIps.set(key, ips);
      for (const ip of ips) addTo(this.podsByIp, ip, key);
    } else this.podIps.delete(key);
    this.touch();
  }

  // ---- reads (the resolver) ----

  namespaceExists(name: string): boolean {
    return this.namespaces.has(name);
  }

  service(namespace: string, name: string): ServiceInfo | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  /** The ready endpoints of a Service, one group per EndpointSlice. */
  endpoints(namespace: string, name: string): readonly EndpointGroup[] {
    return this.endpointsBySvc.get(`${namespace}/${name}`) ?? [];
  }

  /** Services with this ClusterIP (canonical), first created first. */
  servicesByIp(ip: string): ServiceInfo[] {
    const out: ServiceInfo[] = [];
    for (const k of this.svcByIp.get(ip) ?? []) {
      const s = this.services.get(k);
      if (s) out.push(s);
    }
    return out;
  }

  endpointsByIp(ip: string): readonly EndpointRef[] {
    return this.epByIp.get(ip) ?? [];
  }

  /** Namespaces of pods with this address (canonical). */
  podNamespacesByIp(ip: string): string[] {
    return (this.podsByIp.get(ip) ?? []).map((k) => k.slice(0, k.indexOf('/')));
  }
}
