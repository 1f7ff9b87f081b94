// @kubernetes/client-node (1.x) against a real `capstan server`: the official JavaScript client
// must work unchanged with the kubeconfig we write. Covers list, create, read, merge patch (the
// patch content type is set per call with setHeaderOptions: the generated 1.x API would otherwise
// send application/json-patch+json), labelSelector, and the library's Watch class.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping client-node e2e: ${skip}`);

const NS = 'clientnode';

describe('@kubernetes/client-node against capstan', { skip }, () => {
  const c = new Cluster();
  let asWritten: k8s.KubeConfig;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;

  before(async () => {
    await c.start();
    // The harness resolves start() on "api ready"; the server writes the kubeconfig just after.
    await eventually(() => c.logs.includes('kubeconfig written'), 10_000, 'kubeconfig written');
    asWritten = new k8s.KubeConfig();
    asWritten.loadFromFile(c.kubeconfig);
    // client-node 1.x refuses plain http:// servers unless the cluster entry says
    // insecure-skip-tls-verify: true (config.js createAgent). The first test checks the kubeconfig
    // as written; the rest use a copy with the flag set so they exercise the API either way.
    kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: asWritten.clusters.map((cl) => (cl.server.startsWith('http:') ? { ...cl, skipTLSVerify: true } : cl)),
      users: asWritten.users,
      contexts: asWritten.contexts,
      currentContext: asWritten.currentContext,
    });
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  after(async () => {
    await c.destroy();
  });

  test('the kubeconfig loads and points at the server', () => {
    assert.equal(asWritten.getCurrentCluster()?.server, c.url);
    assert.equal(asWritten.getCurrentContext(), 'capstan');
  });

  test('the kubeconfig as written works with client-node unchanged (http:// needs insecure-skip-tls-verify)', async () => {
    // Fails today: `capstan server` writes an http:// cluster without insecure-skip-tls-verify,
    // and client-node 1.x throws "HTTP protocol is not allowed when skipTLSVerify is not set or false".
    const list = await asWritten.makeApiClient(k8s.CoreV1Api).listNamespace();
    assert.ok(list.items.length > 0);
  });

  test('list namespaces, create one', async () => {
    const before = await core.listNamespace();
    const names = before.items.map((n) => n.metadata?.name);
    assert.ok(names.includes('default'), `default namespace listed: ${names.join(',')}`);
    const created = await core.createNamespace({ body: { metadata: { name: NS } } });
    assert.equal(created.metadata?.name, NS);
    const after = await core.listNamespace();
    assert.ok(after.items.some((n) => n.metadata?.name === NS));
  });

  test('create, read, merge-patch and label-select ConfigMaps', async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { app: 'demo', tier: 'web' } }, data: { a: '1' } },
    });
    assert.equal(cm.metadata?.name, 'settings');
    assert.ok(cm.metadata?.uid, 'uid assigned');
    assert.ok(cm.metadata?.resourceVersion, 'resourceVersion assigned');
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'other', labels: { app: 'other' } }, data: { b: '2' } } });

    const read = await core.readNamespacedConfigMap({ name: 'settings', namespace: NS });
    assert.deepEqual(read.data, { a: '1' });
    assert.equal(read.metadata?.labels?.tier, 'web');

    const patched = await core.patchNamespacedConfigMap(
      { name: 'settings', namespace: NS, body: { data: { b: '2' }, metadata: { labels: { tier: null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched.data, { a: '1', b: '2' }, 'merge patch adds a key and keeps the rest');
    assert.equal(patched.metadata?.labels?.tier, undefined, 'null in a merge patch removes the key');
    assert.notEqual(patched.metadata?.resourceVersion, cm.metadata?.resourceVersion);

    // A JSON patch through the same option, to show the content type really is chosen per call.
    const jp = await core.patchNamespacedConfigMap(
      { name: 'settings', namespace: NS, body: [{ op: 'replace', path: '/data/a', value: 'one' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    assert.equal(jp.data?.a, 'one');

    const selected = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app=demo' });
    assert.deepEqual(selected.items.map((i) => i.metadata?.name), ['settings']);
    const notIn = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app in (other,nothing)' });
    assert.deepEqual(notIn.items.map((i) => i.metadata?.name), ['other']);
    assert.ok(selected.metadata?.resourceVersion, 'the list carries a resourceVersion');
  });

  test('create, read and strategic-merge-patch a Deployment', async () => {
    const dep = await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
        },
      },
    });
    assert.equal(dep.spec?.replicas, 2);
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    assert.equal(read.spec?.template.spec?.containers[0]?.image, 'nginx:1.27');
    assert.equal(read.metadata?.generation, 1);

    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { replicas: 4 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(patched.spec?.replicas, 4);
    assert.equal(patched.metadata?.generation, 2);

    const smp = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.28' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    assert.equal(smp.spec?.template.spec?.containers.length, 1);
    assert.equal(smp.spec?.template.spec?.containers[0]?.image, 'nginx:1.28');

    const list = await apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'app=web' });
    assert.equal(list.items.length, 1);
  });

  test('errors come back as ApiException with the Status body', async () => {
    await assert.rejects(
      core.readNamespacedConfigMap({ name: 'missing', namespace: NS }),
      (err: unknown) => {
        assert.ok(err instanceof k8s.ApiException, `ApiException, got ${String(err)}`);
        assert.equal(err.code, 404);
        const body = typeof err.body === 'string' ? (JSON.parse(err.body) as { reason?: string }) : (err.body as { reason?: string });
        assert.equal(body.reason, 'NotFound');
        return true;
      },
    );
  });

  test('Watch sees ADDED, MODIFIED and DELETED for changes made during the test', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const rv = list.metadata?.resourceVersion;
    assert.ok(rv);
    const seen: { type: string; name: string; value?: string }[] = [];
    let doneErr: unknown = 'not done';
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type, obj: k8s.V1ConfigMap) => {
        seen.push({ type, name: obj.metadata?.name ?? '', value: obj.data?.v });
      },
      (err) => {
        doneErr = err;
      },
    );
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'watched' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap(
        { name: 'watched', namespace: NS, body: { data: { v: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: 'watched', namespace: NS });
      await eventually(() => seen.some((e) => e.type === 'DELETED' && e.name === 'watched'), 10_000, 'DELETED event');
      const mine = seen.filter((e) => e.name === 'watched');
      assert.deepEqual(mine, [
        { type: 'ADDED', name: 'watched', value: '1' },
        { type: 'MODIFIED', name: 'watched', value: '2' },
        { type: 'DELETED', name: 'watched', value: '2' },
      ]);
      assert.ok(seen.every((e) => e.type !== 'ERROR'), `no ERROR events: ${JSON.stringify(seen)}`);
      assert.equal(doneErr, 'not done', 'the watch is still open');
    } finally {
      ctl.abort();
    }
  });

  test('Watch on a stale resourceVersion ends with an ERROR/410 or a done error, not a hang', async () => {
    const events: { type: string; code?: number }[] = [];
    let resolveDone: (err: unknown) => void = () => {};
    const finished = new Promise<unknown>((resolve) => (resolveDone = resolve));
    const ctl = await new k8s.Watch(kc).watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: '1' },
      (type, obj: { code?: number }) => events.push({ type, code: obj?.code }),
      (err) => resolveDone(err),
    );
    // Either the server answers 410 before streaming (done(err) with statusCode 410) or it
    // streams an ERROR event with a Status of code 410 (as Kubernetes does) and the watch stays
    // open; both are correct for a compacted revision. A fresh store may still hold revision 1,
    // in which case replaying from it is also fine.
    const result = await Promise.race([finished, new Promise((r) => setTimeout(() => r('open'), 1_500))]);
    ctl.abort();
    if (result !== 'open') {
      const code = (result as { statusCode?: number } | null)?.statusCode;
      assert.ok(code === undefined || code === 410, `done with ${String(code)}`);
    } else {
      assert.ok(events.every((e) => e.type !== 'ERROR' || e.code === 410), JSON.stringify(events));
    }
  });

  test('KubernetesObjectApi (generic client) reads and deletes', async () => {
    const client = k8s.KubernetesObjectApi.makeApiClient(kc);
    const obj = await client.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS } });
    assert.equal(obj.kind, 'Deployment');
    await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: NS } });
    const left = await core.listNamespacedConfigMap({ namespace: NS });
    assert.ok(!left.items.some((i) => i.metadata?.name === 'other'));
  });
});
