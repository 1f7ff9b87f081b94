// The ReplicaSet and ReplicationController controllers against a real in-process API server over
// the memory store. No kubelet runs: tests make pods Running and Ready themselves.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, ReplicationController } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../api/errors.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer, type ApiServerHandle } from '../../apiserver/server.js';
import { LocalClient } from '../../client/local.js';
import type { ClientSource, ResourceClient } from '../../client/resource_client.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { PODS, REPLICASETS, REPLICATIONCONTROLLERS, ReplicaController, replicaSetController, replicaSetKind, replicationControllerController } from './controller.js';
import { InterceptingSource, conflictError, isReady, markReady, runControllers, until } from './test_support.js';

let api: ApiServerHandle;
let backend: ReturnType<typeof openMemoryBackend>;
let source: ClientSource;
let nsCounter = 0;

before(async () => {
  backend = openMemoryBackend();
  api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  source = new LocalClient(localApi(api.stores));
});

after(async () => {
  await api.close();
  await backend.close();
});

/** A fresh namespace per test, so tests do not see each other's objects. */
async function namespace(): Promise<string> {
  const name = `t${++nsCounter}`;
  await source.resource({ group: '', version: 'v1', plural: 'namespaces', namespaced: false }).create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function rs(ns: string, name: string, replicas: number, extra: Partial<NonNullable<ReplicaSet['spec']>> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      ...extra,
    },
  };
}

/** Read-modify-write that retries when a controller's status write got in between. */
async function modify<T extends { metadata?: { name?: string } }>(client: ResourceClient<T>, ns: string, name: string, change: (obj: T) => void): Promise<void> {
  for (let i = 0; ; i++) {
    const cur = await client.get(ns, name);
    change(cur);
    try {
      await client.update(ns, cur);
      return;
    } catch (err) {
      if (i >= 20 || !(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}

const podsOf = async (pods: ResourceClient<Pod>, ns: string): Promise<Pod[]> => (await pods.list(ns)).items;
const live = (ps: Pod[]): Pod[] => ps.filter((p) => !p.metadata?.deletionTimestamp);

test('a ReplicaSet creates its pods from the template, owned by it, and reports status', async () => {
  const ns = await namespace();
  const run = await runControllers(source, [replicaSetController()]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    const pods = source.resource<Pod>(PODS);
    const created = await rss.create(ns, rs(ns, 'web', 3));
    const ps = await until(async () => {
      const l = await podsOf(pods, ns);
      return l.length === 3 && l;
    }, '3 pods');
    for (const p of ps) {
      assert.match(p.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.equal(p.metadata?.generateName, 'web-');
      assert.deepEqual(p.metadata?.labels, { app: 'web', tier: 'web' });
      assert.deepEqual(p.metadata?.ownerReferences, [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata?.uid, controller: true, blockOwnerDeletion: true },
      ]);
      assert.equal(p.spec?.containers[0]?.image, 'nginx');
    }
    await until(async () => (await rss.get(ns, 'web')).status?.replicas === 3, 'status.replicas 3');
    for (const p of ps.slice(0, 2)) await markReady(pods, p);
    const st = await until(async () => {
      const s = (await rss.get(ns, 'web')).status;
      return s?.readyReplicas === 2 && s;
    }, 'readyReplicas 2');
    assert.equal(st.availableReplicas, 2);
    assert.equal(st.fullyLabeledReplicas, 3);
    assert.equal(st.observedGeneration, 1);
    // No more pods than asked for, whatever the number of syncs.
    assert.equal((await podsOf(pods, ns)).length, 3);
    await until(() => run.events.filter((e) => e.reason === 'SuccessfulCreate' && e.name === 'web').length === 3, 'events');
    assert.match(run.events.find((e) => e.reason === 'SuccessfulCreate')!.message, /^Created pod: web-/);
    assert.equal(run.events[0]!.component, 'replicaset-controller');
  } finally {
    await run.stop();
  }
});

test('scaling down deletes the not-ready pods first and keeps the ready ones', async () => {
  const ns = await namespace();
  const run = await runControllers(source, [replicaSetController()]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    const pods = source.resource<Pod>(PODS);
    await rss.create(ns, rs(ns, 'web', 5));
    const ps = await until(async () => {
      const l = await podsOf(pods, ns);
      return l.length === 5 && l;
    }, '5 pods');
    const keep = ps.slice(0, 2).map((p) => p.metadata?.name);
    for (const p of ps.slice(0, 2)) await markReady(pods, p);
    await until(async () => (await rss.get(ns, 'web')).status?.readyReplicas === 2, 'ready 2');
    await modify(rss, ns, 'web', (cur) => {
      cur.spec!.replicas = 2;
    });
    const left = await until(async () => {
      const l = live(await podsOf(pods, ns));
      return l.length === 2 && l;
    }, '2 pods left');
    assert.deepEqual(left.map((p) => p.metadata?.name).sort(), keep.sort());
    const st = await until(async () => {
      const s = (await rss.get(ns, 'web')).status;
      return s?.replicas === 2 && s?.observedGeneration === 2 && s;
    }, 'status after scale-down');
    assert.equal(st.readyReplicas, 2);
    await until(() => run.events.filter((e) => e.reason === 'SuccessfulDelete').length === 3, 'delete events');
  } finally {
    await run.stop();
  }
});

test('adopts matching orphans, releases pods whose labels stop matching, and replaces them', async () => {
  const ns = await namespace();
  const pods = source.resource<Pod>(PODS);
  const rss = source.resource<ReplicaSet>(REPLICASETS);
  const orphan: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: ns, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  await pods.create(ns, orphan);
  // A pod controlled by someone else is never taken, even when the selector matches.
  await pods.create(ns, { ...orphan, metadata: { name: 'taken', namespace: ns, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'other', uid: 'other-uid', controller: true }] } });
  const run = await runControllers(source, [replicaSetController()]);
  try {
    const owner = await rss.create(ns, rs(ns, 'web', 2));
    const ownedBy = (p: Pod): string | undefined => p.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
    await until(async () => {
      const l = await podsOf(pods, ns);
      return l.filter((p) => ownedBy(p) === owner.metadata?.uid).length === 2;
    }, 'adoption plus one new pod');
    const all = await podsOf(pods, ns);
    assert.equal(all.length, 3, 'only one pod created: the orphan was adopted');
    assert.equal(ownedBy(all.find((p) => p.metadata?.name === 'orphan')!), owner.metadata?.uid);
    assert.equal(ownedBy(all.find((p) => p.metadata?.name === 'taken')!), 'other-uid');

    // Relabel the adopted pod: it is released (ownerReference removed) and replaced.
    await modify(pods, ns, 'orphan', (adopted) => {
      adopted.metadata!.labels = { app: 'elsewhere' };
    });
    await until(async () => ((await pods.get(ns, 'orphan')).metadata?.ownerReferences ?? []).length === 0, 'release');
    await until(async () => (await podsOf(pods, ns)).filter((p) => ownedBy(p) === owner.metadata?.uid).length === 2, 'replacement');
    assert.equal((await podsOf(pods, ns)).length, 4);
    assert.deepEqual((await pods.get(ns, 'orphan')).metadata?.ownerReferences ?? [], []);
  } finally {
    await run.stop();
  }
});

test('expectations: a cache that lags behind the creates never causes double creation', async () => {
  const ns = await namespace();
  const gated = new InterceptingSource(source);
  const controller = new ReplicaController<ReplicaSet>(replicaSetKind);
  const run = await runControllers(gated, [controller]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    const pods = source.resource<Pod>(PODS);
    gated.holdPodWatch = true;
    await rss.create(ns, rs(ns, 'web', 4));
    await until(async () => (await podsOf(pods, ns)).length === 4, '4 pods created');
    const key = `${ns}/web`;
    await until(() => controller.expectations.pending(key)?.add === 4, 'expectations recorded');
    // Poke the ReplicaSet many times while its pods are invisible to the controller's cache.
    for (let i = 0; i < 5; i++) {
      await modify(rss, ns, 'web', (cur) => {
        cur.metadata!.annotations = { poke: String(i) };
      });
      await until(() => controller.queue.len() === 0 && controller.queue.processingCount === 0, 'queue drained');
    }
    assert.equal((await podsOf(pods, ns)).length, 4, 'no pod created twice while the cache lagged');
    assert.equal((await rss.get(ns, 'web')).status?.replicas ?? 0, 0, 'status follows the (lagging) cache');
    gated.release();
    await until(() => controller.expectations.satisfied(key), 'expectations met');
    await until(async () => (await rss.get(ns, 'web')).status?.replicas === 4, 'status caught up');
    assert.equal((await podsOf(pods, ns)).length, 4);

    // And the same for deletions: scale down with the cache held.
    gated.holdPodWatch = true;
    await modify(rss, ns, 'web', (cur) => {
      cur.spec!.replicas = 1;
    });
    await until(async () => (await podsOf(pods, ns)).length === 1, 'scaled down to 1');
    for (let i = 0; i < 3; i++) {
      await modify(rss, ns, 'web', (c) => {
        c.metadata!.annotations = { poke: `d${i}` };
      });
      await until(() => controller.queue.len() === 0 && controller.queue.processingCount === 0, 'queue drained');
    }
    assert.equal((await podsOf(pods, ns)).length, 1, 'nothing deleted or created twice');
    gated.release();
    await until(() => controller.expectations.satisfied(key), 'deletions observed');
    await until(async () => (await rss.get(ns, 'web')).status?.replicas === 1, 'status 1');
    assert.equal((await podsOf(pods, ns)).length, 1);
  } finally {
    gated.release();
    await run.stop();
  }
});

test('failed creates: slow start stops early, ReplicaFailure is set, and cleared once creates succeed', async () => {
  const ns = await namespace();
  const failing = new InterceptingSource(source);
  let allowed = 1;
  const outcomes: string[] = [];
  failing.before = (ref, verb) => {
    if (ref.plural !== 'pods' || verb !== 'create') return;
    if (allowed <= 0) {
      outcomes.push('fail');
      throw new ApiError({ code: 403, reason: 'Forbidden', message: 'pods "web-x" is forbidden: exceeded quota: q' });
    }
    allowed--;
    outcomes.push('ok');
  };
  const controller = new ReplicaController<ReplicaSet>(replicaSetKind);
  let syncs = 0;
  const sync = controller.sync.bind(controller);
  controller.sync = (key) => (syncs++, sync(key));
  const run = await runControllers(failing, [controller]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    const pods = source.resource<Pod>(PODS);
    await rss.create(ns, rs(ns, 'web', 10));
    const cond = await until(async () => (await rss.get(ns, 'web')).status?.conditions?.find((c) => c.type === 'ReplicaFailure'), 'ReplicaFailure');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message ?? '', /exceeded quota/);
    // The first sync sends a batch of 1 (ok), then a batch of 2 (both fail) and stops; each retry
    // starts again with a batch of 1. Never 9 doomed requests at once.
    const [n, seen] = [syncs, [...outcomes]];
    assert.deepEqual(seen.slice(0, 3), ['ok', 'fail', 'fail']);
    assert.ok(seen.length <= n + 2, `${seen.length} creates in ${n} syncs`);
    assert.equal((await podsOf(pods, ns)).length, 1);
    await until(() => run.events.some((e) => e.reason === 'FailedCreate' && e.type === 'Warning' && /^Error creating: /.test(e.message)), 'FailedCreate event');
    allowed = 100;
    await until(async () => (await podsOf(pods, ns)).length === 10, 'all pods once creates work');
    await until(async () => (await rss.get(ns, 'web')).status?.conditions === undefined, 'condition cleared');
  } finally {
    await run.stop();
  }
});

test('a status update that conflicts is retried and converges', async () => {
  const ns = await namespace();
  const flaky = new InterceptingSource(source);
  let conflicts = 3;
  flaky.before = (ref, verb) => {
    if (ref.plural === 'replicasets' && verb === 'updateStatus' && conflicts > 0) {
      conflicts--;
      throw conflictError('replicasets.apps "web"');
    }
  };
  const run = await runControllers(flaky, [replicaSetController()]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    await rss.create(ns, rs(ns, 'web', 2));
    await until(async () => (await rss.get(ns, 'web')).status?.replicas === 2, 'status 2');
    assert.equal(conflicts, 0);
    assert.equal((await source.resource<Pod>(PODS).list(ns)).items.length, 2);
  } finally {
    await run.stop();
  }
});

test('availableReplicas honours minReadySeconds', async () => {
  const ns = await namespace();
  const run = await runControllers(source, [replicaSetController()]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    const pods = source.resource<Pod>(PODS);
    await rss.create(ns, rs(ns, 'web', 2, { minReadySeconds: 3600 }));
    const ps = await until(async () => {
      const l = await podsOf(pods, ns);
      return l.length === 2 && l;
    }, '2 pods');
    await markReady(pods, ps[0]!, 2 * 3600 * 1000); // ready for two hours: available
    await markReady(pods, ps[1]!); // ready just now: not yet available
    const st = await until(async () => {
      const s = (await rss.get(ns, 'web')).status;
      return s?.readyReplicas === 2 && s;
    }, 'ready 2');
    assert.equal(st.availableReplicas, 1);
    assert.ok(live(await podsOf(pods, ns)).every(isReady));
  } finally {
    await run.stop();
  }
});

test('pods that are terminating or finished do not count and are replaced', async () => {
  const ns = await namespace();
  const run = await runControllers(source, [replicaSetController()]);
  try {
    const rss = source.resource<ReplicaSet>(REPLICASETS);
    const pods = source.resource<Pod>(PODS);
    await rss.create(ns, rs(ns, 'web', 2));
    const ps = await until(async () => {
      const l = await podsOf(pods, ns);
      return l.length === 2 && l;
    }, '2 pods');
    const failed = await pods.get(ns, ps[0]!.metadata!.name!);
    await pods.updateStatus(ns, { ...failed, status: { ...failed.status, phase: 'Failed' } });
    await until(async () => (await podsOf(pods, ns)).length === 3, 'replacement of the failed pod');
    await until(async () => (await rss.get(ns, 'web')).status?.replicas === 2, 'status 2');
  } finally {
    await run.stop();
  }
});

test('a ReplicationController (map selector) keeps its replicas the same way', async () => {
  const ns = await namespace();
  const run = await runControllers(source, [replicationControllerController()]);
  try {
    const rcs = source.resource<ReplicationController>(REPLICATIONCONTROLLERS);
    const pods = source.resource<Pod>(PODS);
    const rc = await rcs.create(ns, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: ns },
      spec: { replicas: 3, selector: { app: 'legacy' }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    const ps = await until(async () => {
      const l = await podsOf(pods, ns);
      return l.length === 3 && l;
    }, '3 pods');
    for (const p of ps) {
      assert.deepEqual(p.metadata?.ownerReferences?.[0], { apiVersion: 'v1', kind: 'ReplicationController', name: 'legacy', uid: rc.metadata?.uid, controller: true, blockOwnerDeletion: true });
    }
    await until(async () => (await rcs.get(ns, 'legacy')).status?.replicas === 3, 'status 3');
    await modify(rcs, ns, 'legacy', (cur) => {
      cur.spec!.replicas = 1;
    });
    await until(async () => (await podsOf(pods, ns)).length === 1, 'scaled to 1');
    await until(() => run.events.some((e) => e.component === 'replication-controller' && e.reason === 'SuccessfulDelete'), 'events');
  } finally {
    await run.stop();
  }
});
