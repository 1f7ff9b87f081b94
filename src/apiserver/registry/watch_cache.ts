// The watch cache of one resource: a single storage watch whose events are decoded once and
// serialized once per event type, then shared by every HTTP watcher of the resource. Without it,
// N watchers cost N decodes and N encodes per event; with it, each watcher costs a filter check
// and a socket write.
//
// It keeps a bounded window of recent events so that watchers starting at a recent
// resourceVersion (the usual list-then-watch) are served from memory. A watcher that asks for a
// revision older than the window is told so (`undefined`), and the store falls back to a direct
// storage watch, which replays from the revision log.
import { WatchOverflowError, type Backend, type KeyValue, type WatchEvent } from '../../storage/backend.js';
import type { KubeObject } from './strategy.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One storage event with its decodings, computed at most once and shared. */
export class CachedEvent {
  private obj: KubeObject | undefined;
  private prev: KubeObject | undefined;
  private readonly lines: Partial<Record<EventType, string>> = {};

  constructor(
    readonly event: WatchEvent,
    private readonly decode: (kv: KeyValue) => KubeObject,
  ) {}

  get revision(): number {
    return this.event.kv.modRevision;
  }

  /** The object after the event (for a delete: its last state). Shared: do not mutate. */
  object(): KubeObject {
    return (this.obj ??= this.decode(this.event.kv));
  }

  previous(): KubeObject | undefined {
    if (!this.event.prevKv) return undefined;
    return (this.prev ??= this.decode(this.event.prevKv));
  }

  /** `{"type":...,"object":...}` as the watch stream carries it. */
  line(type: EventType): string {
    return (this.lines[type] ??= JSON.stringify({ type, object: this.object() }));
  }
}

interface Subscriber {
  from: number;
  queue: CachedEvent[][];
  queued: number;
  failure?: Error;
  wake?: () => void;
}

export interface WatchCacheOptions {
  /** Events kept for watchers that start slightly in the past. */
  window: number;
  /** Events one subscriber may have queued before it is ended (the client then relists). */
  subscriberBuffer: number;
}

export class WatchCache {
  private readonly events: CachedEvent[] = [];
  /** Every event with revision > windowStart is in `events`. */
  private windowStart = -1;
  private readonly subscribers = new Set<Subscriber>();
  private starting: Promise<void> | undefined;
  private readonly ac = new AbortController();

  constructor(
    private readonly backend: Backend,
    private readonly prefix: string,
    private readonly decode: (kv: KeyValue) => KubeObject,
    private readonly options: WatchCacheOptions,
  ) {}

  /** Starts the storage watch on first use; resolves once the window is defined. */
  private start(): Promise<void> {
    this.starting ??= (async () => {
      const { revision } = await this.backend.status();
      this.windowStart = revision;
      void this.run(revision);
    })();
    return this.starting;
  }

  private async run(from: number): Promise<void> {
    try {
      for await (const batch of this.backend.watch(this.prefix, from, this.ac.signal)) {
        const cached = batch.map((ev) => new CachedEvent(ev, this.decode));
        for (const ev of cached) this.events.push(ev);
        if (this.events.length > this.options.window) {
          const drop = this.events.length - this.options.window;
          this.windowStart = this.events[drop - 1]!.revision;
          this.events.splice(0, drop);
        }
        for (const s of this.subscribers) this.offer(s, cached);
      }
    } catch (err) {
      // The storage watch itself fell behind or was compacted away: every subscriber relists,
      // and the next watcher starts a fresh cache.
      if (this.ac.signal.aborted) return;
      const failure = err instanceof Error ? err : new Error(String(err));
      for (const s of this.subscribers) this.fail(s, failure);
      this.subscribers.clear();
      this.starting = undefined;
      this.events.length = 0;
    }
  }

  private offer(s: Subscriber, batch: CachedEvent[]): void {
    if (s.failure) return;
    const fresh = batch[batch.length - 1]!.revision > s.from ? batch.filter((e) => e.revision > s.from) : [];
    if (fresh.length === 0) return;
    s.queued += fresh.length;
    if (s.queued > this.options.subscriberBuffer) {
      this.fail(s, new WatchOverflowError(this.options.subscriberBuffer));
      return;
    }
    s.queue.push(fresh);
    const w = s.wake;
    s.wake = undefined;
    w?.();
  }

  private fail(s: Subscriber, err: Error): void {
    s.failure = err;
    s.queue = [];
    const w = s.wake;
    s.wake = undefined;
    w?.();
  }

  /**
   * Events after `from`, or undefined when `from` is older than the window (use a storage
   * watch instead). The iterable ends when `signal` aborts.
   */
  async subscribe(from: number, signal: AbortSignal): Promise<AsyncIterable<CachedEvent[]> | undefined> {
    await this.start();
    if (from < this.windowStart) return undefined;
    const s: Subscriber = { from, queue: [], queued: 0 };
    const backlog = this.events.filter((e) => e.revision > from);
    if (backlog.length > 0) {
      s.queue.push(backlog);
      s.queued = backlog.length;
    }
    this.subscribers.add(s);
    const onAbort = (): void => {
      const w = s.wake;
      s.wake = undefined;
      w?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            if (signal.aborted) return;
            if (s.failure) throw s.failure;
            if (s.queue.length > 0) {
              // Everything queued leaves in one step: a watcher that fell a little behind catches
              // up with one write instead of one per commit.
              const batch = s.queue.length === 1 ? s.queue[0]! : s.queue.flat();
              s.queue = [];
              s.queued = 0;
              yield batch;
              continue;
            }
            await new Promise<void>((resolve) => {
              s.wake = resolve;
            });
          }
        } finally {
          self.subscribers.delete(s);
          signal.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  close(): void {
    this.ac.abort();
  }
}
