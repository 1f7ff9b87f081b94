// Storage benchmark: `npm run bench -- storage [--driver sqlite|memory|all]`.
// Prints one JSON line per figure. The memory driver runs in the same process as a baseline, and
// each sqlite figure also gets a `*_vs_memory` ratio line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../src/storage/backend.js';
import { openMemoryBackend } from '../src/storage/memory/memory_table.js';
import { openSqliteBackend } from '../src/storage/sqlite/sqlite_table.js';

const arg = process.argv.indexOf('--driver');
const which = arg > 0 ? process.argv[arg + 1] : 'all';
const emit = (driver: string, metric: string, value: number, unit: string): void => {
  console.log(JSON.stringify({ bench: 'storage', driver, metric, value: Math.round(value * 100) / 100, unit }));
};
const value = (i: number): string => JSON.stringify({ metadata: { name: `pod-${i}`, namespace: 'default', labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function measure(driver: string, b: Backend): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  // Sequential creates: each waits for its own commit.
  let t = performance.now();
  const seqN = driver === 'memory' ? 20_000 : 2_000;
  for (let i = 0; i < seqN; i++) await b.create(`/registry/seq/k${i}`, value(i));
  out.create_seq_per_s = seqN / ((performance.now() - t) / 1000);

  // 50 concurrent writers: group commit shares each transaction among them.
  const concN = 20_000;
  let next = 0;
  t = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < concN) {
        const i = next++;
        await b.create(`/registry/conc/k${String(i).padStart(6, '0')}`, value(i));
      }
    }),
  );
  out.create_concurrent_per_s = concN / ((performance.now() - t) / 1000);

  // Gets of random existing keys.
  const getN = 100_000;
  t = performance.now();
  for (let i = 0; i < getN; i++) await b.get(`/registry/conc/k${String((i * 7919) % concN).padStart(6, '0')}`);
  out.get_per_s = getN / ((performance.now() - t) / 1000);

  // List of 10k keys (the first 10k of the concurrent set live under their own prefix).
  for (let i = 0; i < 10_000; i++) void b.create(`/registry/list/k${i}`, value(i));
  await b.create('/registry/list-done/x', '{}');
  const times: number[] = [];
  for (let r = 0; r < 10; r++) {
    t = performance.now();
    const { kvs } = await b.list('/registry/list/');
    if (kvs.length !== 10_000) throw new Error(`listed ${kvs.length}`);
    times.push(performance.now() - t);
  }
  out.list_10k_ms = percentile(times, 50);

  // Watch delivery latency at 5,000 writes/s for 3 s (10 watchers on the prefix).
  const ac = new AbortController();
  const { revision } = await b.status();
  const latencies: number[] = [];
  const sent = new Map<string, number>();
  const watchers = Array.from({ length: 10 }, async (_, wi) => {
    for await (const batch of b.watch('/registry/watch/', revision, ac.signal)) {
      const now = performance.now();
      if (wi === 0) for (const ev of batch) latencies.push(now - sent.get(ev.kv.key)!);
    }
  });
  const rate = 5000;
  const tickMs = 10;
  const start = performance.now();
  let written = 0;
  const writes: Promise<unknown>[] = [];
  while (performance.now() - start < 3000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (written < due) {
      const key = `/registry/watch/k${written++}`;
      sent.set(key, performance.now());
      writes.push(b.create(key, value(written)));
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(writes);
  while (latencies.length < written) await new Promise((r) => setTimeout(r, 10));
  ac.abort();
  await Promise.allSettled(watchers);
  out.watch_p50_ms = percentile(latencies, 50);
  out.watch_p99_ms = percentile(latencies, 99);
  out.watch_writes_per_s = written / 3;
  return out;
}

const units: Record<string, string> = {
  create_seq_per_s: 'ops/s', create_concurrent_per_s: 'ops/s', get_per_s: 'ops/s', list_10k_ms: 'ms',
  watch_p50_ms: 'ms', watch_p99_ms: 'ms', watch_writes_per_s: 'ops/s',
};

const results: Record<string, Record<string, number>> = {};
if (which === 'memory' || which === 'all') {
  const b = openMemoryBackend();
  results.memory = await measure('memory', b);
  await b.close();
  for (const [m, v] of Object.entries(results.memory)) emit('memory', m, v, units[m]!);
}
if (which === 'sqlite' || which === 'all') {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  const b = openSqliteBackend(join(dir, 'bench.db'));
  results.sqlite = await measure('sqlite', b);
  await b.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [m, v] of Object.entries(results.sqlite)) emit('sqlite', m, v, units[m]!);
  if (results.memory) {
    for (const m of ['create_concurrent_per_s', 'get_per_s', 'list_10k_ms'] as const) {
      emit('sqlite', `${m}_vs_memory`, results.sqlite[m]! / results.memory[m]!, 'ratio');
    }
  }
}
