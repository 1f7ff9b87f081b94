// The node lifecycle controller against a real in-process API server, with a FakeClock for the
// grace periods, tolerationSeconds and the tainting rate limit. (Test-only imports of the server
// and the memory store are fine here.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event, Node, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { admitDefaultTolerations } from '../../apiserver/admission/default_tolerations.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer } from '../../apiserver/server.js';
import { FakeClock } from '../../client/clock.js';
import { LocalClient } from '../../client/local.js';
import { resourceRef, type ResourceClient } from '../../client/resource_client.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { nodeLifecycleController } from './controller.js';
import { startControllers, until, type Harness } from './testing.js';
import { microTime } from '../../api/time.js';

interface World {
  clock: FakeClock;
  nodes: ResourceClient<Node>;
  pods: ResourceClient<Pod>;
  leases: ResourceClient<Lease>;
  events: ResourceClient<Event>;
  h: Harness;
  /** Renews these nodes' leases on every step. */
  alive: Set<string>;
  close(): Promise<void>;
}

async function world(options: Record<string, number> = {}): Promise<World> {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const clock = new FakeClock(Date.now());
  const w: World = {
    clock,
    nodes: source.resource<Node>(resourceRef('', 'v1', 'nodes')),
    pods: source.resource<Pod>(resourceRef('', 'v1', 'pods')),
    leases: source.resource<Lease>(resourceRef('coordination.k8s.io', 'v1', 'leases')),
    events: source.resource<Event>(resourceRef('', 'v1', 'events')),
    h: undefined as unknown as Harness,
    alive: new Set(),
    close: async () => {
      await w.h?.stop();
      if (process.env.DEBUG_CONTROLLER_ERRORS) for (const e of w.h?.errors ?? []) console.error("controller error:", e);
      await api.close();
      await backend.close();
    },
  };
  w.h = await startControllers([nodeLifecycleController()], { source, clock, apiUrl: api.url, options });
  return w;
}

async function addNode(w: World, name: string, labels: Record<string, string> = {}): Promise<void> {
  const now = new Date(w.clock.now()).toISOString();
  const res = { cpu: '4', memory: '8Gi', pods: '110' };
  await w.nodes.create('', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
  });
  await w.leases.create(NODE_LEASE_NS, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: NODE_LEASE_NS },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(w.clock.now()) },
  });
  w.alive.add(name);
}

const NODE_LEASE_NS = 'kube-node-lease';

async function renew(w: World, name: string): Promise<void> {
  const l = await w.leases.get(NODE_LEASE_NS, name);
  await w.leases.update(NODE_LEASE_NS, { ...l, spec: { ...l.spec, renewTime: microTime(w.clock.now()) } });
}

/** Tolerating the NoExecute taints for 0 s: with the API's DefaultTolerationSeconds admission on
 * (as upstream), this is how a pod says it must leave a failed node at once. */
const LEAVE_AT_ONCE: Toleration[] = [
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
];

async function addPod(w: World, name: string, node: string, tolerations?: Toleration[], defaults = false): Promise<void> {
  const given = tolerations ?? (defaults ? undefined : LEAVE_AT_ONCE);
  let pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }], ...(given ? { tolerations: given } : {}) } };
  if (defaults) pod = admitDefaultTolerations(pod);
  const created = await w.pods.create('default', pod);
  const now = new Date(w.clock.now()).toISOString();
  await w.pods.updateStatus('default', { ...created, status: { ...created.status, phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } });
}

/** Moves the fake clock in steps (renewing the alive nodes' leases) until `fn` holds. */
async function advanceUntil<T>(w: World, fn: () => Promise<T> | T, opts: { stepMs?: number; maxMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const step = opts.stepMs ?? 1000;
  const max = opts.maxMs ?? 600_000;
  const start = w.clock.now();
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (w.clock.now() - start > max) throw new Error(`fake time ran out waiting for ${opts.what ?? 'condition'}`);
    for (const n of w.alive) await renew(w, n);
    await w.clock.advance(step);
    // Let the controller's API calls (real I/O, not timers) finish.
    await new Promise((r) => setTimeout(r, 5));
  }
}

function hasTaint(n: Node, key: string, effect: string): boolean {
  return (n.spec?.taints ?? []).some((t) => t.key === key && t.effect === effect);
}

async function isEvicted(w: World, name: string): Promise<boolean> {
  try {
    return !!(await w.pods.get('default', name)).metadata?.deletionTimestamp;
  } catch {
    return true;
  }
}

test('a node whose lease stops becomes Unknown and unreachable-tainted; pods are evicted by their tolerations; recovery lifts the taints', { timeout: 60_000 }, async () => {
  const w = await world();
  try {
    await addNode(w, 'n1');
    await addNode(w, 'n2');
    await addPod(w, 'no-toleration', 'n1');
    await addPod(w, 'default-300', 'n1', undefined, true);
    await addPod(w, 'forever', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
    await addPod(w, 'other-node', 'n2');
    // The controller sees both nodes healthy first.
    await advanceUntil(w, async () => (await w.events.list('default')).items.filter((e) => e.reason === 'RegisteredNode').length === 2, { what: 'RegisteredNode events' });

    w.alive.delete('n1');
    const silentSince = w.clock.now();
    const n1 = await advanceUntil(w, async () => {
      const n = await w.nodes.get('', 'n1');
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
    }, { what: 'Ready=Unknown' });
    const elapsed = w.clock.now() - silentSince;
    // The last renewal is noticed up to one period late, and Unknown is written at the first pass past the grace.
    assert.ok(elapsed > 40_000 && elapsed <= 40_000 + 2 * 5_000 + 1_000, `Unknown after ${elapsed} ms (grace 40 s, period 5 s)`);
    const ready = n1.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'NodeStatusUnknown');
    assert.equal(ready?.message, 'Kubelet stopped posting node status.');
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const c = n1.status?.conditions?.find((x) => x.type === t);
      assert.equal(c?.status, 'Unknown', t);
      assert.equal(c?.reason, 'NodeStatusNeverUpdated', t);
    }
    assert.equal((await w.nodes.get('', 'n2')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

    // Pods on the node are marked not ready (MarkPodsNotReady) ...
    await until(async () => (await w.pods.get('default', 'forever')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False', 5000, 'pod Ready=False');
    assert.equal((await w.pods.get('default', 'other-node')).status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

    // ... the node gets the NoExecute (and NoSchedule) unreachable taints with timeAdded ...
    const tainted = await advanceUntil(w, async () => {
      const n = await w.nodes.get('', 'n1');
      return hasTaint(n, 'node.kubernetes.io/unreachable', 'NoExecute') ? n : undefined;
    }, { what: 'unreachable taint' });
    const taint = tainted.spec?.taints?.find((t) => t.effect === 'NoExecute');
    assert.ok(taint?.timeAdded, 'timeAdded is set');
    await advanceUntil(w, async () => hasTaint(await w.nodes.get('', 'n1'), 'node.kubernetes.io/unreachable', 'NoSchedule'), { what: 'NoSchedule taint' });
    assert.ok(!hasTaint(await w.nodes.get('', 'n2'), 'node.kubernetes.io/unreachable', 'NoExecute'));

    // ... a pod without a matching toleration goes at once ...
    await until(() => isEvicted(w, 'no-toleration'), 5000, 'eviction of the untolerating pod');
    const evictedAt = w.clock.now();
    const gone = await w.pods.get('default', 'no-toleration').catch(() => undefined);
    if (gone) assert.equal(gone.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
    assert.equal(await isEvicted(w, 'default-300'), false);

    // ... one with the default 300 s toleration after 300 s, and one tolerating forever never.
    await advanceUntil(w, () => isEvicted(w, 'default-300'), { stepMs: 5000, what: 'eviction after 300 s' });
    const waited = w.clock.now() - evictedAt;
    assert.ok(waited >= 295_000 && waited <= 310_000, `evicted after ${waited} ms`);
    assert.equal(await isEvicted(w, 'forever'), false);
    assert.equal(await isEvicted(w, 'other-node'), false);

    const reasons = new Set((await w.events.list('default')).items.map((e) => e.reason));
    for (const r of ['NodeNotReady', 'TaintManagerEviction']) assert.ok(reasons.has(r), `event ${r}`);

    // The kubelet comes back: lease renewed and Ready posted again.
    w.alive.add('n1');
    const n = await w.nodes.get('', 'n1');
    const now = new Date(w.clock.now()).toISOString();
    await w.nodes.updateStatus('', {
      ...n,
      status: { ...n.status, conditions: (n.status?.conditions ?? []).map((c) => ({ ...c, status: c.type === 'Ready' ? 'True' : 'False', reason: 'KubeletReady', message: '', lastHeartbeatTime: now, lastTransitionTime: now })) },
    });
    await advanceUntil(w, async () => (await w.nodes.get('', 'n1')).spec?.taints?.length === 0 || !(await w.nodes.get('', 'n1')).spec?.taints, { what: 'taints removed' });
    assert.equal(await isEvicted(w, 'forever'), false);
  } finally {
    await w.close();
  }
});

test('Ready=False with fresh heartbeats gives the not-ready NoExecute taint', { timeout: 30_000 }, async () => {
  const w = await world();
  try {
    await addNode(w, 'a');
    await addNode(w, 'b');
    await addPod(w, 'p', 'a');
    await advanceUntil(w, async () => (await w.events.list('default')).items.filter((e) => e.reason === 'RegisteredNode').length === 2, { what: 'registration' });
    // The kubelet reports not ready (and keeps its lease): not-ready, not unreachable.
    const n = await w.nodes.get('', 'a');
    const now = new Date(w.clock.now()).toISOString();
    await w.nodes.updateStatus('', { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastHeartbeatTime: now, lastTransitionTime: now }] } });
    const tainted = await advanceUntil(w, async () => {
      const x = await w.nodes.get('', 'a');
      return hasTaint(x, 'node.kubernetes.io/not-ready', 'NoExecute') ? x : undefined;
    }, { what: 'not-ready taint' });
    assert.ok(!hasTaint(tainted, 'node.kubernetes.io/unreachable', 'NoExecute'));
    assert.ok(hasTaint(tainted, 'node.kubernetes.io/not-ready', 'NoSchedule'));
    await until(() => isEvicted(w, 'p'), 5000, 'eviction');
  } finally {
    await w.close();
  }
});

test('tainting is rate-limited per zone: the second silent node waits for a token (0.1/s)', { timeout: 60_000 }, async () => {
  const w = await world();
  try {
    for (const n of ['s1', 's2', 'h1', 'h2', 'h3']) await addNode(w, n);
    await advanceUntil(w, async () => (await w.events.list('default')).items.filter((e) => e.reason === 'RegisteredNode').length === 5, { what: 'registration' });
    w.alive.delete('s1');
    w.alive.delete('s2');
    const first = await advanceUntil(w, async () => {
      const [a, b] = await Promise.all([w.nodes.get('', 's1'), w.nodes.get('', 's2')]);
      const ta = hasTaint(a, 'node.kubernetes.io/unreachable', 'NoExecute');
      const tb = hasTaint(b, 'node.kubernetes.io/unreachable', 'NoExecute');
      return ta || tb ? { ta, tb, at: w.clock.now() } : undefined;
    }, { stepMs: 100, what: 'first taint' });
    assert.ok(first.ta !== first.tb, 'only one node is tainted at first');
    const second = await advanceUntil(w, async () => {
      const [a, b] = await Promise.all([w.nodes.get('', 's1'), w.nodes.get('', 's2')]);
      return hasTaint(a, 'node.kubernetes.io/unreachable', 'NoExecute') && hasTaint(b, 'node.kubernetes.io/unreachable', 'NoExecute') ? w.clock.now() : undefined;
    }, { stepMs: 500, what: 'second taint' });
    const gap = second - first.at;
    assert.ok(gap >= 9_000 && gap <= 12_000, `second taint ${gap} ms after the first (one token per 10 s)`);
  } finally {
    await w.close();
  }
});

test('when every node of every zone is down, nothing is tainted (disruption mode)', { timeout: 30_000 }, async () => {
  const w = await world({ nodeMonitorGracePeriodMs: 10_000 });
  try {
    await addNode(w, 'only');
    await addPod(w, 'p', 'only');
    await advanceUntil(w, async () => (await w.events.list('default')).items.some((e) => e.reason === 'RegisteredNode'), { what: 'registration' });
    w.alive.delete('only');
    await advanceUntil(w, async () => (await w.nodes.get('', 'only')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown', { what: 'Unknown' });
    // Several more monitor periods: still no NoExecute taint, pod stays.
    const end = w.clock.now() + 60_000;
    await advanceUntil(w, () => w.clock.now() >= end, { stepMs: 1000 });
    assert.ok(!hasTaint(await w.nodes.get('', 'only'), 'node.kubernetes.io/unreachable', 'NoExecute'));
    assert.equal(await isEvicted(w, 'p'), false);
  } finally {
    await w.close();
  }
});
