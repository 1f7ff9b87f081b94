// Running host tools (`ip`, `nft`, `sh`) for the node components — the process runtime and the
// service proxy — with what the tool said kept for error messages. One copy for both: the node
// side of Capstan depends on this folder, client/ and api/, never on the other's internals.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';

// Tools like `ip` and `nft` live in sbin directories that a non-login PATH may lack.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable named `name`, or undefined. */
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

export function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  return osConstants.signals[signal] ?? 0;
}

/** Runs a command to completion (stdin from `input`); rejects with CommandError unless it exits 0 (or `allowFailure`). */
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
    child.once('close', (code, signal) => {
      const result = { code: code ?? 128 + signalNumber(signal), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.code !== 0 && !options.allowFailure) reject(new CommandError([file, ...args].join(' '), result));
      else resolve(result);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
