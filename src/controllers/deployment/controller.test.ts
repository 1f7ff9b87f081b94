// The Deployment controller, with the ReplicaSet controller beside it, against a real in-process
// API server over the memory store. No kubelet runs: the tests make pods Running and Ready, which
// is what moves a rollout forward.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer, type ApiServerHandle } from '../../apiserver/server.js';
import { realClock, type Clock } from '../../client/clock.js';
import { LocalClient } from '../../client/local.js';
import { resourceRef, type ClientSource, type ResourceClient } from '../../client/resource_client.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { replicaSetController } from '../replicaset/controller.js';
import { InterceptingSource, isReady, markReady, runControllers, until, type RunningControllers } from '../replicaset/test_support.js';
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './annotations.js';
import { deploymentController } from './controller.js';

let api: ApiServerHandle;
let backend: ReturnType<typeof openMemoryBackend>;
let source: ClientSource;
let nsCounter = 0;
const DEPLOYMENTS = resourceRef('apps', 'v1', 'deployments');
const RSS = resourceRef('apps', 'v1', 'replicasets');
const PODS = resourceRef('', 'v1', 'pods');
let deps: ResourceClient<Deployment>;
let rss: ResourceClient<ReplicaSet>;
let pods: ResourceClient<Pod>;

before(async () => {
  backend = openMemoryBackend();
  api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  source = new LocalClient(localApi(api.stores));
  deps = source.resource<Deployment>(DEPLOYMENTS);
  rss = source.resource<ReplicaSet>(RSS);
  pods = source.resource<Pod>(PODS);
});

after(async () => {
  await api.close();
  await backend.close();
});

async function namespace(): Promise<string> {
  const name = `d${++nsCounter}`;
  await source.resource(resourceRef('', 'v1', 'namespaces')).create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function deployment(ns: string, name: string, replicas: number, spec: Partial<NonNullable<Deployment['spec']>> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1' }] } },
      ...spec,
    },
  };
}

const livePods = async (ns: string): Promise<Pod[]> => (await pods.list(ns)).items.filter((p) => !p.metadata?.deletionTimestamp);
const rsList = async (ns: string): Promise<ReplicaSet[]> => (await rss.list(ns)).items;

/** Plays the kubelet: every live pod becomes Running and Ready. */
async function readyAll(ns: string): Promise<void> {
  for (const p of await livePods(ns)) {
    if (isReady(p)) continue;
    try {
      await markReady(pods, p);
    } catch {
      // deleted meanwhile
    }
  }
}

/** Makes pods ready until `done` holds. */
async function driveUntil(ns: string, done: () => Promise<boolean>, what: string): Promise<void> {
  await until(async () => {
    await readyAll(ns);
    return done();
  }, what, 30_000);
}

async function complete(ns: string, name: string, replicas: number): Promise<boolean> {
  const d = await deps.get(ns, name);
  const s = d.status ?? {};
  const olds = (await rsList(ns)).filter((r) => r.metadata?.annotations?.[REVISION_ANNOTATION] !== d.metadata?.annotations?.[REVISION_ANNOTATION]);
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    s.updatedReplicas === replicas && s.replicas === replicas && s.availableReplicas === replicas &&
    olds.every((r) => (r.spec?.replicas ?? 0) === 0 && (r.status?.replicas ?? 0) === 0) &&
    (await livePods(ns)).length === replicas
  );
}

/**
 * A patch retried on 409: our store reports a conflict when a controller writes between its read
 * and its compare-and-swap, where upstream retries patches itself (see the report).
 */
async function patch(ns: string, name: string, type: 'json' | 'merge' | 'strategic', body: unknown): Promise<Deployment> {
  for (let i = 0; ; i++) {
    try {
      return await deps.patch(ns, name, type, body);
    } catch (err) {
      if (i >= 20 || !(err instanceof Error && /has been modified/.test(err.message))) throw err;
    }
  }
}

async function setImage(ns: string, name: string, image: string): Promise<void> {
  await patch(ns, name, 'json', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }]);
}

async function start(src: ClientSource = source, clock?: Clock): Promise<RunningControllers> {
  return runControllers(src, [replicaSetController(), deploymentController()], { clock });
}

test('a Deployment gets a ReplicaSet named by its template hash, revision 1, and conditions', async () => {
  const ns = await namespace();
  const run = await start();
  try {
    const d = await deps.create(ns, deployment(ns, 'web', 3));
    const [rs] = await until(async () => {
      const l = await rsList(ns);
      return l.length === 1 && l;
    }, 'one ReplicaSet');
    const hash = rs!.metadata?.labels?.['pod-template-hash'];
    assert.ok(hash);
    assert.equal(rs!.metadata?.name, `web-${hash}`);
    assert.deepEqual(rs!.spec?.selector?.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(rs!.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
    assert.deepEqual(rs!.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(rs!.metadata?.annotations?.[REVISION_ANNOTATION], '1');
    assert.equal(rs!.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs!.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '4'); // 3 + 25% rounded up
    await driveUntil(ns, () => complete(ns, 'web', 3), 'complete');
    const got = await deps.get(ns, 'web');
    assert.equal(got.metadata?.annotations?.[REVISION_ANNOTATION], '1');
    assert.equal(got.status?.readyReplicas, 3);
    assert.equal(got.status?.unavailableReplicas ?? 0, 0);
    const cond = (t: string) => got.status?.conditions?.find((c) => c.type === t);
    await until(async () => (await deps.get(ns, 'web')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable', 'NewReplicaSetAvailable');
    assert.equal(cond('Available')?.status, 'True');
    assert.equal(cond('Available')?.reason, 'MinimumReplicasAvailable');
    for (const p of await livePods(ns)) assert.equal(p.metadata?.labels?.['pod-template-hash'], hash);
    assert.ok(run.events.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set web-${hash} from 0 to 3`));
  } finally {
    await run.stop();
  }
});

test('a rolling update keeps within maxSurge and maxUnavailable at every write, then rolls back', async () => {
  const ns = await namespace();
  const replicas = 4;
  const maxTotal = replicas + 1;
  const minReady = replicas - 1;
  const checked = new InterceptingSource(source);
  const violations: string[] = [];
  let rollingOut = false;
  let writes = 0;
  checked.before = async (ref, verb, args) => {
    if (!rollingOut) return;
    if (ref.plural === 'replicasets' && (verb === 'update' || verb === 'create')) {
      writes++;
      const rs = args[1] as ReplicaSet;
      const total = (await rsList(ns)).reduce((n, r) => n + (r.metadata?.name === rs.metadata?.name ? 0 : (r.spec?.replicas ?? 0)), rs.spec?.replicas ?? 0);
      if (total > maxTotal) violations.push(`${verb} ${rs.metadata?.name} to ${rs.spec?.replicas}: ${total} replicas wanted > ${maxTotal}`);
    }
    if (ref.plural === 'pods' && verb === 'delete') {
      const ready = (await livePods(ns)).filter((p) => isReady(p) && p.metadata?.name !== args[1]).length;
      if (ready < minReady) violations.push(`delete ${String(args[1])}: ${ready} ready left < ${minReady}`);
    }
  };
  const run = await start(checked);
  try {
    await deps.create(ns, deployment(ns, 'web', replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
    await driveUntil(ns, () => complete(ns, 'web', replicas), 'v1 complete');
    const [v1] = await rsList(ns);
    rollingOut = true;
    await setImage(ns, 'web', 'nginx:2');
    await driveUntil(ns, () => complete(ns, 'web', replicas), 'v2 complete');
    rollingOut = false;
    assert.deepEqual(violations, []);
    assert.ok(writes >= 4, `the rollout went in steps (${writes} ReplicaSet writes)`);
    const all = await rsList(ns);
    assert.equal(all.length, 2);
    const v2 = all.find((r) => r.metadata?.name !== v1!.metadata?.name)!;
    assert.equal(v2.metadata?.annotations?.[REVISION_ANNOTATION], '2');
    assert.equal((await rss.get(ns, v1!.metadata!.name!)).metadata?.annotations?.[REVISION_ANNOTATION], '1');
    assert.equal((await deps.get(ns, 'web')).metadata?.annotations?.[REVISION_ANNOTATION], '2');
    for (const p of await livePods(ns)) assert.equal(p.spec?.containers[0]?.image, 'nginx:2');

    // `kubectl rollout undo`: the old ReplicaSet's template (without its hash label) goes back into the Deployment.
    const template = structuredClone(v1!.spec!.template!) as PodTemplateSpec;
    delete template.metadata!.labels!['pod-template-hash'];
    rollingOut = true;
    await patch(ns, 'web', 'json', [{ op: 'replace', path: '/spec/template', value: template }]);
    await driveUntil(ns, async () => (await complete(ns, 'web', replicas)) && (await deps.get(ns, 'web')).metadata?.annotations?.[REVISION_ANNOTATION] === '3', 'rolled back');
    rollingOut = false;
    assert.deepEqual(violations, []);
    const after = await rsList(ns);
    assert.equal(after.length, 2, 'the old ReplicaSet is reused, not recreated');
    const back = await rss.get(ns, v1!.metadata!.name!);
    assert.equal(back.spec?.replicas, replicas);
    assert.equal(back.metadata?.annotations?.[REVISION_ANNOTATION], '3');
    assert.equal(back.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION], '1');
    for (const p of await livePods(ns)) assert.equal(p.spec?.containers[0]?.image, 'nginx:1');
  } finally {
    await run.stop();
  }
});

test('revisionHistoryLimit deletes the oldest empty ReplicaSets', async () => {
  const ns = await namespace();
  const run = await start();
  try {
    await deps.create(ns, deployment(ns, 'web', 2, { revisionHistoryLimit: 1 }));
    await driveUntil(ns, () => complete(ns, 'web', 2), 'v1');
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      await setImage(ns, 'web', image);
      await driveUntil(ns, () => complete(ns, 'web', 2), image);
    }
    const left = await until(async () => {
      const l = await rsList(ns);
      return l.length === 2 && l;
    }, 'history trimmed to one old ReplicaSet');
    const revisions = left.map((r) => r.metadata?.annotations?.[REVISION_ANNOTATION]).sort();
    assert.deepEqual(revisions, ['3', '4']);
  } finally {
    await run.stop();
  }
});

test('a paused Deployment does not roll out until resumed, but still scales', async () => {
  const ns = await namespace();
  const run = await start();
  try {
    await deps.create(ns, deployment(ns, 'web', 2));
    await driveUntil(ns, () => complete(ns, 'web', 2), 'v1');
    await patch(ns, 'web', 'merge', { spec: { paused: true } });
    await until(async () => (await deps.get(ns, 'web')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'DeploymentPaused', 'paused condition');
    const cond = (await deps.get(ns, 'web')).status?.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(cond?.status, 'Unknown');
    await setImage(ns, 'web', 'nginx:2');
    await patch(ns, 'web', 'merge', { spec: { replicas: 3 } });
    await driveUntil(ns, async () => (await livePods(ns)).length === 3 && (await deps.get(ns, 'web')).status?.availableReplicas === 3, 'scaled while paused');
    assert.equal((await rsList(ns)).length, 1, 'no new ReplicaSet while paused');
    for (const p of await livePods(ns)) assert.equal(p.spec?.containers[0]?.image, 'nginx:1');
    await patch(ns, 'web', 'merge', { spec: { paused: false } });
    await driveUntil(ns, async () => (await rsList(ns)).length === 2 && (await complete(ns, 'web', 3)), 'resumed rollout');
    for (const p of await livePods(ns)) assert.equal(p.spec?.containers[0]?.image, 'nginx:2');
  } finally {
    await run.stop();
  }
});

test('Recreate removes every old pod before the new ReplicaSet is created', async () => {
  const ns = await namespace();
  const checked = new InterceptingSource(source);
  const violations: string[] = [];
  checked.before = async (ref, verb, args) => {
    if (ref.plural !== 'replicasets' || verb !== 'create') return;
    const old = (await livePods(ns)).length;
    if (old > 0) violations.push(`created ${(args[1] as ReplicaSet).metadata?.name} with ${old} old pods`);
  };
  const run = await start(checked);
  try {
    await deps.create(ns, deployment(ns, 'web', 3, { strategy: { type: 'Recreate' } }));
    await driveUntil(ns, () => complete(ns, 'web', 3), 'v1');
    await setImage(ns, 'web', 'nginx:2');
    await driveUntil(ns, () => complete(ns, 'web', 3), 'v2');
    assert.deepEqual(violations.slice(1), []); // the first create (v1) had nothing to wait for
    assert.equal(violations.length, 0);
    for (const p of await livePods(ns)) assert.equal(p.spec?.containers[0]?.image, 'nginx:2');
  } finally {
    await run.stop();
  }
});

test('kubectl rollout restart (an annotation in the template) makes a new ReplicaSet', async () => {
  const ns = await namespace();
  const run = await start();
  try {
    await deps.create(ns, deployment(ns, 'web', 2));
    await driveUntil(ns, () => complete(ns, 'web', 2), 'v1');
    const before = (await livePods(ns)).map((p) => p.metadata?.name).sort();
    await patch(ns, 'web', 'strategic', { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' } } } } });
    await driveUntil(ns, async () => (await rsList(ns)).length === 2 && (await complete(ns, 'web', 2)), 'restarted');
    const afterNames = (await livePods(ns)).map((p) => p.metadata?.name);
    assert.ok(afterNames.every((n) => !before.includes(n)), 'every pod replaced');
    assert.equal((await deps.get(ns, 'web')).metadata?.annotations?.[REVISION_ANNOTATION], '2');
  } finally {
    await run.stop();
  }
});

test('scaling in the middle of a rollout is shared in proportion between the ReplicaSets', async () => {
  const ns = await namespace();
  const run = await start();
  try {
    await deps.create(ns, deployment(ns, 'web', 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
    await driveUntil(ns, () => complete(ns, 'web', 10), 'v1');
    await setImage(ns, 'web', 'nginx:2');
    // New pods never become ready: the rollout stalls at old 8 / new 5 (10 + 3 surge, 2 unavailable).
    const sizes = async (): Promise<number[]> => {
      const l = (await rsList(ns)).sort((a, b) => (a.metadata?.annotations?.[REVISION_ANNOTATION] ?? '').localeCompare(b.metadata?.annotations?.[REVISION_ANNOTATION] ?? ''));
      return l.map((r) => r.spec?.replicas ?? 0);
    };
    await until(async () => (await sizes()).join() === '8,5', 'stalled rollout 8/5');
    await patch(ns, 'web', 'merge', { spec: { replicas: 20 } });
    // allowed total 20 + 3 = 23, from 13: +10 split 8:5 of the old total (13) → old 8·23/13 ≈ 14, new 5·23/13 ≈ 9
    await until(async () => (await sizes()).join() === '14,9', 'proportional 14/9');
  } finally {
    await run.stop();
  }
});

test('no progress within progressDeadlineSeconds sets Progressing=False ProgressDeadlineExceeded', async () => {
  const ns = await namespace();
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, setTimeout: realClock.setTimeout };
  const run = await start(source, clock);
  try {
    await deps.create(ns, deployment(ns, 'web', 2, { progressDeadlineSeconds: 60 }));
    await until(async () => (await deps.get(ns, 'web')).status?.replicas === 2, 'pods counted');
    assert.equal((await deps.get(ns, 'web')).status?.conditions?.find((c) => c.type === 'Progressing')?.status, 'True');
    // Pods never become ready; move the controller's clock past the deadline and poke the Deployment.
    offset = 120_000;
    await patch(ns, 'web', 'merge', { metadata: { annotations: { poke: '1' } } });
    const c = await until(async () => {
      const x = (await deps.get(ns, 'web')).status?.conditions?.find((k) => k.type === 'Progressing');
      return x?.reason === 'ProgressDeadlineExceeded' && x;
    }, 'deadline exceeded');
    assert.equal(c.status, 'False');
    assert.match(c.message ?? '', /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
    const avail = (await deps.get(ns, 'web')).status?.conditions?.find((k) => k.type === 'Available');
    assert.equal(avail?.reason, 'MinimumReplicasUnavailable');
  } finally {
    await run.stop();
  }
});
