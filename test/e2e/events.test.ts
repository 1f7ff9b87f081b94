// EventRecorder (src/client/events.ts) against a real `capstan server`: events are created and
// aggregated through the API, and `kubectl describe` shows them the way Kubernetes does,
// including the "(x2 over 60s)" count of an aggregated event.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Event, EventList } from 'kubernetes-types/core/v1.js';
import { EventRecorder } from '../../src/client/events.js';
import { Cluster, e2eSkipReason } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping events e2e: ${skip}`);

describe('EventRecorder against capstan', { skip }, () => {
  const c = new Cluster();
  before(async () => {
    await c.start();
  });
  after(async () => {
    await c.destroy();
  });

  test('records, aggregates, and kubectl describe shows the events', async () => {
    const created = await c.request('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'noisy' },
      spec: { containers: [{ name: 'app', image: 'busybox' }] },
    });
    assert.equal(created.status, 201, created.text);
    const pod = created.body as { apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid: string } };

    // A clock one minute behind for the first BackOff, so the aggregate spans a known interval.
    let offset = -60_000;
    const errors: Error[] = [];
    const rec = new EventRecorder({ baseUrl: c.url, component: 'capstan-test', host: 'node-a', onError: (e) => errors.push(e), now: () => Date.now() + offset });
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container app');
    await rec.flush();
    offset = 0;
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/noisy to node-a');
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container app');
    await rec.flush();
    assert.deepEqual(errors.map((e) => e.message), []);

    const list = await c.request('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=noisy,involvedObject.uid=${pod.metadata.uid}`)}`);
    assert.equal(list.status, 200, list.text);
    const items = (list.body as EventList).items;
    assert.equal(items.length, 2, JSON.stringify(items));
    const backoff = items.find((e: Event) => e.reason === 'BackOff')!;
    assert.equal(backoff.count, 2);
    assert.match(backoff.metadata.name ?? '', /^noisy\.[0-9a-f]{16}$/);
    assert.equal(backoff.involvedObject.uid, pod.metadata.uid);
    assert.equal(backoff.source?.component, 'capstan-test');
    assert.ok(Date.parse(backoff.lastTimestamp!) - Date.parse(backoff.firstTimestamp!) >= 59_000, 'lastTimestamp moved on');

    const d = c.kubectl(['describe', 'pod', 'noisy']);
    assert.equal(d.code, 0, d.stderr);
    const events = d.stdout.slice(d.stdout.indexOf('Events:'));
    assert.match(events, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----/m, d.stdout);
    assert.match(events, /Normal\s+Scheduled\s+\d+s\s+capstan-test\s+Successfully assigned default\/noisy to node-a/);
    assert.match(events, /Warning\s+BackOff\s+\d+s \(x2 over \d+s\)\s+capstan-test\s+Back-off restarting failed container app/);
    await rec.close();
  });

  test('events about a cluster-scoped object land in default and show in kubectl get events', async () => {
    const ns = await c.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'evns' } });
    assert.equal(ns.status, 201, ns.text);
    const errors: Error[] = [];
    const rec = new EventRecorder({ baseUrl: c.url, component: 'namespace-controller', onError: (e) => errors.push(e) });
    rec.event(ns.body as { kind: string; metadata: { name: string } }, 'Normal', 'Created', 'namespace evns created');
    await rec.close();
    assert.deepEqual(errors.map((e) => e.message), []);
    const g = c.kubectl(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.name=evns']);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /Normal\s+Created\s+namespace\/evns\s+namespace evns created/);
  });
});
