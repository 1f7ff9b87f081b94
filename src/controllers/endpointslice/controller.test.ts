// The EndpointSlice and mirroring controllers against a real in-process API server. (Test-only
// imports of the server and the memory store are fine here.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer } from '../../apiserver/server.js';
import { realClock } from '../../client/clock.js';
import { LocalClient } from '../../client/local.js';
import { resourceRef, type ResourceClient } from '../../client/resource_client.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { addNode, addPod, addService, clients, setReady } from '../endpoints/testing.js';
import { startControllers, until } from '../nodelifecycle/testing.js';
import { endpointSliceController } from './controller.js';
import { endpointSliceMirroringController } from './mirroring.js';

async function setup() {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const c = clients(source);
  const slices: ResourceClient<EndpointSlice> = source.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  const endpoints: ResourceClient<Endpoints> = source.resource<Endpoints>(resourceRef('', 'v1', 'endpoints'));
  await addNode(c, 'n1', 'zone-a');
  const h = await startControllers([endpointSliceController(), endpointSliceMirroringController()], {
    source,
    clock: realClock,
    options: { endpointSliceChangeMinSyncDelayMs: 0 },
  });
  const sliceList = async (svc: string): Promise<EndpointSlice[]> =>
    (await slices.list('default', { labelSelector: `kubernetes.io/service-name=${svc}` })).items.sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
  return {
    c,
    slices,
    endpoints,
    h,
    sliceList,
    close: async () => {
      await h.stop();
      await api.close();
      await backend.close();
    },
  };
}

function endpointsOf(slices: readonly EndpointSlice[]): Map<string, NonNullable<EndpointSlice['endpoints']>[number]> {
  const m = new Map<string, NonNullable<EndpointSlice['endpoints']>[number]>();
  for (const s of slices) for (const e of s.endpoints ?? []) m.set(e.targetRef?.name ?? e.addresses[0]!, e);
  return m;
}

test('EndpointSlices: ready and not-ready pods, per-pod named ports, labels, owner, conditions; readiness moves; terminating kept with conditions; deletion', { timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await addPod(t.c, { name: 'a', ip: '10.0.0.1', ports: { http: 8080 } });
    const b = await addPod(t.c, { name: 'b', ip: '10.0.0.2', ports: { http: 8080 }, ready: false });
    await addPod(t.c, { name: 'c', ip: '10.0.0.3', ports: { http: 9090 } });
    const svc = await addService(t.c, 'web', { selector: { app: 'web' }, labels: { tier: 'front' } });

    const slices = await until(async () => {
      const l = await t.sliceList('web');
      return l.length === 2 && l.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 3 ? l : undefined;
    }, 10_000, 'two slices');
    for (const s of slices) {
      assert.equal(s.addressType, 'IPv4');
      assert.equal(s.metadata?.labels?.['kubernetes.io/service-name'], 'web');
      assert.equal(s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
      assert.equal(s.metadata?.labels?.tier, 'front');
      assert.ok(s.metadata?.name?.startsWith('web-'));
      const owner = s.metadata?.ownerReferences?.[0];
      assert.deepEqual([owner?.kind, owner?.name, owner?.uid, owner?.controller], ['Service', 'web', svc.metadata?.uid, true]);
      assert.ok(s.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);
    }
    const p8080 = slices.find((s) => s.ports?.[0]?.port === 8080)!;
    const p9090 = slices.find((s) => s.ports?.[0]?.port === 9090)!;
    assert.deepEqual(p8080.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.deepEqual((p9090.endpoints ?? []).map((e) => e.targetRef?.name), ['c']);
    let eps = endpointsOf(slices);
    assert.deepEqual(eps.get('a')?.conditions, { ready: true, serving: true, terminating: false });
    assert.deepEqual(eps.get('b')?.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(eps.get('a')?.nodeName, 'n1');
    assert.equal(eps.get('a')?.zone, 'zone-a');
    assert.deepEqual(eps.get('a')?.addresses, ['10.0.0.1']);

    // b turns ready: same slice, updated in place.
    const name8080 = p8080.metadata?.name;
    await setReady(t.c, b, true);
    await until(async () => endpointsOf(await t.sliceList('web')).get('b')?.conditions?.ready === true, 10_000, 'b ready');
    assert.ok((await t.sliceList('web')).some((s) => s.metadata?.name === name8080), 'slice reused');

    // c is deleted (gracefully: it has a node): it stays as terminating, serving, not ready.
    await t.c.pods.delete('default', 'c');
    await until(async () => endpointsOf(await t.sliceList('web')).get('c')?.conditions?.terminating === true, 10_000, 'c terminating');
    eps = endpointsOf(await t.sliceList('web'));
    assert.deepEqual(eps.get('c')?.conditions, { ready: false, serving: true, terminating: true });

    // Steady state: an irrelevant pod change writes nothing.
    const before = (await t.sliceList('web')).map((s) => s.metadata?.resourceVersion).sort();
    const a = await t.c.pods.get('default', 'a');
    await t.c.pods.update('default', { ...a, metadata: { ...a.metadata, annotations: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await t.sliceList('web')).map((s) => s.metadata?.resourceVersion).sort(), before);

    // Someone deletes one of our slices: it comes back.
    await t.slices.delete('default', name8080!);
    await until(async () => (await t.sliceList('web')).some((s) => s.ports?.[0]?.port === 8080), 10_000, 'slice recreated');

    // The Service goes: its slices go with it (no garbage collector runs here).
    await t.c.services.delete('default', 'web');
    await until(async () => (await t.sliceList('web')).length === 0, 10_000, 'slices deleted');
    assert.deepEqual(t.h.errors, []);
  } finally {
    await t.close();
  }
});

test('EndpointSlices: more than 100 pods are split into slices of at most 100, and shrinking reuses them', { timeout: 60_000 }, async () => {
  const t = await setup();
  try {
    await addService(t.c, 'big', { selector: { app: 'big' } });
    // An empty Service has one placeholder slice.
    await until(async () => {
      const l = await t.sliceList('big');
      return l.length === 1 && (l[0]!.endpoints ?? []).length === 0;
    }, 10_000, 'placeholder');
    for (let i = 0; i < 250; i++) await addPod(t.c, { name: `p${String(i).padStart(3, '0')}`, ip: `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`, labels: { app: 'big' } });
    const slices = await until(async () => {
      const l = await t.sliceList('big');
      return l.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 250 ? l : undefined;
    }, 30_000, '250 endpoints');
    assert.deepEqual(slices.map((s) => s.endpoints?.length ?? 0), [100, 100, 50]);
    const names = new Set(slices.map((s) => s.metadata?.name));

    // Remove 30 pods (at once): the slices shrink in place, none is replaced.
    for (let i = 0; i < 30; i++) await t.c.pods.delete('default', `p${String(i).padStart(3, '0')}`, { gracePeriodSeconds: 0 });
    const after = await until(async () => {
      const l = await t.sliceList('big');
      return l.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 220 ? l : undefined;
    }, 30_000, '220 endpoints');
    assert.ok(after.every((s) => names.has(s.metadata?.name)), 'the same slices, updated');
    assert.ok(after.every((s) => (s.endpoints?.length ?? 0) <= 100));
  } finally {
    await t.close();
  }
});

test('mirroring: hand-made Endpoints of a selector-less Service become slices; a selector stops it', { timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await addService(t.c, 'ext', {});
    const ep = await t.endpoints.create('default', {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'ext', namespace: 'default', labels: { team: 'x' } },
      subsets: [{ addresses: [{ ip: '192.168.1.1' }], notReadyAddresses: [{ ip: '192.168.1.2' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
    });
    const [mirrored] = await until(async () => {
      const l = await t.sliceList('ext');
      return l.length === 1 ? l : undefined;
    }, 10_000, 'mirrored slice');
    assert.equal(mirrored!.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
    assert.equal(mirrored!.metadata?.labels?.team, 'x');
    assert.equal(mirrored!.metadata?.ownerReferences?.[0]?.kind, 'Endpoints');
    assert.equal(mirrored!.metadata?.ownerReferences?.[0]?.uid, ep.metadata?.uid);
    assert.deepEqual(
      (mirrored!.endpoints ?? []).map((e) => [e.addresses[0], e.conditions?.ready]),
      [
        ['192.168.1.1', true],
        ['192.168.1.2', false],
      ],
    );
    assert.deepEqual(mirrored!.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);

    // Endpoints change: the slice follows, in place.
    const cur = await t.endpoints.get('default', 'ext');
    await t.endpoints.update('default', { ...cur, subsets: [{ addresses: [{ ip: '192.168.1.3' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] });
    await until(async () => {
      const l = await t.sliceList('ext');
      return l.length === 1 && l[0]!.metadata?.name === mirrored!.metadata?.name && l[0]!.endpoints?.[0]?.addresses[0] === '192.168.1.3';
    }, 10_000, 'mirror updated');

    // The Service gets a selector: mirroring stops (and the EndpointSlice controller takes over).
    const svc = await t.c.services.get('default', 'ext');
    await t.c.services.update('default', { ...svc, spec: { ...svc.spec, selector: { app: 'none' } } });
    await until(async () => !(await t.sliceList('ext')).some((s) => s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslicemirroring-controller.k8s.io'), 10_000, 'mirror removed');
  } finally {
    await t.close();
  }
});
