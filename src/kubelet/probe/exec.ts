// The exec probe handler: run a command in the container; exit code 0 is healthy. The kubelet
// supplies the means to run it as an `ExecFn` (execOnRuntime builds one on the runtime seam), so
// this file knows nothing about containers. Upstream quirks kept: the probe's message is the
// command's combined output (at most 10 KiB), and a command still running at timeoutSeconds is a
// failure worded `command "<argv joined>" timed out` (the ExecProbeTimeout behaviour, on by default
// since 1.20). An exec call that breaks for other reasons is an `error`, which the worker ignores.
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { Runtime } from '../runtime/runtime.js';
import { MAX_PROBE_OUTPUT_BYTES, outcome, type ProbeOutcome } from './outcome.js';

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved. */
  output: string;
  /** Set when the ExecFn itself gave up at the timeout (and killed the command). */
  timedOut?: boolean;
}

/** Runs `cmd` in the probed container, giving up after `timeoutMs`. Rejects only when it cannot run at all. */
export type ExecFn = (cmd: string[], timeoutMs: number) => Promise<ExecResult>;

export interface ExecProbeOptions {
  command: string[];
  exec: ExecFn;
  timeoutMs: number;
  signal?: AbortSignal;
}

function truncate(s: string): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= MAX_PROBE_OUTPUT_BYTES ? s : b.subarray(0, MAX_PROBE_OUTPUT_BYTES).toString('utf8');
}

/** Runs one exec probe. Never rejects. */
export function execProbe(o: ExecProbeOptions): Promise<ProbeOutcome> {
  const timedOut = outcome('failure', `command "${o.command.join(' ')}" timed out`);
  if (o.command.length === 0) return Promise.resolve(outcome('error', 'exec probe has no command'));
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = (): void => done(outcome('error', 'probe stopped'));
    // Our own deadline as well, so an ExecFn that never returns cannot wedge the worker.
    const timer = setTimeout(() => done(timedOut), o.timeoutMs);
    timer.unref();
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let running: Promise<ExecResult>;
    try {
      running = o.exec(o.command, o.timeoutMs);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (r) => {
        if (r.timedOut) done(timedOut);
        else done(outcome(r.exitCode === 0 ? 'success' : 'failure', truncate(r.output)));
      },
      (err: unknown) => done(outcome('error', err instanceof Error ? err.message : String(err))),
    );
  });
}

/**
 * An ExecFn on the runtime seam for container `containerId`: no stdin, no TTY, stdout and stderr
 * collected together (capped), the command killed when it outlives the timeout.
 */
export function execOnRuntime(runtime: Pick<Runtime, 'exec'>, containerId: string): ExecFn {
  return async (cmd, timeoutMs) => {
    const session = await runtime.exec(containerId, cmd, { stdin: false, tty: false });
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (s: Readable | undefined): Promise<void> => {
      if (!s) return Promise.resolve();
      return new Promise((resolve) => {
        s.on('data', (c: Buffer | string) => {
          const b = typeof c === 'string' ? Buffer.from(c) : c;
          // Keep reading past the cap so the command never blocks on a full pipe.
          if (size < MAX_PROBE_OUTPUT_BYTES) chunks.push(b);
          size += b.length;
        });
        s.once('end', () => resolve());
        s.once('close', () => resolve());
        s.once('error', () => resolve());
      });
    };
    const streams = Promise.all([collect(session.stdout), collect(session.stderr)]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    try {
      const exitCode = await Promise.race([session.exited, deadline]);
      const output = (): string => truncate(Buffer.concat(chunks).toString('utf8'));
      if (exitCode === 'timeout') {
        session.kill();
        return { exitCode: -1, output: output(), timedOut: true };
      }
      // Output still in the pipes after exit belongs to the answer; wait for it within the deadline.
      await Promise.race([streams, deadline]);
      return { exitCode, output: output() };
    } finally {
      clearTimeout(timer);
    }
  };
}
