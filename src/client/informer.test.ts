// Informer and SharedInformerFactory: against a real in-process API server (sync, handlers for
// changes made by another client, pagination, indexes, re-watch after a server timeout, relist
// after a real 410 from a compacted store), and over a scripted fake client for the relist diff.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Status } from 'kubernetes-types/meta/v1.js';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { startApiServer } from '../apiserver/server.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { Informer, SharedInformerFactory, indexers } from './informer.js';
import { RestClient } from './rest.js';
import type { KubeObject, ListOptions, ObjectList, ResourceClient, ResourceRef, WatchEvent, WatchOptions } from './resource_client.js';

const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

let server: { url: string; close(): Promise<void> };
let client: RestClient;

before(async () => {
  server = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  client = new RestClient({ baseUrl: server.url, component: 'informer-test' });
  await client.resource(NAMESPACES).create('', { metadata: { name: 'team-a' } });
  await client.resource(NAMESPACES).create('', { metadata: { name: 'team-b' } });
});

after(async () => {
  client.close();
  await server.close();
});

function cm(ns: string, name: string, data: Record<string, string> = {}, extra: Partial<ConfigMap['metadata']> = {}): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...extra }, data };
}

/** Polls `cond` until true (generous bound; no timing assertions). */
async function eventually(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Recorded {
  log: string[];
  handler: { onAdd(o: KubeObject, initial: boolean): void; onUpdate(a: KubeObject, b: KubeObject): void; onDelete(o: KubeObject): void };
}

function recorder(): Recorded {
  const log: string[] = [];
  const key = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  return {
    log,
    handler: {
      onAdd: (o, initial) => log.push(`add${initial ? '(initial)' : ''} ${key(o)}`),
      onUpdate: (a, b) => log.push(`update ${key(b)} ${a.metadata?.resourceVersion === b.metadata?.resourceVersion ? 'resync' : 'changed'}`),
      onDelete: (o) => log.push(`delete ${key(o)}`),
    },
  };
}

test('syncs with a paginated list, then sees adds, updates and deletes made by another client', async () => {
  const cms = client.resource<ConfigMap>(CONFIGMAPS);
  for (let i = 0; i < 7; i++) await cms.create('team-a', cm('team-a', `c${i}`, { i: String(i) }));
  let lists = 0;
  const counting: ResourceClient<ConfigMap> = Object.assign(Object.create(cms) as ResourceClient<ConfigMap>, {
    list: (ns: string, opts?: ListOptions) => {
      lists++;
      return cms.list(ns, opts);
    },
  });
  const errors: Error[] = [];
  const inf = new Informer<ConfigMap>({ client: counting, namespace: 'team-a', pageSize: 3, onError: (e) => errors.push(e) });
  const rec = recorder();
  inf.addEventHandler(rec.handler);
  assert.equal(inf.hasSynced(), false);
  inf.start();
  assert.equal(await inf.waitForSync(AbortSignal.timeout(10_000)), true);
  assert.equal(inf.hasSynced(), true);
  assert.equal(lists, 3, '7 objects in pages of 3');
  assert.equal(inf.size, 7);
  assert.equal(rec.log.filter((l) => l.startsWith('add(initial)')).length, 7);
  assert.equal(inf.get('team-a', 'c3')?.data?.i, '3');

  const other = new RestClient({ baseUrl: server.url, component: 'other' });
  const ocms = other.resource<ConfigMap>(CONFIGMAPS);
  rec.log.length = 0;
  await ocms.create('team-a', cm('team-a', 'new'));
  await ocms.patch('team-a', 'c1', 'merge', { data: { i: 'one' } });
  await ocms.delete('team-a', 'c2');
  await ocms.create('team-b', cm('team-b', 'elsewhere')); // outside the informer's namespace
  await eventually(() => rec.log.length >= 3, 'three events');
  assert.deepEqual(rec.log, ['add team-a/new', 'update team-a/c1 changed', 'delete team-a/c2']);
  assert.equal(inf.get('team-a', 'c1')?.data?.i, 'one');
  assert.equal(inf.get('team-a', 'c2'), undefined);
  assert.equal(inf.size, 7);
  assert.ok(Number(inf.lastSyncResourceVersion) > 0);

  // A handler added late is told about everything already cached.
  const late = recorder();
  const reg = inf.addEventHandler(late.handler);
  assert.equal(late.log.length, 7);
  assert.ok(late.log.every((l) => l.startsWith('add(initial)')));
  reg.dispose();

  await inf.stop();
  await ocms.delete('team-a', 'new');
  assert.ok(inf.get('team-a', 'new'), 'a stopped informer no longer changes');
  assert.deepEqual(errors, []);
  other.close();
});

test('indexes: byNamespace, byNodeName for pods, byOwnerUid, and one added later', async () => {
  const pods = client.resource<Pod>(PODS);
  const pod = (ns: string, name: string, nodeName?: string, owner?: string): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { idx: 'yes' }, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner }] : undefined },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
  });
  await pods.create('team-a', pod('team-a', 'p1', 'node-1', 'rs-1'));
  await pods.create('team-a', pod('team-a', 'p2', 'node-2', 'rs-1'));
  await pods.create('team-b', pod('team-b', 'p3', 'node-1'));
  await pods.create('team-b', pod('team-b', 'p4'));
  const inf = new Informer<Pod>({ client: pods, labelSelector: 'idx=yes', indexers: { byNodeName: indexers.byNodeName, byOwnerUid: indexers.byOwnerUid } });
  inf.start();
  assert.ok(await inf.waitForSync());
  const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata?.name ?? '').sort();
  assert.deepEqual(names(inf.list('team-b')), ['p3', 'p4']);
  assert.deepEqual(names(inf.byIndex('byNamespace', 'team-a')), ['p1', 'p2']);
  assert.deepEqual(names(inf.byIndex('byNodeName', 'node-1')), ['p1', 'p3']);
  assert.deepEqual(names(inf.byIndex('byOwnerUid', 'rs-1')), ['p1', 'p2']);
  assert.deepEqual(inf.indexKeys('byNodeName', 'node-2'), ['team-a/p2']);

  // Binding p4 moves it in the node index; deleting p1 removes it from every index.
  const rv = inf.lastSyncResourceVersion;
  const p4 = await pods.get('team-b', 'p4');
  await pods.delete('team-b', 'p4', { gracePeriodSeconds: 0 });
  await pods.create('team-b', { ...pod('team-b', 'p4', 'node-2'), metadata: { ...pod('team-b', 'p4').metadata } });
  await pods.delete('team-a', 'p1', { gracePeriodSeconds: 0 });
  await eventually(() => inf.byIndex('byNodeName', 'node-2').length === 2 && !inf.get('team-a', 'p1'), 'index updates');
  assert.ok(Number(inf.lastSyncResourceVersion) > Number(rv));
  assert.notEqual(p4.spec?.nodeName, 'node-2');
  assert.deepEqual(names(inf.byIndex('byNodeName', 'node-1')), ['p3']);
  assert.deepEqual(names(inf.byIndex('byOwnerUid', 'rs-1')), ['p2']);

  inf.addIndexer('byFirstLetter', (p) => [(p.metadata?.name ?? '')[0] ?? '']);
  assert.equal(inf.byIndex('byFirstLetter', 'p').length, 3);
  assert.throws(() => inf.byIndex('nope', 'x'), /no index named "nope"/);
  await inf.stop();
});

test('a watch the server ends (timeoutSeconds) is resumed from the last resourceVersion without a relist', async () => {
  const cms = client.resource<ConfigMap>(CONFIGMAPS);
  let watches = 0;
  const counting: ResourceClient<ConfigMap> = Object.assign(Object.create(cms) as ResourceClient<ConfigMap>, {
    watch: (ns: string, opts: WatchOptions, signal: AbortSignal) => {
      watches++;
      return cms.watch(ns, opts, signal);
    },
  });
  const inf = new Informer<ConfigMap>({ client: counting, namespace: 'team-b', watchTimeoutSeconds: 1, backoffInitialMs: 10 });
  const rec = recorder();
  inf.addEventHandler(rec.handler);
  inf.start();
  await inf.waitForSync();
  await eventually(() => watches >= 2, 'a second watch', 15_000);
  rec.log.length = 0;
  await cms.create('team-b', cm('team-b', 'after-rewatch'));
  await eventually(() => rec.log.includes('add team-b/after-rewatch'), 'the add after the re-watch');
  assert.equal(inf.relists, 0);
  await inf.stop();
});

/**
 * Routes calls to a swappable target and can hold watch calls at a gate, so a test can change
 * the world while the informer's watch is down.
 */
class Switchboard<T extends KubeObject> implements ResourceClient<T> {
  watchCalls = 0;
  private gate: Promise<void> | undefined;
  private open: () => void = () => {};
  constructor(public target: ResourceClient<T>) {}
  get resource(): ResourceRef {
    return this.target.resource;
  }
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.gate = undefined;
    this.open();
  }
  get: ResourceClient<T>['get'] = (...a) => this.target.get(...a);
  list: ResourceClient<T>['list'] = (...a) => this.target.list(...a);
  create: ResourceClient<T>['create'] = (...a) => this.target.create(...a);
  update: ResourceClient<T>['update'] = (...a) => this.target.update(...a);
  updateStatus: ResourceClient<T>['updateStatus'] = (...a) => this.target.updateStatus(...a);
  patch: ResourceClient<T>['patch'] = (...a) => this.target.patch(...a);
  delete: ResourceClient<T>['delete'] = (...a) => this.target.delete(...a);
  subresource: ResourceClient<T>['subresource'] = (...a) => this.target.subresource(...a);
  async *watch(ns: string, opts: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    this.watchCalls++;
    if (this.gate && !signal.aborted) await Promise.race([this.gate, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    if (signal.aborted) return;
    yield* this.target.watch(ns, opts, signal);
  }
}

test('after a real 410 (store compacted while the watch was down) it relists and emits the differences', async () => {
  const backend = openMemoryBackend();
  const serverA = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  // A second server on the same store whose watch cache starts only after the compaction, so a
  // watch from the informer's old resourceVersion must go to storage and meet the compaction.
  const serverB = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const a = new RestClient({ baseUrl: serverA.url });
  const b = new RestClient({ baseUrl: serverB.url });
  const errors: Error[] = [];
  try {
    const cmsA = a.resource<ConfigMap>(CONFIGMAPS);
    const cmsB = b.resource<ConfigMap>(CONFIGMAPS);
    for (const n of ['keep', 'change', 'remove']) await cmsA.create('default', cm('default', n, { v: '1' }));
    const board = new Switchboard(cmsA);
    const inf = new Informer<ConfigMap>({ client: board, namespace: 'default', backoffInitialMs: 10, onError: (e) => errors.push(e) });
    const rec = recorder();
    inf.addEventHandler(rec.handler);
    inf.start();
    await inf.waitForSync();
    await cmsA.create('default', cm('default', 'live'));
    await eventually(() => rec.log.includes('add default/live'), 'the live add');
    const rvBefore = inf.lastSyncResourceVersion;

    // Take the watch down and hold the informer's next watch at the gate.
    board.hold();
    const calls = board.watchCalls;
    board.target = cmsB;
    await serverA.close();
    await eventually(() => board.watchCalls > calls, 'the informer to try re-watching');

    rec.log.length = 0;
    await cmsB.delete('default', 'remove');
    await cmsB.patch('default', 'change', 'merge', { data: { v: '2' } });
    await cmsB.create('default', cm('default', 'added'));
    await backend.compact((await backend.status()).revision);
    board.release();

    await eventually(() => inf.relists === 1 && rec.log.length >= 3, 'the relist');
    assert.deepEqual(rec.log.sort(), ['add default/added', 'delete default/remove', 'update default/change changed']);
    assert.deepEqual(inf.keys().sort(), ['default/added', 'default/change', 'default/keep', 'default/live']);
    assert.equal(inf.get('default', 'change')?.data?.v, '2');
    assert.ok(Number(inf.lastSyncResourceVersion) > Number(rvBefore));

    // And it watches again afterwards.
    rec.log.length = 0;
    await cmsB.create('default', cm('default', 'after'));
    await eventually(() => rec.log.includes('add default/after'), 'watching after the relist');
    await inf.stop();
    assert.ok(errors.every((e) => !/410|too old/.test(e.message)), `a 410 is not reported as an error: ${errors.map((e) => e.message).join('; ')}`);
  } finally {
    a.close();
    b.close();
    await serverB.close();
    await serverA.close().catch(() => undefined);
  }
});

/** A scripted ResourceClient: each list() answers the next list; each watch() plays the next script. */
class ScriptedClient implements ResourceClient<ConfigMap> {
  readonly resource = CONFIGMAPS;
  lists: Array<ObjectList<ConfigMap>> = [];
  watches: Array<Array<WatchEvent<ConfigMap>>> = [];
  watchRvs: string[] = [];
  async list(): Promise<ObjectList<ConfigMap>> {
    const l = this.lists.shift();
    if (!l) throw new Error('no more lists scripted');
    return l;
  }
  async *watch(_ns: string, opts: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent<ConfigMap>> {
    this.watchRvs.push(opts.resourceVersion ?? '');
    const script = this.watches.shift();
    if (!script) {
      // No script left: a watch that stays open until the informer stops.
      if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      return;
    }
    for (const ev of script) yield ev;
  }
  get(): Promise<ConfigMap> {
    throw new Error('unused');
  }
  create(): Promise<ConfigMap> {
    throw new Error('unused');
  }
  update(): Promise<ConfigMap> {
    throw new Error('unused');
  }
  updateStatus(): Promise<ConfigMap> {
    throw new Error('unused');
  }
  patch(): Promise<ConfigMap> {
    throw new Error('unused');
  }
  delete(): Promise<undefined> {
    throw new Error('unused');
  }
  subresource<R>(): Promise<R> {
    throw new Error('unused');
  }
}

function v(name: string, rv: string): ConfigMap {
  return { metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

const gone: Status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 5 (9)' };

test('relist diff: ERROR 410 → relist; handlers get exactly the adds, updates and deletes', async () => {
  const c = new ScriptedClient();
  c.lists.push({ items: [v('a', '1'), v('b', '2'), v('c', '3')], resourceVersion: '3' });
  c.watches.push([{ type: 'MODIFIED', object: v('a', '4') }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '5' } } }, { type: 'ERROR', object: gone }]);
  c.lists.push({ items: [v('a', '4'), v('b', '7'), v('d', '8')], resourceVersion: '9' });
  const errors: Error[] = [];
  const inf = new Informer<ConfigMap>({ client: c, onError: (e) => errors.push(e), backoffInitialMs: 1 });
  const rec = recorder();
  inf.addEventHandler(rec.handler);
  inf.start();
  await eventually(() => inf.relists === 1 && c.watchRvs.length === 2, 'relist and re-watch');
  assert.deepEqual(rec.log, [
    'add(initial) ns/a',
    'add(initial) ns/b',
    'add(initial) ns/c',
    'update ns/a changed',
    'update ns/b changed', // b changed while we were away
    'add ns/d',
    'delete ns/c',
  ]);
  assert.deepEqual(c.watchRvs, ['3', '9'], 'the bookmark moved us to 5, the relist to 9');
  assert.equal(inf.lastSyncResourceVersion, '9');
  assert.deepEqual(errors, [], '410 is routine, not an error');
  await inf.stop();
});

test('a 410 answer to the watch request relists too; other failures are reported and retried with back-off', async () => {
  const c = new ScriptedClient();
  c.lists.push({ items: [v('a', '1')], resourceVersion: '1' });
  let calls = 0;
  const flaky = Object.assign(Object.create(c) as ScriptedClient, {
    watch: async function* (ns: string, opts: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent<ConfigMap>> {
      calls++;
      if (calls === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      if (calls === 2) {
        const { ApiError } = await import('../api/errors.js');
        throw new ApiError({ code: 410, reason: 'Expired', message: 'too old' });
      }
      yield* c.watch(ns, opts, signal);
    },
  });
  c.lists.push({ items: [], resourceVersion: '2' });
  const errors: Error[] = [];
  const inf = new Informer<ConfigMap>({ client: flaky, onError: (e) => errors.push(e), backoffInitialMs: 1 });
  const rec = recorder();
  inf.addEventHandler(rec.handler);
  inf.start();
  await eventually(() => inf.relists === 1 && calls >= 3, 'relist after the 410');
  assert.deepEqual(rec.log, ['add(initial) ns/a', 'delete ns/a']);
  assert.deepEqual(errors.map((e) => e.message), ['socket hang up']);
  await inf.stop();
});

test('never throws: a failing list is reported and retried; handler exceptions are reported; stop ends waitForSync', async () => {
  const c = new ScriptedClient(); // no lists scripted: every list fails
  const errors: Error[] = [];
  const inf = new Informer<ConfigMap>({ client: c, onError: (e) => errors.push(e), backoffInitialMs: 1, backoffMaxMs: 4 });
  inf.start();
  await eventually(() => errors.length >= 3, 'retries');
  assert.match(errors[0]!.message, /no more lists scripted/);
  const waiting = inf.waitForSync();
  await inf.stop();
  assert.equal(await waiting, false);

  const c2 = new ScriptedClient();
  c2.lists.push({ items: [v('a', '1')], resourceVersion: '1' });
  const errs2: Error[] = [];
  const inf2 = new Informer<ConfigMap>({ client: c2, onError: (e) => errs2.push(e) });
  let after = 0;
  inf2.addEventHandler({
    onAdd: () => {
      throw new Error('handler bug');
    },
  });
  inf2.addEventHandler({ onAdd: () => after++ });
  inf2.start();
  assert.ok(await inf2.waitForSync());
  assert.equal(after, 1, 'the next handler still ran');
  assert.deepEqual(errs2.map((e) => e.message), ['handler bug']);
  await inf2.stop();
});

test('resync calls onUpdate(obj, obj) for every cached object each period', async () => {
  const { FakeClock } = await import('./clock.js');
  const clock = new FakeClock();
  const c = new ScriptedClient();
  c.lists.push({ items: [v('a', '1'), v('b', '2')], resourceVersion: '2' });
  const inf = new Informer<ConfigMap>({ client: c, clock, resyncPeriodMs: 30_000 });
  const rec = recorder();
  inf.addEventHandler(rec.handler);
  inf.start();
  await inf.waitForSync();
  rec.log.length = 0;
  await clock.advance(29_999);
  assert.deepEqual(rec.log, []);
  await clock.advance(1);
  assert.deepEqual(rec.log, ['update ns/a resync', 'update ns/b resync']);
  await clock.advance(30_000);
  assert.equal(rec.log.length, 4);
  await inf.stop();
  assert.equal(clock.pending, 0, 'stop cancels the resync timer');
});

test('SharedInformerFactory shares one informer per resource and scope', async () => {
  const factory = new SharedInformerFactory(client);
  const p1 = factory.informerFor(PODS, { indexers: { byNodeName: indexers.byNodeName } });
  const p2 = factory.informerFor(PODS);
  const pa = factory.informerFor(PODS, { namespace: 'team-a' });
  const cm1 = factory.informerFor(CONFIGMAPS);
  assert.equal(p1, p2);
  assert.notEqual(p1, pa);
  assert.notEqual(p1, cm1);
  assert.equal(factory.size, 3);
  assert.ok(p1.hasIndexer('byNodeName'));
  factory.start();
  assert.equal(await factory.waitForSync(AbortSignal.timeout(10_000)), true);
  assert.ok(p1.list().length >= pa.list().length);
  assert.ok(pa.list().every((p) => p.metadata?.namespace === 'team-a'));
  // Created after start: started at once.
  const late = factory.informerFor(NAMESPACES);
  assert.ok(await late.waitForSync(AbortSignal.timeout(10_000)));
  assert.ok(late.get('', 'team-a'));
  await factory.stop();
  assert.ok(p1.isStopped && late.isStopped);
});
