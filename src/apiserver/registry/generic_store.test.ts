import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../api/errors.js';
import { lookupResource } from '../../api/resources.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { GenericStore, type ObjectEvent } from './generic_store.js';
import type { KubeObject, Strategy } from './strategy.js';

const configmaps = lookupResource('', 'v1', 'configmaps')!;
const deployments = lookupResource('apps', 'v1', 'deployments')!;

function setup(strategy: Partial<Strategy> = {}, resource = configmaps): { store: GenericStore; backend: ReturnType<typeof openMemoryBackend> } {
  const backend = openMemoryBackend();
  return { store: new GenericStore({ resource, ...strategy }, { backend }), backend };
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an ApiError');
}

/** Collects watch events until `n` arrive. */
async function take(it: AsyncIterator<ObjectEvent[]>, n: number): Promise<ObjectEvent[]> {
  const out: ObjectEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(...r.value);
  }
  return out;
}

const cm = (name: string, labels: Record<string, string> = {}): KubeObject => ({ metadata: { name, labels }, data: { k: 'v' } });

test('create sets server metadata; generateName gets a 5-character suffix', async () => {
  const { store } = setup();
  const a = await store.create('default', cm('a'));
  assert.match(a.metadata!.uid!, /^[0-9a-f-]{36}$/);
  assert.match(a.metadata!.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(a.metadata!.namespace, 'default');
  assert.equal(a.apiVersion, 'v1');
  assert.equal(a.kind, 'ConfigMap');
  assert.equal(a.metadata!.generation, undefined, 'configmaps have no generation');
  const g = await store.create('default', { metadata: { generateName: 'web-' } });
  assert.match(g.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const dup = await apiError(store.create('default', cm('a')));
  assert.equal(dup.code, 409);
  assert.equal(dup.message, 'configmaps "a" already exists');
});

test('dryRun validates and defaults but stores nothing', async () => {
  const { store, backend } = setup();
  const before = await backend.status();
  const out = await store.create('default', cm('dry'), { dryRun: true });
  assert.equal(out.metadata!.name, 'dry');
  assert.deepEqual(await backend.status(), before);
  await apiError(store.get('default', 'dry'));
});

test('update: stale resourceVersion is a 409, no-op update keeps the resourceVersion', async () => {
  const { store } = setup();
  const a = await store.create('default', cm('a'));
  const same = await store.update('default', 'a', structuredClone(a));
  assert.equal(same.object.metadata!.resourceVersion, a.metadata!.resourceVersion, 'no-op writes nothing');
  const changed = await store.update('default', 'a', { ...structuredClone(a), data: { k: 'w' } });
  assert.notEqual(changed.object.metadata!.resourceVersion, a.metadata!.resourceVersion);
  const unconditional = await store.update('default', 'a', { metadata: { name: 'a' }, data: { k: 'u' } });
  assert.deepEqual(unconditional.object.data, { k: 'u' }, 'a PUT without resourceVersion applies to the current version');
  await store.update('default', 'a', (cur) => ({ ...cur, data: { k: 'w' } }));
  const stale = await apiError(store.update('default', 'a', { ...structuredClone(a), data: { k: 'x' } }));
  assert.equal(stale.code, 409);
  assert.equal((await store.get('default', 'a')).data && (await store.get('default', 'a')).data!.constructor, Object);
  assert.deepEqual((await store.get('default', 'a')).data, { k: 'w' });
});

test('generation is bumped by spec changes only', async () => {
  const { store } = setup({ hasGeneration: true }, deployments);
  const d = await store.create('default', { metadata: { name: 'd' }, spec: { replicas: 1 } });
  assert.equal(d.metadata!.generation, 1);
  const labelled = await store.update('default', 'd', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { a: 'b' } } }));
  assert.equal(labelled.object.metadata!.generation, 1);
  const scaled = await store.update('default', 'd', (cur) => ({ ...cur, spec: { replicas: 3 } }));
  assert.equal(scaled.object.metadata!.generation, 2);
});

test('finalizers: delete marks the object; removing the last finalizer removes it', async () => {
  const { store } = setup();
  await store.create('default', { metadata: { name: 'f', finalizers: ['example.com/hold'] } });
  const marked = await store.delete('default', 'f');
  assert.equal(marked.deleted, false);
  assert.ok(marked.object.metadata!.deletionTimestamp);
  // Still readable, and the deletion timestamp cannot be cleared by an update.
  const still = await store.get('default', 'f');
  assert.ok(still.metadata!.deletionTimestamp);
  await store.update('default', 'f', (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: [] } }));
  const gone = await apiError(store.get('default', 'f'));
  assert.equal(gone.code, 404);
});

test('delete preconditions and missing objects', async () => {
  const { store } = setup();
  const a = await store.create('default', cm('a'));
  const wrongUid = await apiError(store.delete('default', 'a', { preconditions: { uid: 'nope' } }));
  assert.equal(wrongUid.code, 409);
  assert.match(wrongUid.message, /Precondition failed: UID in precondition: nope/);
  const ok = await store.delete('default', 'a', { preconditions: { uid: a.metadata!.uid, resourceVersion: a.metadata!.resourceVersion } });
  assert.equal(ok.deleted, true);
  assert.equal((await apiError(store.delete('default', 'a'))).code, 404);
  const badPolicy = await apiError(store.delete('default', 'x', { propagationPolicy: 'Sometimes' }));
  assert.equal(badPolicy.code, 422);
});

test('list: selectors, pagination with continue, and an unsupported field selector', async () => {
  const { store } = setup();
  for (let i = 0; i < 12; i++) await store.create('default', cm(`c${String(i).padStart(2, '0')}`, { even: String(i % 2 === 0) }));
  await store.create('other', cm('elsewhere'));
  const evens = await store.list('default', { labelSelector: 'even=true' });
  assert.equal(evens.items.length, 6);
  const names: string[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list('default', { labelSelector: 'even=true', limit: 4, continue: cont });
    names.push(...page.items.map((o) => o.metadata!.name!));
    cont = page.continue;
  } while (cont);
  assert.deepEqual(names, ['c00', 'c02', 'c04', 'c06', 'c08', 'c10']);
  assert.equal((await store.list('', {})).items.length, 13, 'all namespaces');
  assert.equal((await store.list('', { fieldSelector: 'metadata.namespace=other' })).items.length, 1);
  const bad = await apiError(store.list('default', { fieldSelector: 'spec.nope=1' }));
  assert.equal(bad.code, 400);
  assert.equal(bad.message, 'field label not supported: spec.nope');
  const badToken = await apiError(store.list('default', { continue: 'garbage' }));
  assert.equal(badToken.code, 400);
  const future = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1e9, start: 'c01\u0000' })).toString('base64url');
  assert.equal((await apiError(store.list('default', { continue: future }))).code, 400, 'a token from the future is bad input, not a 500');
});

test('watch: a selector turns moving out of the selection into DELETED', async () => {
  const { store } = setup();
  const a = await store.create('default', cm('a', { app: 'x' }));
  const ac = new AbortController();
  const it = store.watch('default', { resourceVersion: a.metadata!.resourceVersion, labelSelector: 'app=x' }, ac.signal)[Symbol.asyncIterator]();
  // The generator subscribes on its first next(): start it before the writes, as an HTTP watch does.
  const pending = it.next();
  await new Promise((r) => setImmediate(r));
  await store.update('default', 'a', (cur) => ({ ...cur, data: { k: '2' } }));
  await store.update('default', 'a', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { app: 'y' } } }));
  await store.create('default', cm('b', { app: 'y' }));
  await store.update('default', 'b', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { app: 'x' } } }));
  const firstBatch = await pending;
  const events = [...(firstBatch.done ? [] : firstBatch.value), ...(await take(it, 2))];
  ac.abort();
  assert.deepEqual(events.slice(0, 3).map((e) => [e.type, e.object.metadata!.name]), [
    ['MODIFIED', 'a'],
    ['DELETED', 'a'],
    ['ADDED', 'b'],
  ]);
  // Events from the shared watch cache carry their serialized line.
  assert.equal(JSON.parse(events[0]!.line!).type, 'MODIFIED');
});

test('watch without resourceVersion starts with ADDED for existing objects', async () => {
  const { store } = setup();
  await store.create('default', cm('a'));
  await store.create('default', cm('b'));
  const ac = new AbortController();
  const it = store.watch('default', {}, ac.signal)[Symbol.asyncIterator]();
  const initial = await take(it, 2);
  await store.create('default', cm('c'));
  const live = await take(it, 1);
  ac.abort();
  assert.deepEqual(initial.map((e) => [e.type, e.object.metadata!.name]), [['ADDED', 'a'], ['ADDED', 'b']]);
  assert.deepEqual(live.map((e) => [e.type, e.object.metadata!.name]), [['ADDED', 'c']]);
});

test('watch from before the cache window replays from storage; from a compacted revision is 410', async () => {
  const { store, backend } = setup();
  await store.create('default', cm('zero')); // so that rv - 1 below is a real revision, not "0"
  const first = await store.create('default', cm('a'));
  const rv = Number(first.metadata!.resourceVersion);
  // Start the cache now (window begins here), then write more.
  const ac = new AbortController();
  const warm = store.watch('default', { resourceVersion: String(rv) }, ac.signal)[Symbol.asyncIterator]();
  await store.create('default', cm('b'));
  await take(warm, 1);
  // rv - 1 is older than the cache window: served from the storage log instead.
  const old = store.watch('default', { resourceVersion: String(rv - 1) }, ac.signal)[Symbol.asyncIterator]();
  const replay = await take(old, 2);
  assert.deepEqual(replay.map((e) => e.object.metadata!.name), ['a', 'b']);
  await store.create('default', cm('c'));
  await backend.compact(rv + 1);
  const expired = store.watch('default', { resourceVersion: String(rv - 1) }, new AbortController().signal)[Symbol.asyncIterator]();
  const err = await apiError(expired.next());
  assert.equal(err.code, 410);
  assert.equal(err.reason, 'Expired');
  assert.equal(err.message, `too old resource version: ${rv - 1} (${rv + 1})`);
  ac.abort();
  store.close();
});

test('list at an exact compacted resourceVersion is 410, a future one 504', async () => {
  const { store, backend } = setup();
  const a = await store.create('default', cm('a'));
  await store.create('default', cm('b'));
  const { revision } = await backend.status();
  await backend.compact(revision);
  assert.equal((await apiError(store.list('default', { resourceVersion: a.metadata!.resourceVersion, resourceVersionMatch: 'Exact' }))).code, 410);
  assert.equal((await apiError(store.list('default', { resourceVersion: String(revision + 50) }))).code, 504);
  assert.equal((await apiError(store.list('default', { resourceVersion: 'x1' }))).code, 400);
});

test('a strategy with ttlSeconds stores objects with a lease (Events expire after an hour)', async () => {
  const events = lookupResource('', 'v1', 'events')!;
  const { store, backend } = setup({ ttlSeconds: 3600 }, events);
  const before = Date.now();
  await store.create('default', { metadata: { name: 'e1' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Test' });
  const { kv } = await backend.get(`${store.prefix}default/e1`);
  assert.ok(kv && kv.expiresAt >= before + 3_600_000 && kv.expiresAt <= Date.now() + 3_600_000, `expiresAt ${kv?.expiresAt}`);
});
