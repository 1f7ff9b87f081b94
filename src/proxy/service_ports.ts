// What the proxy programs, independent of how: one ServicePortInfo per port of a Service, with
// the addresses traffic arrives on (ClusterIP:port, NodePort, LoadBalancer ingress and external
// IPs) and the endpoints from the Service's EndpointSlices. Both backends (nftables.ts and
// userspace.ts) consume this and nothing else, so the Kubernetes rules live here once:
//
//  - EndpointSlices belong to a Service by the `kubernetes.io/service-name` label; only IPv4
//    slices count. A Service port matches a slice port by name and protocol; the endpoint's
//    target port is the slice port's number (it can differ between slices: named target ports).
//  - `conditions.ready` absent means ready; `serving` absent means the same as ready.
//  - Traffic goes to ready endpoints; when there are none, to serving-and-terminating ones
//    (upstream ProxyTerminatingEndpoints), so a rolling update drains instead of refusing.
//  - internalTrafficPolicy / externalTrafficPolicy Local restrict ClusterIP / NodePort and
//    LoadBalancer traffic to endpoints on this node.
//  - ExternalName Services, headless ones (no ClusterIP, no NodePort) and Services labelled
//    `service.kubernetes.io/service-proxy-name` (another proxy's) get nothing.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { parseIPv4Cidr } from '../api/ipv4.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface ServicePortInfo {
  /** `namespace/name/portName` (portName '' for a Service's one unnamed port). */
  key: string;
  /** `namespace/name` of the Service. */
  service: string;
  portName: string;
  protocol: Protocol;
  /** The Service's IPv4 ClusterIP; absent for headless Services. */
  clusterIP?: string;
  port: number;
  nodePort?: number;
  /** status.loadBalancer.ingress[].ip whose ipMode is VIP (or unset): traffic to ip:port. */
  loadBalancerIPs: string[];
  /** spec.externalIPs: traffic to ip:port, as for load-balancer addresses. */
  externalIPs: string[];
  /** sessionAffinity ClientIP's timeout in seconds; 0 without affinity. */
  affinitySeconds: number;
  internalLocal: boolean;
  externalLocal: boolean;
  /** Every IPv4 endpoint of this port, one per ip:port, sorted. */
  endpoints: Endpoint[];
}

/** The `namespace/name` of the Service an EndpointSlice belongs to, if any. */
export function sliceServiceKey(s: EndpointSlice): string | undefined {
  const name = s.metadata?.labels?.[LABEL_SERVICE_NAME];
  return name ? `${s.metadata?.namespace ?? ''}/${name}` : undefined;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(s: string | undefined): s is string {
  const m = s ? IPV4.exec(s) : null;
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

function protocolOf(p: string | undefined): Protocol | undefined {
  const v = p ?? 'TCP';
  return v === 'TCP' || v === 'UDP' || v === 'SCTP' ? v : undefined;
}

/** The ports of a Service the proxy serves, with their endpoints from `slices` (any order). */
export function servicePortsOf(svc: Service, slices: readonly EndpointSlice[]): ServicePortInfo[] {
  const spec = svc.spec;
  const ns = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  if (!spec || spec.type === 'ExternalName' || svc.metadata?.labels?.[LABEL_SERVICE_PROXY_NAME] !== undefined) return [];
  const clusterIP = isIPv4(spec.clusterIP) ? spec.clusterIP : undefined;
  const isLB = spec.type === 'LoadBalancer';
  const loadBalancerIPs = isLB
    ? unique((svc.status?.loadBalancer?.ingress ?? []).filter((i) => (i.ipMode ?? 'VIP') === 'VIP' && isIPv4(i.ip)).map((i) => i.ip!))
    : [];
  const externalIPs = unique((spec.externalIPs ?? []).filter(isIPv4));
  const affinitySeconds = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0;
  const usable = slices.filter((s) => s.addressType === 'IPv4');
  const out: ServicePortInfo[] = [];
  for (const sp of spec.ports ?? []) {
    const protocol = protocolOf(sp.protocol);
    if (!protocol || !sp.port) continue;
    const portName = sp.name ?? '';
    const nodePort = spec.type === 'NodePort' || isLB ? sp.nodePort || undefined : undefined;
    if (!clusterIP && !nodePort && loadBalancerIPs.length === 0 && externalIPs.length === 0) continue;
    out.push({
      key: `${ns}/${name}/${portName}`,
      service: `${ns}/${name}`,
      portName,
      protocol,
      clusterIP,
      port: sp.port,
      nodePort,
      loadBalancerIPs,
      externalIPs,
      affinitySeconds,
      internalLocal: spec.internalTrafficPolicy === 'Local',
      externalLocal: spec.externalTrafficPolicy === 'Local',
      endpoints: endpointsFor(usable, portName, protocol),
    });
  }
  return out;
}

function endpointsFor(slices: readonly EndpointSlice[], portName: string, protocol: Protocol): Endpoint[] {
  const byAddr = new Map<string, Endpoint>();
  for (const s of slices) {
    const sp = (s.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol);
    const port = sp?.port;
    if (!port) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!isIPv4(ip)) continue;
      const ready = e.conditions?.ready ?? true;
      const ep: Endpoint = {
        ip,
        port,
        nodeName: e.nodeName ?? undefined,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
      };
      const k = `${ip}:${port}`;
      const prev = byAddr.get(k);
      // The same endpoint in two slices (a move in progress): the readier copy wins.
      if (!prev || (!prev.ready && ep.ready) || (!prev.serving && ep.serving)) byAddr.set(k, ep);
    }
  }
  return [...byAddr.values()].sort(compareEndpoints);
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return a.ip === b.ip ? a.port - b.port : ipNumber(a.ip) - ipNumber(b.ip);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Endpoints for traffic of one policy: ready ones, else serving-and-terminating ones. */
function pick(endpoints: readonly Endpoint[], localOnly: boolean, nodeName: string): Endpoint[] {
  const eligible = localOnly ? endpoints.filter((e) => e.nodeName === nodeName) : endpoints;
  const ready = eligible.filter((e) => e.ready);
  return ready.length > 0 ? ready : eligible.filter((e) => e.serving && e.terminating);
}

/** Where ClusterIP traffic goes. */
export function clusterTargets(p: ServicePortInfo, nodeName: string): Endpoint[] {
  return pick(p.endpoints, p.internalLocal, nodeName);
}

/** Where NodePort, load-balancer and external-IP traffic goes. */
export function externalTargets(p: ServicePortInfo, nodeName: string): Endpoint[] {
  return pick(p.endpoints, p.externalLocal, nodeName);
}

// ---- IPv4 helpers ----

export function ipNumber(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}


/** A parsed IPv4 CIDR: first address (as a number) and prefix length. Throws on a bad one. */
export function parseCidr(cidr: string): { base: number; bits: number; size: number } {
  const c = parseIPv4Cidr(cidr);
  if (!c) throw new Error(`invalid IPv4 CIDR "${cidr}"`);
  return { base: c.base, bits: c.bits, size: c.size };
}

export function cidrContains(cidr: string, ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const { base, size } = parseCidr(cidr);
  const n = ipNumber(ip);
  return n >= base && n < base + size;
}
