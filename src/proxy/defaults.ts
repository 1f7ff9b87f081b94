// Defaults of the service proxy, in one place. `startProxy` options of the same name override them.
export const proxyDefaults = {
  /** Where Services get their ClusterIPs (the API server's --service-cluster-ip-range). */
  serviceCidr: '10.43.0.0/16',
  /** Where pods get their addresses (every node's pod CIDR is a /24 of it). */
  clusterCidr: '10.42.0.0/16',
  /** Interface names of the nodes' pod bridges start with this (the kubelet's `cbr<node key>`). */
  bridgePrefix: 'cbr',
  /** NodePorts are allocated from here (informational: the proxy serves whatever a Service has). */
  nodePortRange: '30000-32767',
  /** Changes seen within this long of each other are programmed as one batch. */
  syncDelayMs: 10,
  /** After a failed sync, retry (as a full resync) after this long, doubling up to the max. */
  retryInitialMs: 500,
  retryMaxMs: 30_000,
  /** nftables: how often to check that our table still exists (re-created by a full resync if not). */
  tableCheckPeriodMs: 60_000,
  /** nftables: how often to look for new pod bridges (route_localnet for loopback NodePorts). */
  bridgePollMs: 2_000,
  /** nftables: the service CIDR gets a blackhole route, so untranslated packets never leave. */
  blackholeServiceCidr: true,
  /** nftables: turn on net.ipv4.ip_forward if it is off (pod → Service → pod is forwarded by the host). */
  enableForwarding: true,
  /** nftables: host-originated traffic to the service CIDR is routed by this table (see host_settings.ts). */
  hostRouteTable: 4243,
  hostRulePriority: 30043,
  /** nftables: shared state of every proxy on this machine (which settings to restore, who holds them). */
  stateDir: '/run/capstan/proxy',
  /** userspace: how long a connect to one endpoint may take before the next is tried. */
  connectTimeoutMs: 3_000,
  /** userspace: a UDP flow (client address ↔ endpoint) is forgotten after this long without traffic. */
  udpIdleTimeoutMs: 30_000,
  /** userspace: how often listeners that failed to bind (address in use) are tried again. */
  bindRetryMs: 5_000,
} as const;
