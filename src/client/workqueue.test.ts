// WorkQueue and runWorkers with a fake clock: dedup, no concurrent processing of one key, dirty
// re-queue on done, delays, the default rate limiter's numbers, shutdown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock, settle } from './clock.js';
import { BucketRateLimiter, ExponentialFailureRateLimiter, WorkQueue, defaultControllerRateLimiter, runWorkers } from './workqueue.js';

test('a key is queued at most once', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
  q.shutdown();
});

test('a key being processed is parked as dirty and re-queued on done', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  q.add('a');
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not handed out again while processing');
  let second: string | undefined;
  const waiting = q.get().then((x) => (second = x));
  await settle();
  assert.equal(second, undefined, 'a second worker waits');
  q.done('a');
  await waiting;
  assert.equal(second, 'a', 'handed out once more after done');
  q.done('a');
  assert.equal(q.len(), 0);
  q.shutdown();
});

test('get waits for an add; shutdown releases waiters with undefined and ignores later adds', async () => {
  const q = new WorkQueue<string>({ clock: new FakeClock() });
  const g1 = q.get();
  const g2 = q.get();
  q.add('x');
  assert.equal(await g1, 'x');
  q.shutdown();
  assert.equal(await g2, undefined);
  q.add('y');
  assert.equal(await q.get(), undefined);
  assert.equal(q.len(), 0);
});

test('addAfter fires on the clock; the earliest pending time wins', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  q.addAfter('a', 100);
  q.addAfter('a', 50);
  q.addAfter('a', 500);
  q.addAfter('b', 0);
  assert.equal(q.len(), 1);
  assert.equal(q.waitingCount, 1);
  await clock.advance(49);
  assert.equal(q.len(), 1);
  await clock.advance(1);
  assert.equal(q.len(), 2);
  assert.equal(q.waitingCount, 0);
  await clock.advance(1000);
  assert.equal(q.len(), 2, 'the superseded timers did not add it again');
  q.addAfter('c', 10);
  q.shutdown();
  assert.equal(clock.pending, 0, 'shutdown cancels delayed adds');
});

test('per-item exponential back-off: 5 ms doubling, capped at 1000 s; forget resets', () => {
  const rl = new ExponentialFailureRateLimiter<string>();
  const delays = Array.from({ length: 5 }, () => rl.when('k'));
  assert.deepEqual(delays, [5, 10, 20, 40, 80]);
  assert.equal(rl.numRequeues('k'), 5);
  for (let i = 0; i < 40; i++) rl.when('k');
  assert.equal(rl.when('k'), 1_000_000);
  assert.equal(rl.when('other'), 5, 'per key');
  rl.forget('k');
  assert.equal(rl.numRequeues('k'), 0);
  assert.equal(rl.when('k'), 5);
});

test('token bucket: burst 100 free, then 10 per second', async () => {
  const clock = new FakeClock();
  const rl = new BucketRateLimiter<string>(clock);
  for (let i = 0; i < 100; i++) assert.equal(rl.when(`k${i}`), 0);
  assert.equal(rl.when('a'), 100);
  assert.equal(rl.when('b'), 200);
  await clock.advance(1000); // 10 tokens back: the debt of 2 is paid, 8 saved
  for (let i = 0; i < 8; i++) assert.equal(rl.when(`c${i}`), 0);
  assert.equal(rl.when('d'), 100);
});

test('addRateLimited uses the larger of both limits; numRequeues and forget', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock, rateLimiter: defaultControllerRateLimiter(clock) });
  q.addRateLimited('k');
  q.addRateLimited('k'); // the pending 5 ms add wins over 10 ms
  assert.equal(q.numRequeues('k'), 2);
  await clock.advance(4);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.shutdown();
});

test('runWorkers: never two reconciles of one key at once; errors back off, success forgets', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  const ac = new AbortController();
  const active = new Set<string>();
  let maxConcurrent = 0;
  let overlaps = 0;
  const runs = new Map<string, number>();
  const gates: Array<() => void> = [];
  const errors: string[] = [];
  let failuresLeft = 3;
  const done = runWorkers(
    q,
    4,
    async (key) => {
      if (active.has(key)) overlaps++;
      active.add(key);
      maxConcurrent = Math.max(maxConcurrent, active.size);
      runs.set(key, (runs.get(key) ?? 0) + 1);
      await new Promise<void>((r) => gates.push(r));
      active.delete(key);
      if (key === 'flaky' && failuresLeft-- > 0) throw new Error('not yet');
    },
    ac.signal,
    { onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
  );
  q.add('a');
  q.add('b');
  await settle();
  assert.equal(active.size, 2);
  // Re-adding keys while they are processed must not start second reconciles.
  for (let i = 0; i < 10; i++) {
    q.add('a');
    q.add('b');
  }
  await settle();
  assert.equal(active.size, 2);
  while (gates.length) gates.shift()!();
  await settle();
  assert.equal(runs.get('a'), 2, 'the dirty key ran once more, not eleven times');
  while (gates.length) gates.shift()!();
  await settle();
  assert.equal(runs.get('a'), 2);

  // A failing key is retried after 5, 10, 20 ms, then forgotten on success.
  q.add('flaky');
  const release = async (): Promise<void> => {
    for (let i = 0; i < 5 && gates.length === 0; i++) await settle();
    gates.shift()?.();
    await settle();
  };
  await release();
  assert.equal(q.numRequeues('flaky'), 1);
  await clock.advance(5);
  await release();
  assert.equal(q.numRequeues('flaky'), 2);
  await clock.advance(10);
  await release();
  assert.equal(q.numRequeues('flaky'), 3);
  await clock.advance(19);
  assert.equal(runs.get('flaky'), 3, 'not before its back-off');
  await clock.advance(1);
  await release();
  assert.equal(runs.get('flaky'), 4);
  assert.equal(q.numRequeues('flaky'), 0, 'success forgets');
  assert.deepEqual(errors, ['flaky: not yet', 'flaky: not yet', 'flaky: not yet']);

  assert.equal(overlaps, 0);
  assert.ok(maxConcurrent <= 4);
  ac.abort();
  await done;
  assert.ok(q.isShuttingDown());
  assert.equal(clock.pending, 0);
});

test('runWorkers: requeueAfterMs asks for another look later', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  const ac = new AbortController();
  let n = 0;
  const done = runWorkers(q, 1, async () => (++n < 3 ? { requeueAfterMs: 1000 } : undefined), ac.signal);
  q.add('k');
  await settle();
  assert.equal(n, 1);
  await clock.advance(999);
  assert.equal(n, 1);
  await clock.advance(1);
  await settle();
  assert.equal(n, 2);
  await clock.advance(1000);
  await settle();
  assert.equal(n, 3);
  await clock.advance(5000);
  assert.equal(n, 3);
  ac.abort();
  await done;
});

test('many workers over many keys: each key reconciled, none concurrently (real clock)', async () => {
  const q = new WorkQueue<number>();
  const ac = new AbortController();
  const active = new Set<number>();
  let overlaps = 0;
  let total = 0;
  const done = runWorkers(
    q,
    8,
    async (k) => {
      if (active.has(k)) overlaps++;
      active.add(k);
      await new Promise((r) => setImmediate(r));
      active.delete(k);
      total++;
    },
    ac.signal,
  );
  for (let round = 0; round < 20; round++) {
    for (let k = 0; k < 50; k++) q.add(k);
    await new Promise((r) => setImmediate(r));
  }
  while (q.len() > 0 || q.processingCount > 0) await new Promise((r) => setImmediate(r));
  ac.abort();
  await done;
  assert.equal(overlaps, 0);
  assert.ok(total >= 50 && total <= 1000, `total ${total}`);
});

test('runWorkers: { requeue: true } looks again with the key\'s back-off, without an error', async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ clock });
  const ac = new AbortController();
  let calls = 0;
  const errors: unknown[] = [];
  queue.add('k');
  const done = runWorkers(
    queue,
    1,
    async () => {
      calls++;
      if (calls < 3) return { requeue: true };
      ac.abort();
      return undefined;
    },
    ac.signal,
    { onError: (_k, err) => errors.push(err) },
  );
  await settle();
  assert.equal(calls, 1);
  assert.equal(queue.numRequeues('k'), 1, 'requeued with back-off');
  await clock.advance(5);
  await settle();
  assert.equal(calls, 2);
  await clock.advance(10);
  await settle();
  await done;
  assert.equal(calls, 3);
  assert.deepEqual(errors, []);
  assert.equal(queue.numRequeues('k'), 0, 'success forgets the back-off');
});
