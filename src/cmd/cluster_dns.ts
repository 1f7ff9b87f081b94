// The cluster DNS as `capstan server` runs it: the DNS server (src/dns) on a loopback port, and
// the `kube-system/kube-dns` Service (selector-less, the 10th address of the service CIDR, 53/UDP
// and 53/TCP) with an EndpointSlice naming that port, as a kubeadm or k3s cluster has them; the
// node proxy carries pods' queries from the service address to it.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isApiError } from '../api/errors.js';
import type { ClientSource } from '../client/resource_client.js';
import { isNotFound, resourceRef } from '../client/resource_client.js';
import { startClusterDns } from '../dns/server.js';
import { numberToIpv4, parseIPv4Cidr } from '../api/ipv4.js';

export interface ServerDnsOptions {
  client: ClientSource;
  /** The service CIDR; the DNS address is its 10th address. */
  serviceCidr: string;
  domain: string;
  /** Loopback port for the DNS (0 picks one). */
  port: number;
  /** Upstream resolvers for names outside the cluster; undefined: the host's; []: none. */
  upstream?: Array<{ host: string; port: number }>;
  log: (msg: string) => void;
}

export interface ServerDns {
  /** The service address pods use (e.g. 10.43.0.10). */
  clusterIp: string;
  /** Where it is served (127.0.0.1 and the port). */
  listening: ReadonlyArray<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** The n-th address of an IPv4 CIDR (10.43.0.0/16, 10 → 10.43.0.10). */
export function nthAddress(cidr: string, n: number): string {
  const c = parseIPv4Cidr(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  return numberToIpv4(c.base + n);
}

export async function startServerDns(o: ServerDnsOptions): Promise<ServerDns> {
  const clusterIp = nthAddress(o.serviceCidr, 10);
  const dns = await startClusterDns({ client: o.client, listen: [{ host: '127.0.0.1', port: o.port }], domain: o.domain, upstream: o.upstream, log: (m) => o.log(`dns: ${m}`) });
  const port = dns.ports[0]!.port;
  try {
    await publish(o.client, clusterIp, port);
  } catch (err) {
    await dns.stop();
    throw err;
  }
  o.log(`dns ready at 127.0.0.1:${port} (kube-system/kube-dns ${clusterIp}:53)`);
  return { clusterIp, listening: dns.ports, stop: () => dns.stop() };
}

/**
 * The kube-dns Service and its EndpointSlice: 53/UDP and 53/TCP on the service address, served by
 * 127.0.0.1:<port> of the server's host. The node's proxy translates the one to the other (pods'
 * packets to a loopback endpoint are allowed on the pod bridges for this), so nothing needs port
 * 53 or an extra host address, and two clusters on one machine never meet. Rewritten at each start,
 * since the port may change.
 */
async function publish(client: ClientSource, clusterIp: string, port: number): Promise<void> {
  const services = client.resource<Service>(resourceRef('', 'v1', 'services'));
  const slices = client.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ];
  const labels = { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS', 'kubernetes.io/cluster-service': 'true' };
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
    spec: { clusterIP: clusterIp, clusterIPs: [clusterIp], ports: ports.map((p) => ({ ...p, targetPort: port })) },
  };
  // Looked up first: creating it again would be refused for its address (allocated to itself)
  // before the name is checked, as upstream orders it.
  const existing = await services.get('kube-system', 'kube-dns').catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (existing) await services.patch('kube-system', 'kube-dns', 'merge', { spec: { ports: svc.spec!.ports } });
  else await services.create('kube-system', svc);
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kube-dns-capstan', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'cluster-dns.capstan.io' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false } }],
    ports: ports.map((p) => ({ name: p.name, port, protocol: p.protocol })),
  };
  try {
    await slices.create('kube-system', slice);
  } catch (err) {
    if (!(isApiError(err) && err.code === 409)) throw err;
    const old = await slices.get('kube-system', 'kube-dns-capstan');
    await slices.update('kube-system', { ...slice, metadata: { ...slice.metadata, resourceVersion: old.metadata?.resourceVersion } });
  }
}
