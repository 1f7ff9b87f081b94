// The retention policy: periodically compacts a Backend so that history stays bounded. It keeps
// at least `retainRevisions` revisions and at least `retainMs` of time, whichever keeps more.
// Time is tracked by sampling (time, revision) pairs as it runs, so a freshly started process
// compacts nothing older than what it has itself observed for `retainMs` (safe, never eager).
import type { Backend } from './backend.js';
import { storageDefaults } from './defaults.js';

export interface CompactorOptions {
  intervalMs?: number;
  retainRevisions?: number;
  retainMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class Compactor {
  private readonly samples: Array<{ at: number; revision: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly retainRevisions: number;
  private readonly retainMs: number;
  private readonly now: () => number;

  constructor(
    private readonly backend: Backend,
    private readonly options: CompactorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? storageDefaults.compactIntervalMs;
    this.retainRevisions = options.retainRevisions ?? storageDefaults.retainRevisions;
    this.retainMs = options.retainMs ?? storageDefaults.retainMs;
    this.now = options.now ?? Date.now;
  }

  start(): this {
    this.timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.options.onError?.(err));
    }, this.intervalMs);
    this.timer.unref();
    void this.tick().catch((err: unknown) => this.options.onError?.(err));
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: sample, pick the target, compact if it moved. Returns the target (0: none). */
  async tick(): Promise<number> {
    const { revision, compactRevision } = await this.backend.status();
    const now = this.now();
    this.samples.push({ at: now, revision });
    // The newest sample old enough to fall outside the time window bounds compaction by time.
    let byTime = 0;
    let drop = 0;
    for (let i = 0; i < this.samples.length; i++) {
      if (this.samples[i]!.at <= now - this.retainMs) {
        byTime = this.samples[i]!.revision;
        drop = i;
      }
    }
    this.samples.splice(0, drop);
    const target = Math.min(byTime, revision - this.retainRevisions);
    if (target > compactRevision) {
      await this.backend.compact(target);
      return target;
    }
    return 0;
  }
}
