// Lifecycle hooks: preStop as exec, httpGet or sleep, within the pod's grace period.
import type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/clock.js';
import type { Runtime } from './runtime/runtime.js';
import { execOnRuntime } from './probe/exec.js';

export interface PreStopOptions {
  runtime: Runtime;
  id: string;
  hook: LifecycleHandler;
  podIp: string;
  /** ms since epoch by `clock`: the hook is abandoned then. */
  deadline: number;
  clock: Clock;
}

/** Runs a preStop hook; rejects with the reason it failed. */
export async function runPreStop(opts: PreStopOptions): Promise<void> {
  const timeoutMs = Math.max(0, opts.deadline - opts.clock.now());
  if (opts.hook.exec?.command) {
    const r = await execOnRuntime(opts.runtime, opts.id)(opts.hook.exec.command, timeoutMs);
    if (r.timedOut) throw new Error(`command '${opts.hook.exec.command.join(' ')}' timed out`);
    if (r.exitCode !== 0) throw new Error(`command '${opts.hook.exec.command.join(' ')}' exited with ${r.exitCode}: ${r.output}`);
    return;
  }
  if (opts.hook.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(Number(opts.hook.sleep!.seconds) * 1000, timeoutMs)).unref());
    return;
  }
  const http = opts.hook.httpGet;
  if (http) {
    const port = typeof http.port === 'number' ? http.port : Number(http.port);
    const url = `${(http.scheme ?? 'HTTP').toLowerCase()}://${http.host ?? opts.podIp}:${port}${http.path ?? '/'}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, timeoutMs)), headers: Object.fromEntries((http.httpHeaders ?? []).map((h) => [h.name, h.value])) });
    await res.arrayBuffer();
    if (res.status >= 400) throw new Error(`HTTP lifecycle hook (${http.path ?? '/'}) for Container in Pod failed with status ${res.status}`);
  }
}
