import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import {
  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, equalIgnoreHash, setNewReplicaSetAnnotations,
} from './annotations.js';
import { computeHash, fnv32a, safeEncodeString } from './pod_template_hash.js';

const d: Deployment = {
  metadata: { name: 'web', annotations: { team: 'a', 'kubectl.kubernetes.io/last-applied-configuration': '{}', [REVISION_ANNOTATION]: '9' } },
  spec: { replicas: 3, selector: {}, template: {} },
};

test('a new ReplicaSet gets the deployment annotations, the revision and the replica annotations', () => {
  const a: Record<string, string> = {};
  assert.ok(setNewReplicaSetAnnotations(d, a, { newRevision: 1, exists: false, maxReplicas: 4 }));
  assert.deepEqual(a, { team: 'a', [REVISION_ANNOTATION]: '1', [DESIRED_REPLICAS_ANNOTATION]: '3', [MAX_REPLICAS_ANNOTATION]: '4' });
  // nothing left to change
  assert.ok(!setNewReplicaSetAnnotations(d, a, { newRevision: 1, exists: true, maxReplicas: 4 }));
});

test('a rollback raises an old ReplicaSet revision and remembers the old one', () => {
  const a: Record<string, string> = { [REVISION_ANNOTATION]: '1' };
  setNewReplicaSetAnnotations(d, a, { newRevision: 3, exists: true, maxReplicas: 4 });
  assert.equal(a[REVISION_ANNOTATION], '3');
  assert.equal(a[REVISION_HISTORY_ANNOTATION], '1');
  setNewReplicaSetAnnotations(d, a, { newRevision: 5, exists: true, maxReplicas: 4 });
  assert.equal(a[REVISION_ANNOTATION], '5');
  assert.equal(a[REVISION_HISTORY_ANNOTATION], '1,3');
  // never lowered
  setNewReplicaSetAnnotations(d, a, { newRevision: 2, exists: true, maxReplicas: 4 });
  assert.equal(a[REVISION_ANNOTATION], '5');
});

test('templates compare equal without the hash label, and empty equals absent', () => {
  const a = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'x', env: [] }] } };
  const b = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  assert.ok(equalIgnoreHash(a, b));
  assert.ok(!equalIgnoreHash(a, { ...b, spec: { containers: [{ name: 'c', image: 'y' }] } }));
});

test('the pod-template-hash is deterministic, safe-encoded, and moves with the template and collisionCount', () => {
  assert.equal(fnv32a(new TextEncoder().encode('')), 0x811c9dc5);
  assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(safeEncodeString('0123456789'), '456789bcdf'); // '0' is 48, 48 % 27 = 21 → '4'
  const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const h = computeHash(t);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(structuredClone(t)), h);
  // key order does not matter
  assert.equal(computeHash({ spec: t.spec, metadata: t.metadata }), h);
  assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }), h);
  assert.notEqual(computeHash(t, 1), h);
  assert.notEqual(computeHash(t, 1), computeHash(t, 2));
});
