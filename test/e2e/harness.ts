// End-to-end harness: starts `capstan server` as a real process on a free loopback port with its
// own data dir and kubeconfig, and runs the real kubectl (v1.32) against it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const KUBECTL = process.env.CAPSTAN_KUBECTL ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';
const MAIN = resolve('dist/cmd/main.js');

/** Why e2e tests cannot run here, or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  if (!existsSync(KUBECTL)) return `kubectl not found at ${KUBECTL} (set CAPSTAN_KUBECTL)`;
  if (!existsSync(MAIN)) return `${MAIN} missing: run \`npm run build\` first (npm test does)`;
  return undefined;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Cluster {
  readonly kubeconfig: string;
  url = '';
  private child: ChildProcess | undefined;
  private output = '';

  /**
   * `components`: which in-process components run besides the API server. API tests leave them
   * off, so that nothing but the test writes (their revision and output checks rely on it).
   */
  constructor(
    readonly dir = mkdtempSync(join(tmpdir(), 'capstan-e2e-')),
    private readonly components: { scheduler?: boolean; controllers?: string; up?: { nodes: number; clusterCidr: string } } = {},
  ) {
    this.kubeconfig = join(dir, 'kubeconfig');
  }

  /** Starts (or restarts, on the same data dir and port) the server and waits until it serves. */
  async start(extraArgs: string[] = []): Promise<void> {
    const port = this.url ? new URL(this.url).port : '0';
    const child = spawn(
      process.execPath,
      [
        MAIN, this.components.up ? 'up' : 'server', '--port', port, '--bind-address', '127.0.0.1', '--data-dir', join(this.dir, 'data'), '--kubeconfig', this.kubeconfig,
        ...(this.components.up ? ['--nodes', String(this.components.up.nodes), '--node-ip', '127.0.0.1', '--cluster-cidr', this.components.up.clusterCidr] : []),
        ...(this.components.scheduler || this.components.up ? [] : ['--disable-scheduler']),
        ...(this.components.up ? [] : [`--controllers=${this.components.controllers ?? ''}`]),
        // Test clusters never forward DNS off the machine, and never contend for a DNS port.
        ...(this.components.up ? ['--cluster-dns-port=0', '--dns-upstream=none'] : ['--disable-dns']),
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.output = '';
    this.url = await new Promise<string>((resolveUrl, reject) => {
      const onData = (d: Buffer): void => {
        this.output += d.toString();
        const m = /api ready at (http:\/\/\S+)/.exec(this.output);
        // `up` is ready once its nodes are.
        if (m && (!this.components.up || /cluster ready/.test(this.output))) resolveUrl(m[1]!);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
      child.once('exit', (code) => reject(new Error(`capstan server exited (${code}) before it was ready:\n${this.output}`)));
      setTimeout(() => reject(new Error(`capstan server not ready after 20 s:\n${this.output}`)), 20_000).unref();
    });
  }

  /** Stops the server with SIGTERM and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((res) => {
      child.once('exit', () => res());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get logs(): string {
    return this.output;
  }

  /** Runs kubectl synchronously against this cluster. */
  kubectl(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): KubectlResult {
    const r = spawnSync(KUBECTL, args, {
      input: opts.input,
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: this.kubeconfig, ...opts.env },
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /**
   * Runs kubectl without blocking this process (spawnSync would freeze every timer and socket of
   * the test, e.g. a loop playing the kubelet while `rollout status` waits).
   */
  kubectlWait(args: string[]): Promise<KubectlResult> {
    return new Promise((resolveResult) => {
      let stdout = '';
      let stderr = '';
      const child = spawn(KUBECTL, args, { env: { ...process.env, KUBECONFIG: this.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolveResult({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  /** Runs kubectl in the background (for `get -w`); kill it when done. */
  kubectlAsync(args: string[]): { child: ChildProcess; output: () => string } {
    let out = '';
    const child = spawn(KUBECTL, args, { env: { ...process.env, KUBECONFIG: this.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out };
  }

  /** A raw HTTP request to the API server. */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: unknown; text: string }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON; keep the text
    }
    return { status: res.status, body: parsed, text };
  }
}

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function eventually<T>(fn: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function kubectlVersionOk(): boolean {
  return spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' }).status === 0;
}
