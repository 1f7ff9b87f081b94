// The Backend semantics, written once over a revision log (the kine model): every write appends
// a row, the row's revision is the store revision, and a per-key "current" view answers reads.
// Drivers (sqlite/, memory/) implement only the small LogTable below; this file owns validation,
// compare-and-swap rules, group commit, leases, compaction bookkeeping and watch fan-out, so that
// every driver behaves the same.
//
// Group commit: writes that arrive in the same event-loop turn are queued and applied in one
// transaction on the next `setImmediate`; each caller's promise settles only after that
// transaction has committed. Ops in one batch see each other's effects in arrival order, and a
// failing op (conflict, exists) fails alone without aborting its neighbours.
import {
  ClosedError,
  CompactedError,
  ConflictError,
  InvalidInputError,
  KeyExistsError,
  NotFoundError,
  StorageError,
  type Backend,
  type KeyValue,
  type ListOptions,
  type WatchEvent,
} from './backend.js';
import { storageDefaults, type StorageTuning } from './defaults.js';
import { checkKey, checkLease, checkPrefix, checkRevision, checkValue, prefixEnd } from './validate.js';
import { WatchHub } from './watch_hub.js';

/** One version of one key: a row of the revision log. */
export interface Row {
  rev: number;
  key: string;
  value: string;
  createRev: number;
  /** Revision of the row this one replaced (0 for the first version of a key). */
  prevRev: number;
  deleted: boolean;
  expiresAt: number;
}

/** What a driver provides. Every method is synchronous: drivers are embedded (better-sqlite3, memory). */
export interface LogTable {
  /** Highest revision ever written, and the compacted revision, as persisted. */
  readonly revision: number;
  readonly compactRevision: number;
  /** Runs `fn` atomically: all its appends commit together or not at all. */
  transaction(fn: () => void): void;
  append(row: Row): void;
  /** The live (not deleted) row of `key`. */
  current(key: string): Row | undefined;
  /** The newest row of `key` at or below `rev`, deleted or not. */
  at(key: string, rev: number): Row | undefined;
  /** The row written at exactly `rev`. */
  byRevision(rev: number): Row | undefined;
  /** Live rows with start <= key < end in key order, at most `limit` (0: all). */
  listCurrent(start: string, end: string, limit: number): Row[];
  /** Rows live as of `rev` with start <= key < end in key order, at most `limit` (0: all). */
  listAt(start: string, end: string, rev: number, limit: number): Row[];
  countCurrent(start: string, end: string): number;
  /** Rows with from < rev <= to under the range, in revision order, at most `limit`. */
  range(start: string, end: string, from: number, to: number, limit: number): Row[];
  /** Live rows whose lease expired at or before `now`, at most `limit`. */
  expired(now: number, limit: number): Row[];
  /** Records the compacted revision durably. */
  setCompactRevision(rev: number): void;
  /**
   * Deletes the rows made obsolete by the writes with from < revision <= to (the rows they
   * replaced, and tombstones themselves); returns how many. Called over consecutive spans from
   * the previous compact revision up to the new one.
   */
  compactStep(from: number, to: number): number;
  /** Optional space reclamation after compaction. */
  reclaim?(): void;
  close(): void;
}

type Op =
  | { kind: 'create'; key: string; value: string; lease: number }
  | { kind: 'update'; key: string; value: string; expected: number; lease: number | undefined }
  | { kind: 'delete'; key: string; expected: number | undefined };

interface Pending {
  op: Op;
  resolve: (r: { revision: number; kv: KeyValue }) => void;
  reject: (err: Error) => void;
}

export interface LogBackendOptions extends StorageTuning {
  /** Clock for leases (ms since epoch); tests pass a fake one. */
  now?: () => number;
}

export function toKeyValue(row: Row, modRevision = row.rev): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.createRev, modRevision, expiresAt: row.expiresAt };
}

export class LogBackend implements Backend {
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private rev: number;
  private compactRev: number;
  private readonly hub: WatchHub;
  private readonly now: () => number;
  private readonly sweepTimer: NodeJS.Timeout;
  private compacting: Promise<void> = Promise.resolve();
  private readonly tuning: Readonly<Record<keyof typeof storageDefaults, number>>;

  constructor(
    private readonly table: LogTable,
    options: LogBackendOptions = {},
  ) {
    const { now, ...tuning } = options;
    this.tuning = { ...storageDefaults, ...tuning };
    this.now = now ?? Date.now;
    this.rev = table.revision;
    this.compactRev = table.compactRevision;
    this.hub = new WatchHub(
      {
        currentRevision: () => this.rev,
        compactRevision: () => this.compactRev,
        readEvents: (prefix, from, to, limit) => this.readEvents(prefix, from, to, limit),
      },
      { bufferEvents: this.tuning.watchBufferEvents, catchUpChunk: this.tuning.watchCatchUpChunk },
    );
    this.sweepTimer = setInterval(() => this.sweepLeases(), this.tuning.leaseSweepMs);
    this.sweepTimer.unref();
  }

  // ---- reads: synchronous against the table, answered as promises ----

  async get(key: string, revision?: number): Promise<{ revision: number; kv?: KeyValue }> {
    this.checkOpen();
    checkKey(key);
    const rev = this.readRevision(revision);
    const row = rev === this.rev ? this.table.current(key) : this.table.at(key, rev);
    return { revision: this.rev, kv: row && !row.deleted ? toKeyValue(row) : undefined };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<{ revision: number; kvs: KeyValue[]; more: boolean }> {
    this.checkOpen();
    checkPrefix(prefix);
    const limit = checkRevision(options.limit ?? 0, 'limit');
    const rev = this.readRevision(options.revision);
    let start = prefix;
    if (options.startKey !== undefined) {
      if (typeof options.startKey !== 'string' || !options.startKey.startsWith(prefix)) {
        throw new InvalidInputError(`startKey must lie under the prefix ${prefix}`);
      }
      start = options.startKey;
    }
    const end = prefixEnd(prefix);
    // Ask for one more than the limit to learn whether there is more.
    const want = limit > 0 ? limit + 1 : 0;
    const rows = rev === this.rev ? this.table.listCurrent(start, end, want) : this.table.listAt(start, end, rev, want);
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    return { revision: rev, kvs: rows.map((r) => toKeyValue(r)), more };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    this.checkOpen();
    checkPrefix(prefix);
    const end = prefixEnd(prefix);
    return { revision: this.rev, count: this.table.countCurrent(prefix, end) };
  }

  async status(): Promise<{ revision: number; compactRevision: number }> {
    return { revision: this.rev, compactRevision: this.compactRev };
  }

  /** A read revision: 0/absent is current; a compacted or future one is an error. */
  private readRevision(revision: number | undefined): number {
    if (revision === undefined) return this.rev;
    checkRevision(revision);
    if (revision === 0) return this.rev;
    if (revision < this.compactRev) throw new CompactedError(revision, this.compactRev);
    if (revision > this.rev) throw new InvalidInputError(`revision ${revision} is a future revision (current ${this.rev})`);
    return revision;
  }

  // ---- writes: queued, applied in one transaction per event-loop turn ----

  async create(key: string, value: string, leaseSeconds?: number): Promise<{ revision: number }> {
    const op: Op = { kind: 'create', key: checkKey(key), value: checkValue(value), lease: checkLease(leaseSeconds) };
    const r = await this.enqueue(op);
    return { revision: r.revision };
  }

  update(key: string, value: string, expectedModRevision: number, leaseSeconds?: number): Promise<{ revision: number; kv: KeyValue }> {
    try {
      const expected = checkRevision(expectedModRevision, 'expectedModRevision');
      const lease = leaseSeconds === undefined ? undefined : checkLease(leaseSeconds);
      return this.enqueue({ kind: 'update', key: checkKey(key), value: checkValue(value), expected, lease });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; kv: KeyValue }> {
    try {
      const expected = expectedModRevision === undefined ? undefined : checkRevision(expectedModRevision, 'expectedModRevision');
      return this.enqueue({ kind: 'delete', key: checkKey(key), expected });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private enqueue(op: Op): Promise<{ revision: number; kv: KeyValue }> {
    if (this.closed) return Promise.reject(new ClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const results: Array<{ revision: number; kv: KeyValue } | Error> = new Array(batch.length);
    const events: WatchEvent[] = [];
    const baseRev = this.rev;
    try {
      this.table.transaction(() => {
        for (let i = 0; i < batch.length; i++) {
          try {
            results[i] = this.apply(batch[i]!.op, events);
          } catch (err) {
            if (!(err instanceof StorageError)) throw err;
            results[i] = err;
          }
        }
      });
    } catch (err) {
      // The transaction rolled back (disk full, I/O error): nothing of this batch was written.
      this.rev = baseRev;
      for (const p of batch) p.reject(err as Error);
      return;
    }
    this.hub.publish(events);
    for (let i = 0; i < batch.length; i++) {
      const r = results[i]!;
      if (r instanceof Error) batch[i]!.reject(r);
      else batch[i]!.resolve(r);
    }
  }

  /** Applies one op inside the transaction; throws a StorageError to fail just this op. */
  private apply(op: Op, events: WatchEvent[]): { revision: number; kv: KeyValue } {
    const cur = this.table.current(op.key);
    const rev = this.rev + 1;
    switch (op.kind) {
      case 'create': {
        if (cur) throw new KeyExistsError(op.key, this.rev);
        // prevRev links to the tombstone of an earlier life of the key, if one is still kept.
        const last = this.table.at(op.key, this.rev);
        const row: Row = {
          rev, key: op.key, value: op.value, createRev: rev, prevRev: last ? last.rev : 0, deleted: false,
          expiresAt: op.lease > 0 ? this.now() + op.lease * 1000 : 0,
        };
        this.table.append(row);
        this.rev = rev;
        const kv = toKeyValue(row);
        events.push({ type: 'PUT', kv });
        return { revision: rev, kv };
      }
      case 'update': {
        if (!cur) throw new NotFoundError(op.key, this.rev);
        if (cur.rev !== op.expected) throw new ConflictError(op.key, toKeyValue(cur), this.rev);
        const expiresAt = op.lease === undefined ? cur.expiresAt : op.lease > 0 ? this.now() + op.lease * 1000 : 0;
        const row: Row = { rev, key: op.key, value: op.value, createRev: cur.createRev, prevRev: cur.rev, deleted: false, expiresAt };
        this.table.append(row);
        this.rev = rev;
        const kv = toKeyValue(row);
        events.push({ type: 'PUT', kv, prevKv: toKeyValue(cur) });
        return { revision: rev, kv };
      }
      case 'delete': {
        if (!cur) throw new NotFoundError(op.key, this.rev);
        if (op.expected !== undefined && cur.rev !== op.expected) throw new ConflictError(op.key, toKeyValue(cur), this.rev);
        // The tombstone keeps the last value, so a DELETE event can carry the object.
        const row: Row = { rev, key: op.key, value: cur.value, createRev: cur.createRev, prevRev: cur.rev, deleted: true, expiresAt: 0 };
        this.table.append(row);
        this.rev = rev;
        const kv = toKeyValue(cur, rev);
        events.push({ type: 'DELETE', kv, prevKv: toKeyValue(cur) });
        return { revision: rev, kv };
      }
    }
  }

  // ---- watch ----

  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent[]> {
    try {
      checkPrefix(prefix);
      checkRevision(fromRevision, 'fromRevision');
    } catch (err) {
      // Like every other watch failure, bad arguments surface on the first next().
      const failing: AsyncIterator<WatchEvent[]> = { next: () => Promise.reject(err) };
      return { [Symbol.asyncIterator]: () => failing };
    }
    return this.hub.watch(prefix, fromRevision, signal);
  }

  /** History as watch events, for watchers that start in the past. */
  private readEvents(prefix: string, from: number, to: number, limit: number): WatchEvent[] {
    const rows = this.table.range(prefix, prefixEnd(prefix), from, to, limit);
    const events: WatchEvent[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      // A create (first version, or a new life after a delete) has no previous version to report.
      const prev = row.prevRev > 0 && row.createRev !== row.rev ? this.table.byRevision(row.prevRev) : undefined;
      events[i] = row.deleted
        ? { type: 'DELETE', kv: toKeyValue(row), prevKv: prev && toKeyValue(prev) }
        : { type: 'PUT', kv: toKeyValue(row), prevKv: prev && toKeyValue(prev) };
    }
    return events;
  }

  // ---- leases and compaction ----

  /** Deletes expired keys through the normal write path, so watchers see DELETE events. */
  private sweepLeases(): void {
    if (this.closed) return;
    const due = this.table.expired(this.now(), 1000);
    for (const row of due) {
      // Guarded by the row's revision: a key renewed meanwhile is left alone.
      this.delete(row.key, row.rev).catch((err: unknown) => {
        if (!(err instanceof StorageError)) throw err;
      });
    }
  }

  /** Exposed for tests: run one lease sweep now. */
  sweepNow(): void {
    this.sweepLeases();
  }

  compact(revision: number): Promise<void> {
    try {
      checkRevision(revision);
      if (revision > this.rev) throw new InvalidInputError(`cannot compact to future revision ${revision} (current ${this.rev})`);
    } catch (err) {
      return Promise.reject(err);
    }
    // Compactions run one at a time; a request at or below the compacted revision does nothing.
    this.compacting = this.compacting.then(() => this.runCompaction(revision));
    return this.compacting;
  }

  private async runCompaction(revision: number): Promise<void> {
    if (this.closed || revision <= this.compactRev) return;
    // Raise the mark first: from here on readers and watchers refuse history below it, so the
    // chunked deletes that follow can never be observed half-done.
    const previous = this.compactRev;
    this.table.setCompactRevision(revision);
    this.compactRev = revision;
    for (let from = previous; from < revision; from += this.tuning.compactChunkRows) {
      if (this.closed) return;
      this.table.compactStep(from, Math.min(revision, from + this.tuning.compactChunkRows));
      await new Promise((r) => setImmediate(r));
    }
    if (!this.closed) this.table.reclaim?.();
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writes commit first: a caller that got no error may rely on its write.
    if (this.queue.length > 0) this.flush();
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.hub.close();
    await this.compacting.catch(() => undefined);
    this.table.close();
  }
}
