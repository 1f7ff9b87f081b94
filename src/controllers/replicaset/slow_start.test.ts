import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slowStartBatch, slowStartBatchSizes } from './slow_start.js';

test('slow start doubles the batch from 1 and ends with the remainder', () => {
  assert.deepEqual(slowStartBatchSizes(0, 1), []);
  assert.deepEqual(slowStartBatchSizes(1, 1), [1]);
  assert.deepEqual(slowStartBatchSizes(10, 1), [1, 2, 4, 3]);
  assert.deepEqual(slowStartBatchSizes(500, 1), [1, 2, 4, 8, 16, 32, 64, 128, 245]);
});

test('slow start stops after the first batch with a failure and counts successes', async () => {
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => {
    calls++;
    if (calls > 3) throw new Error('quota exceeded');
  });
  // batches 1 and 2 succeed; the batch of 4 fails entirely; the last 3 are never tried.
  assert.equal(calls, 7);
  assert.equal(r.successes, 3);
  assert.match(String((r.error as Error).message), /quota/);
});

test('slow start with every call succeeding', async () => {
  let calls = 0;
  const r = await slowStartBatch(7, 1, async () => {
    calls++;
  });
  assert.equal(calls, 7);
  assert.deepEqual(r, { successes: 7 });
});
