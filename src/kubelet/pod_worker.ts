// One worker per pod on this node: it drives the pod towards its spec through the runtime and
// reports what it sees. A sync is level-triggered and never runs twice at once for a pod; it is
// requested by pod updates, container exits, probe results, back-off expiry and a periodic resync.
//
// Life of a pod here: volumes, then the sandbox (its network), then init containers one by one,
// then every container; exited containers are restarted as the restart policy says, with back-off
// (immediately the first time, then 10 s doubling to 5 min, as upstream); deletion runs preStop
// hooks, stops the containers within the grace period, writes the final status and removes the pod
// object (grace 0, uid precondition) so that the API server forgets it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, ContainerState, ContainerStateTerminated, ContainerStatus as ApiContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../api/quantity.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import type { ResourceClient } from '../client/resource_client.js';
import { isNotFound } from '../client/resource_client.js';
import { ConfigError, containerArgv, containerEnv, type ConfigSource } from './env.js';
import type { ContainerResources, ContainerStatus, Runtime, Sandbox } from './runtime/runtime.js';
import { RuntimeError } from './runtime/runtime.js';
import { podConditions, podPhase } from './status.js';
import { containerMounts, setUpVolumes, VolumeError } from './volumes.js';
import { kubeletDefaults } from './defaults.js';
import { runPreStop } from './hooks.js';
import { execOnRuntime } from './probe/exec.js';
import type { PodHandle } from './stats.js';
import type { ContainerProbes, ContainerProbesOptions } from './probes.js';
import { rfc3339 } from '../api/time.js';

export interface EventSink {
  event(obj: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Starts the probes of one running container (probes.ts); absent: containers are ready when running. */
export type ProbeStarter = (options: ContainerProbesOptions) => ContainerProbes;

export interface PodWorkerDeps {
  runtime: Runtime;
  pods: ResourceClient<Pod>;
  config: ConfigSource;
  nodeName: string;
  nodeIp: string;
  allocatable: () => Record<string, string>;
  /** Where pod directories live (`<podsDir>/<uid>`). */
  podsDir: string;
  events: EventSink;
  probes?: ProbeStarter;
  clock: Clock;
  log: (msg: string) => void;
  /** The pod's resolv.conf content (cluster DNS), if any. */
  resolvConf?: (pod: Pod) => string | undefined;
  /** The worker is done with its pod: it was deleted and everything is cleaned up. */
  onDone: (uid: string) => void;
}

interface ContainerRecord {
  name: string;
  init: boolean;
  restartCount: number;
  /** The current runtime container, if one exists (running or exited). */
  id?: string;
  attempt: number;
  /** lastState: the termination before the current container. */
  last?: ContainerStateTerminated;
  /** Why the container is not running now, while the worker waits to (re)start it. */
  waiting?: { reason: string; message?: string };
  backoffMs: number;
  backoffUntil: number;
  ready: boolean;
  started: boolean;
  probes?: ContainerProbes;
  /** The start of the current container failed; its record as a termination (StartError). */
  startError?: ContainerStateTerminated;
}


function containerResources(c: Container): ContainerResources {
  const milli = (v: unknown): number | undefined => (v === undefined ? undefined : Quantity.parse(String(v)).milliValue());
  const bytes = (v: unknown): number | undefined => (v === undefined ? undefined : Quantity.parse(String(v)).value());
  return {
    cpuLimitMillis: milli(c.resources?.limits?.cpu),
    cpuRequestMillis: milli(c.resources?.requests?.cpu),
    memoryLimitBytes: bytes(c.resources?.limits?.memory),
  };
}

export class PodWorker {
  private pod: Pod | undefined;
  private readonly uid: string;
  private readonly records = new Map<string, ContainerRecord>();
  private sandbox: Sandbox | undefined;
  private volumes: Map<string, string> | undefined;
  private running = false;
  private dirty = false;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private terminating = false;
  private finished = false;
  private lastStatus = '';
  private startTime: string | undefined;
  private readonly podDir: string;
  private readonly runtimeName: string;
  private closed = false;
  /** The pod is no longer in the API (deleted with grace 0, or its deletion finished). */
  private gone = false;

  constructor(
    pod: Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.podDir = join(deps.podsDir, this.uid);
    this.runtimeName = deps.runtime.info().name;
    this.startTime = pod.status?.startTime;
    // A pod that already ran here (before an agent restart) continues its restart counts.
    for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const rec = this.record(s.name, (pod.spec?.initContainers ?? []).some((c) => c.name === s.name));
      rec.restartCount = s.restartCount ?? 0;
      rec.attempt = s.containerID ? rec.restartCount + 1 : rec.restartCount;
      if (s.containerID) {
        rec.restartCount++;
        rec.last = s.state?.terminated ?? s.lastState?.terminated;
      }
    }
  }

  get key(): string {
    return `${this.pod?.metadata?.namespace}/${this.pod?.metadata?.name}`;
  }

  /** The pod and its containers' current ids, for logs/exec lookups. */
  containerId(name: string): string | undefined {
    return this.records.get(name)?.id;
  }

  /** This pod's current container with that runtime id? */
  owns(id: string): boolean {
    for (const r of this.records.values()) if (r.id === id) return true;
    return false;
  }

  attempts(name: string): { current?: number; previous?: number } {
    const r = this.records.get(name);
    if (!r) return {};
    return { current: r.id ? r.attempt : undefined, previous: r.attempt > 0 ? r.attempt - 1 : undefined };
  }

  logPath(name: string, attempt: number): string {
    return join(this.podDir, 'logs', name, `${attempt}.log`);
  }

  sandboxId(): string | undefined {
    return this.sandbox?.id;
  }

  /** The pod and its running containers, for stats. */
  handle(): PodHandle | undefined {
    if (!this.pod || this.terminating) return undefined;
    const containers: PodHandle['containers'] = [];
    for (const r of this.records.values()) {
      if (!r.id) continue;
      const st = this.deps.runtime.containerStatus(r.id);
      if (st?.state === 'running') containers.push({ name: r.name, id: r.id, startedAt: st.startedAt });
    }
    return { pod: this.pod, containers };
  }

  currentPod(): Pod | undefined {
    return this.pod;
  }

  /** A new version of the pod from the informer, or undefined once it is gone from the API. */
  update(pod: Pod | undefined): void {
    if (pod) this.pod = pod;
    else this.gone = true;
    this.kick();
  }

  kick(): void {
    if (this.closed || this.finished) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          this.deps.log(`pod ${this.key}: sync failed: ${err instanceof Error ? err.message : String(err)}`);
          this.wakeAt(this.deps.clock.now() + 1000);
        }
      } while (this.dirty && !this.closed && !this.finished);
    } finally {
      this.running = false;
    }
  }

  /** Ensures a sync at or before `at` (ms since epoch). */
  private wakeAt(at: number): void {
    if (this.closed || this.finished) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) this.timer.cancel();
    this.timerAt = at;
    this.timer = this.deps.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.kick();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
  }

  private record(name: string, init: boolean): ContainerRecord {
    let r = this.records.get(name);
    if (!r) {
      r = { name, init, restartCount: 0, attempt: 0, backoffMs: 0, backoffUntil: 0, ready: false, started: false };
      this.records.set(name, r);
    }
    return r;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.pod) this.deps.events.event(this.pod, type, reason, message);
  }

  // ---- the sync ----

  private async sync(): Promise<void> {
    const pod = this.pod!;
    if (this.gone || pod.metadata?.deletionTimestamp || this.terminating) {
      await this.terminate();
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Nothing runs again; free the network but keep the pod (and its logs) until deleted.
      await this.stopEverything(0);
      return;
    }
    const now = this.deps.clock.now();
    this.startTime ??= rfc3339(now);
    this.wakeAt(now + kubeletDefaults.podResyncMs);

    if (!this.volumes) {
      try {
        this.volumes = await setUpVolumes({ pod, podDir: this.podDir, config: this.deps.config, allocatable: this.deps.allocatable() });
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (err instanceof VolumeError) this.event('Warning', 'FailedMount', msg);
        else this.deps.log(`pod ${this.key}: volumes: ${msg}`);
        this.wakeAt(now + kubeletDefaults.configRetryMs);
        await this.writeStatus();
        return;
      }
    }
    if (!this.sandbox) {
      try {
        this.sandbox = await this.deps.runtime.runPodSandbox({
          podUid: this.uid,
          namespace: pod.metadata?.namespace ?? 'default',
          name: pod.metadata?.name ?? '',
          hostNetwork: pod.spec?.hostNetwork ?? false,
          hostname: pod.spec?.hostname ?? pod.metadata?.name ?? '',
          podDir: this.podDir,
          resolvConf: this.deps.resolvConf?.(pod),
        });
      } catch (err) {
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${err instanceof Error ? err.message : String(err)}`);
        this.wakeAt(now + kubeletDefaults.configRetryMs);
        await this.writeStatus();
        return;
      }
    }

    const spec = pod.spec!;
    const policy = spec.restartPolicy ?? 'Always';
    let initDone = true;
    for (const c of spec.initContainers ?? []) {
      const rec = this.record(c.name, true);
      const st = rec.id ? this.deps.runtime.containerStatus(rec.id) : undefined;
      if (st?.state === 'running' || st?.state === 'created') {
        initDone = false;
        break;
      }
      if (st?.state === 'exited' && st.exitCode === 0) continue;
      initDone = false;
      // A failed init container fails the pod with Never; other policies run it again.
      if ((st?.state === 'exited' || rec.startError) && policy === 'Never') {
        rec.waiting = undefined;
        break;
      }
      await this.startContainer(c, rec, pod);
      break;
    }
    if (initDone) {
      for (const c of spec.containers ?? []) {
        const rec = this.record(c.name, false);
        const st = rec.id ? this.deps.runtime.containerStatus(rec.id) : undefined;
        if (st?.state === 'running' || st?.state === 'created') continue;
        if (!rec.id && !rec.startError) {
          await this.startContainer(c, rec, pod);
          continue;
        }
        const exitCode = st?.exitCode ?? rec.startError?.exitCode ?? 1;
        if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) await this.startContainer(c, rec, pod);
        else rec.waiting = undefined;
      }
    }
    await this.writeStatus();
  }

  /** Starts (or restarts, honouring back-off) one container. */
  private async startContainer(c: Container, rec: ContainerRecord, pod: Pod): Promise<void> {
    const now = this.deps.clock.now();
    const previous = rec.id ? this.deps.runtime.containerStatus(rec.id) : undefined;
    const hasRun = previous?.state === 'exited' || rec.startError !== undefined;
    if (hasRun) {
      const ranMs = previous?.startedAt && previous.finishedAt ? previous.finishedAt.getTime() - previous.startedAt.getTime() : 0;
      if (ranMs >= kubeletDefaults.backoffResetMs) rec.backoffMs = 0;
      if (now < rec.backoffUntil) {
        rec.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(rec.backoffMs / 1000)}s restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${this.uid})`,
        };
        this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata?.name}_${pod.metadata?.namespace}(${this.uid})`);
        this.wakeAt(rec.backoffUntil);
        return;
      }
    }
    // Configuration first: a missing ConfigMap keeps the old container (and its logs) as they are.
    let env: Array<[string, string]>;
    try {
      env = await containerEnv({ pod, container: c, config: this.deps.config, allocatable: this.deps.allocatable() });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      rec.waiting = { reason: 'CreateContainerConfigError', message: err.message };
      this.event('Warning', 'Failed', `Error: ${err.message}`);
      this.wakeAt(now + kubeletDefaults.configRetryMs);
      return;
    }
    if (hasRun) {
      rec.last = this.terminatedOf(rec, previous);
      rec.restartCount++;
      rec.backoffMs = rec.backoffMs === 0 ? kubeletDefaults.backoffInitialMs : Math.min(rec.backoffMs * 2, kubeletDefaults.backoffMaxMs);
      rec.backoffUntil = now + rec.backoffMs;
    }
    if (rec.id) {
      await this.deps.runtime.removeContainer(rec.id).catch((err: unknown) => this.deps.log(`pod ${this.key}: remove ${c.name}: ${String(err)}`));
      rec.id = undefined;
    }
    rec.startError = undefined;
    rec.ready = false;
    rec.started = false;
    rec.attempt = rec.restartCount;
    let id: string;
    try {
      id = await this.deps.runtime.createContainer(this.sandbox!.id, {
        name: c.name,
        attempt: rec.attempt,
        argv: containerArgv(c, env),
        env,
        workingDir: c.workingDir,
        mounts: containerMounts(c, this.volumes ?? new Map()),
        resources: containerResources(c),
        logPath: this.logPath(c.name, rec.attempt),
        stdin: c.stdin ?? false,
        stdinOnce: c.stdinOnce ?? false,
        tty: c.tty ?? false,
      });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      rec.waiting = { reason: err instanceof RuntimeError ? err.reason : 'CreateContainerError', message: msg };
      this.event('Warning', 'Failed', `Error: ${msg}`);
      // Nothing ran; the same spec fails the same way, so wait a little before trying again.
      this.wakeAt(now + kubeletDefaults.configRetryMs);
      return;
    }
    rec.id = id;
    this.event('Normal', 'Pulled', `Container image "${c.image ?? ''}" already present on machine`);
    this.event('Normal', 'Created', `Created container ${c.name}`);
    try {
      await this.deps.runtime.startContainer(id);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      rec.waiting = { reason: 'RunContainerError', message: msg };
      rec.startError = { exitCode: 128, reason: 'StartError', message: msg, startedAt: rfc3339(0), finishedAt: rfc3339(this.deps.clock.now()), containerID: `${this.runtimeName}://${id}` };
      this.event('Warning', 'Failed', `Error: ${msg}`);
      if (rec.backoffMs === 0) {
        rec.backoffMs = kubeletDefaults.backoffInitialMs;
        rec.backoffUntil = now + rec.backoffMs;
      }
      this.wakeAt(rec.backoffUntil);
      return;
    }
    rec.waiting = undefined;
    this.event('Normal', 'Started', `Started container ${c.name}`);
    this.startProbes(c, rec, pod, id);
  }

  private startProbes(c: Container, rec: ContainerRecord, pod: Pod, id: string): void {
    rec.probes?.stop();
    rec.probes = undefined;
    if (!this.deps.probes || rec.init || (!c.livenessProbe && !c.readinessProbe && !c.startupProbe)) {
      rec.started = true;
      rec.ready = !rec.init;
      return;
    }
    const startedAt = this.deps.runtime.containerStatus(id)?.startedAt ?? new Date(this.deps.clock.now());
    const same = (): boolean => this.records.get(c.name)?.id === id && !this.terminating;
    const restart = (why: string): void => {
      if (!same()) return;
      this.event('Normal', 'Killing', `Container ${c.name} ${why}, will be restarted`);
      const grace = c.livenessProbe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.deps.runtime.stopContainer(id, grace).catch((err: unknown) => this.deps.log(`pod ${this.key}: kill ${c.name}: ${String(err)}`));
    };
    const probes = this.deps.probes({
      container: c,
      podIP: this.sandbox?.ip ?? this.deps.nodeIp,
      startedAt,
      clock: this.deps.clock,
      exec: execOnRuntime(this.deps.runtime, id),
      onLivenessFailure: () => restart('failed liveness probe'),
      onStartupFailure: () => restart('failed startup probe'),
      onReadinessChange: (ready) => {
        if (!same()) return;
        rec.ready = ready;
        this.kick();
      },
      onStartupSuccess: () => {
        if (!same()) return;
        rec.started = true;
        rec.ready = probes.ready;
        this.kick();
      },
      onEvent: (e) => {
        if (same()) this.event(e.type, e.reason, e.message);
      },
    });
    rec.probes = probes;
    rec.started = probes.started;
    rec.ready = probes.ready;
  }

  /** The termination of the current container (exited or failed to start) as the API shows it. */
  private terminatedOf(rec: ContainerRecord, st: ContainerStatus | undefined): ContainerStateTerminated | undefined {
    if (rec.startError) return rec.startError;
    if (!st || st.state !== 'exited') return undefined;
    const t: ContainerStateTerminated = {
      exitCode: st.exitCode ?? 0,
      reason: st.reason ?? (st.exitCode === 0 ? 'Completed' : 'Error'),
      startedAt: st.startedAt ? rfc3339(st.startedAt) : undefined,
      finishedAt: st.finishedAt ? rfc3339(st.finishedAt) : undefined,
      containerID: `${this.runtimeName}://${st.id}`,
    };
    if (st.message) t.message = st.message;
    return t;
  }

  private containerStatus(c: Container, init: boolean, initPending: boolean): ApiContainerStatus {
    const rec = this.record(c.name, init);
    const st = rec.id ? this.deps.runtime.containerStatus(rec.id) : undefined;
    let state: ContainerState;
    let lastState: ContainerState = rec.last ? { terminated: rec.last } : {};
    if (st?.state === 'running') {
      state = { running: { startedAt: st.startedAt ? rfc3339(st.startedAt) : undefined } };
    } else if (rec.waiting) {
      state = { waiting: { ...rec.waiting } };
      const t = this.terminatedOf(rec, st);
      if (t) lastState = { terminated: t };
    } else if (st?.state === 'exited' || rec.startError) {
      state = { terminated: this.terminatedOf(rec, st)! };
    } else {
      const reason = !this.sandbox || !this.volumes ? 'ContainerCreating' : initPending ? 'PodInitializing' : 'ContainerCreating';
      state = { waiting: { reason } };
    }
    const running = st?.state === 'running';
    const out: ApiContainerStatus = {
      name: c.name,
      state,
      lastState,
      ready: init ? state.terminated?.exitCode === 0 : running && rec.ready,
      restartCount: rec.restartCount,
      image: c.image ?? '',
      imageID: '',
      started: init ? running : running && rec.started,
    };
    if (rec.id) out.containerID = `${this.runtimeName}://${rec.id}`;
    return out;
  }

  private computeStatus(final: boolean): PodStatus {
    const pod = this.pod!;
    const spec = pod.spec!;
    const initStatuses: ApiContainerStatus[] = [];
    const pendingInit: string[] = [];
    let initFailed = false;
    for (const c of spec.initContainers ?? []) {
      const s = this.containerStatus(c, true, false);
      initStatuses.push(s);
      if (s.state?.terminated?.exitCode !== 0) {
        pendingInit.push(c.name);
        // With Never a failed init container stays terminated: the pod has failed.
        if (spec.restartPolicy === 'Never' && s.state?.terminated) initFailed = true;
      }
    }
    const initialized = pendingInit.length === 0;
    const statuses = (spec.containers ?? []).map((c) => this.containerStatus(c, false, !initialized));
    if (final) {
      // Everything has stopped: no container waits for a restart that will not come.
      for (const s of statuses) {
        if (s.state?.waiting && s.lastState?.terminated) s.state = { terminated: s.lastState.terminated };
        s.ready = false;
        s.started = false;
      }
    }
    const phase = podPhase({ restartPolicy: final ? 'Never' : (spec.restartPolicy ?? 'Always'), initialized, initFailed, containers: statuses });
    // A pod stopped by deletion whose containers never ran to success is Failed, as upstream.
    const finalPhase = final && phase !== 'Succeeded' ? 'Failed' : phase;
    const now = rfc3339(this.deps.clock.now());
    const status: PodStatus = {
      phase: finalPhase,
      conditions: podConditions({ pod, phase: finalPhase, sandboxReady: !!this.sandbox && !final, initialized, pendingInit, containers: statuses }, now),
      hostIP: this.deps.nodeIp,
      hostIPs: [{ ip: this.deps.nodeIp }],
      startTime: this.startTime,
      containerStatuses: statuses,
    };
    if (this.sandbox) {
      status.podIP = this.sandbox.ip;
      status.podIPs = [{ ip: this.sandbox.ip }];
    } else if (pod.status?.podIP) {
      status.podIP = pod.status.podIP;
      status.podIPs = pod.status.podIPs;
    }
    if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
    return status;
  }

  private async writeStatus(final = false): Promise<void> {
    if (!this.pod || this.gone) return;
    const status = this.computeStatus(final);
    // lastTransitionTime moves only with a status change, so equal JSON means nothing changed.
    const text = JSON.stringify(status);
    if (text === this.lastStatus) return;
    const ns = this.pod.metadata?.namespace ?? 'default';
    const name = this.pod.metadata?.name ?? '';
    try {
      const updated = await this.deps.pods.subresource<Pod>(ns, name, 'status', 'PATCH', { metadata: { uid: this.uid }, status }, { patchType: 'merge' });
      this.lastStatus = text;
      if (updated?.metadata?.uid === this.uid) this.pod = updated;
    } catch (err) {
      if (isNotFound(err)) {
        this.gone = true;
        this.kick();
        return;
      }
      this.deps.log(`pod ${this.key}: status update failed: ${err instanceof Error ? err.message : String(err)}`);
      this.wakeAt(this.deps.clock.now() + 1000);
    }
  }

  // ---- stopping ----

  /** Stops every container (preStop hooks first, within `graceSeconds`) and the sandbox. */
  private async stopEverything(graceSeconds: number): Promise<void> {
    const pod = this.pod;
    const deadline = this.deps.clock.now() + graceSeconds * 1000;
    const specs = new Map<string, Container>();
    for (const c of [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])]) specs.set(c.name, c);
    await Promise.all(
      [...this.records.values()].map(async (rec) => {
        rec.probes?.stop();
        rec.probes = undefined;
        rec.ready = false;
        if (!rec.id) return;
        const st = this.deps.runtime.containerStatus(rec.id);
        if (st?.state !== 'running') return;
        const spec = specs.get(rec.name);
        this.event('Normal', 'Killing', `Stopping container ${rec.name}`);
        if (spec?.lifecycle?.preStop && graceSeconds > 0) {
          await runPreStop({ runtime: this.deps.runtime, id: rec.id, hook: spec.lifecycle.preStop, podIp: this.sandbox?.ip ?? this.deps.nodeIp, deadline, clock: this.deps.clock }).catch((err: unknown) =>
            this.event('Warning', 'FailedPreStopHook', `PreStopHook failed: ${err instanceof Error ? err.message : String(err)}`),
          );
        }
        const remaining = Math.max(0, Math.ceil((deadline - this.deps.clock.now()) / 1000));
        await this.deps.runtime.stopContainer(rec.id, graceSeconds > 0 ? Math.max(remaining, kubeletDefaults.minStopGraceSeconds) : 0);
      }),
    );
    if (this.sandbox) await this.deps.runtime.stopPodSandbox(this.sandbox.id);
  }

  private async terminate(): Promise<void> {
    const pod = this.pod!;
    const first = !this.terminating;
    this.terminating = true;
    if (first) {
      const grace = this.gone ? 0 : (pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
      await this.stopEverything(grace);
      await this.writeStatus(true);
      for (const rec of this.records.values()) {
        if (rec.id) await this.deps.runtime.removeContainer(rec.id).catch(() => undefined);
      }
      if (this.sandbox) await this.deps.runtime.removePodSandbox(this.sandbox.id).catch(() => undefined);
    }
    if (!this.gone) {
      try {
        await this.deps.pods.delete(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (err) {
        if (!isNotFound(err) && !(err instanceof Error && /precondition|Conflict/i.test(err.message))) {
          this.deps.log(`pod ${this.key}: final delete failed: ${err instanceof Error ? err.message : String(err)}`);
          this.wakeAt(this.deps.clock.now() + 1000);
          return;
        }
      }
    }
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    if (this.timer) this.timer.cancel();
    this.timer = undefined;
    rmSync(this.podDir, { recursive: true, force: true });
    this.deps.onDone(this.uid);
  }

  /** Agent shutdown: probes and timers stop; the runtime's close() stops the processes. */
  close(): void {
    this.closed = true;
    if (this.timer) this.timer.cancel();
    this.timer = undefined;
    for (const rec of this.records.values()) rec.probes?.stop();
  }
}
