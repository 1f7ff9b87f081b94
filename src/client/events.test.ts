// Unit tests for the EventRecorder over a fake fetch: event shape, aggregation by merge patch,
// the ten-minute window, the LRU bound, retries, dropping under back-pressure, and never throwing.
// The end-to-end test against a real server and `kubectl describe` is test/e2e/events.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1.js';
import { EventRecorder, referenceTo, type EventRecorderOptions, type FetchLike } from './events.js';

interface Call {
  method: string;
  url: string;
  contentType: string;
  body: Record<string, unknown>;
}

/** A fake API server for events: answers POST with 201 and PATCH with 200 (or `respond`). */
function fakeApi(respond?: (call: Call, n: number) => Response | undefined | Promise<Response | undefined>): { calls: Call[]; fetch: FetchLike } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers = new Headers(init.headers);
    const call: Call = {
      method: init.method ?? 'GET',
      url,
      contentType: headers.get('content-type') ?? '',
      body: JSON.parse(String(init.body)) as Record<string, unknown>,
    };
    calls.push(call);
    const custom = await respond?.(call, calls.length);
    if (custom) return custom;
    return new Response(JSON.stringify(call.body), { status: call.method === 'POST' ? 201 : 200, headers: { 'Content-Type': 'application/json' } });
  };
  return { calls, fetch };
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'prod', uid: '1111-2222', resourceVersion: '42' },
};

function recorder(fetch: FetchLike, extra: Partial<EventRecorderOptions> = {}): { rec: EventRecorder; errors: Error[]; clock: { t: number } } {
  const errors: Error[] = [];
  const clock = { t: Date.parse('2026-01-02T03:04:05.678Z') };
  const rec = new EventRecorder({
    baseUrl: 'http://api.test/',
    component: 'deployment-controller',
    host: 'node-a',
    fetch,
    onError: (e) => errors.push(e),
    now: () => clock.t,
    retryDelayMs: 0,
    ...extra,
  });
  return { rec, errors, clock };
}

test('creates a core/v1 Event with the reference, source, timestamps and count', async () => {
  const api = fakeApi();
  const { rec, errors } = recorder(api.fetch);
  rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned prod/web-1 to node-a');
  await rec.flush();
  assert.deepEqual(errors, []);
  assert.equal(api.calls.length, 1);
  const c = api.calls[0]!;
  assert.equal(c.method, 'POST');
  assert.equal(c.url, 'http://api.test/api/v1/namespaces/prod/events');
  assert.equal(c.contentType, 'application/json');
  const e = c.body as unknown as Event;
  assert.match(e.metadata.name ?? '', /^web-1\.[0-9a-f]{16}$/);
  assert.equal(e.metadata.namespace, 'prod');
  assert.deepEqual(e.involvedObject, { apiVersion: 'v1', kind: 'Pod', namespace: 'prod', name: 'web-1', uid: '1111-2222', resourceVersion: '42' });
  assert.equal(e.type, 'Normal');
  assert.equal(e.reason, 'Scheduled');
  assert.equal(e.message, 'Successfully assigned prod/web-1 to node-a');
  assert.deepEqual(e.source, { component: 'deployment-controller', host: 'node-a' });
  assert.equal(e.firstTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(e.lastTimestamp, '2026-01-02T03:04:05Z');
  assert.equal(e.count, 1);
  assert.equal(e.reportingComponent, 'deployment-controller');
  assert.equal(e.reportingInstance, 'node-a');
});

test('repeats within ten minutes patch count and lastTimestamp; later ones start a new Event', async () => {
  const api = fakeApi();
  const { rec, errors, clock } = recorder(api.fetch);
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  clock.t += 30_000;
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  clock.t += 60_000;
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await rec.flush();
  assert.deepEqual(errors, []);
  assert.deepEqual(api.calls.map((c) => c.method), ['POST', 'PATCH', 'PATCH']);
  const name = (api.calls[0]!.body as unknown as Event).metadata.name!;
  const p1 = api.calls[1]!;
  assert.equal(p1.url, `http://api.test/api/v1/namespaces/prod/events/${name}`);
  assert.equal(p1.contentType, 'application/merge-patch+json');
  assert.deepEqual(p1.body, { count: 2, lastTimestamp: '2026-01-02T03:04:35Z' });
  assert.deepEqual(api.calls[2]!.body, { count: 3, lastTimestamp: '2026-01-02T03:05:35Z' });

  clock.t += 10 * 60_000 + 1;
  rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await rec.flush();
  assert.equal(api.calls[3]!.method, 'POST', 'outside the window a new Event is created');
  const second = api.calls[3]!.body as unknown as Event;
  assert.notEqual(second.metadata.name, name);
  assert.equal(second.count, 1);
});

test('a different type, reason, message or object is a different Event', async () => {
  const api = fakeApi();
  const { rec } = recorder(api.fetch);
  rec.event(pod, 'Normal', 'Pulled', 'image pulled');
  rec.event(pod, 'Normal', 'Pulled', 'image pulled again');
  rec.event(pod, 'Warning', 'Pulled', 'image pulled');
  rec.event(pod, 'Normal', 'Created', 'image pulled');
  rec.event({ ...pod, metadata: { ...pod.metadata, name: 'web-2', uid: '3' } }, 'Normal', 'Pulled', 'image pulled');
  await rec.flush();
  assert.deepEqual(api.calls.map((c) => c.method), ['POST', 'POST', 'POST', 'POST', 'POST']);
  const names = new Set(api.calls.map((c) => (c.body as unknown as Event).metadata.name));
  assert.equal(names.size, 5, 'names are unique even within one millisecond');
  assert.equal(rec.cachedKeys, 5);
});

test('events about cluster-scoped objects go to the default namespace', async () => {
  const api = fakeApi();
  const { rec } = recorder(api.fetch);
  rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'n1' } }, 'Normal', 'NodeReady', 'Node node-a status is now: NodeReady');
  await rec.flush();
  assert.equal(api.calls[0]!.url, 'http://api.test/api/v1/namespaces/default/events');
  const e = api.calls[0]!.body as unknown as Event;
  assert.equal(e.metadata.namespace, 'default');
  assert.deepEqual(e.involvedObject, { apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'n1' });
});

test('accepts an ObjectReference with a fieldPath, and keeps long names within 253 characters', async () => {
  const api = fakeApi();
  const { rec } = recorder(api.fetch);
  const ref = { kind: 'Pod', namespace: 'prod', name: 'web-1', uid: 'u', fieldPath: 'spec.containers{app}' };
  assert.deepEqual(referenceTo(ref), ref);
  rec.event(ref, 'Normal', 'Started', 'Started container app');
  rec.event({ kind: 'ConfigMap', namespace: 'prod', name: 'x'.repeat(253) }, 'Normal', 'Seen', 'long');
  await rec.flush();
  assert.equal((api.calls[0]!.body as unknown as Event).involvedObject.fieldPath, 'spec.containers{app}');
  const long = (api.calls[1]!.body as unknown as Event).metadata.name!;
  assert.equal(long.length, 253);
  assert.match(long, /^x+\.[0-9a-f]{16}$/);
});

test('a patch that finds the Event gone (404) creates a new one', async () => {
  const api = fakeApi((call) => (call.method === 'PATCH' ? new Response(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }), { status: 404 }) : undefined));
  const { rec, errors } = recorder(api.fetch);
  rec.event(pod, 'Normal', 'Killing', 'Stopping container');
  rec.event(pod, 'Normal', 'Killing', 'Stopping container');
  await rec.flush();
  assert.deepEqual(errors, []);
  assert.deepEqual(api.calls.map((c) => c.method), ['POST', 'PATCH', 'POST']);
});

test('never throws: transport errors and 5xx are retried, then reported to onError', async () => {
  let n = 0;
  const failing: FetchLike = async () => {
    n++;
    throw new TypeError('fetch failed');
  };
  const { rec, errors } = recorder(failing, { maxAttempts: 3 });
  assert.doesNotThrow(() => rec.event(pod, 'Warning', 'Failed', 'boom'));
  await rec.flush();
  assert.equal(n, 3);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /failed after 3 attempts: fetch failed/);

  const api = fakeApi((_call, i) => (i < 2 ? new Response('{"kind":"Status","code":503}', { status: 503 }) : undefined));
  const r2 = recorder(api.fetch);
  r2.rec.event(pod, 'Normal', 'Recovered', 'after one 503');
  await r2.rec.flush();
  assert.deepEqual(r2.errors, []);
  assert.equal(api.calls.length, 2);
});

test('a 4xx is not retried and is reported with the Status message', async () => {
  const api = fakeApi(() => new Response(JSON.stringify({ kind: 'Status', status: 'Failure', code: 422, reason: 'Invalid', message: 'Event "x" is invalid' }), { status: 422 }));
  const { rec, errors } = recorder(api.fetch);
  rec.event(pod, 'Normal', 'Bad', 'rejected');
  rec.event(pod, 'Normal', 'Bad', 'rejected');
  await rec.flush();
  assert.equal(api.calls.length, 2, 'one try each; the failed create is not cached, so the repeat creates again');
  assert.deepEqual(api.calls.map((c) => c.method), ['POST', 'POST']);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!.message, /HTTP 422: Event "x" is invalid/);
});

test('objects without a name, a throwing onError, and a closed recorder do not throw', async () => {
  const api = fakeApi();
  const errors: Error[] = [];
  const rec = new EventRecorder({ baseUrl: 'http://api.test', component: 'c', fetch: api.fetch, onError: (e) => errors.push(e) });
  rec.event({ kind: 'Pod', metadata: {} }, 'Normal', 'X', 'no name');
  assert.match(errors[0]!.message, /no name/);
  const angry = new EventRecorder({
    baseUrl: 'http://api.test',
    component: 'c',
    fetch: async () => new Response('nope', { status: 400 }),
    onError: () => {
      throw new Error('onError exploded');
    },
  });
  assert.doesNotThrow(() => angry.event(pod, 'Normal', 'X', 'y'));
  await angry.flush();
  await rec.close();
  rec.event(pod, 'Normal', 'Late', 'after close');
  await rec.flush();
  assert.equal(api.calls.length, 0);
  assert.match(errors[1]!.message, /closed/);
});

test('the aggregation cache is an LRU bounded by cacheSize', async () => {
  const api = fakeApi();
  const { rec } = recorder(api.fetch, { cacheSize: 3 });
  for (let i = 0; i < 5; i++) rec.event(pod, 'Normal', `R${i}`, 'm');
  await rec.flush();
  assert.equal(rec.cachedKeys, 3);
  rec.event(pod, 'Normal', 'R4', 'm'); // still cached: aggregated
  rec.event(pod, 'Normal', 'R0', 'm'); // evicted: created again
  await rec.flush();
  assert.deepEqual(api.calls.slice(5).map((c) => c.method), ['PATCH', 'POST']);
  assert.equal(rec.cachedKeys, 3);
});

test('the default cache holds 4096 keys', async () => {
  const api = fakeApi();
  const { rec } = recorder(api.fetch);
  for (let i = 0; i < 4100; i++) {
    rec.event(pod, 'Normal', 'R', `m${i}`);
    if (i % 500 === 0) await rec.flush(); // stay under maxPending
  }
  await rec.flush();
  assert.equal(rec.cachedKeys, 4096);
});

test('event() does not block, and drops events beyond maxPending', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const api = fakeApi(async () => {
    await gate;
    return undefined;
  });
  const { rec, errors } = recorder(api.fetch, { maxPending: 2 });
  const t0 = Date.now();
  rec.event(pod, 'Normal', 'A', '1');
  rec.event(pod, 'Normal', 'B', '2');
  rec.event(pod, 'Normal', 'C', '3');
  assert.ok(Date.now() - t0 < 50, 'event() returned without waiting for the server');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /2 events pending; dropped C event/);
  release();
  await rec.flush();
  assert.deepEqual(api.calls.map((c) => c.body.reason), ['A', 'B']);
});
