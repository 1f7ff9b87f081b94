// Watch fan-out: one hub per store. The store publishes each commit's events once; the hub hands
// them to every watcher whose prefix matches. A watcher that starts in the past first replays
// history from the store's log in chunks, then continues with live events, with no gap and no
// duplicate: live events at or below the revision where replay ends are dropped, because replay
// covers them. A watcher whose queue grows past the buffer limit is ended with WatchOverflowError
// rather than holding memory without bound (the API server turns that into a 410, and the client
// relists, as with Kubernetes).
import { ClosedError, CompactedError, WatchOverflowError, type WatchEvent } from './backend.js';

export interface EventSource {
  currentRevision(): number;
  compactRevision(): number;
  /** Events under `prefix` with from < revision <= to, oldest first, at most `limit` of them. */
  readEvents(prefix: string, from: number, to: number, limit: number): WatchEvent[];
}

export interface WatchHubOptions {
  bufferEvents: number;
  catchUpChunk: number;
}

class Watcher {
  /** Next revision to replay from history is `cursor + 1`, up to `replayTo`. */
  cursor: number;
  readonly replayTo: number;
  private queue: WatchEvent[][] = [];
  private queued = 0;
  private failure: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly hub: WatchHub,
    readonly prefix: string,
    fromRevision: number,
    private readonly signal: AbortSignal,
  ) {
    this.cursor = fromRevision;
    this.replayTo = Math.max(fromRevision, hub.source.currentRevision());
  }

  offer(events: WatchEvent[]): void {
    if (this.ended || this.failure) return;
    let matched: WatchEvent[] | undefined;
    for (const ev of events) {
      if (ev.kv.modRevision > this.replayTo && ev.kv.key.startsWith(this.prefix)) (matched ??= []).push(ev);
    }
    if (!matched) return;
    this.queued += matched.length;
    if (this.queued > this.hub.options.bufferEvents) {
      this.fail(new WatchOverflowError(this.hub.options.bufferEvents));
      return;
    }
    this.queue.push(matched);
    this.notify();
  }

  fail(err: Error): void {
    this.failure = err;
    this.queue = [];
    this.queued = 0;
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async next(): Promise<IteratorResult<WatchEvent[]>> {
    for (;;) {
      if (this.signal.aborted || this.ended) return this.finish();
      if (this.failure) {
        const err = this.failure;
        this.finish();
        throw err;
      }
      if (this.cursor < this.replayTo) {
        const compacted = this.hub.source.compactRevision();
        if (this.cursor < compacted) {
          this.fail(new CompactedError(this.cursor, compacted));
          continue;
        }
        const events = this.hub.source.readEvents(this.prefix, this.cursor, this.replayTo, this.hub.options.catchUpChunk);
        // A short chunk means replay reached the end of history up to replayTo.
        this.cursor = events.length < this.hub.options.catchUpChunk ? this.replayTo : events[events.length - 1]!.kv.modRevision;
        if (events.length > 0) return { done: false, value: events };
        continue;
      }
      const batch = this.queue.shift();
      if (batch) {
        this.queued -= batch.length;
        return { done: false, value: batch };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  finish(): IteratorResult<WatchEvent[]> {
    this.ended = true;
    this.hub.remove(this);
    return { done: true, value: undefined };
  }
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  constructor(
    readonly source: EventSource,
    readonly options: WatchHubOptions,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /** Called by the store after each commit with that commit's events, in revision order. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const w of this.watchers) w.offer(events);
  }

  /** Errors (compacted revision, closed store) surface on the first `next()`, as with any later failure. */
  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent[]> {
    const watcher = new Watcher(this, prefix, fromRevision, signal);
    const compacted = this.source.compactRevision();
    if (this.closed) watcher.fail(new ClosedError());
    else if (fromRevision < compacted) watcher.fail(new CompactedError(fromRevision, compacted));
    else this.watchers.add(watcher);
    const onAbort = (): void => watcher.end();
    signal.addEventListener('abort', onAbort, { once: true });
    const iterator: AsyncIterator<WatchEvent[]> = {
      next: () => watcher.next(),
      return: async () => {
        signal.removeEventListener('abort', onAbort);
        return watcher.finish();
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  remove(w: Watcher): void {
    this.watchers.delete(w);
  }

  /** Ends every watcher with ClosedError. */
  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.fail(new ClosedError());
    this.watchers.clear();
  }
}
