// Defaults of the node lifecycle controller, in one place, with the kube-controller-manager flag
// each stands for. `ctx.options` (from our flags) overrides any of them by the same name.

export const nodeLifecycleDefaults = {
  /** --node-monitor-period: how often node health is checked. */
  nodeMonitorPeriodMs: 5_000,
  /** --node-monitor-grace-period: a node silent (no Lease renewal, no Ready heartbeat) this long becomes Unknown. */
  nodeMonitorGracePeriodMs: 40_000,
  /** --node-startup-grace-period: the same, for a node that never posted a Ready condition. */
  nodeStartupGracePeriodMs: 60_000,
  /** --node-eviction-rate: nodes per second per zone that may get a NoExecute taint (a healthy zone). */
  nodeEvictionRate: 0.1,
  /** --secondary-node-eviction-rate: the same, for a partially disrupted zone of a large cluster. */
  secondaryNodeEvictionRate: 0.01,
  /** --large-cluster-size-threshold: zones with at most this many nodes stop tainting when partially disrupted. */
  largeClusterSizeThreshold: 50,
  /** --unhealthy-zone-threshold: share of not-Ready nodes (with at least 3) that makes a zone partially disrupted. */
  unhealthyZoneThreshold: 0.55,
  /** How often the per-zone tainting queues are tried (upstream NodeEvictionPeriod). */
  nodeEvictionPeriodMs: 100,
  /** Token bucket burst of the per-zone tainting limiters (upstream EvictionRateLimiterBurst). */
  evictionRateLimiterBurst: 1,
  /** Tries of a node status write, re-reading the node between them (upstream NodeHealthUpdateRetry). */
  nodeHealthUpdateRetry: 5,
  /** Tries of a taint-manager pod deletion. */
  podDeletionRetries: 5,
} as const;

export type NodeLifecycleOptions = { -readonly [K in keyof typeof nodeLifecycleDefaults]: number };

/** The defaults overridden by whatever numeric options the controller manager passed. */
export function resolveNodeLifecycleOptions(options: Readonly<Record<string, number | string | boolean>>): NodeLifecycleOptions {
  const out = { ...nodeLifecycleDefaults } as NodeLifecycleOptions;
  for (const k of Object.keys(out) as (keyof NodeLifecycleOptions)[]) {
    const v = options[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
    else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) && Number(v) >= 0) out[k] = Number(v);
  }
  return out;
}
