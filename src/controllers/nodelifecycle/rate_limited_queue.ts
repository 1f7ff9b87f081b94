// The per-zone rate limit on NoExecute tainting (upstream scheduler.RateLimitedTimedQueue with a
// flowcontrol token bucket). Evictions themselves are not rate-limited upstream: the taint
// eviction manager deletes pods as soon as their tolerations run out. What is limited is how fast
// the node lifecycle controller *adds* the not-ready/unreachable NoExecute taints, zone by zone,
// so that a zone-wide outage does not empty the zone in one go:
//  - a healthy zone taints at most `nodeEvictionRate` nodes per second (0.1: one every 10 s),
//    burst 1;
//  - a partially disrupted zone (≥ 55 % of ≥ 3 nodes not Ready) slows to
//    `secondaryNodeEvictionRate` if it has more than `largeClusterSizeThreshold` nodes, and stops
//    otherwise;
//  - a fully disrupted zone taints at the normal rate, unless every zone is fully disrupted, in
//    which case tainting stops altogether (and existing taints are lifted) because the likelier
//    cause is the control plane's own connectivity.
// Time comes from the injected clock (ms).

/** A token bucket (golang.org/x/time/rate semantics for TryAccept); qps 0 never accepts. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    readonly qps: number,
    private readonly burst: number,
    private readonly now: () => number,
    startFull = true,
  ) {
    this.tokens = startFull ? burst : 0;
    this.last = now();
  }
  private refill(): void {
    const t = this.now();
    if (this.qps > 0) this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
  }
  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
  /** True when a token is available now (without taking it). */
  hasToken(): boolean {
    if (this.qps <= 0) return false;
    this.refill();
    return this.tokens >= 1;
  }
}

export interface TimedValue {
  value: string;
  uid: string;
  addedAt: number;
  processAt: number;
}

/**
 * A de-duplicated queue of node names processed in `processAt` order under a token bucket. A name
 * stays "known" after it was processed successfully until remove() (upstream UniqueQueue), so
 * add() of a node already handled is a no-op until the controller forgets it.
 */
export class RateLimitedTimedQueue {
  private readonly queue = new Map<string, TimedValue>();
  private readonly known = new Set<string>();
  private limiter: TokenBucket;

  constructor(
    qps: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.limiter = new TokenBucket(qps, burst, now);
  }

  get qps(): number {
    return this.limiter.qps;
  }

  /** Queues `value` unless it is known already; true if it was added. */
  add(value: string, uid: string): boolean {
    if (this.known.has(value)) return false;
    const t = this.now();
    this.known.add(value);
    this.queue.set(value, { value, uid, addedAt: t, processAt: t });
    return true;
  }

  /** Forgets `value` (queued or processed); true if it was known. */
  remove(value: string): boolean {
    this.queue.delete(value);
    return this.known.delete(value);
  }

  has(value: string): boolean {
    return this.known.has(value);
  }

  get length(): number {
    return this.queue.size;
  }

  /**
   * Processes due values in order while the limiter has tokens. `fn` returns [true] when done
   * (the value leaves the queue but stays known) or [false, retryMs] to try again later.
   */
  async tryProcess(fn: (v: TimedValue) => Promise<[boolean, number?]>): Promise<void> {
    const due = [...this.queue.values()].sort((a, b) => a.processAt - b.processAt);
    const now = this.now();
    for (const v of due) {
      if (v.processAt > now) break;
      if (!this.limiter.tryAccept()) break;
      // Still queued? (remove() may have run while an earlier value was processed.)
      if (this.queue.get(v.value) !== v) continue;
      const [ok, retryMs] = await fn(v);
      if (this.queue.get(v.value) !== v) continue;
      if (ok) this.queue.delete(v.value);
      else v.processAt = this.now() + (retryMs ?? 0);
    }
  }

  /**
   * Replaces the limiter's rate (upstream SwapLimiter). The new bucket starts with the old one's
   * token if it had one, so switching rates neither grants nor loses a burst.
   */
  swapLimiter(qps: number): void {
    if (qps === this.limiter.qps) return;
    const hadToken = this.limiter.hasToken();
    this.limiter = new TokenBucket(qps, this.burst, this.now, hadToken);
  }
}
