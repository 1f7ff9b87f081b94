// The memory driver: the revision log held in arrays and maps, for unit tests and `capstan sim`.
// Same semantics as SQLite because both sit under LogBackend; only persistence differs.
import { LogBackend, type LogBackendOptions, type LogTable, type Row } from '../log_backend.js';

/** Index of the first element of a sorted array for which `below` is false. */
function lowerBound<T>(arr: readonly T[], below: (x: T) => boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(arr[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryTable implements LogTable {
  revision = 0;
  compactRevision = 0;
  /** Every retained row, in revision order. */
  private log: Row[] = [];
  /** Retained rows per key, in revision order. */
  private history = new Map<string, Row[]>();
  /** Live rows, and their keys kept sorted for range reads. */
  private live = new Map<string, Row>();
  private liveKeys: string[] = [];

  transaction(fn: () => void): void {
    // Appends cannot fail part-way in memory; an exception thrown by `fn` is a programming error
    // in LogBackend and propagates as such.
    fn();
  }

  append(row: Row): void {
    this.log.push(row);
    let h = this.history.get(row.key);
    if (!h) this.history.set(row.key, (h = []));
    h.push(row);
    const wasLive = this.live.has(row.key);
    if (row.deleted) {
      this.live.delete(row.key);
      if (wasLive) this.liveKeys.splice(lowerBound(this.liveKeys, (k) => k < row.key), 1);
    } else {
      this.live.set(row.key, row);
      if (!wasLive) this.liveKeys.splice(lowerBound(this.liveKeys, (k) => k < row.key), 0, row.key);
    }
    this.revision = row.rev;
  }

  current(key: string): Row | undefined {
    return this.live.get(key);
  }

  at(key: string, rev: number): Row | undefined {
    const h = this.history.get(key);
    if (!h) return undefined;
    const i = lowerBound(h, (r) => r.rev <= rev) - 1;
    return i >= 0 ? h[i] : undefined;
  }

  byRevision(rev: number): Row | undefined {
    const i = lowerBound(this.log, (r) => r.rev < rev);
    const row = this.log[i];
    return row && row.rev === rev ? row : undefined;
  }

  listCurrent(start: string, end: string, limit: number): Row[] {
    const out: Row[] = [];
    for (let i = lowerBound(this.liveKeys, (k) => k < start); i < this.liveKeys.length; i++) {
      const k = this.liveKeys[i]!;
      if (k >= end || (limit > 0 && out.length >= limit)) break;
      out.push(this.live.get(k)!);
    }
    return out;
  }

  listAt(start: string, end: string, rev: number, limit: number): Row[] {
    const keys: string[] = [];
    for (const k of this.history.keys()) if (k >= start && k < end) keys.push(k);
    keys.sort();
    const out: Row[] = [];
    for (const k of keys) {
      if (limit > 0 && out.length >= limit) break;
      const row = this.at(k, rev);
      if (row && !row.deleted) out.push(row);
    }
    return out;
  }

  countCurrent(start: string, end: string): number {
    return lowerBound(this.liveKeys, (k) => k < end) - lowerBound(this.liveKeys, (k) => k < start);
  }

  range(start: string, end: string, from: number, to: number, limit: number): Row[] {
    const out: Row[] = [];
    for (let i = lowerBound(this.log, (r) => r.rev <= from); i < this.log.length; i++) {
      const row = this.log[i]!;
      if (row.rev > to || out.length >= limit) break;
      if (row.key >= start && row.key < end) out.push(row);
    }
    return out;
  }

  expired(now: number, limit: number): Row[] {
    const out: Row[] = [];
    for (const row of this.live.values()) {
      if (row.expiresAt > 0 && row.expiresAt <= now) {
        out.push(row);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  setCompactRevision(rev: number): void {
    this.compactRevision = rev;
  }

  /** Memory compaction works over whole maps, so it runs once, on the final span. */
  compactStep(_from: number, to: number): number {
    if (to < this.compactRevision) return 0;
    const rev = to;
    let removed = 0;
    for (const [key, h] of this.history) {
      // Keep the newest row at or below rev (unless it is a tombstone) and everything above rev.
      const firstAbove = lowerBound(h, (r) => r.rev <= rev);
      let drop = firstAbove - 1;
      if (drop >= 0 && h[drop]!.deleted) drop++;
      if (drop > 0) {
        h.splice(0, drop);
        removed += drop;
      }
      if (h.length === 0) this.history.delete(key);
    }
    if (removed > 0) {
      const keep = new Set<Row>();
      for (const h of this.history.values()) for (const r of h) keep.add(r);
      this.log = this.log.filter((r) => keep.has(r));
    }
    return removed;
  }

  close(): void {
    this.log = [];
    this.history.clear();
    this.live.clear();
    this.liveKeys = [];
  }
}

export function openMemoryBackend(options: LogBackendOptions = {}): LogBackend {
  return new LogBackend(new MemoryTable(), options);
}
