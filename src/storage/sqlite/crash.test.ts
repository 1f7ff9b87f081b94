// Crash safety: a child writes as fast as it can and is SIGKILLed at a random point, 20 times.
// After each kill the store must open cleanly (integrity_check ok), hold every acknowledged write
// at exactly the revision it was acknowledged with, and never move its revision backwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteBackend } from './sqlite_table.js';

const here = dirname(fileURLToPath(import.meta.url));

function runUntilKilled(path: string, run: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'crash_writer.fixture.ts'), path, String(run)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (!timer && (buf + d).includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      buf += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${err}`));
      // A partial last line was cut by the kill: it was never fully acknowledged to us.
      else resolve(buf.split('\n').slice(0, -1).filter((l) => l !== 'ready'));
    });
  });
}

test('SIGKILL at random points never loses an acknowledged write', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-crash-'));
  const path = join(dir, 'crash.db');
  let lastRevision = 0;
  let totalAcked = 0;
  try {
    for (let run = 0; run < 20; run++) {
      const lines = await runUntilKilled(path, run, 50 + Math.floor(Math.random() * 400));
      const db = new Database(path);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `run ${run}: database needs no repair`);
      db.close();
      const b = openSqliteBackend(path);
      const { revision } = await b.status();
      assert.ok(revision >= lastRevision, `run ${run}: revision ${revision} went backwards from ${lastRevision}`);
      for (const line of lines) {
        const [op, key, revText] = line.split(' ');
        const rev = Number(revText);
        assert.ok(rev <= revision, `${line}: acknowledged beyond the store's revision ${revision}`);
        const at = (await b.get(key!, rev)).kv;
        if (op === 'D') {
          assert.equal(at, undefined, `${line}: deleted key still present`);
          assert.ok((await b.get(key!, rev - 1)).kv, `${line}: key absent before its delete`);
        } else {
          assert.equal(at?.modRevision, rev, `${line}: acknowledged write missing`);
        }
      }
      totalAcked += lines.length;
      lastRevision = revision;
      await b.close();
    }
    t.diagnostic(`20 kills, ${totalAcked} acknowledged writes checked, final revision ${lastRevision}`);
    assert.ok(totalAcked > 100, `the writer made progress (${totalAcked} acknowledged writes)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
