// Pod start benchmark: `npm run bench -- pod_start [--pods N]`. Starts `capstan server` (memory
// store, no scheduler or controllers) and `capstan agent` (process runtime) as separate processes
// from dist/ (run `npm run build` first), all on 127.0.0.1. Measures:
//   - node_ready_ms: agent start → Node Ready seen by a watch;
//   - start_p50_ms / start_p99_ms: pod create (already bound to the node, so the scheduler is not
//     in the figure) → status Running with the container running, for N pods created at once;
//   - start_one_at_a_time_p50_ms / _p99_ms: the same for N pods created one after another;
//   - agent_idle_rss_mb and agent_100pods_rss_mb: the agent's resident memory (VmRSS).
// With root, every pod gets a network namespace and cgroups, as in production.
// AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" passes node flags to the agent, for profiling.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { RestClient } from '../src/client/rest.js';
import { resourceRef } from '../src/client/resource_client.js';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '100' } } });
const COUNT = Number(values.pods);
const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-podstart-'));

function emit(metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench: 'pod_start', metric, value: Math.round(value * 100) / 100, unit, ...extra }));
}

function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...(args[0] === 'agent' && process.env.AGENT_NODE_ARGS ? process.env.AGENT_NODE_ARGS.split(' ') : []), 'dist/cmd/main.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code} (is dist/ built? npm run build):\n${out}`)));
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const children: ChildProcess[] = [];
try {
  const server = await start(['server', '--port', '0', '--store', 'memory', '--disable-scheduler', '--controllers=', '--disable-dns', '--kubeconfig', join(dir, 'kc')], /api ready at (\S+)/);
  children.push(server.child);
  const url = server.match[1]!;
  const client = new RestClient({ baseUrl: url, component: 'bench' });
  const pods = client.resource<Pod>(resourceRef('', 'v1', 'pods'));
  const nodes = client.resource<Node>(resourceRef('', 'v1', 'nodes'));

  const t0 = performance.now();
  const agent = await start(
    ['agent', '--server', url, '--name', 'bench-node', '--node-ip', '127.0.0.1', '--bind-address', '127.0.0.1', '--port', '0', '--runtime', 'process', '--data-dir', join(dir, 'node'), '--pod-cidr', '10.42.250.0/24'],
    /node ready/,
  );
  children.push(agent.child);
  for (;;) {
    const n = await nodes.get('', 'bench-node').catch(() => undefined);
    if (n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  emit('node_ready_ms', performance.now() - t0, 'ms');
  await new Promise((r) => setTimeout(r, 2000));
  emit('agent_idle_rss_mb', rssMb(agent.child.pid!), 'MB');

  // Watch first, then create every pod at once; a pod counts as started when the watch shows it Running.
  const created = new Map<string, number>();
  const started = new Map<string, number>();
  const ac = new AbortController();
  const list = await pods.list('default');
  const watching = (async () => {
    for await (const ev of pods.watch('default', { resourceVersion: list.resourceVersion }, ac.signal)) {
      if (ev.type !== 'MODIFIED' && ev.type !== 'ADDED') continue;
      const p = ev.object as Pod;
      const name = p.metadata?.name ?? '';
      if (!started.has(name) && p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running) started.set(name, performance.now());
      if (started.size === COUNT) break;
    }
  })();
  await Promise.all(
    Array.from({ length: COUNT }, async (_, i) => {
      const name = `p${i}`;
      created.set(name, performance.now());
      await pods.create('default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { nodeName: 'bench-node', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'none', command: ['sleep', '3600'] }] },
      });
    }),
  );
  const deadline = setTimeout(() => ac.abort(), 120_000);
  await watching.catch(() => undefined);
  clearTimeout(deadline);
  ac.abort();
  const latencies = [...started].map(([name, at]) => at - created.get(name)!).sort((a, b) => a - b);
  if (latencies.length < COUNT) console.error(`only ${latencies.length}/${COUNT} pods started within 120 s`);
  emit('start_p50_ms', percentile(latencies, 50), 'ms', { pods: COUNT, started: latencies.length, root: process.getuid?.() === 0 });
  emit('start_p99_ms', percentile(latencies, 99), 'ms', { pods: COUNT, started: latencies.length });
  await new Promise((r) => setTimeout(r, 1000));
  emit(`agent_${COUNT}pods_rss_mb`, rssMb(agent.child.pid!), 'MB');

  // The same number of pods one at a time: the kubelet's own latency, without a burst of pods
  // queueing for two cores.
  const single: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const name = `s${i}`;
    const t = performance.now();
    await pods.create('default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName: 'bench-node', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'none', command: ['sleep', '3600'] }] },
    });
    for (;;) {
      const p = await pods.get('default', name);
      if (p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    single.push(performance.now() - t);
  }
  single.sort((a, b) => a - b);
  emit('start_one_at_a_time_p50_ms', percentile(single, 50), 'ms', { pods: single.length });
  emit('start_one_at_a_time_p99_ms', percentile(single, 99), 'ms', { pods: single.length });
} finally {
  for (const c of children.reverse()) {
    c.kill('SIGTERM');
    await new Promise((r) => {
      c.once('exit', r);
      setTimeout(r, 15_000).unref();
    });
  }
  rmSync(dir, { recursive: true, force: true });
}
