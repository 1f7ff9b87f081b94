// Scheduler benchmark: `npm run bench -- scheduler [--nodes N] [--basic N] [--spread N] [--anti N]`.
// In one process, no API server: 5,000 synthetic nodes (32 cpu / 128Gi / 110 pods, labelled
// with hostname and one of 10 zones), then on a fresh scheduler each time:
//   SchedulingBasic       10,000 pods (100m cpu / 500Mi)
//   TopologySpreading     10,000 pods spread over zones (DoNotSchedule, maxSkew 1) and
//                         hostnames (ScheduleAnyway)
//   RequiredAntiAffinity   1,000 pods with required anti-affinity on hostname
// Bind is an immediate no-op; the pod stays assumed in the cache.
// Then through the real API server (`--http N`, default 10,000 pods on the same nodes): a
// `capstan server --disable-scheduler` child process with its sqlite store (dist/ must be built),
// nodes and pods created over HTTP, and the scheduler in this process using the REST client and
// informers, as a separate scheduler process would: http_basic_pods_per_s counts from the first
// pod create to the last binding seen by the informer. Loopback only. Prints JSON lines.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { RestClient } from '../src/client/rest.js';
import { resourceRef } from '../src/client/resource_client.js';
import { runScheduler } from '../src/scheduler/run.js';
import { Scheduler } from '../src/scheduler/scheduler.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const NODES = arg('nodes', 5000);
const ZONES = 10;

const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ bench: 'scheduler', metric, value: Math.round(value * 100) / 100, unit, ...extra }));
};

function makeNode(i: number): Node {
  const name = `node-${i}`;
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, uid: `node-uid-${i}`, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % ZONES}` } },
    status: {
      capacity: { cpu: '32', memory: '128Gi', pods: '110' },
      allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function makePod(prefix: string, i: number, extra: (p: Pod) => void = () => {}): Pod {
  const p: Pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `${prefix}-${i}`, namespace: 'default', uid: `${prefix}-uid-${i}`, labels: { app: prefix } },
    spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
  };
  extra(p);
  return p;
}

async function run(name: string, metric: string, count: number, mk: (i: number) => Pod): Promise<void> {
  let bound = 0;
  const failures: string[] = [];
  const s = new Scheduler({
    bind: async () => { bound++; },
    recordFailure: (_p, info) => { failures.push(info.message); },
  });
  for (let i = 0; i < NODES; i++) s.addNode(makeNode(i));
  const pods: Pod[] = [];
  for (let i = 0; i < count; i++) pods.push(mk(i));
  for (const p of pods) s.addPod(p);
  const t0 = performance.now();
  let scheduled = 0;
  while (s.scheduleOne()) {
    scheduled++;
    if (scheduled % 256 === 0) await new Promise<void>((r) => setImmediate(r));
  }
  await s.idle();
  const ms = performance.now() - t0;
  emit(metric, (bound / ms) * 1000, 'pods/s', { workload: name, nodes: NODES, pods: count, bound, failed: failures.length, ms: Math.round(ms) });
  if (failures.length > 0) console.error(`${name}: first failure: ${failures[0]}`);
}

const basic = arg('basic', 10000);
const spread = arg('spread', 10000);
const anti = arg('anti', 1000);

if (basic > 0) await run('SchedulingBasic', 'basic_pods_per_s', basic, (i) => makePod('basic', i));
if (spread > 0) {
  await run('TopologySpreading', 'spread_pods_per_s', spread, (i) => makePod('spread', i, (p) => {
    p.spec!.topologySpreadConstraints = [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'spread' } } },
    ];
  }));
}
if (anti > 0) {
  await run('RequiredAntiAffinity', 'antiaffinity_pods_per_s', anti, (i) => makePod('anti', i, (p) => {
    p.spec!.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'anti' } } },
        ],
      },
    };
  }));
}

const httpPods = arg('http', 10000);
if (httpPods > 0) await runOverHttp(httpPods);

async function runOverHttp(count: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-sched-'));
  const child = spawn(process.execPath, ['dist/cmd/main.js', 'server', '--port', '0', '--disable-scheduler', '--disable-dns', '--data-dir', join(dir, 'data'), '--kubeconfig', join(dir, 'kc')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /api ready at (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`server exited ${code} (is dist/ built?)`)));
    });
    const client = new RestClient({ baseUrl: url, component: 'bench-scheduler', maxSockets: 64 });
    const nodes = client.resource<Node>(resourceRef('', 'v1', 'nodes'));
    const pods = client.resource<Pod>(resourceRef('', 'v1', 'pods'));
    const inParallel = async (n: number, fn: (i: number) => Promise<unknown>): Promise<void> => {
      let next = 0;
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (next < n) await fn(next++);
      }));
    };
    await inParallel(NODES, (i) => nodes.create('', makeNode(i)));
    const sched = runScheduler({ source: client, identity: 'bench', onError: (err) => console.error(String(err)) });
    // Count bindings as a watcher of the API sees them.
    const ac = new AbortController();
    let bound = 0;
    let done: () => void = () => undefined;
    const allBound = new Promise<void>((r) => (done = r));
    const start = performance.now();
    const watching = (async () => {
      const { resourceVersion } = await pods.list('default', { limit: 1 });
      for await (const ev of pods.watch('default', { resourceVersion }, ac.signal)) {
        if (ev.type === 'MODIFIED' && (ev.object as Pod).spec?.nodeName && ++bound === count) done();
      }
    })().catch(() => undefined);
    await inParallel(count, (i) => {
      const p = makePod('http', i);
      delete p.metadata!.uid;
      return pods.create('default', p);
    });
    const created = performance.now();
    await Promise.race([allBound, new Promise((r) => setTimeout(r, 300_000))]);
    const ms = performance.now() - start;
    ac.abort();
    await watching;
    await sched.stop();
    client.close();
    emit('http_basic_pods_per_s', (bound / ms) * 1000, 'pods/s', { workload: 'SchedulingBasic over HTTP (sqlite)', nodes: NODES, pods: count, bound, ms: Math.round(ms), create_ms: Math.round(created - start) });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
