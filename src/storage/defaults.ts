// Defaults for the storage layer, in one place (printed by `capstan server --help` later).

type TuningKey =
  | 'watchBufferEvents'
  | 'watchCatchUpChunk'
  | 'compactIntervalMs'
  | 'retainRevisions'
  | 'retainMs'
  | 'leaseSweepMs'
  | 'compactChunkRows'
  | 'maxKeyLength';

export const storageDefaults: Readonly<Record<TuningKey, number>> = {
  /** Events a watcher may have queued before it is ended with WatchOverflowError. */
  watchBufferEvents: 10_000,
  /** Events read per step when a watcher catches up from history. */
  watchCatchUpChunk: 1_000,
  /** How often the compactor wakes. */
  compactIntervalMs: 60_000,
  /** The compactor keeps at least this many revisions of history... */
  retainRevisions: 1_000,
  /** ...and at least this much time of it, whichever keeps more. */
  retainMs: 10 * 60_000,
  /** How often expired leases are looked for. */
  leaseSweepMs: 1_000,
  /** Revisions walked per compaction step, so that compaction never blocks the event loop for long. */
  compactChunkRows: 2_000,
  /** Longest key accepted. */
  maxKeyLength: 4_096,
};

export type StorageTuning = Partial<Record<TuningKey, number>>;
