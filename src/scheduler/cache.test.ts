import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.js';
import { Snapshot } from './framework/snapshot.js';
import { podInfoOf } from './framework/pod_info.js';
import { numFeasibleNodesToFind } from './framework/framework.js';
import { FakeClock, makeNode, makePod } from './testing.js';

describe('SchedulerCache', () => {
  it('assume, confirm by informer, forget', () => {
    const c = new SchedulerCache({ clock: new FakeClock() });
    c.addNode(makeNode('n', { cpu: '4' }));
    const pod = makePod('p', { requests: { cpu: '1' } });
    const pi = podInfoOf(pod);
    c.assumePod(pi, 'n');
    assert.equal(c.nodeInfo('n')!.requested.milliCPU, 1000);
    assert.ok(c.isAssumedPod(pod));
    c.forgetPod(pi);
    assert.equal(c.nodeInfo('n')!.requested.milliCPU, 0);
    c.assumePod(pi, 'n');
    c.finishBinding(pi);
    c.addPod({ ...pod, spec: { ...pod.spec!, nodeName: 'n' } });
    assert.equal(c.isAssumedPod(pod), false);
    assert.equal(c.nodeInfo('n')!.pods.length, 1);
    assert.equal(c.nodeInfo('n')!.requested.milliCPU, 1000);
  });

  it('assumed pods expire after the TTL once binding finished, not before', () => {
    const clock = new FakeClock();
    const c = new SchedulerCache({ clock, assumedPodTtlMs: 30_000 });
    c.addNode(makeNode('n'));
    const pi = podInfoOf(makePod('p', { requests: { cpu: '1' } }));
    c.assumePod(pi, 'n');
    clock.advance(60_000);
    assert.equal(c.cleanupAssumedPods().length, 0, 'binding not finished: never expires');
    c.finishBinding(pi);
    clock.advance(29_999);
    assert.equal(c.cleanupAssumedPods().length, 0);
    clock.advance(1);
    assert.deepEqual(c.cleanupAssumedPods().map((p) => p.name), ['p']);
    assert.equal(c.nodeInfo('n')!.requested.milliCPU, 0);
  });

  it('snapshots update incrementally and in place', () => {
    const c = new SchedulerCache({ clock: new FakeClock() });
    for (let i = 0; i < 4; i++) c.addNode(makeNode(`n${i}`, { labels: { 'topology.kubernetes.io/zone': `z${i % 2}` } }));
    const snap = new Snapshot();
    c.updateSnapshot(snap);
    assert.deepEqual(snap.nodeInfoList.map((n) => n.name), ['n0', 'n1', 'n2', 'n3']); // zones interleaved
    const n2 = snap.get('n2')!;
    const before = snap.get('n0')!;
    const gen = snap.generation;
    c.addPod(makePod('p', { nodeName: 'n2', requests: { cpu: '1' } }));
    c.updateSnapshot(snap);
    assert.ok(snap.generation > gen);
    assert.equal(snap.get('n2'), n2, 'same object, updated in place');
    assert.equal(n2.pods.length, 1);
    assert.equal(snap.get('n0'), before);
    // The snapshot is a copy: later cache changes do not leak in until the next update.
    c.addPod(makePod('q', { nodeName: 'n2' }));
    assert.equal(n2.pods.length, 1);
    c.removeNode(makeNode('n3'));
    c.updateSnapshot(snap);
    assert.equal(n2.pods.length, 2);
    assert.deepEqual(snap.nodeInfoList.map((n) => n.name), ['n0', 'n1', 'n2']);
  });

  it('affinity indexes follow pods with (anti-)affinity', () => {
    const c = new SchedulerCache({ clock: new FakeClock() });
    c.addNode(makeNode('a'));
    c.addNode(makeNode('b'));
    const snap = new Snapshot();
    c.updateSnapshot(snap);
    assert.equal(snap.havePodsWithRequiredAntiAffinityList.length, 0);
    c.addPod(makePod('x', { nodeName: 'b', spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: {} }] } } } }));
    c.updateSnapshot(snap);
    assert.deepEqual(snap.havePodsWithRequiredAntiAffinityList.map((n) => n.name), ['b']);
    assert.deepEqual(snap.havePodsWithAffinityList.map((n) => n.name), ['b']);
  });

  it('rejects malformed capacity without registering the node', () => {
    const c = new SchedulerCache({ clock: new FakeClock() });
    const n = makeNode('bad');
    n.status!.allocatable = { memory: '12 GB' };
    assert.throws(() => c.addNode(n));
    assert.equal(c.nodeCount(), 0);
  });
});

describe('numFeasibleNodesToFind', () => {
  const cases: [number | undefined, number, number][] = [
    [undefined, 50, 50], [undefined, 99, 99], [undefined, 100, 100], [undefined, 1000, 420], [undefined, 5000, 500],
    [undefined, 6000, 300], [undefined, 15000, 750], [10, 500, 100], [50, 5000, 2500], [100, 5000, 5000],
  ];
  for (const [pct, n, want] of cases) {
    it(`${n} nodes at ${pct ?? 'adaptive'}% → ${want}`, () => assert.equal(numFeasibleNodesToFind(pct, n), want));
  }
});
