// WorkQueue: client-go's rate-limited delaying work queue, the heart of every controller loop.
// Invariants (the reason it exists):
//  - A key is queued at most once, however often it is added (dedup: `dirty`).
//  - A key being processed (handed out by get() and not yet done()) is never handed to a second
//    worker; adding it meanwhile marks it dirty, and done() puts it back in the queue.
//  - addRateLimited() delays a key by the larger of a per-key exponential back-off (5 ms doubling
//    to 1000 s) and an overall token bucket (10 qps, burst 100), as client-go's default
//    controller rate limiter; forget() resets the key's back-off once it reconciled cleanly.
// Time comes from an injectable Clock so tests run it by hand.
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { workQueueDefaults } from './defaults.js';

/** How long a key should wait before it is retried (client-go's RateLimiter). */
export interface RateLimiter<K> {
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

/** Per-key exponential back-off: base·2^failures, capped at max. */
export class ExponentialFailureRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(
    private readonly baseMs: number = workQueueDefaults.baseDelayMs,
    private readonly maxMs: number = workQueueDefaults.maxDelayMs,
  ) {}
  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity past n≈1023; min() keeps it at max.
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }
  forget(key: K): void {
    this.failures.delete(key);
  }
  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

/** A token bucket shared by all keys: `qps` tokens per second, at most `burst` saved up. */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private tokens: number;
  private last: number;
  constructor(
    private readonly clock: Clock,
    private readonly qps: number = workQueueDefaults.qps,
    private readonly burst: number = workQueueDefaults.burst,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }
  when(_key: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    // Reserve a token; a negative balance is a reservation in the future (golang.org/x/time/rate).
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }
  forget(_key: K): void {}
  numRequeues(_key: K): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }
  when(key: K): number {
    let d = 0;
    for (const l of this.limiters) d = Math.max(d, l.when(key));
    return d;
  }
  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }
  numRequeues(key: K): number {
    let n = 0;
    for (const l of this.limiters) n = Math.max(n, l.numRequeues(key));
    return n;
  }
}

/** client-go's DefaultControllerRateLimiter. */
export function defaultControllerRateLimiter<K>(clock: Clock = realClock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ExponentialFailureRateLimiter<K>(), new BucketRateLimiter<K>(clock));
}

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  /** For logs and metrics. */
  name?: string;
}

export class WorkQueue<K> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  /** Keys ready to be handed out, in order (each also in `dirty`). */
  private queue: K[] = [];
  private head = 0;
  /** Keys that need processing: queued, or re-added while being processed. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** Delayed adds: the earliest time each key is due, and its timer. */
  private readonly waiting = new Map<K, { at: number; timer: TimerHandle }>();
  private readonly getters: Array<(k: K | undefined) => void> = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.name = options.name ?? '';
    this.clock = options.clock ?? realClock;
    this.limiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
  }

  /** Queues `key` unless it is queued already; a key being processed is queued when done. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /**
   * The next key, waiting for one if the queue is empty; undefined once shut down. The caller
   * must call done(key) when finished with it.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  /** Adds `key` after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const w = this.waiting.get(key);
    if (w) {
      if (w.at <= at) return;
      w.timer.cancel();
    }
    const timer = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Adds `key` after its rate-limited back-off (each call without forget() doubles it). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets `key`'s back-off (call after a successful reconcile). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  /** How many times `key` was rate-limited since the last forget(). */
  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /** Keys ready to be handed out (not counting delayed or in-process ones). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys handed out and not yet done. */
  get processingCount(): number {
    return this.processing.size;
  }

  /** Keys waiting for addAfter / addRateLimited delays. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops the queue: waiting get()s resolve undefined, delayed adds are cancelled, adds ignored. */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  private push(key: K): void {
    const g = this.getters.shift();
    if (g) {
      this.processing.add(key);
      this.dirty.delete(key);
      g(key);
      return;
    }
    this.queue.push(key);
  }

  private take(): K {
    const key = this.queue[this.head++]!;
    // Compact the array now and then rather than shift() on every get.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }
}

/** What a reconcile may ask for besides success: to be looked at again later. */
export interface ReconcileResult {
  requeueAfterMs?: number;
  /** Look again with the key's back-off, without it being an error (nothing was ready yet). */
  requeue?: boolean;
}

export interface RunWorkersOptions<K> {
  /** A failed reconcile (it is retried with back-off); default: one line to stderr. */
  onError?: (key: K, err: unknown) => void;
}

/**
 * Runs `n` workers taking keys from `queue` until `signal` aborts (then the queue is shut down).
 * A reconcile that throws, or answers `{ requeue: true }`, is retried with addRateLimited; one
 * that succeeds is forgotten (and requeued after `requeueAfterMs` when it asks). The queue guarantees a key is never reconciled
 * twice at once. Resolves when every worker has finished its current key.
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  n: number,
  reconcile: (key: K) => Promise<void | ReconcileResult>,
  signal: AbortSignal,
  options: RunWorkersOptions<K> = {},
): Promise<void> {
  const onError =
    options.onError ??
    ((key: K, err: unknown) => {
      process.stderr.write(`workqueue ${queue.name}: reconcile ${String(key)} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  const stop = (): void => queue.shutdown();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const result = await reconcile(key);
        if (result && result.requeue) {
          queue.addRateLimited(key);
        } else {
          queue.forget(key);
          if (result && result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
        }
      } catch (err) {
        try {
          onError(key, err);
        } catch {
          // a failing error hook must not kill the worker
        }
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
