// End-to-end tests of the scheduling core: Scheduler + queue + cache + framework + plugins,
// fed plain objects, with bind/recordFailure/preempt captured.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { Scheduler, type FailureInfo, type SchedulerOptions } from './scheduler.js';
import { FakeClock, makeNode, makePod } from './testing.js';
import { parseConfiguration } from './framework/config.js';
import { registry } from './plugins/registry.js';
import type { CycleState } from './framework/cycle_state.js';
import type { PodInfo } from './framework/pod_info.js';
import { Code, Status } from './framework/status.js';
import type { PermitPlugin, ReservePlugin } from './framework/interfaces.js';

function harness(extra: Partial<SchedulerOptions> = {}) {
  const bound = new Map<string, string>();
  const failures = new Map<string, FailureInfo>();
  const preempted: { victims: string[]; pod: string; node: string }[] = [];
  const clock = new FakeClock();
  const s = new Scheduler({
    bind: async (pod, node) => { bound.set(pod.metadata!.name!, node); },
    recordFailure: (pod, info) => { failures.set(pod.metadata!.name!, info); },
    preempt: (victims, pod, node) => { preempted.push({ victims: victims.map((v) => v.metadata!.name!), pod: pod.metadata!.name!, node }); },
    clock,
    ...extra,
  });
  const drain = async (): Promise<void> => {
    while (s.scheduleOne()) { /* schedule all ready pods */ }
    await s.idle();
    await new Promise((r) => setImmediate(r));
  };
  return { s, bound, failures, preempted, clock, drain };
}

describe('Scheduler', () => {
  it('FitError message: mixed reasons and preemption, exactly as upstream', async () => {
    const h = harness();
    h.s.addNode(makeNode('cp', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
    h.s.addNode(makeNode('w1', { cpu: '1' }));
    h.s.addNode(makeNode('w2', { cpu: '1' }));
    h.s.addPod(makePod('big', { requests: { cpu: '2' } }));
    await h.drain();
    assert.equal(h.failures.get('big')?.reason, 'Unschedulable');
    // The tainted node is UnschedulableAndUnresolvable, so preemption calls it "not helpful";
    // the workers have no lower-priority pods to evict.
    assert.equal(h.failures.get('big')?.message,
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. '
      + 'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.');
  });

  it('FitError message: all nodes lack cpu', async () => {
    const h = harness();
    for (const n of ['a', 'b', 'c']) h.s.addNode(makeNode(n, { cpu: '1' }));
    h.s.addPod(makePod('big', { requests: { cpu: '2' } }));
    await h.drain();
    assert.equal(h.failures.get('big')?.message,
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
  });

  it('no nodes', async () => {
    const h = harness();
    h.s.addPod(makePod('p'));
    await h.drain();
    assert.equal(h.failures.get('p')?.message, 'no nodes available to schedule pods');
  });

  it('pixel-streaming shape: one GPU pod per node, the rest Insufficient nvidia.com/gpu', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) {
      h.s.addNode(makeNode(`gpu-${i}`, { cpu: '8', memory: '32Gi', extra: { 'nvidia.com/gpu': '1', 'ephemeral-storage': '100Gi' } }));
    }
    for (let i = 0; i < 5; i++) {
      h.s.addPod(makePod(`stream-${i}`, { requests: { cpu: '4', memory: '16Gi', 'ephemeral-storage': '50Gi', 'nvidia.com/gpu': '1' } }));
    }
    await h.drain();
    assert.equal(h.bound.size, 3);
    assert.deepEqual(new Set(h.bound.values()), new Set(['gpu-0', 'gpu-1', 'gpu-2']));
    assert.equal(h.failures.size, 2);
    for (const f of h.failures.values()) {
      assert.equal(f.message, '0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    }
    assert.equal(h.s.queue.stats().unschedulable, 2);
  });

  it('assumed pods count for the next cycle before the bind lands', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const h = harness({ bind: async () => { await gate; } });
    h.s.addNode(makeNode('n', { cpu: '1' }));
    h.s.addPod(makePod('a', { requests: { cpu: '800m' } }));
    h.s.addPod(makePod('b', { requests: { cpu: '800m' } }));
    assert.ok(h.s.scheduleOne());
    assert.ok(h.s.scheduleOne());
    await new Promise((r) => setImmediate(r)); // recordFailure is called asynchronously
    assert.match(h.failures.get('b')?.message ?? '', /Insufficient cpu/);
    release();
    await h.s.idle();
  });

  it('bind failure forgets the assumed pod, runs Unreserve, and requeues with backoff', async () => {
    const unreserved: string[] = [];
    const tracker: ReservePlugin = {
      name: 'Tracker',
      reserve: () => undefined,
      unreserve: (_s: CycleState, p: PodInfo) => { unreserved.push(p.name); },
    };
    let fail = true;
    const h = harness({
      registry: { ...registry, Tracker: () => tracker },
      config: { profiles: [{ schedulerName: 'default-scheduler', plugins: { reserve: { enabled: [{ name: 'Tracker' }] } } }] },
      bind: async (pod, node) => { if (fail) throw new Error('conflict'); h.bound.set(pod.metadata!.name!, node); },
    });
    h.s.addNode(makeNode('n', { cpu: '1' }));
    h.s.addPod(makePod('p', { requests: { cpu: '800m' } }));
    await h.drain();
    assert.deepEqual(unreserved, ['p']);
    assert.equal(h.s.cache.assumedCount(), 0);
    assert.equal(h.s.cache.nodeInfo('n')!.requested.milliCPU, 0);
    assert.equal(h.failures.get('p')?.reason, 'SchedulerError');
    assert.equal(h.s.queue.whereIs(h.s.queue.pendingPods()[0]!.metadata!.uid!), 'backoff');
    fail = false;
    h.clock.advance(1000);
    await h.drain();
    assert.equal(h.bound.get('p'), 'n');
  });

  it('Permit Wait holds binding until allowed; reject requeues', async () => {
    const permit: PermitPlugin = { name: 'Gang', permit: () => ({ status: new Status(Code.Wait), timeoutMs: 60_000 }) };
    const h = harness({
      registry: { ...registry, Gang: () => permit },
      config: { profiles: [{ schedulerName: 'default-scheduler', plugins: { permit: { enabled: [{ name: 'Gang' }] } } }] },
    });
    h.s.addNode(makeNode('n'));
    const a = makePod('a');
    const b = makePod('b');
    h.s.addPod(a);
    h.s.addPod(b);
    h.s.scheduleOne();
    h.s.scheduleOne();
    await new Promise((r) => setImmediate(r));
    assert.equal(h.bound.size, 0);
    const fwk = h.s.profiles.get('default-scheduler')!;
    const waiting: string[] = [];
    fwk.iterateWaitingPods((wp) => waiting.push(wp.pod.name));
    assert.deepEqual(waiting.sort(), ['a', 'b']);
    fwk.getWaitingPod(a.metadata!.uid!)!.allow('Gang');
    fwk.getWaitingPod(b.metadata!.uid!)!.reject('Gang', 'gang incomplete');
    await h.s.idle();
    assert.equal(h.bound.get('a'), 'n');
    assert.equal(h.bound.has('b'), false);
    assert.equal(h.failures.get('b')?.message, '0/1 nodes are available: 1 gang incomplete.');
    assert.equal(h.s.cache.assumedCount(), 1); // a stays assumed until the informer confirms it
  });

  it('extension points run in order', async () => {
    const calls: string[] = [];
    const mk = (name: string) => ({
      name,
      preFilter: () => { calls.push(`${name}.preFilter`); return undefined; },
      filter: () => { calls.push(`${name}.filter`); return undefined; },
      preScore: () => { calls.push(`${name}.preScore`); return undefined; },
      score: () => { calls.push(`${name}.score`); return 0; },
      reserve: () => { calls.push(`${name}.reserve`); return undefined; },
      unreserve: () => {},
      permit: () => { calls.push(`${name}.permit`); return {}; },
      preBind: async () => { calls.push(`${name}.preBind`); return undefined; },
      postBind: () => { calls.push(`${name}.postBind`); },
    });
    const h = harness({
      registry: { ...registry, P1: () => mk('P1'), P2: () => mk('P2') },
      config: { profiles: [{ schedulerName: 'default-scheduler', plugins: { multiPoint: { enabled: [{ name: 'P1' }, { name: 'P2' }] } } }] },
    });
    h.s.addNode(makeNode('n1'));
    h.s.addNode(makeNode('n2'));
    h.s.addPod(makePod('p'));
    await h.drain();
    assert.deepEqual(calls, [
      'P1.preFilter', 'P2.preFilter', 'P1.filter', 'P2.filter', 'P1.filter', 'P2.filter',
      'P1.preScore', 'P2.preScore', 'P1.score', 'P1.score', 'P2.score', 'P2.score',
      'P1.reserve', 'P2.reserve', 'P1.permit', 'P2.permit', 'P1.preBind', 'P2.preBind', 'P1.postBind', 'P2.postBind',
    ]);
  });

  it('preemption evicts the lowest-priority victim and nominates the node', async () => {
    const h = harness();
    h.s.addNode(makeNode('n1', { cpu: '2' }));
    h.s.addNode(makeNode('n2', { cpu: '2' }));
    h.s.addPod(makePod('mid', { requests: { cpu: '2' }, priority: 100, nodeName: 'n1' }));
    h.s.addPod(makePod('low', { requests: { cpu: '2' }, priority: 10, nodeName: 'n2' }));
    h.s.addPod(makePod('vip', { requests: { cpu: '2' }, priority: 1000 }));
    await h.drain();
    assert.deepEqual(h.preempted, [{ victims: ['low'], pod: 'vip', node: 'n2' }]);
    assert.equal(h.failures.get('vip')?.nominatedNodeName, 'n2');
    assert.equal(h.failures.get('vip')?.message, '0/2 nodes are available: 2 Insufficient cpu.');
    // The victim goes away; the preemptor then lands on its nominated node.
    const low = [...h.s.cache.nodeInfo('n2')!.pods][0]!.pod;
    h.s.deletePod(low);
    h.clock.advance(1000);
    await h.drain();
    assert.equal(h.bound.get('vip'), 'n2');
  });

  it('preemption picks fewer victims and respects PDBs', async () => {
    const pdb: PodDisruptionBudget = { metadata: { name: 'keep', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'keep' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
    const h = harness({ pdbs: () => [pdb] });
    h.s.addNode(makeNode('n1', { cpu: '2' }));
    h.s.addNode(makeNode('n2', { cpu: '2' }));
    h.s.addPod(makePod('protected', { requests: { cpu: '2' }, priority: 1, labels: { app: 'keep' }, nodeName: 'n1' }));
    h.s.addPod(makePod('x', { requests: { cpu: '1' }, priority: 5, nodeName: 'n2' }));
    h.s.addPod(makePod('y', { requests: { cpu: '1' }, priority: 5, nodeName: 'n2' }));
    h.s.addPod(makePod('vip', { requests: { cpu: '2' }, priority: 1000 }));
    await h.drain();
    // n1 needs one victim but violates the PDB; n2 needs two without violations.
    assert.equal(h.preempted.length, 1);
    assert.equal(h.preempted[0]!.node, 'n2');
    assert.deepEqual(h.preempted[0]!.victims.sort(), ['x', 'y']);
  });

  it('preemptionPolicy Never is not eligible', async () => {
    const h = harness();
    h.s.addNode(makeNode('n1', { cpu: '1' }));
    h.s.addPod(makePod('low', { requests: { cpu: '1' }, priority: 1, nodeName: 'n1' }));
    h.s.addPod(makePod('p', { requests: { cpu: '1' }, priority: 10, spec: { preemptionPolicy: 'Never' } }));
    await h.drain();
    assert.equal(h.preempted.length, 0);
    assert.equal(h.failures.get('p')?.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  });

  it('unknown schedulerName is left untouched; profiles from YAML', async () => {
    const config = parseConfiguration(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  plugins:
    score:
      disabled: [{name: NodeResourcesBalancedAllocation}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
`);
    const h = harness({ config });
    h.s.addNode(makeNode('empty', { cpu: '4' }));
    h.s.addNode(makeNode('busy', { cpu: '4' }));
    h.s.addPod(makePod('resident', { requests: { cpu: '2' }, nodeName: 'busy' }));
    h.s.addPod(makePod('stranger', { schedulerName: 'someone-else' }));
    for (let i = 0; i < 3; i++) h.s.addPod(makePod(`packed-${i}`, { requests: { cpu: '500m' }, schedulerName: 'bin-packing' }));
    await h.drain();
    assert.equal(h.bound.has('stranger'), false);
    assert.equal(h.failures.has('stranger'), false);
    assert.equal(h.s.queue.stats().active + h.s.queue.stats().unschedulable, 0);
    for (let i = 0; i < 3; i++) assert.equal(h.bound.get(`packed-${i}`), 'busy');
    const bp = h.s.profiles.get('bin-packing')!;
    assert.deepEqual(bp.scorePlugins.map((p) => p.plugin.name), ['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity', 'ImageLocality']);
  });

  it('a node with malformed capacity is ignored and reported', async () => {
    const bad: { name: string; err: string }[] = [];
    const h = harness({ onInvalidNode: (n, e) => bad.push({ name: n.metadata!.name!, err: e.message }) });
    const node = makeNode('broken');
    node.status!.allocatable = { cpu: 'lots' };
    h.s.addNode(node);
    h.s.addNode(makeNode('ok'));
    h.s.addPod(makePod('p'));
    await h.drain();
    assert.equal(bad.length, 1);
    assert.equal(bad[0]!.name, 'broken');
    assert.equal(h.bound.get('p'), 'ok');
  });

  it('unschedulable pods move back on a relevant event only', async () => {
    const h = harness();
    h.s.addNode(makeNode('n', { cpu: '1' }));
    const p = makePod('p', { requests: { cpu: '2' } });
    h.s.addPod(p);
    await h.drain();
    assert.equal(h.s.queue.whereIs(p.metadata!.uid!), 'unschedulable');
    // A label change is not something NodeResourcesFit registered for.
    h.s.updateNode(makeNode('n', { cpu: '1' }), makeNode('n', { cpu: '1', labels: { x: 'y' } }));
    assert.equal(h.s.queue.whereIs(p.metadata!.uid!), 'unschedulable');
    h.s.addNode(makeNode('n2', { cpu: '4' }));
    assert.notEqual(h.s.queue.whereIs(p.metadata!.uid!), 'unschedulable');
    h.clock.advance(1000);
    await h.drain();
    assert.equal(h.bound.get('p'), 'n2');
  });

  it('topology spread across zones end to end', async () => {
    const h = harness();
    for (const z of ['a', 'b', 'c']) for (let i = 0; i < 2; i++) h.s.addNode(makeNode(`${z}${i}`, { labels: { 'topology.kubernetes.io/zone': z } }));
    for (let i = 0; i < 6; i++) {
      h.s.addPod(makePod(`w${i}`, { labels: { app: 'w' }, spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'w' } } }] } }));
    }
    await h.drain();
    const perZone: Record<string, number> = {};
    for (const n of h.bound.values()) perZone[n[0]!] = (perZone[n[0]!] ?? 0) + 1;
    assert.deepEqual(perZone, { a: 2, b: 2, c: 2 });
  });

  it('anti-affinity keeps replicas apart end to end', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) h.s.addNode(makeNode(`n${i}`));
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'db' } } }] } };
    for (let i = 0; i < 4; i++) h.s.addPod(makePod(`db${i}`, { labels: { app: 'db' }, spec: { affinity: anti } }));
    await h.drain();
    assert.equal(new Set(h.bound.values()).size, 3);
    assert.equal(h.bound.size, 3);
    assert.match([...h.failures.values()][0]!.message, /^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./);
  });

  it('run() schedules until aborted and leaves no timers behind', async () => {
    const bound: string[] = [];
    const s = new Scheduler({ bind: async (p) => { bound.push(p.metadata!.name!); } });
    const ac = new AbortController();
    const done = s.run(ac.signal);
    s.addNode(makeNode('n'));
    for (let i = 0; i < 20; i++) s.addPod(makePod(`p${i}`));
    while (bound.length < 20) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await done;
    assert.equal(bound.length, 20);
  });
});

