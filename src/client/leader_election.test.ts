// LeaderElector against a real in-process API server, with short durations (lease 2 s, renew
// deadline 1.5 s, retry 0.2 s): one leader among candidates, fast hand-over on release, take-over
// after expiry when the leader vanishes, and stepping down when the lease is taken away.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startApiServer } from '../apiserver/server.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { LEASES, LeaderElector, type LeaderElectorOptions } from './leader_election.js';
import { microTime } from '../api/time.js';
import { RestClient } from './rest.js';

let server: { url: string; close(): Promise<void> };
let client: RestClient;

before(async () => {
  server = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  client = new RestClient({ baseUrl: server.url, component: 'leader-election-test' });
});

after(async () => {
  client.close();
  await server.close();
});

async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<number> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

interface Candidate {
  elector: LeaderElector;
  started: number;
  stopped: number;
  leaderSignals: AbortSignal[];
  errors: Error[];
}

function candidate(name: string, identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const c: Candidate = { started: 0, stopped: 0, leaderSignals: [], errors: [], elector: undefined as unknown as LeaderElector };
  c.elector = new LeaderElector({
    client: client.resource<Lease>(LEASES),
    name,
    identity,
    leaseDurationSeconds: 2,
    renewDeadlineSeconds: 1.5,
    retryPeriodSeconds: 0.2,
    onStartedLeading: (signal) => {
      c.started++;
      c.leaderSignals.push(signal);
    },
    onStoppedLeading: () => {
      c.stopped++;
    },
    onError: (e) => c.errors.push(e),
    ...extra,
  });
  return c;
}

test('microTime renders metav1.MicroTime', () => {
  assert.equal(microTime(Date.parse('2006-01-02T15:04:05.123Z')), '2006-01-02T15:04:05.123000Z');
});

test('options are checked as client-go does', () => {
  const base = { client: client.resource<Lease>(LEASES), name: 'x', identity: 'me', onStartedLeading: () => undefined };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }), /leaseDurationSeconds must be greater/);
  assert.throws(() => new LeaderElector({ ...base, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }), /retryPeriodSeconds\*1.2/);
  assert.throws(() => new LeaderElector({ ...base, identity: '' }), /identity/);
});

test('two candidates: one leads; stopping it releases the lease and the other takes over quickly', async () => {
  const a = candidate('scheduler', 'node-a');
  const b = candidate('scheduler', 'node-b');
  a.elector.start();
  b.elector.start();
  await eventually(() => a.elector.isLeader() || b.elector.isLeader(), 'a leader');
  // Watch for a while: never two leaders, no flapping.
  for (let i = 0; i < 15; i++) {
    assert.ok(!(a.elector.isLeader() && b.elector.isLeader()), 'two leaders at once');
    await new Promise((r) => setTimeout(r, 100));
  }
  const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
  assert.equal(leader.started, 1);
  assert.equal(follower.started, 0);
  assert.equal(follower.elector.getLeader(), leader.elector === a.elector ? 'node-a' : 'node-b');

  const lease = await client.resource<Lease>(LEASES).get('kube-system', 'scheduler');
  const leaderId = leader === a ? 'node-a' : 'node-b';
  assert.equal(lease.spec?.holderIdentity, leaderId);
  assert.equal(lease.spec?.leaseDurationSeconds, 2);
  assert.equal(lease.spec?.leaseTransitions, 0);
  assert.match(lease.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.match(lease.spec?.acquireTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  await leader.elector.stop();
  assert.equal(leader.elector.isLeader(), false);
  assert.equal(leader.stopped, 1);
  assert.equal(leader.leaderSignals[0]!.aborted, true, "the leader's work is told to stop");
  const took = await eventually(() => follower.elector.isLeader(), 'the follower to take over', 5000);
  assert.ok(took < 2000, `a released lease is taken within about one retry period, took ${took} ms`);
  const after = await client.resource<Lease>(LEASES).get('kube-system', 'scheduler');
  assert.equal(after.spec?.holderIdentity, leaderId === 'node-a' ? 'node-b' : 'node-a');
  assert.equal(after.spec?.leaseTransitions, 1);
  await follower.elector.stop();
  const released = await client.resource<Lease>(LEASES).get('kube-system', 'scheduler');
  assert.equal(released.spec?.holderIdentity, undefined, 'stop clears the holder');
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test('a leader that vanishes without releasing is replaced after the lease expires', async () => {
  const a = candidate('controller-manager', 'cm-a', { releaseOnStop: false });
  a.elector.start();
  await eventually(() => a.elector.isLeader(), 'a to lead');
  const b = candidate('controller-manager', 'cm-b');
  b.elector.start();
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.elector.isLeader(), false, 'a live leader keeps the lease');
  await a.elector.stop(); // no release: as if the process died
  const lease = await client.resource<Lease>(LEASES).get('kube-system', 'controller-manager');
  assert.equal(lease.spec?.holderIdentity, 'cm-a');
  const took = await eventually(() => b.elector.isLeader(), 'b to take over', 8000);
  assert.ok(took >= 1000, `not before the lease could have expired (took ${took} ms)`);
  await b.elector.stop();
});

test('a leader whose lease is taken away stops leading and campaigns again', async () => {
  const a = candidate('stolen', 'victim');
  a.elector.start();
  await eventually(() => a.elector.isLeader(), 'victim to lead');
  const leases = client.resource<Lease>(LEASES);
  const cur = await leases.get('kube-system', 'stolen');
  await leases.update('kube-system', { ...cur, spec: { ...cur.spec, holderIdentity: 'intruder', leaseDurationSeconds: 3, renewTime: microTime(Date.now()) } });
  await eventually(() => !a.elector.isLeader(), 'victim to step down', 5000);
  assert.equal(a.stopped, 1);
  assert.equal(a.leaderSignals[0]!.aborted, true);
  assert.equal(a.elector.getLeader(), 'intruder');
  // The intruder never renews, so the victim wins the lease back once it expires.
  await eventually(() => a.elector.isLeader(), 'victim to lead again', 10_000);
  assert.equal(a.started, 2);
  await a.elector.stop();
});
