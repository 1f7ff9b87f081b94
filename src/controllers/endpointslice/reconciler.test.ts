import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { addressTypesFor, reconcileSlices } from './reconciler.js';

const CONTROLLER = 'endpointslice-controller.k8s.io';
const svc: Service = { metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } };
const node: Node = { metadata: { name: 'n1' } };

function pod(i: number, opts: { ready?: boolean; port?: number; node?: string } = {}): Pod {
  return {
    metadata: { name: `p${String(i).padStart(3, '0')}`, namespace: 'default', uid: `uid-${i}`, labels: { app: 'web' } },
    spec: { nodeName: opts.node ?? 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }] },
    status: { phase: 'Running', podIP: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

function run(pods: Pod[], existing: EndpointSlice[] = [], max = 100) {
  return reconcileSlices({ service: svc, pods, existing, node: (n) => (n === 'n1' ? node : undefined), maxEndpointsPerSlice: max, controllerName: CONTROLLER });
}

/** Gives planned creates names, as the server would. */
function materialize(slices: EndpointSlice[], prefix: string): EndpointSlice[] {
  return slices.map((s, i) => ({ ...s, metadata: { ...s.metadata, name: s.metadata?.name ?? `${prefix}${i}`, generation: 1 } }));
}

test('an empty service gets one placeholder slice, kept as is afterwards', () => {
  const plan = run([]);
  assert.equal(plan.create.length, 1);
  assert.deepEqual(plan.create[0]!.endpoints, []);
  assert.deepEqual(plan.create[0]!.ports, []);
  const again = run([], materialize(plan.create, 'ph'));
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
});

test('250 pods make 100+100+50; a re-run changes nothing; new pods fill the slice being updated before new ones', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  const first = run(pods);
  assert.deepEqual(first.create.map((s) => s.endpoints?.length), [100, 100, 50]);
  const existing = materialize(first.create, 's');
  const again = run(pods, existing);
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  // One pod goes from the first slice and 40 come: the updated slice is refilled, the 50 one topped up.
  const next = [...pods.slice(1), ...Array.from({ length: 40 }, (_, i) => pod(300 + i))];
  const plan = run(next, existing);
  assert.equal(plan.delete.length, 0);
  assert.equal(plan.create.length, 0, 'no new slice: the other 39 fit into the slice with 50');
  assert.equal(plan.update.length, 2);
  const total = plan.update.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0);
  assert.ok(plan.update.every((s) => (s.endpoints?.length ?? 0) <= 100));
  assert.equal(total, 100 + 50 + 39);
  // 60 would not fit anywhere: then a new slice is made rather than rewriting full ones.
  const more = run([...pods.slice(1), ...Array.from({ length: 60 }, (_, i) => pod(300 + i))], existing);
  assert.deepEqual(more.create.map((x) => x.endpoints?.length), [59]);
});

test('pods whose named port resolves differently go to separate slices; missing nodes are reported', () => {
  const plan = run([pod(1, { port: 8080 }), pod(2, { port: 9090 }), pod(3, { node: 'ghost' })]);
  assert.deepEqual(plan.create.map((s) => s.ports?.[0]?.port).sort(), [8080, 9090]);
  assert.equal(plan.problems.length, 1);
});

test('a create and a delete in one pass become an update of the doomed slice', () => {
  const existing = materialize(run([pod(1, { port: 8080 })]).create, 'old');
  const plan = run([pod(1, { port: 9090 })], existing);
  assert.deepEqual([plan.create.length, plan.delete.length, plan.update.length], [0, 0, 1]);
  assert.equal(plan.update[0]!.metadata?.name, 'old0');
  assert.equal(plan.update[0]!.ports?.[0]?.port, 9090);
});

test('slices owned by another service object (same name, old uid) are deleted', () => {
  const foreign = materialize(run([pod(1)]).create, 'f').map((s) => ({ ...s, metadata: { ...s.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'old' }] } }));
  const plan = run([pod(1)], foreign);
  // Not owned, so not reused: it is deleted and a slice of our own is created.
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.create.length, 1);
});

test('address types from ipFamilies, then the ClusterIP, else IPv4', () => {
  assert.deepEqual(addressTypesFor({ spec: { ipFamilies: ['IPv6', 'IPv4'] } }), ['IPv6', 'IPv4']);
  assert.deepEqual(addressTypesFor({ spec: { clusterIP: 'fd00::1' } }), ['IPv6']);
  assert.deepEqual(addressTypesFor({ spec: { clusterIP: 'None' } }), ['IPv4']);
});
