// The storage seam: the one interface between the API server and persistence (the kine pattern).
//
// Every call answers with the store's current revision. A revision is a positive integer that
// grows by one with every write; the API server exposes it as `metadata.resourceVersion`.
// Drivers: sqlite/ (default, durable), memory/ (tests and simulation), etcd (later).
// All drivers share the conformance suite in conformance.test-suite.ts, so their semantics match.

export interface KeyValue {
  key: string;
  /** The stored value: JSON text. */
  value: string;
  /** Revision at which this key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this version (for a delete event: the delete's revision). */
  modRevision: number;
  /** Absolute expiry in milliseconds since the epoch, or 0 when the key has no lease. */
  expiresAt: number;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  /** For PUT, the new version. For DELETE, the last value the key held, with modRevision = the delete's revision. */
  kv: KeyValue;
  /** The version this event replaced (absent for a create). */
  prevKv?: KeyValue;
}

export interface ListOptions {
  /** Start at this key (inclusive), for pagination; must lie under the prefix. */
  startKey?: string;
  /** At most this many results (0 or absent: no limit). */
  limit?: number;
  /** Read as of this revision (0 or absent: the current one). */
  revision?: number;
}

export interface Backend {
  /** Reads one key, at the current revision or at `revision`. */
  get(key: string, revision?: number): Promise<{ revision: number; kv?: KeyValue }>;
  /** Lists keys under `prefix` in key order; `more` says whether the limit cut the list. */
  list(prefix: string, options?: ListOptions): Promise<{ revision: number; kvs: KeyValue[]; more: boolean }>;
  /** Counts live keys under `prefix`. */
  count(prefix: string): Promise<{ revision: number; count: number }>;
  /** Creates a key; fails with KeyExistsError if it exists. `leaseSeconds` > 0 makes it expire. */
  create(key: string, value: string, leaseSeconds?: number): Promise<{ revision: number }>;
  /**
   * Compare-and-swap: replaces the value if the key's modRevision is `expectedModRevision`
   * (ConflictError otherwise, NotFoundError if absent). `leaseSeconds` replaces the key's lease;
   * when omitted the key keeps the expiry it had.
   */
  update(key: string, value: string, expectedModRevision: number, leaseSeconds?: number): Promise<{ revision: number; kv: KeyValue }>;
  /** Deletes a key, optionally only at `expectedModRevision`; answers the deleted version. */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; kv: KeyValue }>;
  /**
   * Every change under `prefix` with revision > `fromRevision`, in revision order, never skipping,
   * in batches (one batch per commit). Ends when `signal` aborts. Fails with CompactedError when
   * `fromRevision` is older than the compacted history, and with WatchOverflowError when the
   * consumer falls further behind than the watch buffer allows.
   */
  watch(prefix: string, fromRevision: number, signal: AbortSignal): AsyncIterable<WatchEvent[]>;
  /** Drops history at and below `revision`, keeping the live version of every key. */
  compact(revision: number): Promise<void>;
  /** The current revision and the compacted one. */
  status(): Promise<{ revision: number; compactRevision: number }>;
  /** Stops background work and releases the store. */
  close(): Promise<void>;
}

/** Base of the typed storage errors; `kind` lets callers switch without instanceof chains. */
export class StorageError extends Error {
  constructor(
    readonly kind: 'KeyExists' | 'NotFound' | 'Conflict' | 'Compacted' | 'InvalidInput' | 'WatchOverflow' | 'Closed',
    message: string,
  ) {
    super(message);
    this.name = `${kind}Error`;
  }
}

export class KeyExistsError extends StorageError {
  constructor(readonly key: string, readonly revision: number) {
    super('KeyExists', `key exists: ${key}`);
  }
}

export class NotFoundError extends StorageError {
  constructor(readonly key: string, readonly revision: number) {
    super('NotFound', `key not found: ${key}`);
  }
}

export class ConflictError extends StorageError {
  /** `current` is the version that is there now, so the caller can report or retry. */
  constructor(readonly key: string, readonly current: KeyValue, readonly revision: number) {
    super('Conflict', `key ${key} was modified: at revision ${current.modRevision}`);
  }
}

export class CompactedError extends StorageError {
  constructor(readonly requested: number, readonly compactRevision: number) {
    super('Compacted', `revision ${requested} has been compacted (compacted at ${compactRevision})`);
  }
}

export class InvalidInputError extends StorageError {
  constructor(message: string) {
    super('InvalidInput', message);
  }
}

export class WatchOverflowError extends StorageError {
  constructor(readonly buffered: number) {
    super('WatchOverflow', `watcher fell behind: more than ${buffered} events buffered`);
  }
}

export class ClosedError extends StorageError {
  constructor() {
    super('Closed', 'store is closed');
  }
}
