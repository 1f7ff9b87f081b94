// Issue 4 acceptance: `capstan server` as a real process, driven by real kubectl 1.32.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping apiserver e2e: ${skip}`);

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  labels: {app: web}
data:
  mode: production
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: solo
  namespace: shop
  labels: {app: web, role: solo}
spec:
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
`;

/** The store's current revision, read as a list's resourceVersion. */
async function storeRevision(c: Cluster): Promise<number> {
  const r = await c.request('GET', '/api/v1/namespaces?limit=1');
  return Number((r.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
}

describe('apiserver e2e with kubectl', { skip }, () => {
  const c = new Cluster();
  before(async () => {
    await c.start();
  });
  after(async () => {
    await c.destroy();
  });

  test('version, api-resources, api-versions, explain', () => {
    const v = c.kubectl(['version']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /Server Version: v1\.32\.\d+\+capstan/);

    const ar = c.kubectl(['api-resources']);
    assert.equal(ar.code, 0, ar.stderr);
    for (const row of [
      /^pods\s+po\s+v1\s+true\s+Pod$/m,
      /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m,
      /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^services\s+svc\s+v1\s+true\s+Service$/m,
      /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m,
      /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m,
      /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m,
      /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m,
    ]) {
      assert.match(ar.stdout, row);
    }
    const av = c.kubectl(['api-versions']);
    assert.equal(av.code, 0, av.stderr);
    for (const gv of ['v1', 'apps/v1', 'batch/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'events.k8s.io/v1']) {
      assert.ok(av.stdout.split('\n').includes(gv), `api-versions lists ${gv}`);
    }
    const ex = c.kubectl(['explain', 'pod.spec.containers']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stdout, /FIELD:\s+containers/);
    assert.match(ex.stdout, /image\s+<string>/);
  });

  test('apply a manifest, then get it every way kubectl can', () => {
    const file = join(c.dir, 'shop.yaml');
    writeFileSync(file, MANIFEST);
    const ap = c.kubectl(['apply', '-f', file]);
    assert.equal(ap.code, 0, ap.stderr);
    for (const line of ['namespace/shop created', 'configmap/settings created', 'secret/creds created', 'deployment.apps/web created', 'service/web created', 'pod/solo created']) {
      assert.ok(ap.stdout.includes(line), `apply printed "${line}":\n${ap.stdout}`);
    }
    const all = c.kubectl(['get', 'all', '-n', 'shop']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /pod\/solo/);
    assert.match(all.stdout, /service\/web/);
    assert.match(all.stdout, /deployment\.apps\/web/);

    const wide = c.kubectl(['get', 'pods', '-n', 'shop', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /^NAME\b/m);
    assert.match(wide.stdout, /^solo\b/m);

    const yaml = c.kubectl(['get', 'deployment', 'web', '-n', 'shop', '-o', 'yaml']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /kind: Deployment/);
    assert.match(yaml.stdout, /image: nginx:1\.27/);
    assert.match(yaml.stdout, /uid: [0-9a-f-]{36}/);
    assert.match(yaml.stdout, /generation: 1/);

    const json = c.kubectl(['get', 'configmap', 'settings', '-n', 'shop', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const cm = JSON.parse(json.stdout) as { data: Record<string, string>; metadata: { resourceVersion: string; creationTimestamp: string } };
    assert.equal(cm.data.mode, 'production');
    assert.match(cm.metadata.resourceVersion, /^\d+$/);
    assert.match(cm.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const jp = c.kubectl(['get', 'secret', 'creds', '-n', 'shop', '-o', 'jsonpath={.data.password}']);
    assert.equal(jp.code, 0, jp.stderr);
    assert.equal(Buffer.from(jp.stdout, 'base64').toString(), 'hunter2', 'stringData was merged into data');

    const byLabel = c.kubectl(['get', 'pods,configmaps', '-n', 'shop', '-l', 'app=web', '-o', 'name']);
    assert.equal(byLabel.code, 0, byLabel.stderr);
    assert.deepEqual(byLabel.stdout.trim().split('\n').sort(), ['configmap/settings', 'pod/solo']);
    const notSolo = c.kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=web,role!=solo', '-o', 'name']);
    assert.equal(notSolo.stdout.trim(), '');
    const setBased = c.kubectl(['get', 'pods', '-n', 'shop', '-l', 'role in (solo,other)', '-o', 'name']);
    assert.equal(setBased.stdout.trim(), 'pod/solo');

    const byField = c.kubectl(['get', 'configmaps', '-A', '--field-selector', 'metadata.namespace=shop', '-o', 'name']);
    assert.equal(byField.code, 0, byField.stderr);
    assert.ok(byField.stdout.includes('configmap/settings'));
    const badField = c.kubectl(['get', 'pods', '-n', 'shop', '--field-selector', 'spec.bogus=x']);
    assert.notEqual(badField.code, 0);
    assert.match(badField.stderr, /field label not supported: spec\.bogus/);
  });

  test('get -w sees a later change', async () => {
    c.kubectl(['create', 'namespace', 'watchns']); // may need protobuf; fall back below
    c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: watchns}\n' });
    const ap = c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched, namespace: watchns}\ndata: {v: "1"}\n' });
    assert.equal(ap.code, 0, ap.stderr);
    const w = c.kubectlAsync(['get', 'configmap', 'watched', '-n', 'watchns', '-w', '-o', 'jsonpath={.data.v}{"\\n"}']);
    try {
      await eventually(() => w.output().includes('1'), 10_000, 'initial watch output');
      const p = c.kubectl(['patch', 'configmap', 'watched', '-n', 'watchns', '--type=merge', '-p', '{"data":{"v":"2"}}']);
      assert.equal(p.code, 0, p.stderr);
      await eventually(() => w.output().split('\n').includes('2'), 10_000, 'the change to show in get -w');
    } finally {
      w.child.kill();
    }
  });

  test('edit, label, annotate, patch (merge and json), delete', () => {
    const editor = join(c.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/mode: production/mode: staging/" "$1"\n', { mode: 0o755 });
    const ed = c.kubectl(['edit', 'configmap', 'settings', '-n', 'shop'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    assert.equal(ed.code, 0, ed.stderr);
    assert.match(ed.stdout, /configmap\/settings edited/);
    const get = (path: string): string => c.kubectl(['get', 'configmap', 'settings', '-n', 'shop', '-o', `jsonpath=${path}`]).stdout;
    assert.equal(get('{.data.mode}'), 'staging');

    assert.equal(c.kubectl(['label', 'configmap', 'settings', '-n', 'shop', 'tier=gold']).code, 0);
    assert.equal(get('{.metadata.labels.tier}'), 'gold');
    assert.equal(c.kubectl(['label', 'configmap', 'settings', '-n', 'shop', 'tier-']).code, 0);
    assert.equal(get('{.metadata.labels.tier}'), '');
    assert.equal(c.kubectl(['annotate', 'configmap', 'settings', '-n', 'shop', 'owner=ops']).code, 0);
    assert.equal(get('{.metadata.annotations.owner}'), 'ops');

    const merge = c.kubectl(['patch', 'configmap', 'settings', '-n', 'shop', '--type=merge', '-p', '{"data":{"extra":"yes"}}']);
    assert.equal(merge.code, 0, merge.stderr);
    assert.equal(get('{.data.extra}'), 'yes');
    const jsonPatch = c.kubectl(['patch', 'configmap', 'settings', '-n', 'shop', '--type=json', '-p', '[{"op":"remove","path":"/data/extra"},{"op":"add","path":"/data/j","value":"p"}]']);
    assert.equal(jsonPatch.code, 0, jsonPatch.stderr);
    assert.equal(get('{.data.extra}'), '');
    assert.equal(get('{.data.j}'), 'p');
    const badJsonPatch = c.kubectl(['patch', 'configmap', 'settings', '-n', 'shop', '--type=json', '-p', '[{"op":"remove","path":"/data/nope"}]']);
    assert.notEqual(badJsonPatch.code, 0);

    const del = c.kubectl(['delete', 'configmap', 'settings', '-n', 'shop']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /configmap "settings" deleted/);
    const gone = c.kubectl(['get', 'configmap', 'settings', '-n', 'shop']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "settings" not found/);
  });

  test('generation moves on spec changes only', async () => {
    const path = '/apis/apps/v1/namespaces/shop/deployments/web';
    const gen = async (): Promise<number> => ((await c.request('GET', path)).body as { metadata: { generation: number } }).metadata.generation;
    const g0 = await gen();
    assert.equal(c.kubectl(['label', 'deployment', 'web', '-n', 'shop', 'x=y']).code, 0);
    assert.equal(await gen(), g0, 'a label change is not a spec change');
    assert.equal(c.kubectl(['patch', 'deployment', 'web', '-n', 'shop', '--type=merge', '-p', '{"spec":{"replicas":4}}']).code, 0);
    assert.equal(await gen(), g0 + 1);
  });

  test('two concurrent updates from one resourceVersion: one wins, one gets 409', async () => {
    const path = '/api/v1/namespaces/shop/configmaps/race';
    const created = await c.request('POST', '/api/v1/namespaces/shop/configmaps', { metadata: { name: 'race' }, data: { v: '0' } });
    assert.equal(created.status, 201);
    const obj = created.body as { metadata: { resourceVersion: string }; data: Record<string, string> };
    const put = (v: string): Promise<{ status: number; body: unknown }> => c.request('PUT', path, { ...obj, data: { v } });
    const [a, b] = await Promise.all([put('a'), put('b')]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409]);
    const loser = (a.status === 409 ? a : b).body as { kind: string; reason: string; code: number; message: string; details: { name: string; kind: string } };
    assert.equal(loser.kind, 'Status');
    assert.equal(loser.reason, 'Conflict');
    assert.equal(loser.code, 409);
    assert.equal(
      loser.message,
      'Operation cannot be fulfilled on configmaps "race": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.deepEqual(loser.details, { name: 'race', kind: 'configmaps' });
    const winner = a.status === 200 ? 'a' : 'b';
    assert.equal(((await c.request('GET', path)).body as { data: { v: string } }).data.v, winner, 'no lost update');
  });

  test('bad input gets upstream-shaped errors and leaves the store unchanged', async () => {
    const before = await storeRevision(c);
    // Malformed JSON, straight to the API.
    const malformed = await c.request('POST', '/api/v1/namespaces/shop/configmaps', '{"metadata": {"name": "x"', 'application/json');
    assert.equal(malformed.status, 400);
    assert.equal((malformed.body as { reason: string }).reason, 'BadRequest');
    // Malformed YAML through kubectl.
    const badYaml = c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n' });
    assert.notEqual(badYaml.code, 0);
    // An unknown field with --validate=strict.
    const unknown = c.kubectl(['apply', '--validate=strict', '-f', '-'], {
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: strict, namespace: shop}\ndata: {a: b}\nbogus: 1\n',
    });
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown field "bogus"/);
    // A bad name.
    const badName = c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Foo_Bar, namespace: shop}\n' });
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /The ConfigMap "Foo_Bar" is invalid: metadata\.name: Invalid value: "Foo_Bar": a lowercase RFC 1123 subdomain/);
    // A pod without containers.
    const noContainers = c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: empty, namespace: shop}\nspec: {containers: []}\n' });
    assert.notEqual(noContainers.code, 0);
    assert.match(noContainers.stderr, /The Pod "empty" is invalid: spec\.containers: Required value/);
    // An invalid label selector.
    const badSel = c.kubectl(['get', 'pods', '-n', 'shop', '-l', 'app in (a']);
    assert.notEqual(badSel.code, 0);
    assert.match(badSel.stderr, /Error from server \(BadRequest\)|unable to parse requirement/);
    // A create in a namespace that does not exist.
    const noNs = await c.request('POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'x' } });
    assert.equal(noNs.status, 404);
    assert.equal((noNs.body as { message: string }).message, 'namespaces "nowhere" not found');
    // A body over 3 MiB.
    const huge = await c.request('POST', '/api/v1/namespaces/shop/configmaps', { metadata: { name: 'huge' }, data: { x: 'y'.repeat(3 * 1024 * 1024 + 10) } });
    assert.equal(huge.status, 413);
    assert.equal(await storeRevision(c), before, 'nothing was written');
    const health = await c.request('GET', '/healthz');
    assert.equal(health.status, 200, 'the server is still up');
  });

  test('fieldValidation: Warn answers with a Warning header, Strict refuses duplicates, Ignore is silent', async () => {
    const body = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv1"},"data":{"a":"b"},"extra":1}';
    const warn = await fetch(`${c.url}/api/v1/namespaces/shop/configmaps?fieldValidation=Warn`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(warn.status, 201);
    assert.match(warn.headers.get('warning') ?? '', /299 - "unknown field \\"extra\\""/);
    const dup = await c.request('POST', '/api/v1/namespaces/shop/configmaps?fieldValidation=Strict', '{"metadata":{"name":"fv2","name":"fv3"}}');
    assert.equal(dup.status, 400);
    assert.match((dup.body as { message: string }).message, /strict decoding error: duplicate field "metadata.name"/);
    const ignore = await fetch(`${c.url}/api/v1/namespaces/shop/configmaps?fieldValidation=Ignore`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body.replace('fv1', 'fv4'),
    });
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.get('warning'), null);
  });

  test('watch: timeoutSeconds ends the stream; sendInitialEvents ends with the initial-events-end bookmark', async () => {
    const t0 = Date.now();
    const timed = await fetch(`${c.url}/api/v1/namespaces/shop/configmaps?watch=true&timeoutSeconds=1&resourceVersion=1`);
    await timed.text();
    assert.ok(Date.now() - t0 < 10_000, 'the watch ended by itself');
    const res = await fetch(
      `${c.url}/api/v1/namespaces/shop/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } });
    assert.deepEqual(lines.map((l) => l.type), ['ADDED', 'BOOKMARK']);
    assert.equal(lines[0]!.object.metadata.name, 'solo');
    assert.equal(lines[1]!.object.metadata.annotations?.['k8s.io/initial-events-end'], 'true');
  });

  test('health endpoints and aggregated discovery', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) assert.equal((await c.request('GET', path)).text, 'ok');
    const agg = await fetch(`${c.url}/apis`, { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
    assert.equal(agg.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const list = (await agg.json()) as { kind: string; items: Array<{ metadata: { name: string } }> };
    assert.equal(list.kind, 'APIGroupDiscoveryList');
    assert.ok(list.items.some((g) => g.metadata.name === 'apps'));
    const unknown = await c.request('GET', '/apis/nope.example.com/v1/things');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { kind: string }).kind, 'Status');
  });

  test('delete ns leaves it Terminating, and creates in it are forbidden', async () => {
    c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: doomed}\n' });
    const del = c.kubectl(['delete', 'namespace', 'doomed', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    const phase = c.kubectl(['get', 'namespace', 'doomed', '-o', 'jsonpath={.status.phase}']);
    assert.equal(phase.stdout, 'Terminating');
    const create = await c.request('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
    assert.equal(create.status, 403);
    assert.equal((create.body as { message: string }).message, 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
  });
});

describe('apiserver restart', { skip }, () => {
  test('objects survive, resourceVersions continue upward, and a watch resumes without a gap', async () => {
    const c = new Cluster();
    try {
      await c.start();
      for (let i = 0; i < 5; i++) {
        const r = await c.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `cm${i}` }, data: { i: String(i) } });
        assert.equal(r.status, 201);
      }
      const seen = Number(((await c.request('GET', '/api/v1/namespaces/default/configmaps')).body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      await c.stop();
      await c.start();
      const list = (await c.request('GET', '/api/v1/namespaces/default/configmaps')).body as { metadata: { resourceVersion: string }; items: unknown[] };
      assert.equal(list.items.length, 5);
      assert.equal(Number(list.metadata.resourceVersion), seen, 'no revision was lost or invented');
      const created = await c.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after' } });
      const rvAfter = Number((created.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      assert.equal(rvAfter, seen + 1);
      // Watch from the last revision seen before the restart: the one change since, then live ones.
      const ac = new AbortController();
      const res = await fetch(`${c.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${seen}`, { signal: ac.signal });
      const reader = res.body!.getReader();
      const events: Array<{ type: string; object: { metadata: { name: string; resourceVersion: string } } }> = [];
      let buf = '';
      const readUntil = async (n: number): Promise<void> => {
        while (events.length < n) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += Buffer.from(value).toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buf.slice(0, nl)));
            buf = buf.slice(nl + 1);
          }
        }
      };
      await readUntil(1);
      await c.request('DELETE', '/api/v1/namespaces/default/configmaps/cm0');
      await readUntil(2);
      ac.abort();
      assert.deepEqual(
        events.map((e) => [e.type, e.object.metadata.name, Number(e.object.metadata.resourceVersion)]),
        [
          ['ADDED', 'after', seen + 1],
          ['DELETED', 'cm0', seen + 2],
        ],
      );
    } finally {
      await c.destroy();
    }
  });

  test('resourceVersion parameters: too large is 504, malformed is 400', async () => {
    const c = new Cluster();
    try {
      await c.start();
      const tooLarge = await c.request('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=999999&resourceVersionMatch=NotOlderThan');
      assert.equal(tooLarge.status, 504);
      const exactOld = await c.request('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=abc');
      assert.equal(exactOld.status, 400);
    } finally {
      await c.destroy();
    }
  });
});
