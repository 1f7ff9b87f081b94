import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Compactor } from './compactor.js';
import { openMemoryBackend } from './memory/memory_table.js';

test('compactor keeps the larger of the revision and time windows', async () => {
  let t = 0;
  const b = openMemoryBackend();
  const c = new Compactor(b, { retainRevisions: 10, retainMs: 60_000, now: () => t });
  const write = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await b.create(`/registry/x/${t}-${i}`, '{}');
  };
  await write(50);
  assert.equal(await c.tick(), 0, 'nothing is old enough by time yet');
  t = 30_000;
  await write(50);
  assert.equal(await c.tick(), 0);
  t = 61_000;
  await write(5);
  // The sample taken at t=0 (revision 50) is now outside the time window; 105 - 10 = 95 is larger.
  assert.equal(await c.tick(), 50);
  assert.equal((await b.status()).compactRevision, 50);
  t = 200_000;
  // Every sample is old: the revision window (keep 10) decides.
  assert.equal(await c.tick(), 95);
  await b.close();
});
