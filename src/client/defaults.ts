// Defaults of the client side (REST client, informers, work queues, leader election), in one
// place. The values follow client-go's so that our components behave like upstream ones.

export const restDefaults = {
  /** Per-request timeout for everything but watches (a watch lasts until the server ends it). */
  requestTimeoutMs: 30_000,
  /** Tries per request that may be retried (429 always; 5xx and transport errors for idempotent verbs). */
  maxAttempts: 5,
  /** First retry delay; doubles per attempt, with jitter, up to retryMaxMs. */
  retryBaseMs: 100,
  retryMaxMs: 5_000,
  /** A server's Retry-After is honoured up to this. */
  retryAfterMaxMs: 10_000,
  /** Sockets kept per host by the keep-alive agent. */
  maxSockets: 256,
  /** Component named in the User-Agent when the caller gives none. */
  component: 'client',
} as const;

export const informerDefaults = {
  /** Page size of the initial list and of relists (client-go's reflector: 500). */
  pageSize: 500,
  /** Watches ask the server to end them after a random time in [min, 2·min), as client-go (5 min). */
  watchTimeoutSeconds: 300,
  /** Back-off after a failed list or watch: doubles up to the max. */
  backoffInitialMs: 800,
  backoffMaxMs: 30_000,
  /** A watch that ends sooner than this without any event counts as a failure (backs off). */
  minWatchMs: 1_000,
} as const;

export const workQueueDefaults = {
  /** client-go's DefaultControllerRateLimiter: per-item 5 ms doubling to 1000 s ... */
  baseDelayMs: 5,
  maxDelayMs: 1000 * 1000,
  /** ... combined with an overall token bucket of 10 qps, burst 100. */
  qps: 10,
  burst: 100,
} as const;

export const leaderElectionDefaults = {
  namespace: 'kube-system',
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
  /** Retries are spread by up to this fraction of retryPeriod (client-go's JitterFactor). */
  jitterFactor: 1.2,
} as const;
