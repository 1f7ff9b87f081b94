// LocalClient over the API server's own GenericStores (which must satisfy LocalApi as they are),
// run through the same contract as RestClient over HTTP against the same server, plus an
// informer over LocalClient seeing writes made over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../api/errors.js';
import { applyPatch } from '../apiserver/patch.js';
import { startApiServer, type ApiServerHandle } from '../apiserver/server.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { Informer } from './informer.js';
import { LocalClient, type LocalApi } from './local.js';
import { RestClient } from './rest.js';
import { isAlreadyExists, isConflict, isNotFound, type ClientSource, type ResourceRef, type WatchEvent } from './resource_client.js';

const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };

let server: ApiServerHandle;
let rest: RestClient;
let local: LocalClient;

before(async () => {
  server = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  rest = new RestClient({ baseUrl: server.url, component: 'local-test' });
  // This is the whole of what the lead wires in: the server's stores and its patch function.
  const api: LocalApi = { store: (g, v, p) => server.stores.get(`${g}/${v}/${p}`), applyPatch };
  local = new LocalClient(api, { fieldManager: 'local-test' });
});

after(async () => {
  rest.close();
  await server.close();
});

function cm(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data };
}

/** The same behaviour through either client. */
function contract(label: string, source: () => ClientSource): void {
  describe(`ResourceClient contract: ${label}`, () => {
    const p = label; // distinct names per client, same server

    test('CRUD, conflicts and NotFound', async () => {
      const cms = source().resource<ConfigMap>(CONFIGMAPS);
      const v1 = await cms.create('', cm(`${p}-a`, { x: '1' }));
      assert.ok(v1.metadata?.uid);
      assert.deepEqual((await cms.get('default', `${p}-a`)).data, { x: '1' });
      const v2 = await cms.update('default', { ...v1, data: { x: '2' } });
      await assert.rejects(cms.update('default', { ...v1, data: { x: 'stale' } }), (e: unknown) => isConflict(e));
      await assert.rejects(cms.create('default', cm(`${p}-a`)), (e: unknown) => isAlreadyExists(e));
      const merged = await cms.patch('default', `${p}-a`, 'merge', { data: { y: '3' } });
      assert.deepEqual(merged.data, { x: '2', y: '3' });
      assert.notEqual(merged.metadata?.resourceVersion, v2.metadata?.resourceVersion);
      const json = await cms.patch('default', `${p}-a`, 'json', [{ op: 'replace', path: '/data/x', value: 'j' }]);
      assert.equal(json.data?.x, 'j');
      const applied = await cms.patch('default', `${p}-a`, 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${p}-a` }, data: { z: 'applied' } }, { fieldManager: 'tester' });
      assert.equal(applied.data?.z, 'applied');
      await assert.rejects(cms.patch('default', `${p}-a`, 'apply', { apiVersion: 'v1', kind: 'ConfigMap' }), (e: unknown) => e instanceof ApiError && e.code === 422);
      const dry = await cms.delete('default', `${p}-a`, { dryRun: true });
      assert.equal(dry?.metadata?.name, `${p}-a`);
      assert.ok(await cms.get('default', `${p}-a`), 'a dry-run delete deletes nothing');
      await cms.delete('default', `${p}-a`);
      await assert.rejects(cms.get('default', `${p}-a`), (e: unknown) => isNotFound(e) && (e as ApiError).message === `configmaps "${p}-a" not found`);
      await assert.rejects(source().resource({ group: 'nope.io', version: 'v1', plural: 'things', namespaced: true }).get('default', 'x'), (e: unknown) => isNotFound(e));
    });

    test('status writes and status patches', async () => {
      const pods = source().resource<Pod>(PODS);
      const pod = await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${p}-pod` }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      const running = await pods.updateStatus('default', { ...pod, status: { ...pod.status, phase: 'Running' } });
      assert.equal(running.status?.phase, 'Running');
      const patched = await pods.subresource<Pod>('default', `${p}-pod`, 'status', 'PATCH', { status: { message: 'hi' } });
      assert.equal(patched.status?.message, 'hi');
      assert.equal(patched.status?.phase, 'Running');
      await pods.delete('default', `${p}-pod`, { gracePeriodSeconds: 0 });
    });

    test('list pages and watch events', async () => {
      const cms = source().resource<ConfigMap>(CONFIGMAPS);
      for (let i = 0; i < 5; i++) await cms.create('default', cm(`${p}-l${i}`, {}, { owner: p }));
      const first = await cms.list('default', { labelSelector: `owner=${p}`, limit: 2 });
      assert.equal(first.items.length, 2);
      assert.ok(first.continue);
      const rest2 = await cms.list('default', { labelSelector: `owner=${p}`, limit: 10, continue: first.continue });
      assert.equal(rest2.items.length, 3);
      assert.equal(rest2.continue, undefined);

      const ac = new AbortController();
      const seen: Array<WatchEvent<ConfigMap>> = [];
      const done = (async () => {
        for await (const ev of cms.watch('default', { resourceVersion: rest2.resourceVersion, labelSelector: `owner=${p}` }, ac.signal)) {
          seen.push(ev);
          if (seen.length === 2) ac.abort();
        }
      })();
      await cms.patch('default', `${p}-l0`, 'merge', { data: { a: 'b' } });
      await cms.delete('default', `${p}-l1`);
      await done;
      assert.deepEqual(seen.map((e) => `${e.type} ${e.type === 'ERROR' ? '' : e.object.metadata?.name}`), [`MODIFIED ${p}-l0`, `DELETED ${p}-l1`]);
    });
  });
}

contract('http', () => rest);
contract('local', () => local);

test('LocalClient copies objects: mutating a result does not touch the store or other readers', async () => {
  const cms = local.resource<ConfigMap>(CONFIGMAPS);
  const made = await cms.create('default', cm('copied', { k: 'v' }));
  made.data!.k = 'mutated';
  const again = await cms.get('default', 'copied');
  assert.equal(again.data?.k, 'v');
  await cms.delete('default', 'copied');
});

test('a LocalClient watch with timeoutSeconds ends; a compacted resourceVersion is an ERROR 410 event', async () => {
  const backend = openMemoryBackend();
  const s = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  try {
    const lc = new LocalClient({ store: (g, v, p) => s.stores.get(`${g}/${v}/${p}`), applyPatch });
    const cms = lc.resource<ConfigMap>(CONFIGMAPS);
    const first = await cms.create('default', cm('old'));
    await cms.patch('default', 'old', 'merge', { data: { a: '1' } });
    await backend.compact((await backend.status()).revision);
    const events: Array<WatchEvent<ConfigMap>> = [];
    for await (const ev of cms.watch('default', { resourceVersion: first.metadata?.resourceVersion }, AbortSignal.timeout(5000))) events.push(ev);
    assert.equal(events.length, 1);
    const ev = events[0]!;
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.type === 'ERROR' ? ev.object.code : 0, 410);

    const t0 = Date.now();
    const quiet: unknown[] = [];
    const now = await cms.list('default');
    for await (const e of cms.watch('default', { resourceVersion: now.resourceVersion, timeoutSeconds: 0.2 }, new AbortController().signal)) quiet.push(e);
    assert.deepEqual(quiet, []);
    assert.ok(Date.now() - t0 < 5000);
    await assert.rejects(async () => {
      for await (const _ of cms.watch('default', { labelSelector: '!!bad' }, AbortSignal.timeout(1000))) break;
    }, (e: unknown) => e instanceof ApiError && e.code === 400);
  } finally {
    await s.close();
  }
});

test('an informer over LocalClient sees writes made over HTTP', async () => {
  const inf = new Informer<ConfigMap>({ client: local.resource<ConfigMap>(CONFIGMAPS), namespace: 'default', labelSelector: 'via=http' });
  const adds: string[] = [];
  inf.addEventHandler({ onAdd: (o) => adds.push(o.metadata?.name ?? '') });
  inf.start();
  assert.ok(await inf.waitForSync());
  await rest.resource<ConfigMap>(CONFIGMAPS).create('default', cm('from-http', {}, { via: 'http' }));
  const end = Date.now() + 10_000;
  while (!adds.includes('from-http') && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(adds, ['from-http']);
  await inf.stop();
});
