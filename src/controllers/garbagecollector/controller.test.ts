// The garbage collector against a real in-process API server (memory store) that runs with
// garbage collection on, so propagationPolicy Foreground/Orphan hold owners with the
// `foregroundDeletion` / `orphan` finalizer. (Test-only imports of the server and store.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigMap, Event, Pod } from 'kubernetes-types/core/v1.js';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { startApiServer } from '../../apiserver/server.js';
import { localApi } from '../../apiserver/local_api.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { realClock } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { LocalClient } from '../../client/local.js';
import { isNotFound, resourceRef, type KubeObject, type ResourceClient } from '../../client/resource_client.js';
import type { ControllerContext } from '../controller.js';
import { until, isGone } from '../../client/testing.js';
import { deletableResources, garbageCollectorController } from './controller.js';




async function startEnv() {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0, garbageCollection: true });
  const source = new LocalClient(localApi(api.stores));
  const errors: unknown[] = [];
  const factory = new SharedInformerFactory(source, { onError: (err) => errors.push(err) });
  const recorders: EventRecorder[] = [];
  const ctx: ControllerContext = {
    source,
    factory,
    recorder: (component) => {
      const r = new EventRecorder({ baseUrl: api.url, component, onError: (err) => errors.push(err) });
      recorders.push(r);
      return r;
    },
    clock: realClock,
    options: {},
    onError: (err) => errors.push(err),
  };
  const gc = garbageCollectorController();
  gc.setup(ctx);
  factory.start();
  assert.ok(await factory.waitForSync());
  const ac = new AbortController();
  const running = gc.run(ctx, ac.signal);
  const cms = source.resource<ConfigMap>(resourceRef('', 'v1', 'configmaps'));
  const pods = source.resource<Pod>(resourceRef('', 'v1', 'pods'));
  const namespaces = source.resource(resourceRef('', 'v1', 'namespaces'));
  const ref = (o: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference => ({
    apiVersion: o.apiVersion ?? 'v1',
    kind: o.kind ?? 'ConfigMap',
    name: o.metadata!.name!,
    uid: o.metadata!.uid!,
    ...extra,
  });
  const cm = (name: string, ownerReferences?: OwnerReference[], extra: Record<string, unknown> = {}, namespace = 'default'): Promise<ConfigMap> =>
    cms.create(namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ownerReferences, ...extra }, data: { k: name } });
  /** Waits until the graph has observed this object (not just heard of it from a reference). */
  const observed = (o: KubeObject): Promise<boolean> => until(`graph observes ${o.metadata?.name}`, () => gc.graph?.node(o.metadata!.uid!)?.virtual === false);
  return {
    api,
    source,
    gc,
    cms,
    pods,
    namespaces,
    ref,
    cm,
    observed,
    errors,
    stop: async () => {
      ac.abort();
      await running;
      await factory.stop();
      await Promise.all(recorders.map((r) => r.close()));
      await api.close();
      await backend.close();
    },
  };
}

test('the collector watches preferred versions of resources with list, watch and delete, but not events', () => {
  const names = deletableResources().map((r) => `${r.plural}${r.group ? `.${r.group}` : ''}/${r.version}`);
  for (const n of ['pods/v1', 'configmaps/v1', 'replicasets.apps/v1', 'deployments.apps/v1', 'namespaces/v1', 'nodes/v1', 'leases.coordination.k8s.io/v1']) assert.ok(names.includes(n), n);
  assert.ok(names.includes('horizontalpodautoscalers.autoscaling/v2'));
  assert.ok(!names.includes('horizontalpodautoscalers.autoscaling/v1'), 'only the preferred version');
  assert.ok(!names.some((n) => n.startsWith('events')), 'events are ignored');
  assert.ok(!names.some((n) => n.startsWith('bindings')), 'bindings cannot be listed');
});

test('background: when the owner is deleted, its dependents are deleted', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    const owner = await env.cm('owner');
    const dep = await env.cm('dep', [env.ref(owner, { controller: true })]);
    const pod = await env.pods.create('default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default', ownerReferences: [env.ref(owner)] },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    // A dependent with a second owner that stays: it survives, minus the dangling reference.
    const other = await env.cm('other-owner');
    const shared = await env.cm('shared', [env.ref(owner), env.ref(other)]);
    await env.observed(dep);
    await env.observed(pod);
    await env.observed(shared);
    await env.cms.delete('default', 'owner');
    await until('dependents deleted', async () => (await isGone(env.cms, 'default', 'dep')) && (await isGone(env.pods, 'default', 'p')));
    const kept = await until('dangling reference removed', async () => {
      const s = await env.cms.get('default', 'shared');
      return s.metadata?.ownerReferences?.length === 1 ? s : undefined;
    });
    assert.equal(kept.metadata?.uid, shared.metadata?.uid);
    assert.deepEqual(kept.metadata?.ownerReferences?.map((r) => r.name), ['other-owner']);
  } finally {
    await env.stop();
  }
});

test('an owner is matched by uid: a new object with the same name does not keep dependents alive', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    const first = await env.cm('owner');
    await env.cms.delete('default', 'owner');
    const second = await env.cm('owner');
    assert.notEqual(first.metadata?.uid, second.metadata?.uid);
    const orphaned = await env.cm('of-first', [env.ref(first)]);
    const kept = await env.cm('of-second', [env.ref(second)]);
    // Dangling by uid: a name that never existed.
    const ghost = await env.cm('of-ghost', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '00000000-0000-0000-0000-000000000001' }]);
    await until('dependents of absent owners deleted', async () => (await isGone(env.cms, 'default', 'of-first')) && (await isGone(env.cms, 'default', 'of-ghost')));
    assert.ok(orphaned.metadata?.uid && ghost.metadata?.uid);
    // The live owner's dependent was verified against the API and stays.
    await env.observed(kept);
    assert.equal((await env.cms.get('default', 'of-second')).metadata?.uid, kept.metadata?.uid);
    assert.equal(env.gc.graph?.node('00000000-0000-0000-0000-000000000001'), undefined, 'the virtual owner left the graph');
  } finally {
    await env.stop();
  }
});

test('foreground: the owner stays until its blocking dependents are gone, then goes', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    const owner = await env.cm('fg-owner');
    // A blocking dependent held by a finalizer of its own: the owner must wait for it.
    const blocker = await env.cm('blocker', [env.ref(owner, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
    const free = await env.cm('non-blocking', [env.ref(owner)]);
    await env.observed(blocker);
    await env.observed(free);
    const marked = await env.cms.delete('default', 'fg-owner', { propagationPolicy: 'Foreground' });
    assert.ok(marked?.metadata?.deletionTimestamp);
    assert.deepEqual(marked?.metadata?.finalizers, ['foregroundDeletion']);
    await until('the blocking dependent is being deleted', async () => !!(await env.cms.get('default', 'blocker')).metadata?.deletionTimestamp);
    // The owner waits (with its finalizer) while the blocker exists.
    await new Promise((r) => setTimeout(r, 300));
    const waiting = await env.cms.get('default', 'fg-owner');
    assert.ok(waiting.metadata?.deletionTimestamp);
    assert.deepEqual(waiting.metadata?.finalizers, ['foregroundDeletion']);
    // Release the blocker: it goes, then the owner.
    await env.cms.patch('default', 'blocker', 'merge', { metadata: { finalizers: null } });
    await until('blocker gone', () => isGone(env.cms, 'default', 'blocker'));
    await until('owner gone', () => isGone(env.cms, 'default', 'fg-owner'));
    await until('non-blocking dependent gone', () => isGone(env.cms, 'default', 'non-blocking'));
  } finally {
    await env.stop();
  }
});

test('foreground through two levels: a dependent with dependents of its own is deleted in the foreground too', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    const top = await env.cm('top');
    const mid = await env.cm('mid', [env.ref(top, { blockOwnerDeletion: true })]);
    const leaf = await env.cm('leaf', [env.ref(mid, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
    await env.observed(leaf);
    await env.observed(mid);
    await env.cms.delete('default', 'top', { propagationPolicy: 'Foreground' });
    const midMarked = await until('mid deleted in the foreground', async () => {
      const m = await env.cms.get('default', 'mid');
      return m.metadata?.deletionTimestamp ? m : undefined;
    });
    assert.deepEqual(midMarked.metadata?.finalizers, ['foregroundDeletion']);
    await until('leaf being deleted', async () => !!(await env.cms.get('default', 'leaf')).metadata?.deletionTimestamp);
    assert.ok(!(await isGone(env.cms, 'default', 'top')), 'top waits for mid');
    await env.cms.patch('default', 'leaf', 'merge', { metadata: { finalizers: null } });
    await until('all gone', async () => (await isGone(env.cms, 'default', 'leaf')) && (await isGone(env.cms, 'default', 'mid')) && (await isGone(env.cms, 'default', 'top')));
  } finally {
    await env.stop();
  }
});

test('orphan: dependents stay without the reference; then the owner goes', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    const owner = await env.cm('orphaner');
    const other = await env.cm('stays');
    const a = await env.cm('a', [env.ref(owner, { controller: true, blockOwnerDeletion: true })]);
    const b = await env.cm('b', [env.ref(owner), env.ref(other)]);
    await env.observed(a);
    await env.observed(b);
    const marked = await env.cms.delete('default', 'orphaner', { propagationPolicy: 'Orphan' });
    assert.deepEqual(marked?.metadata?.finalizers, ['orphan']);
    await until('owner gone', () => isGone(env.cms, 'default', 'orphaner'));
    const a2 = await env.cms.get('default', 'a');
    const b2 = await env.cms.get('default', 'b');
    assert.equal(a2.metadata?.uid, a.metadata?.uid);
    assert.equal(a2.metadata?.ownerReferences, undefined);
    assert.deepEqual(b2.metadata?.ownerReferences?.map((r) => r.name), ['stays']);
    // And they are not collected afterwards.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await isGone(env.cms, 'default', 'a')));
  } finally {
    await env.stop();
  }
});

test('a namespaced owner referenced from another namespace counts as absent, with an OwnerRefInvalidNamespace event', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    await env.namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    const owner = await env.cm('owner');
    await env.observed(owner);
    const stray = await env.cm('stray', [env.ref(owner)], {}, 'other');
    await until('cross-namespace dependent deleted', () => isGone(env.cms, 'other', 'stray'));
    assert.ok(!(await isGone(env.cms, 'default', 'owner')), 'the owner itself is untouched');
    const events = env.source.resource<Event>(resourceRef('', 'v1', 'events'));
    const ev = await until('warning event', async () => (await events.list('other')).items.find((e) => e.reason === 'OwnerRefInvalidNamespace'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject.uid, stray.metadata?.uid);
    assert.equal(ev.message, `ownerRef [v1/ConfigMap, namespace: other, name: owner, uid: ${owner.metadata?.uid}] does not exist in namespace "other"`);
  } finally {
    await env.stop();
  }
});

test('cluster-scoped owners may own namespaced objects; a cluster-scoped object naming a namespaced owner kind is never collected', { timeout: 60_000 }, async () => {
  const env = await startEnv();
  try {
    const roles = env.source.resource<ClusterRole>(resourceRef('rbac.authorization.k8s.io', 'v1', 'clusterroles'));
    const clusterOwner = await roles.create('', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cluster-owner' } });
    const dep = await env.cm('owned-by-cluster', [env.ref(clusterOwner)]);
    const invalidUid = '00000000-0000-0000-0000-0000000000aa';
    const invalid = await roles.create('', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'names-a-configmap', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'whatever', uid: invalidUid }] },
    });
    await env.observed(dep);
    await env.observed(invalid);
    // The reference cannot be resolved (an owner reference has no namespace): the virtual owner
    // stays unverified and the cluster-scoped dependent is never collected.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(env.gc.graph?.node(invalidUid)?.virtual, true);
    assert.ok(!(await isGone(roles, '', 'names-a-configmap')));
    assert.ok(!(await isGone(env.cms, 'default', 'owned-by-cluster')), 'a live cluster-scoped owner keeps its dependent');
    await roles.delete('', 'cluster-owner');
    await until('namespaced dependent of a cluster-scoped owner deleted', () => isGone(env.cms, 'default', 'owned-by-cluster'));
  } finally {
    await env.stop();
  }
});
