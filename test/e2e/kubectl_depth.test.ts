// kubectl depth (issue 5, in progress): protobuf create bodies, server-side tables, scale, describe.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeObject, decodeWatchEvent, encodeObject } from '../../src/api/protobuf/codec.js';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping kubectl depth e2e: ${skip}`);

describe('kubectl depth', { skip }, () => {
  const c = new Cluster();
  before(async () => {
    await c.start();
  });
  after(async () => {
    await c.destroy();
  });

  test('kubectl create <kind> sends protobuf, and every one succeeds', () => {
    // -v=8 makes kubectl log its request headers: proof of what went over the wire.
    const ns = c.kubectl(['create', 'namespace', 'depth', '-v=8']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /namespace\/depth created/);
    assert.match(ns.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
    const cm = c.kubectl(['create', 'configmap', 'c', '--from-literal=a=b', '-n', 'depth', '-v=8']);
    assert.equal(cm.code, 0, cm.stderr);
    assert.match(cm.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
    const cmds: string[][] = [
      ['create', 'secret', 'generic', 's', '--from-literal=p=q'],
      ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3'],
      ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'],
      ['create', 'job', 'once', '--image=busybox'],
      ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *'],
      ['create', 'serviceaccount', 'robot'],
      ['run', 'solo', '--image=nginx'],
    ];
    for (const args of cmds) {
      const r = c.kubectl([...args, '-n', 'depth']);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const got = c.kubectl(['get', 'configmap', 'c', '-n', 'depth', '-o', 'jsonpath={.data.a}']);
    assert.equal(got.stdout, 'b', 'the protobuf body was decoded faithfully');
    const replicas = c.kubectl(['get', 'deployment', 'web', '-n', 'depth', '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(replicas.stdout, '3');
  });

  test('kubectl get prints the columns Kubernetes prints', () => {
    const pods = c.kubectl(['get', 'pods', '-n', 'depth']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.match(pods.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(pods.stdout, /^solo\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const wide = c.kubectl(['get', 'pods', '-n', 'depth', '-o', 'wide']);
    assert.match(wide.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    const deploy = c.kubectl(['get', 'deployments', '-n', 'depth']);
    assert.match(deploy.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    assert.match(deploy.stdout, /^web\s+0\/3\s+0\s+0\s+\d+s$/m);
    const svc = c.kubectl(['get', 'services', '-n', 'depth']);
    assert.match(svc.stdout, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/m);
    const labels = c.kubectl(['get', 'pods', '-n', 'depth', '--show-labels']);
    assert.match(labels.stdout, /run=solo/);
    const sorted = c.kubectl(['get', 'configmaps', '-n', 'depth', '--sort-by=.metadata.name', '-o', 'custom-columns=N:.metadata.name']);
    assert.equal(sorted.code, 0, sorted.stderr);
    assert.deepEqual(sorted.stdout.trim().split('\n').slice(1), ['c']);
  });

  test('kubectl scale goes through the scale subresource', async () => {
    const r = c.kubectl(['scale', 'deployment', 'web', '-n', 'depth', '--replicas=5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment\.apps\/web scaled/);
    const spec = c.kubectl(['get', 'deployment', 'web', '-n', 'depth', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}']);
    assert.equal(spec.stdout, '5 2', 'replicas changed and the generation moved');
    const scale = (await c.request('GET', '/apis/apps/v1/namespaces/depth/deployments/web/scale')).body as { kind: string; spec: { replicas: number }; status: { selector: string } };
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 5);
    assert.equal(scale.status.selector, 'app=web');
    const guarded = c.kubectl(['scale', 'deployment', 'web', '-n', 'depth', '--current-replicas=4', '--replicas=2']);
    assert.notEqual(guarded.code, 0);
    assert.match(guarded.stderr, /Expected replicas to be 4, was 5/);
    const negative = await c.request('PUT', '/apis/apps/v1/namespaces/depth/deployments/web/scale', { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web' }, spec: { replicas: -1 } });
    assert.equal(negative.status, 422);
    const noScale = await c.request('GET', '/api/v1/namespaces/depth/configmaps/c/scale');
    assert.equal(noScale.status, 404);
  });

  test('responses and watch streams in protobuf when the client prefers it', async () => {
    const accept = { Accept: 'application/vnd.kubernetes.protobuf, application/json' };
    const get = await fetch(`${c.url}/api/v1/namespaces/depth/configmaps/c`, { headers: accept });
    assert.equal(get.headers.get('content-type'), 'application/vnd.kubernetes.protobuf');
    const decoded = decodeObject(new Uint8Array(await get.arrayBuffer()));
    assert.equal(decoded.kind, 'ConfigMap');
    assert.deepEqual((decoded.object as { data: Record<string, string> }).data, { a: 'b' });
    const list = await fetch(`${c.url}/api/v1/namespaces/depth/configmaps`, { headers: accept });
    assert.equal(decodeObject(new Uint8Array(await list.arrayBuffer())).kind, 'ConfigMapList');
    // A watch: length-prefixed frames, each a WatchEvent.
    const rv = (decoded.object as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const ac = new AbortController();
    const w = await fetch(`${c.url}/api/v1/namespaces/depth/configmaps?watch=true&resourceVersion=${rv}`, { headers: accept, signal: ac.signal });
    assert.equal(w.headers.get('content-type'), 'application/vnd.kubernetes.protobuf;stream=watch');
    const patched = c.kubectl(['patch', 'configmap', 'c', '-n', 'depth', '--type=merge', '-p', '{"data":{"a":"z"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    const reader = w.body!.getReader();
    let buf = Buffer.alloc(0);
    while (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf = Buffer.concat([buf, Buffer.from(value)]);
    }
    ac.abort();
    const ev = decodeWatchEvent(buf.subarray(0, 4 + buf.readUInt32BE(0)));
    assert.equal(ev.type, 'MODIFIED');
    assert.deepEqual((ev.object as { data: Record<string, string> }).data, { a: 'z' });
    // Kinds the codec does not know fall back to JSON rather than failing.
    const table = await fetch(`${c.url}/api/v1/namespaces/depth/configmaps`, { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    assert.equal(table.headers.get('content-type'), 'application/json;as=Table;v=v1;g=meta.k8s.io');
  });

  test('client-side apply: unchanged on repeat, strategic merge keeps other containers, diff, server dry-run', () => {
    const file = join(c.dir, 'app.yaml');
    const manifest = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: depth}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - {name: main, image: "${image}"}
      - {name: side, image: busybox, command: [sleep, "3600"]}
`;
    writeFileSync(file, manifest('nginx:1.27'));
    assert.match(c.kubectl(['apply', '-f', file]).stdout, /deployment\.apps\/app created/);
    assert.match(c.kubectl(['apply', '-f', file]).stdout, /deployment\.apps\/app unchanged/);
    // Another writer adds what the manifest does not mention (an env var on the sidecar, a third
    // container); apply of a new main image must keep those, as the three-way merge does.
    const p = c.kubectl([
      'patch', 'deployment', 'app', '-n', 'depth', '--type=strategic', '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"side","env":[{"name":"MODE","value":"x"}]},{"name":"extra","image":"alpine"}]}}}}',
    ]);
    assert.equal(p.code, 0, p.stderr);
    writeFileSync(file, manifest('nginx:1.28'));
    const diff = c.kubectl(['diff', '-f', file]);
    assert.equal(diff.code, 1, 'diff exits 1 when there are differences');
    assert.match(diff.stdout, /^-\s+- image: nginx:1\.27$/m);
    assert.match(diff.stdout, /^\+\s+- image: nginx:1\.28$/m);
    const dry = c.kubectl(['apply', '-f', file, '--dry-run=server']);
    assert.match(dry.stdout, /configured \(server dry run\)/);
    const images = (): string => c.kubectl(['get', 'deployment', 'app', '-n', 'depth', '-o', 'jsonpath={.spec.template.spec.containers[*].image}']).stdout;
    assert.equal(images(), 'nginx:1.27 busybox alpine', 'server dry run stored nothing');
    assert.match(c.kubectl(['apply', '-f', file]).stdout, /deployment\.apps\/app configured/);
    assert.equal(images(), 'nginx:1.28 busybox alpine');
    const env = c.kubectl(['get', 'deployment', 'app', '-n', 'depth', '-o', 'jsonpath={.spec.template.spec.containers[1].env[0].value}']);
    assert.equal(env.stdout, 'x');
  });

  test('server-side apply: managed fields, a conflicting manager, --force-conflicts, server dry run', () => {
    const file = join(c.dir, 'ssa.yaml');
    const manifest = (replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa, namespace: depth}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
      - {name: main, image: nginx:1.27}
`;
    writeFileSync(file, manifest(2));
    const first = c.kubectl(['apply', '--server-side', '-f', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /deployment\.apps\/ssa serverside-applied/);
    const mf = JSON.parse(c.kubectl(['get', 'deployment', 'ssa', '-n', 'depth', '-o', 'json', '--show-managed-fields']).stdout) as {
      metadata: { managedFields: Array<{ manager: string; operation: string; fieldsV1: Record<string, unknown> }> };
    };
    const applied = mf.metadata.managedFields.find((e) => e.operation === 'Apply');
    assert.equal(applied?.manager, 'kubectl');
    assert.ok(JSON.stringify(applied?.fieldsV1).includes('k:{\\"name\\":\\"main\\"}'), 'containers are owned by merge key');
    // Another manager takes spec.replicas; re-applying a different value conflicts.
    assert.equal(c.kubectl(['scale', 'deployment', 'ssa', '-n', 'depth', '--replicas=3']).code, 0);
    writeFileSync(file, manifest(4));
    const conflict = c.kubectl(['apply', '--server-side', '-f', file]);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "[^"]+" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    const dry = c.kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', file]);
    assert.equal(dry.code, 0, dry.stderr);
    const replicas = (): string => c.kubectl(['get', 'deployment', 'ssa', '-n', 'depth', '-o', 'jsonpath={.spec.replicas}']).stdout;
    assert.equal(replicas(), '3', 'the dry run stored nothing');
    const forced = c.kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(replicas(), '4');
  });

  test('kubectl wait for a condition and for deletion', async () => {
    c.kubectl(['create', 'configmap', 'doomed', '-n', 'depth']);
    const waiter = c.kubectlAsync(['wait', '--for=delete', 'configmap/doomed', '-n', 'depth', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 500));
    c.kubectl(['delete', 'configmap', 'doomed', '-n', 'depth', '--wait=false']);
    await eventually(() => waiter.output().includes('condition met'), 20_000, 'wait --for=delete');
    // A condition set through the status subresource, as a controller would.
    const cond = c.kubectlAsync(['wait', '--for=condition=Available', 'deployment/app', '-n', 'depth', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 500));
    const cur = (await c.request('GET', '/apis/apps/v1/namespaces/depth/deployments/app')).body as Record<string, unknown>;
    const withStatus = { ...cur, status: { conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' }] } };
    const put = await c.request('PUT', '/apis/apps/v1/namespaces/depth/deployments/app/status', withStatus);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await eventually(() => cond.output().includes('condition met'), 20_000, 'wait --for=condition=Available');
  });

  test('bad protobuf, an unknown patch directive and a mismatched apply are 4xx and store nothing', async () => {
    const rv = async (): Promise<string> =>
      ((await c.request('GET', '/api/v1/namespaces?limit=1')).body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const before = await rv();
    const post = (body: Uint8Array, ct: string): Promise<Response> =>
      fetch(`${c.url}/api/v1/namespaces/depth/configmaps`, { method: 'POST', headers: { 'Content-Type': ct }, body });
    const good = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pb' }, data: { a: 'b' } });
    const wrongMagic = Buffer.from(good);
    wrongMagic[0] = 0x6a;
    for (const body of [wrongMagic, good.subarray(0, good.length - 3)]) {
      const r = await post(body, 'application/vnd.kubernetes.protobuf');
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { kind: string }).kind, 'Status');
    }
    const smp = await c.request('PATCH', '/api/v1/namespaces/depth/configmaps/c', '{"data":{"$frobnicate":"x"}}', 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 400);
    const apply = await c.request(
      'PATCH',
      '/apis/apps/v1/namespaces/depth/deployments/web?fieldManager=test',
      'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: web}\n',
      'application/apply-patch+yaml',
    );
    assert.equal(apply.status, 400);
    assert.match((apply.body as { message: string }).message, /invalid object type: apps\/v1beta1, Kind=Deployment/);
    const noManager = await c.request('PATCH', '/apis/apps/v1/namespaces/depth/deployments/web', 'apiVersion: apps/v1\nkind: Deployment\n', 'application/apply-patch+yaml');
    assert.equal(noManager.status, 422);
    assert.equal(await rv(), before, 'nothing was written');
  });

  test('kubectl describe works for a deployment, a pod and a namespace', () => {
    const d = c.kubectl(['describe', 'deployment', 'web', '-n', 'depth']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^Name:\s+web$/m);
    assert.match(d.stdout, /^Selector:\s+app=web$/m);
    const p = c.kubectl(['describe', 'pod', 'solo', '-n', 'depth']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^Status:\s+Pending$/m);
    const n = c.kubectl(['describe', 'namespace', 'depth']);
    assert.equal(n.code, 0, n.stderr);
    assert.match(n.stdout, /^Status:\s+Active$/m);
    const node = c.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\nstatus:\n  capacity: {cpu: "8", memory: 32Gi, pods: "110"}\n  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ok}]\n',
    });
    assert.equal(node.code, 0, node.stderr);
    const nodes = c.kubectl(['get', 'nodes', '-L', 'zone']);
    assert.match(nodes.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+ZONE$/m);
    assert.match(nodes.stdout, /^n1\s+Ready\s+<none>\s+\d+s\s+a$/m);
    const dn = c.kubectl(['describe', 'node', 'n1']);
    assert.equal(dn.code, 0, dn.stderr);
    assert.match(dn.stdout, /^Labels:\s+zone=a$/m);
    assert.match(dn.stdout, /Ready\s+True/);
  });
});
