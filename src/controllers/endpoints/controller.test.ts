// The Endpoints controller against a real in-process API server. (Test-only imports of the server
// and the memory store are fine here.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer } from '../../apiserver/server.js';
import { realClock } from '../../client/clock.js';
import { LocalClient } from '../../client/local.js';
import { resourceRef, type ResourceClient } from '../../client/resource_client.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { startControllers, until } from '../nodelifecycle/testing.js';
import { endpointsController, repackSubsets, truncateSubsets } from './controller.js';
import { addNode, addPod, addService, clients, setReady } from './testing.js';

async function setup() {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const c = clients(source);
  const endpoints: ResourceClient<Endpoints> = source.resource<Endpoints>(resourceRef('', 'v1', 'endpoints'));
  await addNode(c, 'n1');
  const h = await startControllers([endpointsController()], { source, clock: realClock });
  return {
    c,
    endpoints,
    h,
    get: (name: string) => endpoints.get('default', name).catch(() => undefined),
    close: async () => {
      await h.stop();
      await api.close();
      await backend.close();
    },
  };
}

const ips = (addrs: { ip: string }[] | undefined): string[] => (addrs ?? []).map((a) => a.ip).sort();

test('Endpoints: ready and not-ready pods, named ports per pod, trigger-time annotation, readiness moves, terminating pods leave', { timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await addPod(t.c, { name: 'a', ip: '10.0.0.1', ports: { http: 8080 } });
    const b = await addPod(t.c, { name: 'b', ip: '10.0.0.2', ports: { http: 8080 }, ready: false });
    await addPod(t.c, { name: 'c', ip: '10.0.0.3', ports: { http: 9090 } });
    await addPod(t.c, { name: 'other', ip: '10.0.0.9', labels: { app: 'other' } });
    await addService(t.c, 'web', { selector: { app: 'web' } });

    const ep = await until(async () => {
      const e = await t.get('web');
      return e && (e.subsets ?? []).length === 2 ? e : undefined;
    }, 10_000, 'endpoints');
    const s8080 = ep.subsets!.find((s) => s.ports?.[0]?.port === 8080)!;
    const s9090 = ep.subsets!.find((s) => s.ports?.[0]?.port === 9090)!;
    assert.deepEqual(ips(s8080.addresses), ['10.0.0.1']);
    assert.deepEqual(ips(s8080.notReadyAddresses), ['10.0.0.2']);
    assert.deepEqual(ips(s9090.addresses), ['10.0.0.3']);
    assert.equal(s8080.ports?.[0]?.name, 'http');
    assert.equal(s8080.ports?.[0]?.protocol, 'TCP');
    const a0 = s8080.addresses![0]!;
    assert.equal(a0.nodeName, 'n1');
    assert.equal(a0.targetRef?.kind, 'Pod');
    assert.equal(a0.targetRef?.name, 'a');
    assert.ok(ep.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], 'trigger time annotation');
    // The API server allocated a ClusterIP, so the Endpoints are not labelled headless.
    assert.equal(ep.metadata?.labels?.['service.kubernetes.io/headless'], undefined);

    // b turns ready, a turns not ready.
    await setReady(t.c, b, true);
    const aPod = await t.c.pods.get('default', 'a');
    await setReady(t.c, aPod, false);
    await until(async () => {
      const e = await t.get('web');
      const s = e?.subsets?.find((x) => x.ports?.[0]?.port === 8080);
      return s && ips(s.addresses).join() === '10.0.0.2' && ips(s.notReadyAddresses).join() === '10.0.0.1';
    }, 10_000, 'readiness change');

    // A terminating pod leaves (c has a node, so deletion is graceful and it lingers).
    await t.c.pods.delete('default', 'c');
    await until(async () => {
      const e = await t.get('web');
      return e && !(e.subsets ?? []).some((s) => s.ports?.[0]?.port === 9090);
    }, 10_000, 'terminating pod removed');

    // Nothing to change: no write.
    const rv = (await t.get('web'))?.metadata?.resourceVersion;
    const other = await t.c.pods.get('default', 'a');
    await t.c.pods.update('default', { ...other, metadata: { ...other.metadata, annotations: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await t.get('web'))?.metadata?.resourceVersion, rv);

    // The Service goes: so do its Endpoints.
    await t.c.services.delete('default', 'web');
    await until(async () => (await t.get('web')) === undefined, 10_000, 'endpoints deleted');
    assert.deepEqual(t.h.errors, []);
  } finally {
    await t.close();
  }
});

test('Endpoints: publishNotReadyAddresses publishes everything as ready; selector-less services are left alone', { timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await addPod(t.c, { name: 'a', ip: '10.0.0.1' });
    await addPod(t.c, { name: 'b', ip: '10.0.0.2', ready: false });
    await addService(t.c, 'pub', { selector: { app: 'web' }, publishNotReadyAddresses: true });
    await until(async () => ips((await t.get('pub'))?.subsets?.[0]?.addresses).join() === '10.0.0.1,10.0.0.2', 10_000, 'published');
    assert.equal((await t.get('pub'))?.subsets?.[0]?.notReadyAddresses, undefined);

    await addService(t.c, 'manual', {});
    await t.endpoints.create('default', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'manual', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '192.168.1.1' }], ports: [{ name: 'http', port: 80 }] }],
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(ips((await t.get('manual'))?.subsets?.[0]?.addresses), ['192.168.1.1']);
  } finally {
    await t.close();
  }
});

test('repackSubsets groups addresses by identical ports; truncateSubsets keeps ready ones first', () => {
  const a = { ip: '10.0.0.1' };
  const b = { ip: '10.0.0.2' };
  const p80 = { name: 'http', port: 80, protocol: 'TCP' };
  const p443 = { name: 'https', port: 443, protocol: 'TCP' };
  // a and b serve both ports: one subset with both ports.
  const one = repackSubsets([
    { addresses: [b], ports: [p443] },
    { addresses: [a], ports: [p80] },
    { addresses: [a, b], ports: [p443, p80] },
    { addresses: [b], ports: [p80] },
  ]);
  assert.deepEqual(one, [{ addresses: [a, b], ports: [p80, p443] }]);
  // b is not ready on port 80 only: the ports' address sets differ, so two subsets (as upstream).
  const two = repackSubsets([
    { addresses: [a], ports: [p80] },
    { addresses: [a], ports: [p443] },
    { notReadyAddresses: [b], ports: [p80] },
  ]);
  assert.equal(two.length, 2);
  assert.deepEqual(two.find((s) => s.ports?.[0]?.port === 80), { addresses: [a], notReadyAddresses: [b], ports: [p80] });
  const addrs = Array.from({ length: 8 }, (_, i) => ({ ip: `10.0.1.${i}` }));
  const subsets = [{ addresses: addrs.slice(0, 3), notReadyAddresses: addrs.slice(3), ports: [p80] }];
  assert.ok(truncateSubsets(subsets, 4));
  assert.equal(subsets[0]!.addresses!.length, 3);
  assert.equal(subsets[0]!.notReadyAddresses!.length, 1);
});
