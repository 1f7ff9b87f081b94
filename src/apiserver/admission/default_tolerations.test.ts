import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { admitDefaultTolerations, withDefaultTolerations } from './default_tolerations.js';

const notReady = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };

function pod(tolerations?: Toleration[]): Pod {
  return { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], ...(tolerations ? { tolerations } : {}) } };
}

test('a pod without tolerations gets both defaults with 300 s', () => {
  const p = admitDefaultTolerations(pod());
  assert.deepEqual(p.spec?.tolerations, [notReady, unreachable]);
});

test('a pod that tolerates one taint only gets the other', () => {
  const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 };
  const p = admitDefaultTolerations(pod([own]));
  assert.deepEqual(p.spec?.tolerations, [own, notReady]);
});

test('an empty key or an empty effect counts as tolerating, as upstream', () => {
  const all = { operator: 'Exists' };
  assert.deepEqual(admitDefaultTolerations(pod([all])).spec?.tolerations, [all]);
  const anyEffect = { key: 'node.kubernetes.io/not-ready', operator: 'Exists' };
  assert.deepEqual(admitDefaultTolerations(pod([anyEffect])).spec?.tolerations, [anyEffect, unreachable]);
  // A NoSchedule toleration of the same key does not count.
  const noSchedule = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' };
  assert.deepEqual(admitDefaultTolerations(pod([noSchedule])).spec?.tolerations, [noSchedule, notReady, unreachable]);
});

test('withDefaultTolerations does not modify its input; seconds are configurable; non-pods are left alone', () => {
  const input = [{ key: 'a', operator: 'Exists' }];
  const out = withDefaultTolerations(input, { notReadyTolerationSeconds: 5, unreachableTolerationSeconds: 7 });
  assert.equal(input.length, 1);
  assert.deepEqual(out.map((t) => t.tolerationSeconds), [undefined, 5, 7]);
  const notPod = { spec: 'x' };
  assert.equal(admitDefaultTolerations(notPod), notPod);
  assert.deepEqual(admitDefaultTolerations({}), {});
});
