// The dependency graph on its own: what it asks the collector to look at, for which events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { DependencyGraph, alternateOwnerIdentity, partitionDependents, referencesDiffs, type GraphNode, type ObjectIdentity } from './graph.js';

function recorder() {
  const deletes: string[] = [];
  const orphans: string[] = [];
  const invalid: Array<[string, string]> = [];
  const graph = new DependencyGraph({
    attemptToDelete: (n) => deletes.push(n.identity.name),
    attemptToOrphan: (n) => orphans.push(n.identity.name),
    invalidNamespaceOwnerRef: (dep, uid) => invalid.push([dep.identity.name, uid]),
  });
  return { graph, deletes, orphans, invalid };
}

const cm = (name: string, uid: string, namespace = 'default'): ObjectIdentity => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid, namespace });
const ref = (id: ObjectIdentity, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: id.apiVersion, kind: id.kind, name: id.name, uid: id.uid, ...extra });
const meta = (owners: OwnerReference[] = [], extra: Partial<ObjectMeta> = {}): ObjectMeta => ({ ownerReferences: owners, ...extra });

test('an unknown owner becomes a virtual node the collector is asked to verify', () => {
  const { graph, deletes } = recorder();
  const owner = cm('o', 'u-o');
  graph.observe('add', cm('d', 'u-d'), meta([ref(owner)]));
  const v = graph.node('u-o');
  assert.equal(v?.virtual, true);
  assert.deepEqual(v?.identity, owner, 'coordinates from the reference, namespace from the dependent');
  assert.deepEqual(deletes, ['o']);
  // Observed later: no longer virtual; nothing to re-verify when the coordinates agree.
  graph.observe('add', owner, meta());
  assert.equal(graph.node('u-o')?.virtual, false);
  assert.deepEqual(deletes, ['o']);
});

test('a deleted owner sends its dependents to be checked and is remembered as absent', () => {
  const { graph, deletes } = recorder();
  const owner = cm('o', 'u-o');
  graph.observe('add', owner, meta());
  graph.observe('add', cm('d1', 'u-1'), meta([ref(owner)]));
  graph.observe('add', cm('d2', 'u-2'), meta([ref(owner)]));
  graph.observe('delete', owner, meta());
  assert.deepEqual(deletes.sort(), ['d1', 'd2']);
  assert.equal(graph.node('u-o'), undefined);
  assert.ok(graph.absentOwners.has(owner));
  assert.ok(!graph.absentOwners.has({ ...owner, uid: 'another' }), 'by uid: a new object with the name is another owner');
});

test('deletion with the orphan or foregroundDeletion finalizer starts the matching work once', () => {
  const { graph, deletes, orphans } = recorder();
  const owner = cm('o', 'u-o');
  graph.observe('add', owner, meta());
  graph.observe('add', cm('d', 'u-d'), meta([ref(owner, { blockOwnerDeletion: true })]));
  const marked = meta([], { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
  graph.observe('update', owner, marked, meta());
  assert.equal(graph.node('u-o')?.deletingDependents, true);
  assert.deepEqual(deletes, ['d', 'o']);
  graph.observe('update', owner, marked, marked);
  assert.deepEqual(deletes, ['d', 'o'], 'no transition, no work');
  assert.deepEqual(graph.node('u-o')?.blockingDependents().map((n) => n.identity.name), ['d']);

  const other = cm('p', 'u-p');
  graph.observe('add', other, meta([], { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['orphan'] }));
  assert.deepEqual(orphans, ['p'], 'first seen already orphaning');
});

test('removing or unblocking a blocking reference wakes the owner waiting in the foreground', () => {
  const { graph, deletes } = recorder();
  const owner = cm('o', 'u-o');
  graph.observe('add', owner, meta());
  const d = cm('d', 'u-d');
  graph.observe('add', d, meta([ref(owner, { blockOwnerDeletion: true })]));
  graph.observe('update', d, meta([ref(owner, { blockOwnerDeletion: false })]));
  assert.deepEqual(deletes, ['o']);
  assert.deepEqual(graph.node('u-o')?.blockingDependents(), []);
});

test('a namespaced owner observed in another namespace than its dependent is reported', () => {
  const { graph, deletes, invalid } = recorder();
  const owner = cm('o', 'u-o', 'a');
  graph.observe('add', owner, meta());
  graph.observe('add', cm('stray', 'u-s', 'b'), meta([ref(owner)]));
  assert.deepEqual(invalid, [['stray', 'u-o']]);
  assert.deepEqual(deletes, ['stray']);
  // The other order: dependent first (virtual owner in the dependent's namespace), then the owner.
  const r = recorder();
  r.graph.observe('add', cm('stray', 'u-s', 'b'), meta([ref(owner)]));
  r.graph.observe('add', owner, meta());
  assert.deepEqual(r.invalid, [['stray', 'u-o']]);
  assert.deepEqual(r.deletes, ['o', 'stray']);
  assert.deepEqual(r.graph.node('u-o')?.identity, owner);
});

test('cluster-scoped owners may be named from any namespace', () => {
  const { graph, deletes, invalid } = recorder();
  const node: ObjectIdentity = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u-n', namespace: '' };
  graph.observe('add', node, meta());
  graph.observe('add', cm('a', 'u-a', 'x'), meta([ref(node)]));
  graph.observe('add', cm('b', 'u-b', 'y'), meta([ref(node)]));
  assert.deepEqual(invalid, []);
  assert.deepEqual(deletes, []);
  assert.equal(graph.node('u-n')?.dependents.size, 2);
});

test('a virtual delete keeps a virtual owner that dependents name otherwise, under their identity', () => {
  const { graph, deletes } = recorder();
  const asCm = cm('o', 'u-o');
  const asSecret: ObjectIdentity = { ...asCm, kind: 'Secret' };
  graph.observe('add', cm('d1', 'u-1'), meta([ref(asCm)]));
  graph.observe('add', cm('d2', 'u-2'), meta([ref(asSecret)]));
  deletes.length = 0;
  graph.virtualDelete(asCm);
  const v = graph.node('u-o');
  assert.ok(v, 'kept: d2 names it as a Secret');
  assert.deepEqual(v.identity, asSecret);
  assert.ok(graph.absentOwners.has(asCm));
  assert.deepEqual(deletes.sort(), ['d1', 'o']);
  // Both identities verified absent: it flips back until the dependents are gone.
  graph.virtualDelete(asSecret);
  assert.deepEqual(graph.node('u-o')?.identity, asCm);
  assert.ok(graph.absentOwners.has(asSecret));
  graph.observe('delete', cm('d1', 'u-1'), meta([ref(asCm)]));
  graph.observe('delete', cm('d2', 'u-2'), meta([ref(asSecret)]));
  graph.virtualDelete(asCm);
  assert.equal(graph.node('u-o'), undefined);
});

test('helpers: reference diffs, partitions, alternate identities', () => {
  const a = { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: '1' };
  const b = { apiVersion: 'v1', kind: 'ConfigMap', name: 'b', uid: '2' };
  const d = referencesDiffs([a, b], [{ ...b, blockOwnerDeletion: true }, { ...a, uid: '3' }]);
  assert.deepEqual(d.added.map((r) => r.uid), ['3']);
  assert.deepEqual(d.removed.map((r) => r.uid), ['1']);
  assert.deepEqual(d.changed.map((c) => c.newRef.uid), ['2']);

  const { graph } = recorder();
  const owner = cm('o', 'u-o', 'ns1');
  graph.observe('add', cm('same-ns', 'u-1', 'ns1'), meta([ref(owner)]));
  graph.observe('add', cm('other-ns', 'u-2', 'ns2'), meta([ref(owner)]));
  graph.observe('add', cm('renamed', 'u-3', 'ns1'), meta([{ ...ref(owner), name: 'x' }]));
  const deps = [...graph.node('u-o')!.dependents] as GraphNode[];
  const p = partitionDependents(deps, owner);
  assert.deepEqual(p.matching.map((n) => n.identity.name), ['same-ns']);
  assert.deepEqual(p.nonmatching.map((n) => n.identity.name).sort(), ['other-ns', 'renamed']);
  const alt = alternateOwnerIdentity(deps, owner);
  assert.deepEqual(alt, { ...owner, name: 'x' }, 'ns1 < ns2, and "o" < "x" in the same namespace');
});
