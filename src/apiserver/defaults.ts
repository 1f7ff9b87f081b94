// Defaults of the API server, in one place (printed by `capstan server --help`).

export const apiserverDefaults = {
  /** Kubernetes' secure port; Capstan serves plain HTTP on loopback until TLS lands. */
  port: 6443,
  /** A laptop cluster exposes nothing by default. */
  host: '127.0.0.1',
  /** Request bodies above this are refused with 413, as upstream (3 MiB). */
  maxBodyBytes: 3 * 1024 * 1024,
  /** A watch without timeoutSeconds ends after between this and twice this (upstream: 30 min). */
  watchTimeoutMs: 30 * 60_000,
  /** Interval of BOOKMARK events for watchers that allow them. */
  bookmarkIntervalMs: 60_000,
  /** Recent events each resource's watch cache keeps for watchers that start in the past. */
  watchCacheWindow: 2_000,
  /** Events one watcher may lag behind before it is ended with 410 (the client relists). */
  watchSubscriberBuffer: 10_000,
  /** The kubelet port used when a node reports none (upstream --kubelet-port). */
  kubeletPort: 10250,
  /** Which node address reaches its kubelet, first match wins (upstream --kubelet-preferred-address-types). */
  // InternalIP first, as k3s configures it (upstream's default puts Hostname first): a node name
  // need not resolve (`capstan up --nodes 3` names them host-1..3), and the address the kubelet
  // reports is the one it serves on.
  kubeletPreferredAddressTypes: ['InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS'],
  /** How long connecting (TCP + TLS) to a kubelet may take (Go's default dialer: 30 s). */
  kubeletDialTimeoutMs: 30_000,
  /** Where Services' cluster IPs come from (k3s's default; the `kubernetes` Service gets .1). */
  serviceCidr: '10.43.0.0/16',
  /** Node ports of NodePort and LoadBalancer Services (upstream --service-node-port-range). */
  nodePortRange: '30000-32767',
} as const;
