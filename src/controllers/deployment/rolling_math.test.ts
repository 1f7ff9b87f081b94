import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { MAX_REPLICAS_ANNOTATION, DESIRED_REPLICAS_ANNOTATION } from './annotations.js';
import {
  activeOrLatest, maxSurge, maxUnavailable, newRSNewReplicas, planScale, resolveFenceposts, scaledValue, type IntOrString,
} from './rolling_math.js';

function deployment(replicas: number, o: { surge?: IntOrString; unavailable?: IntOrString; recreate?: boolean; statusReplicas?: number } = {}): Deployment {
  return {
    metadata: { name: 'foo', namespace: 'ns' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'foo' } },
      template: {},
      strategy: o.recreate ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.surge ?? 0, maxUnavailable: o.unavailable ?? 0 } },
    },
    status: { replicas: o.statusReplicas ?? 0 },
  };
}

const T = (s: number): string => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString().replace(/\.\d{3}Z$/, 'Z');

function rs(name: string, replicas: number, createdSec: number, maxReplicas?: number, available = 0): ReplicaSet {
  return {
    metadata: { name, creationTimestamp: T(createdSec), ...(maxReplicas !== undefined ? { annotations: { [MAX_REPLICAS_ANNOTATION]: String(maxReplicas) } } : {}) },
    spec: { replicas, selector: {} },
    status: { replicas, availableReplicas: available },
  };
}

test('int-or-percent: surge rounds up, unavailable rounds down (upstream ResolveFenceposts table)', () => {
  assert.deepEqual(resolveFenceposts('0%', '0%', 0), [0, 1]);
  assert.deepEqual(resolveFenceposts('39%', '39%', 10), [4, 3]);
  assert.deepEqual(resolveFenceposts(undefined, '39%', 10), [0, 3]);
  assert.deepEqual(resolveFenceposts('39%', undefined, 10), [4, 0]);
  assert.deepEqual(resolveFenceposts(undefined, undefined, 10), [0, 1]);
  assert.deepEqual(resolveFenceposts('25%', '25%', 4), [1, 1]);
  assert.deepEqual(resolveFenceposts('25%', '25%', 3), [1, 0]);
  assert.deepEqual(resolveFenceposts('25%', '25%', 1), [1, 0]);
  assert.deepEqual(resolveFenceposts(2, 0, 10), [2, 0]);
  assert.deepEqual(resolveFenceposts(0, '10%', 5), [0, 1]); // floor(0.5)=0, both 0 → 1
  assert.throws(() => resolveFenceposts('oops', '1%', 10), /not a percentage/);
  assert.throws(() => resolveFenceposts('55%', 'urg', 10), /not a percentage/);
  assert.equal(scaledValue('50%', 5, true), 3);
  assert.equal(scaledValue('50%', 5, false), 2);
});

test('maxUnavailable never exceeds replicas and is 0 for Recreate or zero replicas', () => {
  assert.equal(maxUnavailable(deployment(2, { unavailable: 5 })), 2);
  assert.equal(maxUnavailable(deployment(0, { unavailable: 5 })), 0);
  assert.equal(maxUnavailable(deployment(4, { recreate: true })), 0);
  assert.equal(maxSurge(deployment(4, { recreate: true })), 0);
  assert.equal(maxSurge(deployment(10, { surge: '25%', unavailable: '25%' })), 3);
  assert.equal(maxUnavailable(deployment(10, { surge: '25%', unavailable: '25%' })), 2);
});

test('how far the new ReplicaSet may grow (upstream TestNewRSNewReplicas)', () => {
  // cannot scale up: at the surge limit already
  assert.equal(newRSNewReplicas(deployment(1, { surge: 1 }), [rs('old', 5, 0), rs('new', 5, 1)], rs('new', 5, 1)), 5);
  // scale up to the deployment's replicas
  assert.equal(newRSNewReplicas(deployment(6, { surge: 10 }), [rs('old', 4, 0), rs('new', 2, 1)], rs('new', 2, 1)), 6);
  // Recreate: all at once
  assert.equal(newRSNewReplicas(deployment(3, { surge: 1, recreate: true }), [rs('old', 1, 0), rs('new', 1, 1)], rs('new', 1, 1)), 3);
  // surge room of 1 with 4 + 0 pods and replicas 4
  assert.equal(newRSNewReplicas(deployment(4, { surge: 1, unavailable: 1 }), [rs('old', 4, 0), rs('new', 0, 1)], rs('new', 0, 1)), 1);
});

const sizes = (steps: ReturnType<typeof planScale>): Record<string, number> => Object.fromEntries(steps.map((s) => [s.rs.metadata!.name!, s.replicas]));

test('proportional scaling (upstream TestScale cases)', () => {
  // 5 -> 10: old 3, new 2 (sized for 5 + 0 surge)
  assert.deepEqual(sizes(planScale(deployment(10), rs('foo-v2', 2, 10, 5), [rs('foo-v1', 3, 0, 5)])), { 'foo-v1': 6, 'foo-v2': 4 });
  // 5 -> 3
  assert.deepEqual(sizes(planScale(deployment(3), rs('foo-v2', 2, 10, 5), [rs('foo-v1', 3, 0, 5)])), { 'foo-v1': 2, 'foo-v2': 1 });
  // 9 -> 4
  assert.deepEqual(sizes(planScale(deployment(4), rs('foo-v2', 8, 10, 9), [rs('foo-v1', 1, 0, 9)])), { 'foo-v2': 4, 'foo-v1': 0 });
  // 7 -> 10 over three ReplicaSets
  assert.deepEqual(sizes(planScale(deployment(10), rs('foo-v3', 2, 20, 7), [rs('foo-v2', 3, 10, 7), rs('foo-v1', 2, 0, 7)])), { 'foo-v2': 4, 'foo-v3': 3, 'foo-v1': 3 });
  // 13 -> 8
  assert.deepEqual(sizes(planScale(deployment(8), rs('foo-v3', 2, 20, 13), [rs('foo-v2', 8, 10, 13), rs('foo-v1', 3, 0, 13)])), { 'foo-v2': 5, 'foo-v1': 2, 'foo-v3': 1 });
  // with surge: 10 (+3) -> 20 (+5): the allowed total is 25
  const d20 = deployment(20, { surge: '25%', unavailable: 0 });
  const plan = sizes(planScale(d20, rs('foo-v2', 6, 10, 13), [rs('foo-v1', 7, 0, 13)]));
  assert.equal(plan['foo-v1']! + plan['foo-v2']!, 25);
  assert.deepEqual(plan, { 'foo-v1': 13, 'foo-v2': 12 });
  // no max-replicas annotation: the deployment's status.replicas is the base
  assert.deepEqual(sizes(planScale(deployment(10, { statusReplicas: 5 }), rs('foo-v2', 2, 10), [rs('foo-v1', 3, 0)])), { 'foo-v1': 6, 'foo-v2': 4 });
  // to zero: everything goes
  assert.deepEqual(sizes(planScale(deployment(0), rs('foo-v2', 2, 10, 5), [rs('foo-v1', 3, 0, 5)])), { 'foo-v1': 0, 'foo-v2': 0 });
});

test('one active ReplicaSet takes the whole size; a saturated new one empties the old', () => {
  assert.deepEqual(sizes(planScale(deployment(7), rs('foo-v2', 3, 10), [rs('foo-v1', 0, 0)])), { 'foo-v2': 7 });
  assert.deepEqual(sizes(planScale(deployment(3), rs('foo-v2', 3, 10), [])), {});
  // none active: the newest (new one if present)
  assert.equal(activeOrLatest(undefined, [rs('a', 0, 0), rs('b', 0, 5)])?.metadata?.name, 'b');
  assert.equal(activeOrLatest(rs('n', 0, 1), [rs('b', 0, 5)])?.metadata?.name, 'n');
  const saturated = rs('foo-v2', 3, 10, 3, 3);
  saturated.metadata!.annotations![DESIRED_REPLICAS_ANNOTATION] = '3';
  assert.deepEqual(sizes(planScale(deployment(3), saturated, [rs('foo-v1', 1, 0, 3)])), { 'foo-v1': 0 });
});
