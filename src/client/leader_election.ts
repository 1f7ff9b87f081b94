// LeaderElector: one active instance among replicas of a component (scheduler, controller
// manager), on a coordination.k8s.io/v1 Lease, with client-go's leaderelection semantics:
//  - Acquire when the lease is absent, has no holder, or has not been renewed for
//    leaseDurationSeconds *as observed on our clock* (client-go trusts its own observation time,
//    not the renewTime written by another machine, so clock skew cannot steal a lease).
//  - Every write carries the resourceVersion we read: a 409 means another candidate won the race.
//  - While leading, renew every retryPeriod; if no renewal succeeds within renewDeadline, stop
//    leading (the leader's signal aborts) and go back to candidacy.
//  - stop() releases the lease (holder cleared) so another candidate takes over at once instead
//    of waiting out the lease.
// Times are written as metav1.MicroTime: `2006-01-02T15:04:05.000000Z`.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { realClock, sleep, type Clock } from './clock.js';
import { leaderElectionDefaults } from './defaults.js';
import { isConflict, isNotFound, isAlreadyExists, type ResourceClient, type ResourceRef } from './resource_client.js';
import { microTime } from '../api/time.js';

export const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };

export interface LeaderElectorOptions {
  /** A client for leases.coordination.k8s.io/v1 (`restClient.resource(LEASES)`). */
  client: ResourceClient<Lease>;
  namespace?: string;
  /** The lease's name, e.g. `kube-scheduler`. */
  name: string;
  /** This candidate's identity, unique among candidates (hostname + random suffix, say). */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called when leadership ends (lost, or stop()). */
  onStoppedLeading?: () => void;
  /** Called when the observed leader changes (including to ourselves). */
  onNewLeader?: (identity: string) => void;
  /** Clear the holder on stop() (default true). */
  releaseOnStop?: boolean;
  onError?: (err: Error) => void;
  clock?: Clock;
}


export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'onNewLeader' | 'onStoppedLeading' | 'onError' | 'clock'>> &
    Pick<LeaderElectorOptions, 'onNewLeader' | 'onStoppedLeading'>;
  private readonly clock: Clock;
  private readonly onError: (err: Error) => void;
  private readonly ac = new AbortController();
  private loop: Promise<void> | undefined;
  private leading: AbortController | undefined;
  /** The lease as last read or written, and when (on our clock) its record last changed. */
  private observed: Lease | undefined;
  private observedAt = 0;
  private lastLeader = '';

  constructor(options: LeaderElectorOptions) {
    const d = leaderElectionDefaults;
    this.o = {
      client: options.client,
      namespace: options.namespace ?? d.namespace,
      name: options.name,
      identity: options.identity,
      leaseDurationSeconds: options.leaseDurationSeconds ?? d.leaseDurationSeconds,
      renewDeadlineSeconds: options.renewDeadlineSeconds ?? d.renewDeadlineSeconds,
      retryPeriodSeconds: options.retryPeriodSeconds ?? d.retryPeriodSeconds,
      onStartedLeading: options.onStartedLeading,
      onStoppedLeading: options.onStoppedLeading,
      onNewLeader: options.onNewLeader,
      releaseOnStop: options.releaseOnStop ?? true,
    };
    this.clock = options.clock ?? realClock;
    this.onError = options.onError ?? ((err) => process.stderr.write(`leader election ${this.o.name} (${this.o.identity}): ${err.message}\n`));
    const { leaseDurationSeconds: lease, renewDeadlineSeconds: renew, retryPeriodSeconds: retry } = this.o;
    // The same checks as client-go's NewLeaderElector.
    if (!(lease > renew)) throw new Error('leaseDurationSeconds must be greater than renewDeadlineSeconds');
    if (!(renew > d.jitterFactor * retry)) throw new Error(`renewDeadlineSeconds must be greater than retryPeriodSeconds*${d.jitterFactor}`);
    if (!(retry > 0)) throw new Error('retryPeriodSeconds must be greater than zero');
    if (!options.identity) throw new Error('identity may not be empty');
  }

  /** Starts campaigning (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops: leadership ends (onStoppedLeading), the lease is released; resolves when done. */
  async stop(): Promise<void> {
    this.ac.abort();
    await this.loop;
  }

  isLeader(): boolean {
    return this.leading !== undefined && !this.leading.signal.aborted;
  }

  /** The holder last observed ('' if none). */
  getLeader(): string {
    return this.observed?.spec?.holderIdentity ?? '';
  }

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      const leading = new AbortController();
      this.leading = leading;
      // The leader's work runs beside the renew loop; it ends when `leading` aborts.
      void Promise.resolve()
        .then(() => this.o.onStartedLeading(leading.signal))
        .catch((err: unknown) => this.report(err));
      await this.renewLoop(signal);
      leading.abort();
      this.leading = undefined;
      try {
        this.o.onStoppedLeading?.();
      } catch (err) {
        this.report(err);
      }
    }
    if (this.o.releaseOnStop) await this.release();
  }

  /** Tries every retryPeriod (jittered) until we hold the lease; false if stopped first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      if (await this.tryAcquireOrRenew()) return true;
      const jitter = 1 + Math.random() * leaderElectionDefaults.jitterFactor;
      if (!(await this.pause(this.o.retryPeriodSeconds * 1000 * jitter, signal))) return false;
    }
  }

  /** Renews every retryPeriod; returns when a renewal could not be made within renewDeadline, or on stop. */
  private async renewLoop(signal: AbortSignal): Promise<void> {
    let lastRenew = this.clock.now();
    for (;;) {
      if (!(await this.pause(this.o.retryPeriodSeconds * 1000, signal))) return;
      for (;;) {
        if (await this.tryAcquireOrRenew()) {
          lastRenew = this.clock.now();
          break;
        }
        // Lost to another holder (it saw our lease expire): leadership is over.
        if (this.getLeader() !== this.o.identity && this.getLeader() !== '') return;
        if (this.clock.now() - lastRenew >= this.o.renewDeadlineSeconds * 1000) {
          this.report(new Error(`failed to renew lease ${this.o.namespace}/${this.o.name} within ${this.o.renewDeadlineSeconds}s`));
          return;
        }
        if (!(await this.pause(this.o.retryPeriodSeconds * 1000, signal))) return;
      }
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await sleep(this.clock, ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** One attempt (client-go's tryAcquireOrRenew); true if we hold the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationSeconds } = this.o;
    const now = this.clock.now();
    let current: Lease;
    try {
      current = await client.get(namespace, name);
    } catch (err) {
      if (!isNotFound(err)) {
        this.report(err);
        return false;
      }
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      };
      try {
        this.observe(await client.create(namespace, lease), now);
        return true;
      } catch (err2) {
        if (!isAlreadyExists(err2)) this.report(err2);
        return false;
      }
    }

    // Has the record changed since we last looked? Then restart our observation clock.
    if (!this.observed || !sameRecord(this.observed, current)) this.observe(current, now);
    else this.observed = current;
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (held && this.observedAt + duration > now) return false;

    const mine = holder === identity;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      this.observe(await client.update(namespace, next), now);
      return true;
    } catch (err) {
      // 409: someone else wrote the lease since we read it; they won this round.
      if (!isConflict(err)) this.report(err);
      return false;
    }
  }

  private observe(lease: Lease, at: number): void {
    this.observed = lease;
    this.observedAt = at;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.lastLeader) {
      this.lastLeader = holder;
      if (holder !== '') {
        try {
          this.o.onNewLeader?.(holder);
        } catch (err) {
          this.report(err);
        }
      }
    }
  }

  /** Gives the lease up (holder cleared, 1 s duration) if we still hold it, as client-go's release. */
  private async release(): Promise<void> {
    const cur = this.observed;
    if (!cur || cur.spec?.holderIdentity !== this.o.identity) return;
    const now = microTime(this.clock.now());
    const released: Lease = {
      ...cur,
      spec: { ...cur.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
    };
    delete released.spec!.holderIdentity;
    try {
      this.observed = await this.o.client.update(this.o.namespace, released);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // nowhere left to report
    }
  }
}

/** The same holder and renewal: nothing happened since the last look. */
function sameRecord(a: Lease, b: Lease): boolean {
  const x = a.spec ?? {};
  const y = b.spec ?? {};
  return x.holderIdentity === y.holderIdentity && x.renewTime === y.renewTime && x.acquireTime === y.acquireTime && x.leaseTransitions === y.leaseTransitions;
}
