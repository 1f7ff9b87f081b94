// Small helpers for the proxy's dealings with the host: finding and running tools (`nft`, `ip`)
// with their words kept for errors, whether we are root, and this machine's own addresses.
// (The kubelet has its own copies; the proxy depends on client/ and api/ only.)
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { delimiter, join } from 'node:path';
import { cidrContains } from './service_ports.js';

// `nft` and `ip` live in sbin directories that a non-login PATH may lack.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findTool(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A host command that failed; the message holds the command and the first lines it said. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const words = (result.stderr.trim() || result.stdout.trim() || `exit code ${result.code}`).split('\n').slice(0, 6).join('; ');
    super(`${command}: ${words}`);
    this.name = 'CommandError';
  }
}

/** Runs a command to completion (stdin from `input`); rejects with CommandError unless it exits 0. */
export function run(file: string, args: readonly string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    // A tool that exits before reading all its input closes the pipe: its exit status says why.
    child.stdin?.on('error', () => undefined);
    child.once('error', (e) => reject(new CommandError([file, ...args].join(' '), { code: -1, stdout: '', stderr: e.message })));
    child.once('close', (code) => {
      const result = { code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.code !== 0 && !options.allowFailure) reject(new CommandError([file, ...args].join(' '), result));
      else resolve(result);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** This machine's IPv4 addresses (every interface, loopback included). */
export function localIPv4Addresses(): Set<string> {
  const out = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4') out.add(a.address);
  return out;
}

/** Whether `ip` is an address of this machine; all of 127.0.0.0/8 is (Linux routes it to lo). */
export function isLocalAddress(ip: string, local: Set<string> = localIPv4Addresses()): boolean {
  return cidrContains('127.0.0.0/8', ip) || local.has(ip);
}
