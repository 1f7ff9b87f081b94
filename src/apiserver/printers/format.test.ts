import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolPointer, formatLabelMap, formatLabelSelector, humanDuration, joinHostPort, listWithMore, quantity, rfc3339, selectorString, since } from './format.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches Kubernetes duration.HumanDuration at every boundary', () => {
  const cases: Array<[number, string]> = [
    [-2 * S, '<invalid>'],
    [-1999, '0s'], // -1.999s truncates to -1: still tolerated clock skew
    [-S, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [999, '0s'],
    [45 * S, '45s'],
    [119 * S, '119s'],
    [120 * S, '2m'],
    [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [180 * M, '3h'],
    [3 * H + 4 * M, '3h4m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [47 * H, '47h'],
    [48 * H, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [5 * D, '5d'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D + 5 * H, '8d'],
    [400 * D, '400d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [760 * D, '2y30d'],
    [8 * 365 * D - D, '7y364d'],
    [8 * 365 * D, '8y'],
    [20 * 365 * D + 100 * D, '20y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('since: <unknown> without a timestamp, HumanDuration otherwise', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  assert.equal(since(undefined, now), '<unknown>');
  assert.equal(since('', now), '<unknown>');
  assert.equal(since('2024-12-31T23:59:15Z', now), '45s');
  assert.equal(since('2024-12-31T23:59:14.500000Z', now), '45s'); // microsecond timestamps parse
});

test('rfc3339 prints whole seconds in UTC, the zero time when unset', () => {
  assert.equal(rfc3339('2024-05-01T12:00:00+02:00'), '2024-05-01T10:00:00Z');
  assert.equal(rfc3339('2024-05-01T10:00:00.999Z'), '2024-05-01T10:00:00Z');
  assert.equal(rfc3339(undefined), '0001-01-01T00:00:00Z');
});

test('label maps and selectors print as kubectl shows them', () => {
  assert.equal(formatLabelMap(undefined), '<none>');
  assert.equal(formatLabelMap({}), '<none>');
  assert.equal(formatLabelMap({ b: '2', a: '1' }), 'a=1,b=2');
  const sel = { matchLabels: { z: '1', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'dev'] }, { key: 'gpu', operator: 'Exists' }] };
  assert.equal(selectorString(sel), 'app=web,env notin (dev,prod),gpu,z=1');
  assert.equal(formatLabelSelector(sel), 'app=web,env notin (dev,prod),gpu,z=1');
  assert.equal(selectorString(undefined), '');
  assert.equal(selectorString({}), '');
  assert.equal(formatLabelSelector(undefined), '<none>');
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
  assert.equal(selectorString({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<invalid>');
});

test('small formatters', () => {
  assert.equal(quantity('1000m'), '1');
  assert.equal(quantity('1Gi'), '1Gi');
  assert.equal(quantity(2), '2');
  assert.equal(quantity(undefined), '0');
  assert.equal(boolPointer(undefined), '<unset>');
  assert.equal(boolPointer(false), 'False');
  assert.equal(boolPointer(true), 'True');
  assert.equal(joinHostPort('10.0.0.1', 80), '10.0.0.1:80');
  assert.equal(joinHostPort('fd00::1', 80), '[fd00::1]:80');
  assert.equal(listWithMore([], 3), '<unset>');
  assert.equal(listWithMore(['a', 'b', 'c'], 3), 'a,b,c');
  assert.equal(listWithMore(['a', 'b', 'c', 'd', 'e'], 3), 'a,b,c + 2 more...');
});
