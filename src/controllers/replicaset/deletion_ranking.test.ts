import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { compareForDeletion, deletionCost, podsToDelete } from './deletion_ranking.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; restarts?: number; cost?: string; uid?: string } = {}): Pod {
  return {
    metadata: {
      name,
      uid: o.uid ?? name,
      creationTimestamp: iso(o.created ?? T0),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
    },
    spec: { containers: [{ name: 'c' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(o.readySince ?? T0) }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0, ready: true, image: 'x', imageID: '' }],
    },
  };
}

const cmp = (a: Pod, b: Pod, now?: number): number => compareForDeletion({ pod: a, rank: 0 }, { pod: b, rank: 0 }, now);

test('each rule of the ranking, in order', () => {
  // 1. unscheduled before scheduled (even if it is otherwise "better")
  assert.ok(cmp(pod('a', { phase: 'Running' }), pod('b', { node: 'n', phase: 'Pending', ready: false })) < 0);
  // 2. Pending < Unknown < Running
  assert.ok(cmp(pod('a', { node: 'n', phase: 'Pending' }), pod('b', { node: 'n', phase: 'Unknown' })) < 0);
  assert.ok(cmp(pod('a', { node: 'n', phase: 'Unknown' }), pod('b', { node: 'n', phase: 'Running' })) < 0);
  // 3. not ready < ready
  assert.ok(cmp(pod('a', { node: 'n', ready: false }), pod('b', { node: 'n' })) < 0);
  // 4. lower deletion cost first
  assert.ok(cmp(pod('a', { node: 'n', cost: '-5' }), pod('b', { node: 'n', cost: '10' })) < 0);
  // 5. doubled up first (higher rank)
  assert.ok(compareForDeletion({ pod: pod('a', { node: 'n' }), rank: 3 }, { pod: pod('b', { node: 'm' }), rank: 1 }) < 0);
  // 6. ready for a shorter time first
  assert.ok(cmp(pod('a', { node: 'n', readySince: T0 + 60_000 }), pod('b', { node: 'n', readySince: T0 })) < 0);
  // 7. more restarts first
  assert.ok(cmp(pod('a', { node: 'n', restarts: 5 }), pod('b', { node: 'n', restarts: 1 })) < 0);
  // 8. newer first
  assert.ok(cmp(pod('a', { node: 'n', created: T0 + 1000 }), pod('b', { node: 'n', created: T0 })) < 0);
  // the name settles the rest
  assert.ok(cmp(pod('a', { node: 'n' }), pod('b', { node: 'n' })) < 0);
});

test('with a clock, times in the same log2 age bucket tie and the uid decides', () => {
  const now = T0 + 3_600_000;
  // 3600 s and 3601 s old are in the same power-of-two bucket of nanoseconds
  const older = pod('a', { node: 'n', created: T0, uid: 'b-uid' });
  const newer = pod('b', { node: 'n', created: T0 + 1000, uid: 'a-uid' });
  assert.ok(cmp(newer, older, now) < 0);
  assert.ok(cmp(older, newer, now) > 0);
  // far apart: the newer goes first whatever the uids
  const ancient = pod('c', { node: 'n', created: T0 - 30 * 86_400_000, uid: '0' });
  assert.ok(cmp(newer, ancient, now) < 0);
});

test('deletion cost parses an int32 and ignores anything else', () => {
  assert.equal(deletionCost(pod('a', { cost: '42' })), 42);
  assert.equal(deletionCost(pod('a', { cost: 'x' })), 0);
  assert.equal(deletionCost(pod('a', { cost: '99999999999' })), 0);
  assert.equal(deletionCost(pod('a')), 0);
});

test('podsToDelete picks the unscheduled, pending, not-ready and crowded pods first', () => {
  const pods = [
    pod('ready-old', { node: 'n1', created: T0 }),
    pod('ready-new', { node: 'n2', created: T0 + 5000 }),
    pod('not-ready', { node: 'n1', ready: false }),
    pod('pending', { node: 'n1', phase: 'Pending', ready: false }),
    pod('unscheduled', { phase: 'Pending', ready: false }),
  ];
  assert.deepEqual(podsToDelete(pods, pods, 3).map((p) => p.metadata?.name), ['unscheduled', 'pending', 'not-ready']);
  // among ready pods, the one sharing a node with more family members goes first
  // (n1 holds ready-old, not-ready, pending and two siblings; n2 only ready-new)
  const family = [...pods, pod('sibling', { node: 'n1' }), pod('sibling2', { node: 'n1' })];
  assert.deepEqual(podsToDelete(pods.slice(0, 2), family, 1).map((p) => p.metadata?.name), ['ready-old']);
  // without the family's weight, the newer of two ready pods goes
  assert.deepEqual(podsToDelete(pods.slice(0, 2), pods.slice(0, 2), 1).map((p) => p.metadata?.name), ['ready-new']);
  assert.equal(podsToDelete(pods, pods, 9).length, 5);
});
