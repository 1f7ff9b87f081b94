// The namespace controller against a real in-process API server (memory store). The server's
// in-process API serves namespaces/finalize as the HTTP one does: a PUT that changes only
// spec.finalizers, after which a terminating namespace with no finalizers left is deleted. One
// test takes it away to play an older server. (Test-only server imports.)
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.js';
import { test } from 'node:test';
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { startApiServer } from '../../apiserver/server.js';
import { localApi } from '../../apiserver/local_api.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { realClock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { LocalClient, type LocalApi } from '../../client/local.js';
import { isNotFound, resourceRef, type KubeObject, type ResourceClient } from '../../client/resource_client.js';
import type { ControllerContext } from '../controller.js';
import { until, isGone } from '../../client/testing.js';

/** Namespace deletion waits out its own estimate before finishing: a longer bound than the default. */
const NS_WAIT_MS = 20_000;
import { ConditionUpdater, namespaceController, namespacedDeletableResources } from './controller.js';




function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

async function startEnv(opts: { finalize: boolean }) {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const base = localApi(api.stores);
  // The server serves namespaces/finalize; `finalize: false` plays an older server without it.
  const withoutFinalize: LocalApi = {
    ...base,
    subresource: async (req) => {
      if (req.subresource === 'finalize') throw new ApiError({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
      return base.subresource!(req);
    },
  };
  const source = new LocalClient(opts.finalize ? base : withoutFinalize);
  const errors: unknown[] = [];
  const factory = new SharedInformerFactory(source, { onError: (err) => errors.push(err) });
  const ctx: ControllerContext = {
    source,
    factory,
    recorder: () => undefined,
    clock: realClock,
    options: { namespaceDeletionGracePeriodMs: 0, namespaceFinalizerEstimateSeconds: 1 },
    onError: (err) => errors.push(err),
  };
  const controller = namespaceController();
  controller.setup(ctx);
  factory.start();
  assert.ok(await factory.waitForSync());
  const ac = new AbortController();
  const running = controller.run(ctx, ac.signal);
  const r = (group: string, version: string, plural: string) => source.resource(resourceRef(group, version, plural));
  return {
    source,
    errors,
    r,
    namespaces: source.resource<Namespace>(resourceRef('', 'v1', 'namespaces')),
    stop: async () => {
      ac.abort();
      await running;
      await factory.stop();
      await api.close();
      await backend.close();
    },
  };
}

test('the controller deletes every namespaced resource with delete from the table, preferred versions only', () => {
  const names = namespacedDeletableResources().map((r) => `${r.plural}${r.group ? `.${r.group}` : ''}/${r.version}`);
  for (const n of ['pods/v1', 'configmaps/v1', 'secrets/v1', 'services/v1', 'events/v1', 'events.events.k8s.io/v1', 'deployments.apps/v1', 'leases.coordination.k8s.io/v1', 'serviceaccounts/v1']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes('namespaces/v1') && !names.includes('nodes/v1'), 'cluster-scoped resources are not namespace content');
  assert.ok(!names.some((n) => n.startsWith('bindings')), 'create-only resources are skipped');
  assert.ok(!names.includes('horizontalpodautoscalers.autoscaling/v1'), 'one version per resource');
});

test('conditions: upstream reasons and messages, sorted, with ok variants for the rest', () => {
  let t = Date.parse('2024-01-01T00:00:00Z');
  const clock = { now: () => t, setTimeout: realClock.setTimeout };
  const ns: Namespace = { metadata: { name: 'x' }, status: { phase: 'Terminating' } };
  const u = new ConditionUpdater(clock);
  u.processContentTotals({
    resourcesRemaining: new Map([
      ['pods.', 2],
      ['deployments.apps', 1],
    ]),
    finalizersRemaining: new Map([['example.com/hold', 3]]),
  });
  assert.equal(u.update(ns), true);
  const byType = new Map(ns.status!.conditions!.map((c) => [c.type, c]));
  assert.deepEqual(byType.get('NamespaceContentRemaining'), {
    type: 'NamespaceContentRemaining',
    status: 'True',
    lastTransitionTime: '2024-01-01T00:00:00Z',
    reason: 'SomeResourcesRemain',
    message: 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances',
  });
  assert.equal(byType.get('NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 3 resource instances');
  assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.status, 'False');
  assert.equal(byType.get('NamespaceDeletionDiscoveryFailure')?.reason, 'ResourcesDiscovered');
  assert.equal(byType.get('NamespaceDeletionContentFailure')?.message, 'All content successfully deleted, may be waiting on finalization');
  assert.equal(ns.status!.conditions!.length, 5);
  // The same state again changes nothing; a transition moves lastTransitionTime.
  const again = new ConditionUpdater(clock);
  again.processContentTotals({ resourcesRemaining: new Map([['deployments.apps', 1], ['pods.', 2]]), finalizersRemaining: new Map([['example.com/hold', 3]]) });
  assert.equal(again.update(ns), false);
  t += 60_000;
  const done = new ConditionUpdater(clock);
  done.processContentTotals({ resourcesRemaining: new Map(), finalizersRemaining: new Map() });
  done.processDeleteContentError(new Error('b failed'));
  done.processDeleteContentError(new Error('a failed'));
  assert.equal(done.update(ns), true);
  const after = new Map(ns.status!.conditions!.map((c) => [c.type, c]));
  assert.deepEqual(after.get('NamespaceContentRemaining'), {
    type: 'NamespaceContentRemaining',
    status: 'False',
    lastTransitionTime: '2024-01-01T00:01:00Z',
    reason: 'ContentRemoved',
    message: 'All content successfully removed',
  });
  assert.equal(after.get('NamespaceDeletionContentFailure')?.message, 'Failed to delete all resource types, 2 remaining: a failed, b failed');
  assert.equal(after.get('NamespaceDeletionContentFailure')?.reason, 'ContentDeletionFailed');
});

test('deleting a namespace deletes everything in it, then the namespace', { timeout: 60_000 }, async () => {
  const env = await startEnv({ finalize: true });
  try {
    const ns = 'doomed';
    await env.namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // A bystander namespace keeps its content.
    await env.namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bystander' } });
    const meta = (name: string) => ({ name, namespace: ns });
    const objects: Array<[ResourceClient, KubeObject]> = [];
    const add = async (client: ResourceClient, obj: KubeObject): Promise<void> => {
      objects.push([client, await client.create(ns, obj)]);
    };
    const cms = env.r('', 'v1', 'configmaps');
    for (let i = 0; i < 5; i++) await add(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`cm-${i}`), data: { i: String(i) } } as ConfigMap);
    await cms.create('bystander', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'safe', namespace: 'bystander' } } as ConfigMap);
    await add(env.r('', 'v1', 'secrets'), { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), stringData: { a: 'b' } } as KubeObject);
    for (const name of ['p1', 'p2']) {
      await add(env.r('', 'v1', 'pods'), { apiVersion: 'v1', kind: 'Pod', metadata: meta(name), spec: { containers: [{ name: 'c', image: 'nginx' }] } } as KubeObject);
    }
    await add(env.r('apps', 'v1', 'deployments'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    } as KubeObject);
    await add(env.r('', 'v1', 'services'), { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } as KubeObject);
    await add(env.r('coordination.k8s.io', 'v1', 'leases'), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('l'), spec: { holderIdentity: 'x' } } as KubeObject);
    await add(env.r('', 'v1', 'events'), {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('e'),
      involvedObject: { kind: 'Pod', name: 'p1', namespace: ns },
      reason: 'Test',
      message: 'hello',
      type: 'Normal',
    } as KubeObject);
    await add(env.r('', 'v1', 'serviceaccounts'), { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default') } as KubeObject);

    const marked = await env.namespaces.delete('', ns);
    assert.equal(marked?.status?.phase, 'Terminating');
    await until('namespace gone', () => isGone(env.namespaces, '', ns), NS_WAIT_MS);
    for (const [client, obj] of objects) assert.ok(await isGone(client, ns, obj.metadata!.name!), `${client.resource.plural}/${obj.metadata?.name} deleted`);
    assert.ok(!(await isGone(cms, 'bystander', 'safe')), 'other namespaces keep their content');
    assert.ok(!(await isGone(env.namespaces, '', 'bystander')));
  } finally {
    await env.stop();
  }
});

test('content held by a finalizer keeps the namespace, reported in its conditions, until it goes', { timeout: 60_000 }, async () => {
  const env = await startEnv({ finalize: true });
  try {
    const ns = 'held';
    await env.namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const cms = env.r('', 'v1', 'configmaps');
    await cms.create(ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stuck', namespace: ns, finalizers: ['example.com/hold'] } } as ConfigMap);
    await cms.create(ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'free', namespace: ns } } as ConfigMap);
    await env.namespaces.delete('', ns);
    const reported = await until('conditions report the remaining content', async () => {
      const n = await env.namespaces.get('', ns);
      const c = n.status?.conditions?.find((x) => x.type === 'NamespaceContentRemaining');
      return c?.status === 'True' ? n : undefined;
    }, NS_WAIT_MS);
    const conds = new Map((reported.status?.conditions ?? []).map((c) => [c.type, c]));
    assert.equal(conds.get('NamespaceContentRemaining')?.reason, 'SomeResourcesRemain');
    assert.equal(conds.get('NamespaceContentRemaining')?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(conds.get('NamespaceFinalizersRemaining')?.status, 'True');
    assert.equal(conds.get('NamespaceFinalizersRemaining')?.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(conds.get('NamespaceDeletionContentFailure')?.status, 'False');
    assert.equal(reported.status?.phase, 'Terminating');
    assert.deepEqual(reported.spec?.finalizers, ['kubernetes'], 'not finalized while content remains');
    assert.ok(await isGone(cms, ns, 'free'));
    // Release the finalizer: the config map goes, and on its next look the controller finishes.
    await cms.patch(ns, 'stuck', 'merge', { metadata: { finalizers: null } });
    await until('namespace gone', () => isGone(env.namespaces, '', ns), NS_WAIT_MS);
  } finally {
    await env.stop();
  }
});

test('a server without the finalize subresource is reported, not taken for success', { timeout: 60_000 }, async () => {
  const env = await startEnv({ finalize: false });
  try {
    await env.namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stays' } });
    await env.r('', 'v1', 'configmaps').create('stays', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'stays' } } as ConfigMap);
    await env.namespaces.delete('', 'stays');
    await until('error reported', () => env.errors.some((e) => e instanceof Error && /finalize subresource/.test(e.message)), NS_WAIT_MS);
    assert.ok(await isGone(env.r('', 'v1', 'configmaps'), 'stays', 'c'), 'content deleted all the same');
    const n = await env.namespaces.get('', 'stays');
    assert.deepEqual(n.spec?.finalizers, ['kubernetes']);
    assert.equal(n.status?.conditions?.find((c) => c.type === 'NamespaceContentRemaining')?.reason, 'ContentRemoved');
  } finally {
    await env.stop();
  }
});
