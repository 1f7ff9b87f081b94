// Scheduler benchmark: `npm run bench -- scheduler [--nodes N] [--basic N] [--spread N] [--anti N]`.
// In one process, no API server: 5,000 synthetic nodes (32 cpu / 128Gi / 110 pods, labelled
// with hostname and one of 10 zones), then on a fresh scheduler each time:
//   SchedulingBasic       10,000 pods (100m cpu / 500Mi)
//   TopologySpreading     10,000 pods spread over zones (DoNotSchedule, maxSkew 1) and
//                         hostnames (ScheduleAnyway)
//   RequiredAntiAffinity   1,000 pods with required anti-affinity on hostname
// Bind is an immediate no-op; the pod stays assumed in the cache. Prints JSON lines.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
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
