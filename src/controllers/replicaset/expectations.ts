// Expectations: what a controller has asked the API for and not yet seen in its informer cache.
// The ReplicaSet controller counts pods from its cache; right after it creates three pods the cache
// may still show none, and a second sync would create three more. So before writing it records
// "expect 3 creations" (or "expect the deletion of these pod keys"); pod events lower the counts,
// and a sync only manages replicas once its expectations are met. A record older than five
// minutes counts as met, so a lost event (a watch gap, a failed write we did not hear about)
// delays the controller but never wedges it. This is upstream's UIDTrackingControllerExpectations:
// deletions are tracked by pod key so that both the update that sets a deletionTimestamp and the
// final delete of the same pod lower the count only once.
import type { Clock } from '../../client/clock.js';

/** How long an unmet expectation blocks syncs (upstream ExpectationsTimeout). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  /** When the expectation was set, on the controller's clock. */
  at: number;
  /** Keys (`ns/name`) of pods whose deletion we expect to observe. */
  deleteKeys: Set<string>;
}

export class Expectations {
  private readonly records = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  /** True when `key` may be synced: nothing recorded, everything observed, or the record expired. */
  satisfied(key: string): boolean {
    const e = this.records.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.clock.now() - e.at > this.timeoutMs;
  }

  /** Replaces the record with `n` expected creations. */
  expectCreations(key: string, n: number): void {
    this.records.set(key, { add: n, del: 0, at: this.clock.now(), deleteKeys: new Set() });
  }

  /** Replaces the record with the deletions of these pods. */
  expectDeletions(key: string, podKeys: readonly string[]): void {
    const deleteKeys = new Set(podKeys);
    this.records.set(key, { add: 0, del: deleteKeys.size, at: this.clock.now(), deleteKeys });
  }

  /** A pod this controller owns appeared in the cache (or a create we expected was not attempted or failed). */
  creationObserved(key: string, n = 1): void {
    const e = this.records.get(key);
    if (e) e.add -= n;
  }

  /** A pod went away or started terminating; counts only for a pod we expected to delete, and once. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.records.get(key);
    if (!e || !e.deleteKeys.delete(podKey)) return;
    e.del -= 1;
  }

  /** Forgets `key` (its owner was deleted). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** For tests and debugging: the outstanding counts, if any. */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.records.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }
}
