import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../client/clock.js';
import { RateLimitedTimedQueue, TokenBucket } from './rate_limited_queue.js';
import { matchingTolerations, minTolerationMs, toleratesTaint, zoneKey } from './taints.js';

const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

test('toleratesTaint follows upstream: empty key needs Exists, empty effect matches any, Equal compares values', () => {
  assert.ok(toleratesTaint({ operator: 'Exists' }, unreachable));
  assert.ok(!toleratesTaint({ operator: 'Equal' }, unreachable));
  assert.ok(toleratesTaint({ key: unreachable.key, operator: 'Exists' }, unreachable));
  assert.ok(!toleratesTaint({ key: unreachable.key, operator: 'Exists', effect: 'NoSchedule' }, unreachable));
  assert.ok(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }));
  assert.ok(!toleratesTaint({ key: 'k', value: 'w', operator: 'Equal' }, { key: 'k', value: 'v', effect: 'NoExecute' }));
});

test('matchingTolerations and minTolerationMs: untolerated, timed, forever', () => {
  const taints = [unreachable, { key: 'x', effect: 'NoExecute' }];
  assert.equal(matchingTolerations(taints, [{ key: unreachable.key, operator: 'Exists' }]).all, false);
  const m = matchingTolerations(taints, [
    { key: unreachable.key, operator: 'Exists', tolerationSeconds: 300 },
    { key: 'x', operator: 'Exists', tolerationSeconds: 60 },
  ]);
  assert.ok(m.all);
  assert.equal(minTolerationMs(m.used), 60_000);
  assert.equal(minTolerationMs([{ operator: 'Exists' }]), -1);
  assert.equal(minTolerationMs([{ operator: 'Exists', tolerationSeconds: 0 }, { operator: 'Exists' }]), 0);
  assert.equal(minTolerationMs([]), 0);
});

test('zoneKey joins region and zone; none gives the empty zone', () => {
  assert.equal(zoneKey({ metadata: { name: 'n' } }), '');
  assert.equal(zoneKey({ metadata: { labels: { 'topology.kubernetes.io/zone': 'a', 'topology.kubernetes.io/region': 'r' } } }), 'r:\x00:a');
});

test('token bucket: burst 1 at 0.1 qps gives one token per 10 s; qps 0 never', async () => {
  const clock = new FakeClock(0);
  const b = new TokenBucket(0.1, 1, () => clock.now());
  assert.ok(b.tryAccept());
  assert.ok(!b.tryAccept());
  await clock.advance(9_999);
  assert.ok(!b.tryAccept());
  await clock.advance(1);
  assert.ok(b.tryAccept());
  assert.ok(!new TokenBucket(0, 1, () => 0).tryAccept());
});

test('rate limited queue: dedups, processes under the limit, retries later, keeps processed values known until removed', async () => {
  const clock = new FakeClock(0);
  const q = new RateLimitedTimedQueue(0.1, 1, () => clock.now());
  assert.ok(q.add('a', 'u1'));
  assert.ok(q.add('b', 'u2'));
  assert.ok(!q.add('a', 'u1'));
  const seen: string[] = [];
  await q.tryProcess(async (v) => {
    seen.push(v.value);
    return [true];
  });
  assert.deepEqual(seen, ['a']);
  assert.ok(!q.add('a', 'u1'), 'processed values stay known');
  await clock.advance(10_000);
  await q.tryProcess(async (v) => {
    seen.push(v.value);
    return [false, 50];
  });
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(q.length, 1);
  q.swapLimiter(0);
  await clock.advance(60_000);
  await q.tryProcess(async () => [true]);
  assert.equal(q.length, 1, 'a zero rate stops processing');
  assert.ok(q.remove('b'));
  assert.equal(q.length, 0);
  assert.ok(q.remove('a'));
  assert.ok(q.add('a', 'u1'));
});
