// Helpers for the process runtime's tests: a runtime in a temporary directory that is closed and
// removed whatever happens, container configs with sensible defaults, and waiting for exits.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readLog } from '../logs.js';
import type { ContainerConfig, ContainerStatus, SandboxConfig } from '../runtime.js';
import { createProcessRuntime, type ProcessRuntime, type ProcessRuntimeOptions } from './process_runtime.js';

export interface Harness {
  dir: string;
  rt: ProcessRuntime;
  nodeName: string;
  /** Messages the runtime logged. */
  logs: string[];
  sandboxConfig(extra?: Partial<SandboxConfig>): SandboxConfig;
  containerConfig(name: string, argv: string[], extra?: Partial<ContainerConfig>): ContainerConfig;
}

let counter = 0;

export async function withRuntime(options: Partial<ProcessRuntimeOptions>, fn: (h: Harness) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-proc-'));
  const nodeName = options.nodeName ?? `test-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const logs: string[] = [];
  const rt = createProcessRuntime({ rootDir: join(dir, 'root'), nodeIp: '127.0.0.1', log: (m) => logs.push(m), ...options, nodeName });
  let n = 0;
  const h: Harness = {
    dir,
    rt,
    nodeName,
    logs,
    sandboxConfig: (extra = {}) => ({
      podUid: `uid-${++n}`,
      namespace: 'default',
      name: `pod-${n}`,
      hostNetwork: false,
      hostname: `pod-${n}`,
      podDir: join(dir, `pod-${n}`),
      ...extra,
    }),
    containerConfig: (name, argv, extra = {}) => ({
      name,
      attempt: 0,
      argv,
      env: [['PATH', process.env.PATH ?? '/usr/bin:/bin']],
      mounts: [],
      resources: {},
      logPath: join(dir, 'logs', `${name}-${++n}`, '0.log'),
      stdin: false,
      stdinOnce: false,
      tty: false,
      ...extra,
    }),
  };
  try {
    await fn(h);
  } finally {
    await rt.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves with the final status once the container has exited. */
export function exitOf(rt: ProcessRuntime, id: string): Promise<ContainerStatus> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const s = rt.containerStatus(id);
      if (s?.state !== 'exited') return false;
      off();
      resolve(s);
      return true;
    };
    const off = rt.onExit((exited) => {
      if (exited === id) check();
    });
    check();
  });
}

/** The decoded log of a container. */
export async function logText(path: string): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  await readLog(path, {}, out);
  return Buffer.concat(chunks).toString();
}

/** Creates, starts and waits for a container; returns its final status and output. */
export async function runToExit(h: Harness, sandboxId: string, config: ContainerConfig): Promise<{ status: ContainerStatus; output: string }> {
  const id = await h.rt.createContainer(sandboxId, config);
  const exited = exitOf(h.rt, id);
  await h.rt.startContainer(id);
  const status = await exited;
  return { status, output: await logText(config.logPath) };
}

/** Collects a stream's text. */
export function collect(stream: NodeJS.ReadableStream | undefined): { text: () => string; done: Promise<void> } {
  let text = '';
  const done = new Promise<void>((resolve) => {
    if (!stream) return resolve();
    stream.on('data', (b: Buffer) => (text += b.toString()));
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
  });
  return { text: () => text, done };
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
