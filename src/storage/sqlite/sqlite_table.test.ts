import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { runConformance } from '../conformance.js';
import { openSqliteBackend } from './sqlite_table.js';

const dir = mkdtempSync(join(tmpdir(), 'capstan-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
let lastPath = '';

runConformance('sqlite', {
  open: async ({ clock, ...tuning }) => {
    lastPath = join(dir, `store-${n++}.db`);
    return openSqliteBackend(lastPath, { now: clock.now, ...tuning });
  },
  reopen: async ({ clock }) => openSqliteBackend(lastPath, { now: clock.now, leaseSweepMs: 10 }),
});

test('sqlite compaction deletes obsolete rows and reclaims space', async () => {
  const path = join(dir, 'compact.db');
  const b = openSqliteBackend(path, { reclaimFreePages: 0, compactChunkRows: 100 });
  const big = JSON.stringify({ pad: 'x'.repeat(2000) });
  for (let i = 0; i < 50; i++) await b.create(`/registry/c/k${i}`, big);
  // 20 rounds of updates to every key, then delete half of them.
  for (let round = 0; round < 20; round++) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const kv = (await b.get(`/registry/c/k${i}`)).kv!;
        await b.update(kv.key, big, kv.modRevision);
      }),
    );
  }
  for (let i = 0; i < 25; i++) await b.delete(`/registry/c/k${i}`);
  const rowsBefore = countRows(path);
  const sizeBefore = statSync(path).size + walSize(path);
  const { revision } = await b.status();
  await b.compact(revision);
  const rowsAfter = countRows(path);
  assert.equal(rowsBefore, 50 + 50 * 20 + 25);
  assert.equal(rowsAfter, 25, 'only the live version of each live key remains');
  assert.equal((await b.count('/registry/c/')).count, 25);
  await b.close();
  // Space is reclaimed once the WAL is checkpointed into the main file.
  const db = new Database(path);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  assert.ok(statSync(path).size < sizeBefore / 4, `file shrank: ${statSync(path).size} vs ${sizeBefore}`);
});

function countRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM kv').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}
