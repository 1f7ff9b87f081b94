// The `process` runtime driver: every container is a host process started from its argv (there
// is no image), the raw-exec model of Nomad. As root, with util-linux and iproute2 at hand, a pod
// gets its own network namespace and IP on this node's bridge (network.ts), each container its
// own mount and UTS namespaces with the volumes bind-mounted (launch.ts) and a cgroup with its
// limits (cgroups.ts). Otherwise containers are plain processes on the host network, and info()
// says what is not enforced so the kubelet can put it in a node condition.
//
// Each container leads its own process group; stopping it signals the group, and once its main
// process exits whatever it left (the group, the cgroup) is killed, as the end of a container's
// pid namespace would. Output goes to the CRI log file (logs.ts) and to attached clients. A
// container counts as exited only after its log is flushed, so a reader following the log until
// the exit sees every line.
//
// Host objects carry this node's key in their names (names.ts) and are recorded under rootDir
// (state.ts); a new runtime of the same node removes what a crashed one left, and nothing else.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream';
import { createLogWriter, type LogStream, type LogWriter } from '../logs.js';
import {
  RuntimeError,
  type ContainerConfig,
  type ContainerStats,
  type ContainerStatus,
  type ExecOptions,
  type ExecSession,
  type Mount,
  type Runtime,
  type RuntimeInfo,
  type Sandbox,
  type SandboxConfig,
} from '../runtime.js';
import { Cgroup, detectCgroups, type CgroupHost } from './cgroups.js';
import { processRuntimeDefaults } from './defaults.js';
import { childTerminal, delay, findTool, groupUsage, killGroup, killPid, processStartTime, run, signalNumber } from './host.js';
import { Ipam } from './ipam.js';
import { READY_LINE, containerLaunch, execLaunch, type LaunchTools } from './launch.js';
import { defaultBridgeName, netnsPrefix, sandboxId, sandboxNames, validInterfaceName, type SandboxNames } from './names.js';
import { PodNetwork, netnsPath } from './network.js';
import { StateStore } from './state.js';

export interface ProcessRuntimeOptions {
  /** This node's state directory (IPAM, recorded pids); one per node. */
  rootDir: string;
  nodeName: string;
  nodeIp: string;
  /** The node's pod CIDR (IPv4, e.g. 10.42.0.0/24); without it pods use the host network. */
  podCidr?: string;
  /** The node's bridge (≤ 15 characters); default `cbr` + a hash of the node name. */
  bridgeName?: string;
  log?: (msg: string) => void;
  /** 'auto' (default): isolate pods when root and the tools exist; 'none': plain host processes. */
  isolation?: 'auto' | 'none';
  /** Cgroup path to put containers under (see cgroups.ts for the default). */
  cgroupParent?: string;
  /** Grace between SIGTERM and SIGKILL in close(). */
  closeGraceMs?: number;
}

interface SandboxRecord {
  id: string;
  config: SandboxConfig;
  ip: string;
  /** Set when the pod has its own network namespace. */
  names?: SandboxNames;
  /** Directory with the pod's resolv.conf/hosts copies. */
  filesDir?: string;
  extraMounts: Mount[];
  containers: Set<string>;
  stopped: boolean;
}

type StartOutcome = { ok: true } | { ok: false; message: string };

interface ContainerRecord {
  id: string;
  sandbox: SandboxRecord;
  config: ContainerConfig;
  status: ContainerStatus;
  child?: ChildProcess;
  cgroup?: Cgroup;
  log?: LogWriter;
  /** The container's stdin, kept open when it was created with stdin: true. */
  stdin?: Writable;
  /** Settles when the start is decided (never rejects). */
  startOutcome?: Promise<StartOutcome>;
  /** Resolves once the exit is fully handled (log flushed, status final); set when spawned. */
  exitHandled?: Promise<void>;
  exitHandledResolve?: () => void;
  /** The exit handling, once it began (it runs once, whoever notices the exit first). */
  finishing?: Promise<void>;
  /** Resolves when the child's stdio has closed. */
  closed?: Promise<void>;
  attachments: Set<Attachment>;
  execs: Set<ChildProcess>;
  /** The first words on stderr while starting, for the error message of a failed start. */
  earlyStderr: string;
}

/** Creates the runtime; cleanup of a previous run of this node starts at once, in the background. */
export function createProcessRuntime(options: ProcessRuntimeOptions): ProcessRuntime {
  return new ProcessRuntime(options);
}

export class ProcessRuntime implements Runtime {
  private readonly log: (msg: string) => void;
  private readonly tools: LaunchTools & { ip?: string; stty?: string };
  /** Mount + UTS namespaces per container (and exec entering them). */
  private readonly isolate: boolean;
  private cgroups: CgroupHost | undefined;
  private readonly ipam: Ipam | undefined;
  private readonly network: PodNetwork | undefined;
  private readonly limitations: string[] = [];
  private readonly state: StateStore;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly exitListeners = new Set<(id: string) => void>();
  private readonly execs = new Set<ChildProcess>();
  private readonly ready: Promise<void>;
  private readonly bridgeName: string;
  private seq = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.log = options.log ?? (() => undefined);
    this.bridgeName = options.bridgeName ?? defaultBridgeName(options.nodeName);
    if (!validInterfaceName(this.bridgeName)) throw new Error(`bridge name "${this.bridgeName}" is not a valid interface name (at most 15 letters, digits, '_', '-', '.')`);
    this.tools = {
      sh: findTool('sh') ?? '/bin/sh',
      nsenter: findTool('nsenter'),
      unshare: findTool('unshare'),
      mount: findTool('mount'),
      mkdir: findTool('mkdir'),
      script: findTool('script'),
      ip: findTool('ip'),
      stty: findTool('stty'),
    };
    this.state = new StateStore(join(options.rootDir, 'state.json'), options.nodeName);

    const wanted = options.isolation !== 'none';
    const root = process.getuid?.() === 0;
    const missing = (names: Array<keyof typeof this.tools>): string[] => names.filter((n) => !this.tools[n]);
    if (!wanted) {
      this.limitations.push('process isolation is off: pods share the host network, resource limits and volume mounts are not enforced');
    } else if (!root) {
      this.limitations.push('not running as root: pods share the host network, resource limits and volume mounts are not enforced');
    }
    const nsMissing = missing(['nsenter', 'unshare', 'mount', 'mkdir']);
    this.isolate = wanted && root && nsMissing.length === 0;
    if (wanted && root && nsMissing.length) this.limitations.push(`${nsMissing.join(', ')} not found: volume mounts are not enforced`);

    if (wanted && root) {
      const cg = detectCgroups({ parent: options.cgroupParent });
      if (cg.ok) this.cgroups = cg.host;
      else this.limitations.push(`resource limits are not enforced: ${cg.why}`);

      const netMissing = missing(['ip', 'nsenter']);
      if (netMissing.length) this.limitations.push(`${netMissing.join(', ')} not found: pods share the host network`);
      else if (!options.podCidr) this.limitations.push('the node has no pod CIDR: pods share the host network');
      else {
        try {
          this.ipam = new Ipam({ file: join(options.rootDir, 'ipam.json'), cidr: options.podCidr, log: this.log });
          this.network = new PodNetwork({ ip: this.tools.ip as string, bridge: this.bridgeName, ipam: this.ipam, log: this.log });
        } catch (err) {
          this.limitations.push(`pods share the host network: ${errorWords(err)}`);
        }
      }
    }
    if (wanted && root && !this.tools.script) this.limitations.push('util-linux script not found: tty is not available');
    this.ready = this.init().catch((err: unknown) => this.log(`process runtime: cleaning up a previous run failed: ${errorWords(err)}`));
  }

  info(): RuntimeInfo {
    return {
      name: 'process',
      podNetwork: this.network !== undefined,
      resourceLimits: this.cgroups !== undefined,
      limitations: this.limitations.length ? this.limitations.join('; ') : undefined,
    };
  }

  /** Resolves once the leftovers of a previous run are gone (every method waits for it too). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  // -------------------------------------------------------------------------------------------
  // Cleanup of a previous run of this node

  private async init(): Promise<void> {
    const { nodeName } = this.options;
    await mkdir(this.options.rootDir, { recursive: true });
    const prev = await this.state.previous();
    const mine = prev && prev.nodeName === nodeName ? prev : undefined;
    let cleaned = 0;
    for (const c of Object.values(mine?.containers ?? {})) {
      // Only the process we started, not one that got its pid since.
      const start = await processStartTime(c.pid);
      if (start !== undefined && start === c.startTime) {
        killGroup(c.pid, 'SIGKILL');
        killPid(c.pid, 'SIGKILL');
        cleaned++;
      }
    }
    if (this.cgroups) {
      const leftovers = await this.cgroups.existing(nodeName);
      for (const c of Object.values(mine?.containers ?? {})) {
        if (c.cgroupDirs.length) leftovers.push(new Cgroup(this.cgroups.version, new Map(c.cgroupDirs.map((d, i) => [String(i), d]))));
      }
      for (const cg of leftovers) {
        await cg.remove().catch((err: unknown) => this.log(`removing stale cgroup ${cg.dirs.join(', ')}: ${errorWords(err)}`));
      }
      cleaned += leftovers.length;
      try {
        await this.cgroups.prepareNode(nodeName);
      } catch (err) {
        this.limitations.push(`resource limits are not enforced: cannot set up cgroups: ${errorWords(err)}`);
        this.cgroups = undefined;
      }
    }
    const keepIps = new Set<string>();
    if (this.options.isolation !== 'none' && process.getuid?.() === 0 && this.tools.ip) {
      const net = this.network ?? new PodNetwork({ ip: this.tools.ip, bridge: this.bridgeName, log: this.log });
      const recorded = Object.entries(mine?.sandboxes ?? {});
      for (const [, sb] of recorded) if (sb.hostVeth) await net.deleteLink(sb.hostVeth).catch((err: unknown) => this.log(`stale veth ${sb.hostVeth}: ${errorWords(err)}`));
      for (const ns of await net.list(netnsPrefix(nodeName))) {
        for (const pid of await net.pids(ns)) killPid(pid, 'SIGKILL');
        try {
          await net.teardown({ netns: ns, hostVeth: '' });
          cleaned++;
        } catch (err) {
          this.log(`removing stale network namespace ${ns}: ${errorWords(err)}`);
          for (const [, sb] of recorded) if (sb.netns === ns && sb.ip) keepIps.add(sb.ip);
        }
      }
      // The bridge is ours when we recorded making it, or when it has the name made from ours.
      if (mine?.bridge === this.bridgeName || this.bridgeName === defaultBridgeName(nodeName)) await net.removeBridge().catch((err: unknown) => this.log(`stale bridge ${this.bridgeName}: ${errorWords(err)}`));
    }
    // Every pod of the previous run is gone now; its addresses are free unless its netns stayed.
    await this.ipam?.retain((ip) => keepIps.has(ip));
    await this.state.update((s) => {
      s.containers = {};
      s.sandboxes = {};
      delete s.bridge;
    });
    if (cleaned > 0) this.log(`process runtime: removed ${cleaned} leftover(s) of a previous run of node ${nodeName}`);
  }

  // -------------------------------------------------------------------------------------------
  // Sandboxes

  async runPodSandbox(config: SandboxConfig): Promise<Sandbox> {
    await this.ready;
    if (this.closing) throw new RuntimeError('CreatePodSandboxError', 'the process runtime is shutting down');
    const id = sandboxId(this.options.nodeName, config.podUid, `${Date.now()}-${++this.seq}-${randomBytes(4).toString('hex')}`);
    const sb: SandboxRecord = { id, config, ip: this.options.nodeIp, extraMounts: [], containers: new Set(), stopped: false };
    const pod = `${config.namespace}/${config.name}`;
    if (this.network && this.ipam && !config.hostNetwork) {
      const names = sandboxNames(this.options.nodeName, id);
      let ip: string;
      try {
        ip = await this.ipam.allocate(id);
      } catch (err) {
        throw new RuntimeError('CreatePodSandboxError', `pod ${pod}: ${errorWords(err)}`);
      }
      // Recorded before anything is made, so a crash half-way still gets cleaned up.
      await this.state.update((s) => (s.sandboxes[id] = { netns: names.netns, hostVeth: names.hostVeth, ip }));
      try {
        await this.network.ensureBridge();
        if (this.network.bridgeCreated) await this.state.update((s) => (s.bridge = this.bridgeName));
        await this.network.setup(names, ip);
      } catch (err) {
        await this.ipam.release(ip).catch(() => undefined);
        await this.state.update((s) => delete s.sandboxes[id]);
        throw new RuntimeError('CreatePodSandboxError', `pod ${pod}: setting up its network failed: ${errorWords(err)}`);
      }
      sb.names = names;
      sb.ip = ip;
    }
    if (this.isolate && (config.resolvConf !== undefined || config.hosts !== undefined)) {
      sb.filesDir = join(config.podDir, 'sandbox', id);
      try {
        await mkdir(sb.filesDir, { recursive: true });
        if (config.resolvConf !== undefined) {
          await writeFile(join(sb.filesDir, 'resolv.conf'), config.resolvConf);
          sb.extraMounts.push({ hostPath: join(sb.filesDir, 'resolv.conf'), containerPath: '/etc/resolv.conf', readOnly: false });
        }
        if (config.hosts !== undefined) {
          await writeFile(join(sb.filesDir, 'hosts'), config.hosts);
          sb.extraMounts.push({ hostPath: join(sb.filesDir, 'hosts'), containerPath: '/etc/hosts', readOnly: false });
        }
      } catch (err) {
        this.sandboxes.set(id, sb);
        await this.removePodSandbox(id).catch(() => undefined);
        throw new RuntimeError('CreatePodSandboxError', `pod ${pod}: writing resolv.conf/hosts: ${errorWords(err)}`);
      }
    }
    this.sandboxes.set(id, sb);
    return { id, ip: sb.ip };
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.ready;
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    await Promise.all([...sb.containers].map((cid) => this.killContainer(cid)));
    if (sb.names && this.network) {
      // Anything still in the namespace (a process that left its group and cgroup) goes too.
      for (const pid of await this.network.pids(sb.names.netns)) killPid(pid, 'SIGKILL');
      await this.network.teardown(sb.names);
    }
    sb.stopped = true;
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.ready;
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    await this.stopPodSandbox(id);
    for (const cid of [...sb.containers]) await this.removeContainer(cid);
    if (sb.names && this.ipam) await this.ipam.release(sb.ip);
    if (sb.filesDir) await rm(sb.filesDir, { recursive: true, force: true });
    this.sandboxes.delete(id);
    await this.state.update((s) => delete s.sandboxes[id]);
  }

  // -------------------------------------------------------------------------------------------
  // Containers

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    await this.ready;
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeError('CreateContainerError', `pod sandbox ${sandboxId} not found`);
    if (sb.stopped) throw new RuntimeError('CreateContainerError', `pod sandbox ${sandboxId} is stopped`);
    if (config.argv.length === 0 || config.argv[0] === '') {
      throw new RuntimeError(
        'CreateContainerError',
        `container "${config.name}" has no command: the process runtime runs a host command and cannot use the image's entrypoint; give the container a command (and args), or run the node with a container runtime (--runtime containerd)`,
      );
    }
    const id = randomBytes(16).toString('hex');
    this.containers.set(id, {
      id,
      sandbox: sb,
      config,
      status: { id, name: config.name, state: 'created', createdAt: new Date() },
      attachments: new Set(),
      execs: new Set(),
      earlyStderr: '',
    });
    sb.containers.add(id);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.ready;
    const rec = this.containers.get(id);
    if (!rec) throw new RuntimeError('RunContainerError', `container ${id} not found`);
    if (rec.startOutcome || rec.status.state !== 'created') throw new RuntimeError('RunContainerError', `container "${rec.config.name}" was already started`);
    if (rec.sandbox.stopped || this.closing) throw new RuntimeError('RunContainerError', `container "${rec.config.name}": its pod sandbox is stopped`);
    const { config, sandbox } = rec;
    let outcomeResolve!: (o: StartOutcome) => void;
    rec.startOutcome = new Promise((resolve) => (outcomeResolve = resolve));
    const fail = async (message: string): Promise<never> => {
      outcomeResolve({ ok: false, message });
      await this.finishExit(rec, null, null);
      // Removed meanwhile: removeContainer could not see the cgroup made after it looked.
      if (this.containers.get(id) !== rec) await rec.cgroup?.remove().catch(() => undefined);
      throw new RuntimeError('RunContainerError', `failed to start container "${config.name}": ${message}`);
    };

    try {
      rec.log = await createLogWriter(config.logPath, { onError: (err) => this.log(`container ${config.name}: writing its log: ${errorWords(err)}`) });
    } catch (err) {
      return fail(`cannot open its log file: ${errorWords(err)}`);
    }
    if (this.cgroups) {
      try {
        rec.cgroup = await this.cgroups.create(this.options.nodeName, id, config.resources);
      } catch (err) {
        return fail(`cannot set up its cgroup: ${errorWords(err)}`);
      }
    }
    const plan = containerLaunch({
      tools: this.tools,
      cgroupProcs: rec.cgroup?.procsFiles ?? [],
      netnsPath: sandbox.names ? netnsPath(sandbox.names.netns) : undefined,
      isolate: this.isolate,
      hostname: sandbox.config.hostname,
      mounts: this.isolate ? [...config.mounts, ...sandbox.extraMounts] : [],
      workingDir: config.workingDir || processRuntimeDefaults.workingDir,
      argv: config.argv,
      tty: config.tty,
    });

    // The awaits above leave room for removeContainer, stopPodSandbox or close to run.
    if (this.containers.get(id) !== rec || rec.sandbox.stopped || this.closing) return fail('it was removed or stopped while starting');
    const child = spawn(plan.file, plan.args, {
      cwd: '/',
      detached: true,
      env: containerEnv(config, sandbox.config, config.tty),
      stdio: [config.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    rec.child = child;
    rec.exitHandled = new Promise((resolve) => (rec.exitHandledResolve = resolve));
    rec.closed = new Promise((resolve) => child.once('close', () => resolve()));
    if (child.stdin) {
      child.stdin.on('error', (err) => this.log(`container ${config.name}: stdin: ${errorWords(err)}`));
      rec.stdin = child.stdin;
    }
    this.pumpOutput(rec, child.stdout as Readable, 'stdout');
    this.pumpOutput(rec, child.stderr as Readable, 'stderr');

    // The start is decided by SETUP's report on fd 3 (see launch.ts).
    let report = '';
    const status = child.stdio[3] as Readable;
    status.on('data', (b: Buffer) => {
      report += b.toString();
      if (report.startsWith(`${READY_LINE}\n`) && rec.status.state === 'created') {
        // Running from here: the exit handling waits for this pipe, so it cannot come first.
        rec.status = { ...rec.status, state: 'running', startedAt: new Date(), pid: child.pid };
        outcomeResolve({ ok: true });
      }
    });
    status.on('error', () => undefined);
    status.once('close', () => {
      const words = report.trim() || rec.earlyStderr.trim().split('\n').slice(-3).join('; ');
      outcomeResolve({ ok: false, message: words || 'the process exited before it started' });
    });
    child.once('error', (err) => {
      outcomeResolve({ ok: false, message: errorWords(err) });
      // A failed spawn may never emit 'exit'.
      if (child.pid === undefined) void this.finishExit(rec, null, null);
    });
    child.once('exit', (code, signal) => void this.finishExit(rec, code, signal));

    const outcome = await rec.startOutcome;
    if (!outcome.ok) {
      await rec.exitHandled;
      throw new RuntimeError('RunContainerError', `failed to start container "${config.name}": ${outcome.message}`);
    }
    const pid = child.pid as number;
    const startTime = await processStartTime(pid);
    // Recorded for cleanup after a crash, unless it already exited meanwhile.
    if (this.containerStatus(id)?.state === 'running') {
      await this.state.update((s) => (s.containers[id] = { pid, startTime, cgroupDirs: rec.cgroup?.dirs ?? [] }));
    }
  }

  private pumpOutput(rec: ContainerRecord, src: Readable, stream: LogStream): void {
    src.on('error', (err) => this.log(`container ${rec.config.name}: ${stream}: ${errorWords(err)}`));
    src.on('data', (chunk: Buffer) => {
      if (stream === 'stderr' && rec.status.state === 'created' && rec.earlyStderr.length < 4096) rec.earlyStderr += chunk.toString();
      const w = rec.log?.[stream];
      if (w && !w.writableEnded && !w.write(chunk)) {
        // The disk is behind: hold the pipe (the process blocks on write) until it catches up.
        src.pause();
        w.once('drain', () => src.resume());
      }
      for (const a of rec.attachments) a.deliver(stream, chunk);
    });
  }

  /** Runs the exit handling once. */
  private finishExit(rec: ContainerRecord, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    rec.finishing ??= this.handleExit(rec, code, signal)
      .catch((err: unknown) => this.log(`container ${rec.config.name}: handling its exit: ${errorWords(err)}`))
      .finally(() => rec.exitHandledResolve?.());
    return rec.finishing;
  }

  /** Everything after the main process is gone; sets the final status and tells listeners. */
  private async handleExit(rec: ContainerRecord, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const finishedAt = new Date();
    const child = rec.child;
    if (child?.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    for (const e of rec.execs) if (e.pid !== undefined) killGroup(e.pid, 'SIGKILL');
    if (rec.cgroup) await rec.cgroup.killAll().catch((err: unknown) => this.log(`container ${rec.config.name}: ${errorWords(err)}`));
    if (rec.closed) await within(rec.closed, processRuntimeDefaults.outputDrainMs);
    child?.stdout?.destroy();
    child?.stderr?.destroy();
    (child?.stdio[3] as Readable | undefined)?.destroy();
    await rec.log?.close().catch((err: unknown) => this.log(`container ${rec.config.name}: closing its log: ${errorWords(err)}`));
    const outcome = (await rec.startOutcome) ?? { ok: false, message: 'not started' };
    const oomKills = rec.cgroup ? await rec.cgroup.oomKills() : 0;
    let exitCode = code ?? 128 + signalNumber(signal);
    let reason: string;
    let message: string | undefined;
    if (!outcome.ok) {
      exitCode = processRuntimeDefaults.startErrorExitCode;
      reason = 'StartError';
      message = outcome.message;
    } else if (oomKills > 0) {
      reason = 'OOMKilled';
    } else {
      reason = exitCode === 0 ? 'Completed' : 'Error';
    }
    rec.status = { ...rec.status, state: 'exited', finishedAt, exitCode, reason, ...(message !== undefined ? { message } : {}) };
    for (const a of [...rec.attachments]) a.end(exitCode);
    rec.stdin?.destroy();
    await this.state.update((s) => delete s.containers[rec.id]).catch((err: unknown) => this.log(`process runtime state: ${errorWords(err)}`));
    for (const l of [...this.exitListeners]) {
      try {
        l(rec.id);
      } catch (err) {
        this.log(`onExit listener failed: ${errorWords(err)}`);
      }
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.ready;
    const rec = this.containers.get(id);
    if (!rec) return;
    await this.terminate(rec, Math.max(0, timeoutSeconds) * 1000);
  }

  /** SIGTERM to the group, SIGKILL (group and cgroup) after `graceMs`; resolves once exited. */
  private async terminate(rec: ContainerRecord, graceMs: number): Promise<void> {
    const child = rec.child;
    if (!child || child.pid === undefined || !rec.exitHandled) return;
    if (rec.status.state === 'exited') return;
    const pid = child.pid;
    const hardKill = (): void => {
      killGroup(pid, 'SIGKILL');
      void rec.cgroup?.killAll().catch(() => undefined);
    };
    if (graceMs > 0) killGroup(pid, 'SIGTERM');
    const timer = setTimeout(hardKill, graceMs);
    timer.unref();
    try {
      await rec.exitHandled;
    } finally {
      clearTimeout(timer);
    }
  }

  private async killContainer(id: string): Promise<void> {
    const rec = this.containers.get(id);
    if (rec) await this.terminate(rec, 0);
  }

  async removeContainer(id: string): Promise<void> {
    await this.ready;
    const rec = this.containers.get(id);
    if (!rec) return;
    await this.terminate(rec, 0);
    if (rec.cgroup) await rec.cgroup.remove().catch((err: unknown) => this.log(`container ${rec.config.name}: removing its cgroup: ${errorWords(err)}`));
    this.containers.delete(id);
    rec.sandbox.containers.delete(id);
  }

  containerStatus(id: string): ContainerStatus | undefined {
    const rec = this.containers.get(id);
    return rec ? { ...rec.status } : undefined;
  }

  onExit(listener: (id: string) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  private running(id: string): ContainerRecord & { child: ChildProcess } {
    const rec = this.containers.get(id);
    if (!rec) throw new RuntimeError('RunContainerError', `container ${id} not found`);
    if (rec.status.state !== 'running' || !rec.child) throw new RuntimeError('RunContainerError', `container "${rec.config.name}" is not running`);
    return rec as ContainerRecord & { child: ChildProcess };
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  async exec(id: string, cmd: string[], options: ExecOptions): Promise<ExecSession> {
    await this.ready;
    const rec = this.running(id);
    if (cmd.length === 0) throw new RuntimeError('RunContainerError', 'exec: no command given');
    const tty = options.tty && this.tools.script !== undefined;
    const plan = execLaunch({
      tools: this.tools,
      cgroupProcs: rec.cgroup?.procsFiles ?? [],
      targetPid: this.isolate || rec.sandbox.names ? rec.child.pid : undefined,
      enterNet: rec.sandbox.names !== undefined,
      enterMounts: this.isolate,
      argv: cmd,
      tty,
    });
    const child = spawn(plan.file, plan.args, {
      // In namespaces nsenter moves to the container's directory; on the host we do it here.
      cwd: this.isolate ? '/' : rec.config.workingDir || processRuntimeDefaults.workingDir,
      detached: true,
      env: containerEnv(rec.config, rec.sandbox.config, tty),
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      throw new RuntimeError('RunContainerError', `exec ${JSON.stringify(cmd[0])} in container "${rec.config.name}": ${errorWords(err)}`);
    }
    child.stdin?.on('error', () => undefined);
    rec.execs.add(child);
    this.execs.add(child);
    let stdout: Readable = child.stdout as Readable;
    let stderr: Readable | undefined = child.stderr as Readable;
    if (tty) {
      // A terminal has one output; nsenter's own complaints would come on stderr.
      stdout = mergeStreams(child.stdout as Readable, child.stderr as Readable);
      stderr = undefined;
    }
    const exited = processDone(child, closed).then((code) => {
      rec.execs.delete(child);
      this.execs.delete(child);
      return code;
    });
    const pid = child.pid as number;
    return {
      stdin: child.stdin ?? undefined,
      stdout,
      stderr,
      exited,
      resize: (cols, rows) => {
        if (tty) void this.resize(pid, cols, rows);
      },
      kill: () => void killGroup(pid, 'SIGKILL'),
    };
  }

  async attach(id: string, options: ExecOptions): Promise<ExecSession> {
    await this.ready;
    const rec = this.running(id);
    const a = new Attachment(rec, options.stdin, () => rec.attachments.delete(a));
    rec.attachments.add(a);
    const pid = rec.child.pid as number;
    return {
      stdin: a.stdin,
      stdout: a.stdout,
      stderr: a.stderr,
      exited: a.exited,
      resize: (cols, rows) => {
        if (rec.config.tty) void this.resize(pid, cols, rows);
      },
      kill: () => a.detach(),
    };
  }

  /** Sets the size of the terminal `script` (pid) made; best effort, it may not exist yet. */
  private async resize(pid: number, cols: number, rows: number): Promise<void> {
    if (!this.tools.stty) return;
    for (let attempt = 0; attempt < 10; attempt++) {
      const tty = await childTerminal(pid);
      if (tty) {
        await run(this.tools.stty, ['-F', tty, 'cols', String(Math.max(1, Math.floor(cols))), 'rows', String(Math.max(1, Math.floor(rows)))], { allowFailure: true });
        return;
      }
      await delay(50);
    }
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    await this.ready;
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeError('CreatePodSandboxError', `pod sandbox ${sandboxId} not found`);
    const host = sb.names ? sb.ip : '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const rec = this.containers.get(id);
    if (!rec || rec.status.state !== 'running') return undefined;
    if (rec.cgroup) {
      const s = await rec.cgroup.stats();
      if (s) return s;
    }
    const pid = rec.child?.pid;
    if (pid === undefined) return undefined;
    const usage = await groupUsage(pid);
    return usage ? { cpuUsageNanos: usage.cpuNanos, memoryWorkingSetBytes: usage.rssBytes } : undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.ready;
      const grace = this.options.closeGraceMs ?? processRuntimeDefaults.closeGraceMs;
      await Promise.all([...this.containers.values()].map((rec) => this.terminate(rec, grace)));
      for (const child of this.execs) if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      for (const id of [...this.sandboxes.keys()]) {
        await this.removePodSandbox(id).catch((err: unknown) => this.log(`removing pod sandbox ${id}: ${errorWords(err)}`));
      }
      for (const id of [...this.containers.keys()]) await this.removeContainer(id);
      if (this.network?.bridgeCreated) await this.network.removeBridge().catch((err: unknown) => this.log(`removing bridge ${this.bridgeName}: ${errorWords(err)}`));
      await this.cgroups?.removeNode(this.options.nodeName);
      await this.state.update((s) => {
        s.containers = {};
        s.sandboxes = {};
        delete s.bridge;
      });
    })();
    return this.closing;
  }
}

/** One client attached to a container's own stdio. */
class Attachment {
  readonly stdout = new PassThrough();
  readonly stderr: PassThrough | undefined;
  readonly stdin: Writable | undefined;
  readonly exited: Promise<number>;
  private settle!: (code: number) => void;
  private ended = false;

  constructor(
    private readonly rec: ContainerRecord,
    wantStdin: boolean,
    private readonly onEnd: () => void,
  ) {
    this.stderr = rec.config.tty ? undefined : new PassThrough();
    this.exited = new Promise((resolve) => (this.settle = resolve));
    if (wantStdin && rec.stdin) {
      const target = rec.stdin;
      this.stdin = new Writable({
        write(chunk: Buffer, _enc, cb) {
          if (target.destroyed || target.writableEnded) return cb();
          target.write(chunk, () => cb());
        },
        final: (cb) => {
          this.closeStdinOnce();
          cb();
        },
      });
    }
  }

  /** stdinOnce: the container's stdin closes when the first attached client lets go of it. */
  private closeStdinOnce(): void {
    if (this.rec.config.stdinOnce && this.rec.stdin && !this.rec.stdin.writableEnded) this.rec.stdin.end();
  }

  deliver(stream: LogStream, chunk: Buffer): void {
    const target = stream === 'stderr' && this.stderr ? this.stderr : this.stdout;
    // A client that stopped reading is cut off rather than buffered without end.
    if (target.writableLength > 8 * 1024 * 1024) return this.detach();
    target.write(chunk);
  }

  /** The container exited. */
  end(code: number): void {
    this.finish(code);
  }

  /** The client went away; the container runs on. */
  detach(): void {
    if (this.stdin) this.closeStdinOnce();
    this.finish(0);
  }

  private finish(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd();
    this.stdout.end();
    this.stderr?.end();
    this.stdin?.destroy();
    this.settle(code);
  }
}

/** The container's environment: its own variables, plus what every container gets. */
function containerEnv(config: ContainerConfig, sandbox: SandboxConfig, tty: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of config.env) env[k] = v;
  env.PATH ??= processRuntimeDefaults.path;
  env.HOSTNAME ??= sandbox.hostname;
  env.HOME ??= process.getuid?.() === 0 ? '/root' : (process.env.HOME ?? '/');
  if (tty) env.TERM ??= 'xterm';
  return env;
}

/** Waits for `p`, at most `ms` (output pipes may be held open by a process that got away). */
function within(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** The exit code of an exec'd process once its output is delivered (-1 for a signal). */
function processDone(child: ChildProcess, closed: Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      void within(closed, processRuntimeDefaults.outputDrainMs).then(() => resolve(code ?? -1));
    });
  });
}

function mergeStreams(a: Readable, b: Readable): Readable {
  const out = new PassThrough();
  let open = 2;
  const done = (): void => {
    if (--open === 0) out.end();
  };
  for (const s of [a, b]) {
    s.pipe(out, { end: false });
    s.once('end', done);
  }
  return out;
}

function errorWords(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
