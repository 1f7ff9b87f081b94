// The kubelet's defaults in one place (printed by `capstan agent --help`).
export const kubeletDefaults = {
  /** The kubelet's HTTPS port (logs, exec, port-forward, stats), as upstream. */
  port: 10250,
  /** Node Lease renewal and its duration (upstream: 10 s, 40 s). */
  leaseRenewMs: 10_000,
  leaseDurationSeconds: 40,
  /** Full node status report even without a change. */
  statusReportMs: 60_000,
  /** How often the node's conditions and capacity are re-checked for a change. */
  statusCheckMs: 10_000,
  /** Each pod is synced at least this often. */
  podResyncMs: 10_000,
  /** Retry interval while a ConfigMap, Secret or sandbox is missing. */
  configRetryMs: 2_000,
  /** Restart back-off: immediately the first time, then 10 s doubling to 5 min. */
  backoffInitialMs: 10_000,
  backoffMaxMs: 300_000,
  /** A container that ran this long resets its back-off. */
  backoffResetMs: 600_000,
  /** After a preStop hook used the grace period, containers still get this long to stop. */
  minStopGraceSeconds: 2,
  maxPods: 110,
  /** Node and pod address ranges (the networking issue allocates per-node pod CIDRs). */
  clusterCidr: '10.42.0.0/16',
} as const;
