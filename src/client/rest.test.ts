// RestClient against a real in-process API server (memory backend): CRUD, errors as ApiError,
// pagination, patches, status, watch; and against tiny fake servers: User-Agent, retries, kubeconfig.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { ApiError, hasReason } from '../api/errors.js';
import { startApiServer } from '../apiserver/server.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { RestClient, capstanVersion, loadKubeconfig } from './rest.js';
import { isAlreadyExists, isConflict, isNotFound, type ResourceRef, type WatchEvent } from './resource_client.js';

const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

let server: { url: string; close(): Promise<void> };
let client: RestClient;

before(async () => {
  server = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  client = new RestClient({ baseUrl: server.url, component: 'rest-test' });
});

after(async () => {
  client.close();
  await server.close();
});

function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data };
}

test('create, get, update, patch and delete a ConfigMap', async () => {
  const cms = client.resource<ConfigMap>(CONFIGMAPS);
  const created = await cms.create('default', cm('one', { a: '1' }));
  assert.equal(created.metadata?.name, 'one');
  assert.ok(created.metadata?.uid);
  assert.ok(created.metadata?.resourceVersion);

  const got = await cms.get('default', 'one');
  assert.deepEqual(got.data, { a: '1' });

  const updated = await cms.update('default', { ...got, data: { a: '2' } });
  assert.deepEqual(updated.data, { a: '2' });
  assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);

  const merged = await cms.patch('default', 'one', 'merge', { data: { b: '3' } });
  assert.deepEqual(merged.data, { a: '2', b: '3' });
  const jsonPatched = await cms.patch('default', 'one', 'json', [{ op: 'remove', path: '/data/a' }]);
  assert.deepEqual(jsonPatched.data, { b: '3' });
  const strategic = await cms.patch('default', 'one', 'strategic', { metadata: { labels: { x: 'y' } } });
  assert.deepEqual(strategic.metadata?.labels, { x: 'y' });

  const deleted = await cms.delete('default', 'one');
  assert.equal(deleted?.metadata?.name, 'one');
  await assert.rejects(cms.get('default', 'one'), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 404);
    assert.ok(hasReason(err, 'NotFound'));
    assert.equal(err.message, 'configmaps "one" not found');
    assert.equal(err.details?.name, 'one');
    return isNotFound(err);
  });
});

test('a stale resourceVersion is 409 Conflict; a duplicate create is 409 AlreadyExists', async () => {
  const cms = client.resource<ConfigMap>(CONFIGMAPS);
  const v1 = await cms.create('', cm('race', { n: '0' })); // namespace taken from the object
  await cms.update('default', { ...v1, data: { n: '1' } });
  await assert.rejects(cms.update('default', { ...v1, data: { n: 'stale' } }), (err: unknown) => {
    assert.ok(isConflict(err));
    assert.match((err as ApiError).message, /the object has been modified/);
    return true;
  });
  await assert.rejects(cms.create('default', cm('race')), (err: unknown) => isAlreadyExists(err) && (err as ApiError).code === 409);
  await assert.rejects(cms.create('default', { ...cm('bad name!') }), (err: unknown) => err instanceof ApiError && err.code === 422 && err.reason === 'Invalid');
  await cms.delete('default', 'race');
});

test('list with selectors and pagination; cluster-scoped list', async () => {
  const cms = client.resource<ConfigMap>(CONFIGMAPS);
  for (let i = 0; i < 7; i++) await cms.create('default', cm(`page-${i}`, {}, { set: 'paging', parity: i % 2 ? 'odd' : 'even' }));
  const odd = await cms.list('default', { labelSelector: 'set=paging,parity=odd' });
  assert.deepEqual(odd.items.map((c) => c.metadata?.name), ['page-1', 'page-3', 'page-5']);
  assert.ok(Number(odd.resourceVersion) > 0);

  const names: string[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const page = await cms.list('default', { labelSelector: 'set=paging', limit: 3, continue: cont });
    names.push(...page.items.map((c) => c.metadata?.name ?? ''));
    cont = page.continue;
    pages++;
  } while (cont);
  assert.equal(pages, 3);
  assert.deepEqual(names, [0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));

  const byName = await cms.list('', { fieldSelector: 'metadata.name=page-4' });
  assert.deepEqual(byName.items.map((c) => c.metadata?.name), ['page-4']);

  const nss = await client.resource(NAMESPACES).list('');
  assert.ok(nss.items.some((n) => n.metadata?.name === 'kube-system'));
});

test('updateStatus changes only the status; apply patches need a field manager', async () => {
  const pods = client.resource<Pod>(PODS);
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const created = await pods.create('default', pod);
  const withStatus = await pods.updateStatus('default', { ...created, spec: { ...created.spec!, nodeName: 'ignored' }, status: { ...created.status, phase: 'Running' } });
  assert.equal(withStatus.status?.phase, 'Running');
  assert.equal(withStatus.spec?.nodeName, undefined, 'the status subresource does not change the spec');

  const applied = await pods.patch('default', 'p1', 'apply', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', labels: { app: 'web' } } }, { fieldManager: 'rest-test' });
  assert.deepEqual(applied.metadata?.labels, { app: 'web' });
  assert.ok(applied.metadata?.managedFields?.some((m) => m.manager === 'rest-test' && m.operation === 'Apply'));
  await assert.rejects(pods.patch('default', 'p1', 'apply', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' } }), (err: unknown) => err instanceof ApiError && err.code === 422 && /fieldManager/.test(err.message));

  const scale = client.resource({ group: 'apps', version: 'v1', plural: 'deployments', namespaced: true });
  await assert.rejects(scale.subresource('default', 'nope', 'scale', 'GET'), (err: unknown) => isNotFound(err));
  await pods.delete('default', 'p1', { gracePeriodSeconds: 0 });
});

test('watch streams ADDED, MODIFIED and DELETED made by another client, and ends on abort', async () => {
  const cms = client.resource<ConfigMap>(CONFIGMAPS);
  const other = new RestClient({ baseUrl: server.url, component: 'other' });
  const start = await cms.list('default', { limit: 1 });
  const ac = new AbortController();
  const seen: Array<WatchEvent<ConfigMap>> = [];
  const done = (async () => {
    for await (const ev of cms.watch('default', { resourceVersion: start.resourceVersion, labelSelector: 'w=1' }, ac.signal)) {
      seen.push(ev);
      if (ev.type === 'DELETED') ac.abort();
    }
  })();
  const ocms = other.resource<ConfigMap>(CONFIGMAPS);
  await ocms.create('default', cm('watched', { v: '1' }, { w: '1' }));
  await ocms.patch('default', 'watched', 'merge', { data: { v: '2' } });
  await ocms.create('default', cm('unwatched', {}, { w: '2' }));
  await ocms.delete('default', 'watched');
  await done;
  other.close();
  assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  const mod = seen[1]!;
  assert.equal(mod.type === 'MODIFIED' ? mod.object.data?.v : undefined, '2');
});

test('a watch from a compacted resourceVersion fails with 410', async () => {
  // A separate server whose watch cache has not started, so the watch reads storage directly.
  const backend = openMemoryBackend();
  const s = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const c = new RestClient({ baseUrl: s.url });
  try {
    const cms = c.resource<ConfigMap>(CONFIGMAPS);
    const first = await cms.create('default', cm('old'));
    await cms.patch('default', 'old', 'merge', { data: { a: '1' } });
    await backend.compact((await backend.status()).revision);
    const events: Array<WatchEvent<ConfigMap>> = [];
    let error: unknown;
    try {
      for await (const ev of cms.watch('default', { resourceVersion: first.metadata?.resourceVersion }, AbortSignal.timeout(5000))) events.push(ev);
    } catch (err) {
      error = err;
    }
    // Either form is legal Kubernetes: a 410 answer, or an ERROR event with a 410 Status.
    const code = error instanceof ApiError ? error.code : events.find((e) => e.type === 'ERROR')?.object.metadata && (events.at(-1)?.object as { code?: number }).code;
    assert.equal(code, 410, `events: ${JSON.stringify(events)} error: ${String(error)}`);
  } finally {
    c.close();
    await s.close();
  }
});

/** A tiny HTTP server answering from `handler`, recording requests. */
async function fakeServer(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; requests: IncomingMessage[]; close(): Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const s = createServer((req, res) => {
    requests.push(req);
    req.resume();
    req.on('end', () => handler(req, res, requests.length));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

function status(res: ServerResponse, code: number, reason: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `fake ${code}` }));
}

test('requests carry the User-Agent and bearer token; 5xx is retried for GET but not for POST', async () => {
  const fake = await fakeServer((req, res, n) => {
    if (req.method === 'GET' && n < 3) return status(res, 503, 'ServiceUnavailable');
    if (req.method === 'POST') return status(res, 500, 'InternalError');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'x' } }));
  });
  const c = new RestClient({ baseUrl: fake.url, token: 'sekret', component: 'kube-scheduler', retryBaseMs: 1 });
  try {
    const got = await c.resource(CONFIGMAPS).get('default', 'x');
    assert.equal(got.metadata?.name, 'x');
    assert.equal(fake.requests.length, 3, 'two 503s retried');
    const h = fake.requests[0]!.headers;
    assert.equal(h['user-agent'], `capstan/${capstanVersion()} (kube-scheduler)`);
    assert.match(capstanVersion(), /^\d+\.\d+\.\d+/);
    assert.equal(h.authorization, 'Bearer sekret');
    assert.equal(fake.requests[0]!.url, '/api/v1/namespaces/default/configmaps/x');

    await assert.rejects(c.resource(CONFIGMAPS).create('default', cm('y')), (err: unknown) => err instanceof ApiError && err.code === 500 && err.reason === 'InternalError');
    assert.equal(fake.requests.length, 4, 'a POST is sent once');
  } finally {
    c.close();
    await fake.close();
  }
});

test('429 is retried for any verb, honouring Retry-After; retries are bounded', async () => {
  const fake = await fakeServer((req, res, n) => {
    if (n === 1) return status(res, 429, 'TooManyRequests', { 'Retry-After': '0' });
    if (req.url?.includes('always-busy')) return status(res, 429, 'TooManyRequests');
    res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'y' } }));
  });
  const c = new RestClient({ baseUrl: fake.url, retryBaseMs: 1, maxAttempts: 3 });
  try {
    const created = await c.resource(CONFIGMAPS).create('default', cm('y'));
    assert.equal(created.metadata?.name, 'y');
    assert.equal(fake.requests.length, 2);
    await assert.rejects(c.resource(CONFIGMAPS).get('always-busy', 'z'), (err: unknown) => err instanceof ApiError && err.code === 429);
    assert.equal(fake.requests.length, 5, 'three attempts, then the 429 is returned');
  } finally {
    c.close();
    await fake.close();
  }
});

test('non-Status error bodies still become ApiErrors; a refused connection is an error, not a hang', async () => {
  const fake = await fakeServer((_req, res) => res.writeHead(502, { 'Content-Type': 'text/plain' }).end('bad gateway'));
  const c = new RestClient({ baseUrl: fake.url, retryBaseMs: 1, maxAttempts: 2 });
  try {
    await assert.rejects(c.resource(CONFIGMAPS).get('default', 'x'), (err: unknown) => err instanceof ApiError && err.code === 502 && err.message === 'bad gateway');
  } finally {
    c.close();
    await fake.close();
  }
  const dead = new RestClient({ baseUrl: fake.url, retryBaseMs: 1, maxAttempts: 2 });
  await assert.rejects(dead.resource(CONFIGMAPS).get('default', 'x'), (err: unknown) => (err as { code?: string }).code === 'ECONNREFUSED');
  dead.close();
});

test('loadKubeconfig reads server, token, CA data, skip-verify and namespace of the current context', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-kubeconfig-'));
  try {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    writeFileSync(join(dir, 'ca.crt'), 'CA-FROM-FILE');
    const config = `
apiVersion: v1
kind: Config
current-context: main
clusters:
- name: a
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${Buffer.from('CA-PEM').toString('base64')}
- name: b
  cluster:
    server: http://127.0.0.1:6443
    insecure-skip-tls-verify: true
    certificate-authority: ca.crt
users:
- name: admin
  user:
    token: abc123
- name: filed
  user:
    tokenFile: token
contexts:
- name: main
  context: { cluster: a, user: admin, namespace: prod }
- name: other
  context: { cluster: b, user: filed }
`;
    writeFileSync(join(dir, 'config'), config);
    const main = loadKubeconfig(join(dir, 'config'));
    assert.equal(main.baseUrl, 'https://10.0.0.1:6443');
    assert.equal(main.token, 'abc123');
    assert.equal(main.ca?.toString(), 'CA-PEM');
    assert.equal(main.namespace, 'prod');
    assert.equal(main.insecureSkipTlsVerify, undefined);
    const other = loadKubeconfig(join(dir, 'config'), 'other');
    assert.equal(other.baseUrl, 'http://127.0.0.1:6443');
    assert.equal(other.token, 'from-file');
    assert.equal(other.insecureSkipTlsVerify, true);
    assert.equal(other.ca?.toString(), 'CA-FROM-FILE');
    assert.throws(() => loadKubeconfig(join(dir, 'config'), 'missing'), /context "missing" not found/);
    const c = RestClient.fromKubeconfig(join(dir, 'config'), { component: 'kubelet' });
    assert.equal(c.namespace, 'prod');
    assert.equal(c.baseUrl.host, '10.0.0.1:6443');
    c.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resourceRef reads the API resource table', async () => {
  const { resourceRef } = await import('./resource_client.js');
  assert.deepEqual(resourceRef('apps', 'v1', 'deployments'), { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true });
  assert.deepEqual(resourceRef('', 'v1', 'nodes'), { group: '', version: 'v1', plural: 'nodes', namespaced: false });
  assert.throws(() => resourceRef('nope.io', 'v1', 'things'), /unknown resource things.nope.io\/v1/);
  const leases = await client.resource(resourceRef('coordination.k8s.io', 'v1', 'leases')).list('kube-system');
  assert.ok(Array.isArray(leases.items));
});
