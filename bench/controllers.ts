// Controllers benchmark: `npm run bench -- controllers [--replicas N] [--nodes N]`.
// In one process: the API server on the memory store, the scheduler and the controller manager
// over the in-process client, 100 simulated nodes, and a simulated kubelet that marks bound pods
// Running and Ready (and confirms deletions) as fast as it sees them.
//   rs_pods_created_per_s  a Deployment of 1,000 replicas: pods created per second, from the
//                          Deployment's creation to the last pod seen
//   rollout_1000_s         a rolling update of those 1,000 pods (maxSurge 25%) until the
//                          Deployment reports all replicas updated and available
// Prints JSON lines.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { startApiServer } from '../src/apiserver/server.js';
import { localApi } from '../src/apiserver/local_api.js';
import { LocalClient } from '../src/client/local.js';
import { Informer } from '../src/client/informer.js';
import { resourceRef } from '../src/client/resource_client.js';
import { runControllerManager } from '../src/controllers/manager.js';
import { CONTROLLERS } from '../src/controllers/registry.js';
import { runScheduler } from '../src/scheduler/run.js';
import { openMemoryBackend } from '../src/storage/memory/memory_table.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const REPLICAS = arg('replicas', 1000);
const NODES = arg('nodes', 100);
const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ bench: 'controllers', metric, value: Math.round(value * 100) / 100, unit, ...extra }));
};

const backend = openMemoryBackend();
const api = await startApiServer({ backend, host: '127.0.0.1', port: 0, garbageCollection: true });
const source = new LocalClient(localApi(api.stores), { fieldManager: 'bench' });
const quiet = (): void => undefined;
const scheduler = runScheduler({ source, identity: 'bench', onError: quiet });
const manager = runControllerManager({
  source,
  controllers: ['replicaset', 'deployment', 'garbagecollector'],
  registry: CONTROLLERS,
  recorder: () => undefined,
  identity: 'bench',
  onError: quiet,
});
const nodes = source.resource<Node>(resourceRef('', 'v1', 'nodes'));
const pods = source.resource<Pod>(resourceRef('', 'v1', 'pods'));
const deployments = source.resource<Deployment>(resourceRef('apps', 'v1', 'deployments'));

for (let i = 0; i < NODES; i++) {
  const res = { cpu: '64', memory: '256Gi', pods: '110' };
  await nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name: `sim-${i}` }, status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True' }] } });
}

// The simulated kubelet: bound pods become Running and Ready at once; deleted ones go at once.
const kubelet = new Informer<Pod>({ client: pods, onError: quiet });
let created = 0;
let lastCreate = 0;
const tending = new Set<string>();
const tend = (p: Pod): void => {
  const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
  if (!p.spec?.nodeName || tending.has(key)) return;
  const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (!p.metadata?.deletionTimestamp && ready) return;
  tending.add(key);
  const done = (): void => {
    tending.delete(key);
  };
  if (p.metadata?.deletionTimestamp) {
    void pods.delete(p.metadata.namespace ?? '', p.metadata.name!, { gracePeriodSeconds: 0 }).catch(quiet).finally(done);
    return;
  }
  const t = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  void pods
    .updateStatus(p.metadata?.namespace ?? '', { ...p, status: { ...p.status, phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] } })
    .catch(quiet)
    .finally(done);
};
kubelet.addEventHandler({
  onAdd: (p) => {
    created++;
    lastCreate = performance.now();
    tend(p);
  },
  onUpdate: (_o, p) => tend(p),
});
kubelet.start();
await kubelet.waitForSync();

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const template = (image: string): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'big', namespace: 'default' },
  spec: {
    replicas: REPLICAS,
    selector: { matchLabels: { app: 'big' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
  },
});

const complete = async (): Promise<boolean> => {
  const d = await deployments.get('default', 'big');
  const s = d.status ?? {};
  return (
    s.observedGeneration === d.metadata?.generation &&
    s.updatedReplicas === REPLICAS &&
    s.availableReplicas === REPLICAS &&
    (s.replicas ?? 0) === REPLICAS
  );
};

try {
  const start = performance.now();
  await deployments.create('default', template('app:1'));
  await waitFor('all pods created', async () => created >= REPLICAS);
  emit('rs_pods_created_per_s', REPLICAS / ((lastCreate - start) / 1000), 'pods/s', { replicas: REPLICAS, nodes: NODES });
  await waitFor('first rollout complete', complete);
  const t0 = performance.now();
  const d = await deployments.get('default', 'big');
  await deployments.update('default', { ...d, spec: { ...d.spec!, template: template('app:2').spec!.template } });
  await waitFor('rolling update complete', complete);
  emit('rollout_1000_s', (performance.now() - t0) / 1000, 's', { replicas: REPLICAS, maxSurge: '25%', maxUnavailable: '25%' });
} finally {
  await kubelet.stop();
  await manager.stop();
  await scheduler.stop();
  await api.close();
  await backend.close();
}
