// Scheduler defaults, in one place (upstream values).

/** First backoff after a failed attempt; doubles per attempt. */
export const POD_INITIAL_BACKOFF_MS = 1_000;
/** Backoff ceiling. */
export const POD_MAX_BACKOFF_MS = 10_000;
/** Pods parked as unschedulable longer than this are retried even without a relevant event. */
export const POD_MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;
/** How often the parked pods are checked against POD_MAX_IN_UNSCHEDULABLE_MS. */
export const UNSCHEDULABLE_FLUSH_INTERVAL_MS = 30_000;
/** Assumed pods whose binding finished but that the informer never confirmed expire after this. */
export const ASSUMED_POD_TTL_MS = 15 * 60_000;
/** How often expired assumed pods are cleaned up. */
export const CACHE_CLEANUP_INTERVAL_MS = 1_000;
