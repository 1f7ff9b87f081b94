// The `sim` runtime: containers "run" without processes (kwok-style), for scale tests and demos
// with thousands of nodes in one process. A container becomes running after `startDelayMs` and
// runs until stopped; its log file gets one line so `kubectl logs` has something to show. Pod
// IPs are handed out from the node's pod CIDR (or 10.244.x.y) without any network behind them.
import { mkdirSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import type { ContainerConfig, ContainerStats, ContainerStatus, ExecSession, Runtime, RuntimeInfo, Sandbox, SandboxConfig } from '../runtime.js';
import { RuntimeError } from '../runtime.js';

export interface SimRuntimeOptions {
  /** Delay between start and running (default 0). */
  startDelayMs?: number;
  /** First three octets of the pod addresses, e.g. `10.42.7` (default 10.244.0). */
  podNetPrefix?: string;
  /** Write a line to each container's log file (default true; off for large simulations). */
  writeLogs?: boolean;
}

interface SimContainer {
  status: ContainerStatus;
  config: ContainerConfig;
  sandboxId: string;
  timer?: NodeJS.Timeout;
}

export class SimRuntime implements Runtime {
  private readonly containers = new Map<string, SimContainer>();
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly listeners = new Set<(id: string) => void>();
  private next = 1;
  private nextIp = 2;

  constructor(private readonly o: SimRuntimeOptions = {}) {}

  info(): RuntimeInfo {
    return { name: 'sim', podNetwork: false, resourceLimits: false };
  }

  async runPodSandbox(config: SandboxConfig): Promise<Sandbox> {
    const id = `sb-${config.podUid}`;
    const ip = `${this.o.podNetPrefix ?? '10.244.0'}.${(this.nextIp++ % 253) + 2}`;
    const s = { id, ip };
    this.sandboxes.set(id, s);
    return s;
  }

  async stopPodSandbox(id: string): Promise<void> {
    for (const [cid, c] of this.containers) if (c.sandboxId === id && c.status.state !== 'exited') this.exit(cid, 137, 'Error');
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.stopPodSandbox(id);
    this.sandboxes.delete(id);
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    if (!this.sandboxes.has(sandboxId)) throw new RuntimeError('CreateContainerError', `pod sandbox ${sandboxId} not found`);
    const id = `sim${(this.next++).toString(16).padStart(8, '0')}`;
    this.containers.set(id, { sandboxId, config, status: { id, name: config.name, state: 'created', createdAt: new Date() } });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('RunContainerError', `container ${id} not found`);
    const run = (): void => {
      c.timer = undefined;
      if (c.status.state !== 'created') return;
      c.status = { ...c.status, state: 'running', startedAt: new Date(), pid: 0 };
      if (this.o.writeLogs !== false) {
        mkdirSync(dirname(c.config.logPath), { recursive: true });
        appendFileSync(c.config.logPath, `${new Date().toISOString()} stdout F simulated container ${c.config.name} started\n`);
      }
    };
    if (this.o.startDelayMs) {
      // The kubelet sees the container as created, then running once the delay passes.
      await new Promise<void>((resolve) => {
        c.timer = setTimeout(() => {
          run();
          resolve();
        }, this.o.startDelayMs);
        c.timer.unref();
      });
    } else run();
  }

  private exit(id: string, code: number, reason: string): void {
    const c = this.containers.get(id);
    if (!c || c.status.state === 'exited') return;
    if (c.timer) clearTimeout(c.timer);
    c.status = { ...c.status, state: 'exited', finishedAt: new Date(), exitCode: code, reason };
    for (const l of this.listeners) l(id);
  }

  async stopContainer(id: string): Promise<void> {
    // A simulated process dies on SIGTERM: exit code 143, as a real one would report.
    this.exit(id, 143, 'Error');
  }

  async removeContainer(id: string): Promise<void> {
    this.exit(id, 137, 'Error');
    this.containers.delete(id);
  }

  containerStatus(id: string): ContainerStatus | undefined {
    return this.containers.get(id)?.status;
  }

  onExit(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async exec(id: string, cmd: string[]): Promise<ExecSession> {
    const c = this.containers.get(id);
    if (!c || c.status.state !== 'running') throw new RuntimeError('RunContainerError', `container ${id} is not running`);
    // No process exists: `env` answers the container's environment, anything else succeeds silently.
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    if (cmd[0] === 'env') stdout.end(c.config.env.map(([k, v]) => `${k}=${v}\n`).join(''));
    else stdout.end();
    stderr.end();
    return { stdout, stderr, resize: () => undefined, exited: Promise.resolve(0), kill: () => undefined };
  }

  async attach(id: string): Promise<ExecSession> {
    return this.exec(id, ['true']);
  }

  async portForward(): Promise<Duplex> {
    throw new Error('the sim runtime has no network: nothing listens in a simulated pod');
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const c = this.containers.get(id);
    if (!c || c.status.state !== 'running') return undefined;
    const req = c.config.resources;
    return {
      cpuUsageNanos: Math.round(((Date.now() - (c.status.startedAt?.getTime() ?? Date.now())) / 1000) * (req.cpuRequestMillis ?? 10) * 1e6),
      memoryWorkingSetBytes: req.memoryLimitBytes ? Math.round(req.memoryLimitBytes / 2) : 8 * 1024 * 1024,
    };
  }

  async close(): Promise<void> {
    for (const id of this.containers.keys()) this.exit(id, 137, 'Error');
    this.containers.clear();
    this.sandboxes.clear();
  }
}
