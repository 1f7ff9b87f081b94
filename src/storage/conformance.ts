// The driver conformance suite: the same tests run against every Backend driver (memory, sqlite,
// and etcd when it lands), so that their semantics cannot drift apart. A driver's test file calls
// `runConformance` with a factory; see memory/memory_table.test.ts and sqlite/sqlite_table.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ClosedError,
  CompactedError,
  ConflictError,
  InvalidInputError,
  KeyExistsError,
  NotFoundError,
  WatchOverflowError,
  type Backend,
  type WatchEvent,
} from './backend.js';

export interface ConformanceClock {
  now: () => number;
}

export interface DriverFactory {
  /** A fresh, empty store. `clock` drives leases; `tuning` sets small limits for the tests. */
  open(options: { clock: ConformanceClock; watchBufferEvents?: number; leaseSweepMs?: number }): Promise<Backend>;
  /** Closes nothing itself: reopens the store that `open` made last (after the test closed it). */
  reopen?(options: { clock: ConformanceClock }): Promise<Backend>;
}

const P = '/registry/things/';
const val = (n: number | string): string => JSON.stringify({ n });

/** Collects watch events until `count` arrive or `ms` pass. */
async function collect(iter: AsyncIterable<WatchEvent[]>, count: number, ms = 5000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const it = iter[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  while (out.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => {
        timer = setTimeout(() => res('timeout'), left);
      }),
    ]);
    clearTimeout(timer);
    if (r === 'timeout' || r.done) break;
    out.push(...r.value);
  }
  return out;
}

async function rejects<T extends Error>(p: Promise<unknown>, cls: new (...a: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name}, but the call succeeded`);
}

export function runConformance(driver: string, factory: DriverFactory): void {
  describe(`storage conformance: ${driver}`, () => {
    const clock = { t: 1_700_000_000_000, now: () => clock.t };
    const open = (extra: { watchBufferEvents?: number; leaseSweepMs?: number } = {}): Promise<Backend> =>
      factory.open({ clock, leaseSweepMs: 10, ...extra });

    test('create, get, and revisions that grow by one per write', async () => {
      const b = await open();
      const { revision: r0 } = await b.status();
      const { revision: r1 } = await b.create(`${P}a`, val(1));
      assert.equal(r1, r0 + 1);
      const got = await b.get(`${P}a`);
      assert.equal(got.revision, r1);
      assert.deepEqual(got.kv, { key: `${P}a`, value: val(1), createRevision: r1, modRevision: r1, expiresAt: 0 });
      assert.equal((await b.get(`${P}missing`)).kv, undefined);
      await b.close();
    });

    test('create of an existing key fails with KeyExists and writes nothing', async () => {
      const b = await open();
      await b.create(`${P}a`, val(1));
      const before = await b.status();
      await rejects(b.create(`${P}a`, val(2)), KeyExistsError);
      assert.equal((await b.status()).revision, before.revision);
      assert.equal((await b.get(`${P}a`)).kv?.value, val(1));
      await b.close();
    });

    test('update is compare-and-swap on modRevision', async () => {
      const b = await open();
      const { revision: r1 } = await b.create(`${P}a`, val(1));
      const u = await b.update(`${P}a`, val(2), r1);
      assert.equal(u.kv.modRevision, u.revision);
      assert.equal(u.kv.createRevision, r1);
      const stale = await rejects(b.update(`${P}a`, val(3), r1), ConflictError);
      assert.equal(stale.current.modRevision, u.revision, 'the conflict carries the current version');
      assert.equal(stale.current.value, val(2));
      await rejects(b.update(`${P}nope`, val(1), 1), NotFoundError);
      assert.equal((await b.get(`${P}a`)).kv?.value, val(2));
      await b.close();
    });

    test('concurrent updates from one revision: exactly one wins', async () => {
      const b = await open();
      const { revision } = await b.create(`${P}a`, val(0));
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => b.update(`${P}a`, val(i + 1), revision)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const conflicts = results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError);
      assert.equal(ok.length, 1);
      assert.equal(conflicts.length, 9);
      await b.close();
    });

    test('delete: missing key, stale precondition, and the deleted value', async () => {
      const b = await open();
      await rejects(b.delete(`${P}a`), NotFoundError);
      const { revision: r1 } = await b.create(`${P}a`, val(1));
      const { revision: r2 } = await b.update(`${P}a`, val(2), r1);
      await rejects(b.delete(`${P}a`, r1), ConflictError);
      const d = await b.delete(`${P}a`, r2);
      assert.equal(d.revision, r2 + 1);
      assert.equal(d.kv.value, val(2));
      assert.equal(d.kv.modRevision, d.revision);
      assert.equal((await b.get(`${P}a`)).kv, undefined);
      // The key can be created again, as a new life with a new createRevision.
      const { revision: r4 } = await b.create(`${P}a`, val(3));
      assert.equal((await b.get(`${P}a`)).kv?.createRevision, r4);
      await b.close();
    });

    test('list is ordered, prefix-bounded, and paginates at a consistent revision', async () => {
      const b = await open();
      for (let i = 0; i < 25; i++) await b.create(`${P}k${String(i).padStart(2, '0')}`, val(i));
      await b.create('/registry/thingsx/other', val('x'));
      await b.create('/registry/thing', val('y'));
      const first = await b.list(P, { limit: 10 });
      assert.equal(first.kvs.length, 10);
      assert.equal(first.more, true);
      assert.equal(first.kvs[0]!.key, `${P}k00`);
      // Changes after the first page must not show in later pages read at the first page's revision.
      const k15 = (await b.get(`${P}k15`)).kv!;
      await b.update(`${P}k15`, val('changed'), k15.modRevision);
      await b.delete(`${P}k20`);
      await b.create(`${P}k12a`, val('new'));
      const keys = first.kvs.map((kv) => kv.key);
      let startKey = `${first.kvs[first.kvs.length - 1]!.key}\0`;
      for (;;) {
        const page = await b.list(P, { limit: 10, startKey, revision: first.revision });
        assert.equal(page.revision, first.revision);
        keys.push(...page.kvs.map((kv) => kv.key));
        const k15v = page.kvs.find((kv) => kv.key === `${P}k15`);
        if (k15v) assert.equal(k15v.value, val(15));
        if (!page.more) break;
        startKey = `${page.kvs[page.kvs.length - 1]!.key}\0`;
      }
      assert.deepEqual(keys, Array.from({ length: 25 }, (_, i) => `${P}k${String(i).padStart(2, '0')}`));
      // And the current view shows the changes.
      const now = await b.list(P);
      assert.equal(now.kvs.length, 25);
      assert.ok(now.kvs.some((kv) => kv.key === `${P}k12a`));
      assert.ok(!now.kvs.some((kv) => kv.key === `${P}k20`));
      assert.equal((await b.count(P)).count, 25);
      assert.equal((await b.count('/registry/thingsx/')).count, 1);
      await b.close();
    });

    test('get and list at an old revision see the old values', async () => {
      const b = await open();
      const { revision: r1 } = await b.create(`${P}a`, val(1));
      await b.create(`${P}b`, val(1));
      const { revision: r3 } = await b.update(`${P}a`, val(2), r1);
      await b.delete(`${P}b`);
      assert.equal((await b.get(`${P}a`, r1)).kv?.value, val(1));
      assert.equal((await b.get(`${P}a`, r3)).kv?.value, val(2));
      assert.equal((await b.get(`${P}b`, r3)).kv?.value, val(1));
      const old = await b.list(P, { revision: r1 + 1 });
      assert.deepEqual(old.kvs.map((kv) => [kv.key, kv.value]), [[`${P}a`, val(1)], [`${P}b`, val(1)]]);
      assert.deepEqual((await b.list(P)).kvs.map((kv) => kv.value), [val(2)]);
      await b.close();
    });

    test('watch delivers every change in revision order without gaps', async () => {
      const b = await open();
      const { revision: start } = await b.status();
      const ac = new AbortController();
      const w = b.watch(P, start, ac.signal);
      // 100 concurrent writes land in few group commits; the watcher still sees each one.
      await Promise.all(Array.from({ length: 100 }, (_, i) => b.create(`${P}k${i}`, val(i))));
      await b.create('/registry/other/x', val(0));
      const events = await collect(w, 100);
      ac.abort();
      assert.equal(events.length, 100);
      events.forEach((ev, i) => {
        assert.equal(ev.type, 'PUT');
        assert.equal(ev.kv.modRevision, start + 1 + i);
        assert.equal(ev.prevKv, undefined);
      });
      await b.close();
    });

    test('watch from an old revision replays history, then continues live', async () => {
      const b = await open();
      for (let i = 0; i < 5; i++) await b.create(`${P}a${i}`, val(i));
      const { revision: r0 } = await b.status();
      const a0 = (await b.get(`${P}a0`)).kv!;
      await b.update(`${P}a0`, val('u'), a0.modRevision);
      await b.delete(`${P}a1`);
      for (let i = 0; i < 3; i++) await b.create(`${P}b${i}`, val(i));
      const ac = new AbortController();
      const w = b.watch(P, r0, ac.signal);
      const replay = await collect(w, 5);
      assert.deepEqual(replay.map((e) => [e.type, e.kv.key, e.kv.modRevision]), [
        ['PUT', `${P}a0`, r0 + 1],
        ['DELETE', `${P}a1`, r0 + 2],
        ['PUT', `${P}b0`, r0 + 3],
        ['PUT', `${P}b1`, r0 + 4],
        ['PUT', `${P}b2`, r0 + 5],
      ]);
      assert.equal(replay[0]!.prevKv?.value, val(0), 'an update carries the previous value');
      assert.equal(replay[1]!.kv.value, val(1), 'a delete carries the last value');
      const { revision: live } = await b.create(`${P}c`, val('live'));
      const more = await collect(w, 1);
      assert.deepEqual(more.map((e) => e.kv.modRevision), [live]);
      ac.abort();
      await b.close();
    });

    test('live watch events carry prevKv for updates and deletes', async () => {
      const b = await open();
      const { revision } = await b.create(`${P}a`, val(1));
      const ac = new AbortController();
      const w = b.watch(P, revision, ac.signal);
      const u = await b.update(`${P}a`, val(2), revision);
      await b.delete(`${P}a`, u.revision);
      const events = await collect(w, 2);
      ac.abort();
      assert.deepEqual(events.map((e) => [e.type, e.kv.value, e.prevKv?.value]), [
        ['PUT', val(2), val(1)],
        ['DELETE', val(2), val(2)],
      ]);
      await b.close();
    });

    test('compaction: old revisions and watches refuse, live data stays', async () => {
      const b = await open();
      const { revision: r1 } = await b.create(`${P}a`, val(1));
      await b.create(`${P}b`, val(1));
      await b.update(`${P}a`, val(2), r1);
      await b.delete(`${P}b`);
      const { revision: r5 } = await b.create(`${P}c`, val(1));
      await b.compact(r5 - 1);
      assert.equal((await b.status()).compactRevision, r5 - 1);
      await rejects(b.get(`${P}a`, r1), CompactedError);
      await rejects(b.list(P, { revision: r1 }), CompactedError);
      const ac = new AbortController();
      const err = await rejects(collect(b.watch(P, r1, ac.signal), 1), CompactedError);
      assert.equal(err.compactRevision, r5 - 1);
      // From the compact revision itself, the rest of history is still there.
      const rest = await collect(b.watch(P, r5 - 1, ac.signal), 1);
      assert.deepEqual(rest.map((e) => e.kv.key), [`${P}c`]);
      ac.abort();
      assert.deepEqual((await b.list(P)).kvs.map((kv) => [kv.key, kv.value]), [[`${P}a`, val(2)], [`${P}c`, val(1)]]);
      assert.equal((await b.get(`${P}a`, r5 - 1)).kv?.value, val(2));
      // Compacting backwards is a no-op, and to the future is refused.
      await b.compact(r1);
      assert.equal((await b.status()).compactRevision, r5 - 1);
      await rejects(b.compact(r5 + 100), InvalidInputError);
      await b.close();
    });

    test('a key with a lease expires and watchers see it deleted', async () => {
      const b = await open();
      const { revision } = await b.create(`${P}ttl`, val(1), 60);
      await b.create(`${P}forever`, val(1));
      const kv = (await b.get(`${P}ttl`)).kv!;
      assert.equal(kv.expiresAt, clock.t + 60_000);
      const ac = new AbortController();
      const w = b.watch(P, revision + 1, ac.signal);
      clock.t += 59_000;
      await new Promise((r) => setTimeout(r, 60));
      assert.ok((await b.get(`${P}ttl`)).kv, 'not yet expired');
      clock.t += 2_000;
      const events = await collect(w, 1);
      ac.abort();
      assert.deepEqual(events.map((e) => [e.type, e.kv.key]), [['DELETE', `${P}ttl`]]);
      assert.equal((await b.get(`${P}ttl`)).kv, undefined);
      assert.ok((await b.get(`${P}forever`)).kv);
      await b.close();
    });

    test('an update keeps the lease unless it sets a new one', async () => {
      const b = await open();
      const { revision } = await b.create(`${P}ttl`, val(1), 60);
      const u1 = await b.update(`${P}ttl`, val(2), revision);
      assert.equal(u1.kv.expiresAt, clock.t + 60_000);
      const u2 = await b.update(`${P}ttl`, val(3), u1.revision, 120);
      assert.equal(u2.kv.expiresAt, clock.t + 120_000);
      const u3 = await b.update(`${P}ttl`, val(4), u2.revision, 0);
      assert.equal(u3.kv.expiresAt, 0);
      await b.close();
    });

    test('group commit: concurrent writes get distinct revisions and fail alone', async () => {
      const b = await open();
      await b.create(`${P}exists`, val(0));
      const { revision: r0 } = await b.status();
      const ops = Array.from({ length: 50 }, (_, i) => b.create(`${P}g${i}`, val(i)));
      const dup = b.create(`${P}exists`, val(1));
      const results = await Promise.allSettled([...ops, dup]);
      const revs = results.slice(0, 50).map((r) => (r.status === 'fulfilled' ? r.value.revision : -1));
      assert.deepEqual([...revs].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => r0 + 1 + i));
      const last = results[50]!;
      assert.ok(last.status === 'rejected' && last.reason instanceof KeyExistsError);
      assert.equal((await b.status()).revision, r0 + 50);
      await b.close();
    });

    test('a watcher that falls behind its buffer is ended with WatchOverflow', async () => {
      const b = await open({ watchBufferEvents: 10 });
      const { revision } = await b.status();
      const ac = new AbortController();
      const it = b.watch(P, revision, ac.signal)[Symbol.asyncIterator]();
      for (let i = 0; i < 30; i++) await b.create(`${P}o${i}`, val(i));
      await rejects(it.next(), WatchOverflowError);
      // Other watchers and the store are unaffected.
      assert.equal((await b.count(P)).count, 30);
      ac.abort();
      await b.close();
    });

    test('bad input is rejected with InvalidInput and writes nothing', async () => {
      const b = await open();
      await b.create(`${P}a`, val(1));
      const before = await b.status();
      const bad: Array<() => Promise<unknown>> = [
        () => b.create('', val(1)),
        () => b.create('/other/a', val(1)),
        () => b.create('/registry/', val(1)),
        () => b.create(`${P}x\0y`, val(1)),
        () => b.create(`${P}b`, 'not json'),
        () => b.create(`${P}b`, ''),
        () => b.create(`${P}b`, val(1), -5),
        () => b.create(`${P}b`, val(1), 1.5),
        () => b.update(`${P}a`, '{"broken":', before.revision),
        () => b.update(`${P}a`, val(2), -1),
        () => b.delete(`${P}a`, -1),
        () => b.get(`${P}a`, -1),
        () => b.get(`${P}a`, Number.NaN),
        () => b.get(`${P}a`, before.revision + 10),
        () => b.list('/nope/'),
        () => b.list(P, { limit: -1 }),
        () => b.list(P, { startKey: '/registry/elsewhere/a' }),
        () => b.compact(-1),
      ];
      for (const call of bad) await rejects(call(), InvalidInputError);
      const ac = new AbortController();
      await rejects(collect(b.watch(P, -3, ac.signal), 1), InvalidInputError);
      await rejects(collect(b.watch('/elsewhere/', 0, ac.signal), 1), InvalidInputError);
      assert.deepEqual(await b.status(), before);
      assert.equal((await b.get(`${P}a`)).kv?.value, val(1));
      await b.close();
    });

    test('after close, calls fail with Closed and watchers end', async () => {
      const b = await open();
      const { revision } = await b.create(`${P}a`, val(1));
      const ac = new AbortController();
      const it = b.watch(P, revision, ac.signal)[Symbol.asyncIterator]();
      const pending = it.next();
      await b.close();
      await rejects(pending, ClosedError);
      await rejects(b.create(`${P}b`, val(1)), ClosedError);
      await rejects(b.get(`${P}a`), ClosedError);
    });

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory);
      test('restart: data, revisions and history survive close and reopen', async () => {
        const b = await open();
        for (let i = 0; i < 10; i++) await b.create(`${P}r${i}`, val(i));
        const mid = (await b.status()).revision;
        const r3 = (await b.get(`${P}r3`)).kv!;
        await b.update(`${P}r3`, val('u'), r3.modRevision);
        await b.delete(`${P}r4`);
        await b.create(`${P}ttl`, val(1), 30);
        await b.compact(mid - 2);
        const before = await b.status();
        await b.close();
        const b2 = await reopen({ clock });
        assert.deepEqual(await b2.status(), before);
        assert.equal((await b2.count(P)).count, 10);
        assert.equal((await b2.get(`${P}r3`)).kv?.value, val('u'));
        assert.equal((await b2.get(`${P}ttl`)).kv?.expiresAt, clock.t + 30_000);
        // History is kept across the restart: a watch from before it resumes without a gap.
        const ac = new AbortController();
        const events = await collect(b2.watch(P, mid, ac.signal), 3);
        ac.abort();
        assert.deepEqual(events.map((e) => [e.type, e.kv.modRevision]), [['PUT', mid + 1], ['DELETE', mid + 2], ['PUT', mid + 3]]);
        const { revision } = await b2.create(`${P}next`, val(1));
        assert.equal(revision, before.revision + 1);
        await b2.close();
      });

      test('restart: the revision never goes backwards, even when the newest row was compacted away', async () => {
        const b = await open();
        const { revision: r1 } = await b.create(`${P}x`, val(1));
        const d = await b.delete(`${P}x`, r1);
        await b.compact(d.revision);
        await b.close();
        const b2 = await reopen({ clock });
        assert.equal((await b2.status()).revision, d.revision);
        assert.equal((await b2.create(`${P}y`, val(1))).revision, d.revision + 1);
        await b2.close();
      });
    }
  });
}
