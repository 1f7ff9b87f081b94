// Defaults of the cluster DNS server, in one place. The values are CoreDNS's (its kubernetes and
// forward plugins and its server), so that pods see the answers and timings they would see in a
// kubeadm cluster.

export const dnsDefaults = {
  /** The cluster domain (kubelet --cluster-domain). */
  domain: 'cluster.local',
  /** TTL of every record the kubernetes plugin makes (its `ttl` option defaults to 5 s). */
  ttl: 5,
  /** The SOA's TTL is min(ttl, this). */
  soaMaxTtl: 300,
  /** TTL of the `dns-version.<domain>` TXT record. */
  versionTtl: 28_800,
  /** The schema version of the Kubernetes DNS specification that we implement. */
  schemaVersion: '1.1.0',
  /** Pod records: `insecure` answers any well-formed `a-b-c-d.<ns>.pod.<domain>` (CoreDNS `pods insecure`). */
  podMode: 'insecure' as const,
  /** The Service whose addresses the NS records of the zone name (CoreDNS finds its own Service; we name it). */
  nameserverService: { namespace: 'kube-system', name: 'kube-dns' },
  /** Upstream resolvers, when the caller names none. */
  resolvConf: '/etc/resolv.conf',
  upstreamPort: 53,
  /** One upstream attempt (UDP, or TCP after a truncated answer). */
  upstreamAttemptMs: 2_000,
  /** All attempts of one forwarded query (the forward plugin's 5 s). */
  upstreamDeadlineMs: 5_000,
  /** How long start waits for the informers before it serves anyway (CoreDNS waits 5 s too). */
  syncTimeoutMs: 5_000,
  /** A TCP connection without a query for this long is closed. */
  tcpIdleMs: 10_000,
  /** UDP answers larger than max(this, the client's EDNS size) are truncated. */
  minUdpSize: 512,
  /** Longest chain of in-zone CNAMEs (ExternalName → ExternalName → …) followed. */
  maxCnameChain: 10,
} as const;

export type PodMode = 'insecure' | 'verified' | 'disabled';
