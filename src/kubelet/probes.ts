// Container probes for the kubelet: startup, liveness and readiness, as Kubernetes 1.32 runs them.
//
// Three layers, each usable alone:
// - `runProbe` runs a Probe's handler once (exec, httpGet, tcpSocket or grpc; the handlers live
//   in probe/) and says success, warning, failure or error.
// - `ProbeWorker` runs one probe of one container on a timer: first after initialDelaySeconds
//   (counted from the container's start), then every periodSeconds; it applies successThreshold
//   and failureThreshold and reports a result only when it changes. Like upstream, a liveness or
//   startup worker stops probing once it has reported failure (the container is about to be
//   killed; probing a dying container only produces noise), and `error` outcomes (the probe could
//   not even run) are thrown away rather than counted.
// - `startContainerProbes` is what the kubelet uses: one per running container. It runs the
//   startup probe first and only then liveness and readiness, keeps `started` and `ready` for the
//   container status, and calls back when the kubelet must act (restart, flip readiness).
//
// Time: scheduling goes through the Clock seam (tests drive a FakeClock); the per-probe deadline
// (timeoutSeconds) is real time because it bounds real I/O. Everything is cancelled by stop().
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock, type TimerHandle } from '../client/clock.js';
import { execProbe, type ExecFn } from './probe/exec.js';
import { grpcProbe } from './probe/grpc.js';
import { httpProbe } from './probe/http.js';
import { outcome, type ProbeOutcome } from './probe/outcome.js';
import { tcpProbe } from './probe/tcp.js';

export { execOnRuntime, type ExecFn, type ExecResult } from './probe/exec.js';
export type { ProbeOutcome, ProbeOutcomeResult } from './probe/outcome.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure';

/**
 * An Event the kubelet should record on the container for a single probe run, as upstream does on
 * every failed run (the event correlator, not the prober, folds repeats).
 */
export interface ProbeEvent {
  type: 'Warning';
  /** `Unhealthy` for a failed or errored run, `ProbeWarning` for a redirect to another host. */
  reason: 'Unhealthy' | 'ProbeWarning';
  message: string;
}

export interface ProbeLogger {
  error(obj: Record<string, unknown>, msg: string): void;
}

/** The API server's defaults for Probe fields, applied again here for specs that skipped defaulting. */
export const PROBE_DEFAULTS = {
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  initialDelaySeconds: 0,
} as const;

const KIND_TITLE: Readonly<Record<ProbeKind, string>> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

const silentLogger: ProbeLogger = { error: () => {} };

function positive(v: number | undefined, dflt: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : dflt;
}

// ---- one run -----------------------------------------------------------------------------------

export interface RunProbeOptions {
  probe: Probe;
  /** The probed container: its name for messages, its `ports` for named ports. */
  container: Container;
  /** Default host of httpGet and tcpSocket, and the host of grpc. */
  podIP: string;
  /** Needed by exec probes. */
  exec?: ExecFn;
  /** Overrides probe.timeoutSeconds (tests use fractions of a second). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A port of the probe: a number, or the name of one of the container's ports, or (upstream's
 * "last ditch effort") a number written as a string. Returns an error string when unresolvable.
 */
export function resolveProbePort(port: number | string, container: Container): number | { error: string } {
  let n: number;
  if (typeof port === 'number') {
    n = port;
  } else {
    const named = container.ports?.find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number(port);
    else return { error: `strconv.Atoi: parsing "${port}": invalid syntax` };
  }
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  return { error: `invalid port number: ${n}` };
}

/** Runs the probe's handler once. Never rejects. */
export async function runProbe(o: RunProbeOptions): Promise<ProbeOutcome> {
  const p = o.probe;
  const timeoutMs = o.timeoutMs ?? positive(p.timeoutSeconds, PROBE_DEFAULTS.timeoutSeconds) * 1000;
  try {
    // The order upstream checks handlers in; validation allows exactly one anyway.
    if (p.exec) {
      if (!o.exec) return outcome('error', 'no exec function to run exec probes with');
      return await execProbe({ command: p.exec.command ?? [], exec: o.exec, timeoutMs, signal: o.signal });
    }
    if (p.httpGet) {
      const port = resolveProbePort(p.httpGet.port, o.container);
      if (typeof port !== 'number') return outcome('error', port.error);
      const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
      return await httpProbe({
        scheme,
        host: p.httpGet.host || o.podIP,
        port,
        path: p.httpGet.path ?? '',
        headers: p.httpGet.httpHeaders ?? [],
        timeoutMs,
        signal: o.signal,
      });
    }
    if (p.tcpSocket) {
      const port = resolveProbePort(p.tcpSocket.port, o.container);
      if (typeof port !== 'number') return outcome('error', port.error);
      return await tcpProbe({ host: p.tcpSocket.host || o.podIP, port, timeoutMs, signal: o.signal });
    }
    if (p.grpc) {
      return await grpcProbe({ host: o.podIP, port: p.grpc.port, service: p.grpc.service ?? '', timeoutMs, signal: o.signal });
    }
    return outcome('error', `missing probe handler for container ${o.container.name}`);
  } catch (err) {
    // Handlers do not reject by contract; should one break anyway, the run counts as not run.
    return outcome('error', err instanceof Error ? err.message : String(err));
  }
}

// ---- one probe on a timer ----------------------------------------------------------------------

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  container: Container;
  podIP: string;
  /** When the container started (initialDelaySeconds counts from here), on `clock`'s time scale. */
  startedAt: Date | number;
  exec?: ExecFn;
  clock?: Clock;
  /** The worker's result changed (thresholds applied). `message` is set for failures. */
  onResult(result: ProbeResult, message: string): void;
  /** Every failed, errored or warned run, for the container's Events. */
  onEvent?(event: ProbeEvent): void;
  logger?: ProbeLogger;
}

export class ProbeWorker {
  private readonly clock: Clock;
  private readonly log: ProbeLogger;
  private readonly periodMs: number;
  private readonly successThreshold: number;
  private readonly failureThreshold: number;
  private timer: TimerHandle | undefined;
  private inFlight: AbortController | undefined;
  private state: 'new' | 'running' | 'held' | 'stopped' = 'new';
  private lastRun: ProbeResult | undefined;
  private runLength = 0;
  private current: ProbeResult | 'unknown';

  constructor(private readonly opts: ProbeWorkerOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? silentLogger;
    const p = opts.probe;
    this.periodMs = positive(p.periodSeconds, PROBE_DEFAULTS.periodSeconds) * 1000;
    // API validation insists on 1 for liveness and startup; hold to it even for unvalidated specs.
    this.successThreshold = opts.kind === 'readiness' ? positive(p.successThreshold, PROBE_DEFAULTS.successThreshold) : 1;
    this.failureThreshold = positive(p.failureThreshold, PROBE_DEFAULTS.failureThreshold);
    // Upstream's initial values: not ready until proven, alive until proven otherwise, startup unknown.
    this.current = opts.kind === 'readiness' ? 'failure' : opts.kind === 'liveness' ? 'success' : 'unknown';
  }

  /** The result so far: readiness starts at failure, liveness at success, startup at unknown. */
  get result(): ProbeResult | 'unknown' {
    return this.current;
  }

  /** Schedules the first run at startedAt + initialDelaySeconds (at once if that has passed). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    const startedAt = typeof this.opts.startedAt === 'number' ? this.opts.startedAt : this.opts.startedAt.getTime();
    const delaySeconds = Math.max(0, this.opts.probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds);
    this.schedule(startedAt + delaySeconds * 1000 - this.clock.now());
  }

  /** Cancels the timer and any run in flight; no callback fires afterwards. Idempotent. */
  stop(): void {
    this.state = 'stopped';
    this.timer?.cancel();
    this.timer = undefined;
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, Math.max(0, ms));
  }

  private async tick(): Promise<void> {
    if (this.state !== 'running') return;
    const began = this.clock.now();
    const abort = new AbortController();
    this.inFlight = abort;
    const o = this.opts;
    const result = await runProbe({ probe: o.probe, container: o.container, podIP: o.podIP, exec: o.exec, signal: abort.signal });
    if (this.inFlight === abort) this.inFlight = undefined;
    if (this.state !== 'running') return;
    this.record(result);
    // Fixed rate like upstream's ticker: a slow run eats into the wait for the next.
    if (this.state === 'running') this.schedule(this.periodMs - (this.clock.now() - began));
  }

  private record(r: ProbeOutcome): void {
    const title = KIND_TITLE[this.opts.kind];
    let result: ProbeResult;
    let message = '';
    switch (r.result) {
      case 'error':
        this.emit({ type: 'Warning', reason: 'Unhealthy', message: `${title} probe errored and resulted in unknown state: ${r.output}` });
        return;
      case 'warning':
        this.emit({ type: 'Warning', reason: 'ProbeWarning', message: `${title} probe warning: ${r.output}` });
        result = 'success';
        break;
      case 'failure':
        message = `${title} probe failed: ${r.output}`;
        this.emit({ type: 'Warning', reason: 'Unhealthy', message });
        result = 'failure';
        break;
      case 'success':
        result = 'success';
        break;
    }
    if (result === this.lastRun) this.runLength++;
    else {
      this.lastRun = result;
      this.runLength = 1;
    }
    if (this.runLength < (result === 'failure' ? this.failureThreshold : this.successThreshold)) return;
    if (result === 'failure' && this.opts.kind !== 'readiness') {
      // The container will be killed: stop probing it (upstream's "on hold" until a new container).
      this.state = 'held';
      this.runLength = 0;
    }
    if (result === this.current) return;
    this.current = result;
    try {
      this.opts.onResult(result, message);
    } catch (err) {
      this.log.error({ component: 'prober', container: this.opts.container.name, probe: this.opts.kind, err }, 'probe result callback threw');
    }
  }

  private emit(e: ProbeEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch (err) {
      this.log.error({ component: 'prober', container: this.opts.container.name, probe: this.opts.kind, err }, 'probe event callback threw');
    }
  }
}

// ---- all probes of one container ---------------------------------------------------------------

export interface ContainerProbesOptions {
  /** The container's spec: its startupProbe, livenessProbe, readinessProbe and ports. */
  container: Container;
  podIP: string;
  /** When this run of the container started (status.state.running.startedAt). */
  startedAt: Date | number;
  /** Runs a command in this container; execOnRuntime(runtime, containerId) builds one. */
  exec: ExecFn;
  clock?: Clock;
  /** Liveness failed failureThreshold times in a row: kill and restart the container. */
  onLivenessFailure(message: string): void;
  /** Readiness changed (status.containerStatuses[].ready, the pod's Ready condition). */
  onReadinessChange(ready: boolean): void;
  /** The startup probe succeeded (containerStatuses[].started = true). */
  onStartupSuccess(): void;
  /**
   * The startup probe failed failureThreshold times: kill and restart, as upstream does. When
   * absent, onLivenessFailure is called instead (the kubelet acts the same on both).
   */
  onStartupFailure?(message: string): void;
  /** Every failed run, for Events (reason Unhealthy / ProbeWarning). */
  onEvent?(event: ProbeEvent): void;
  logger?: ProbeLogger;
}

/** The probes of one running container. */
export interface ContainerProbes {
  /** containerStatuses[].started: true without a startup probe, else once it succeeded. */
  readonly started: boolean;
  /** containerStatuses[].ready: without a readiness probe, true once started. False after stop(). */
  readonly ready: boolean;
  /** Stops every probe of the container (call when it exits or is killed). Idempotent. */
  stop(): void;
}

/**
 * Starts the probes of a running container. Callbacks report only changes, never synchronously
 * from this call: read `started` and `ready` for the initial values.
 */
export function startContainerProbes(opts: ContainerProbesOptions): ContainerProbes {
  return new ContainerProbeSet(opts);
}

class ContainerProbeSet implements ContainerProbes {
  private isStarted: boolean;
  private isReady: boolean;
  private stopped = false;
  private readonly workers: ProbeWorker[] = [];
  private readonly log: ProbeLogger;

  constructor(private readonly opts: ContainerProbesOptions) {
    this.log = opts.logger ?? silentLogger;
    const c = opts.container;
    this.isStarted = !c.startupProbe;
    this.isReady = this.isStarted && !c.readinessProbe;
    if (c.startupProbe) {
      const startup = this.worker('startup', c.startupProbe, (result, message) => {
        if (result === 'success') this.startupSucceeded(startup);
        else if (opts.onStartupFailure) this.call(() => opts.onStartupFailure?.(message));
        else this.call(() => opts.onLivenessFailure(message));
      });
    } else {
      this.startMainProbes();
    }
  }

  get started(): boolean {
    return this.isStarted;
  }

  get ready(): boolean {
    return this.isReady;
  }

  stop(): void {
    this.stopped = true;
    this.isReady = false;
    for (const w of this.workers) w.stop();
    this.workers.length = 0;
  }

  private startupSucceeded(startup: ProbeWorker): void {
    // Upstream stops probing startup once the container has started.
    startup.stop();
    this.isStarted = true;
    this.call(() => this.opts.onStartupSuccess());
    if (this.stopped) return;
    if (!this.opts.container.readinessProbe) this.setReady(true);
    if (this.stopped) return;
    this.startMainProbes();
  }

  private startMainProbes(): void {
    const c = this.opts.container;
    if (c.livenessProbe) {
      this.worker('liveness', c.livenessProbe, (result, message) => {
        if (result === 'failure') this.call(() => this.opts.onLivenessFailure(message));
      });
    }
    if (c.readinessProbe) {
      this.worker('readiness', c.readinessProbe, (result) => this.setReady(result === 'success'));
    }
  }

  private setReady(ready: boolean): void {
    if (this.stopped || ready === this.isReady) return;
    this.isReady = ready;
    this.call(() => this.opts.onReadinessChange(ready));
  }

  private worker(kind: ProbeKind, probe: Probe, onResult: ProbeWorkerOptions['onResult']): ProbeWorker {
    const o = this.opts;
    const w = new ProbeWorker({
      kind,
      probe,
      container: o.container,
      podIP: o.podIP,
      startedAt: o.startedAt,
      exec: o.exec,
      clock: o.clock,
      onResult,
      onEvent: o.onEvent,
      logger: o.logger,
    });
    this.workers.push(w);
    w.start();
    return w;
  }

  private call(fn: () => void): void {
    if (this.stopped) return;
    try {
      fn();
    } catch (err) {
      this.log.error({ component: 'prober', container: this.opts.container.name, err }, 'container probe callback threw');
    }
  }
}
