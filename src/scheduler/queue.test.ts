import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EVENTS, SchedulingQueue } from './queue.js';
import { FakeClock, makePod } from './testing.js';
import { Code, Status } from './framework/status.js';

describe('SchedulingQueue', () => {
  it('pops by priority, then by arrival', () => {
    const clock = new FakeClock();
    const q = new SchedulingQueue({ clock });
    q.add(makePod('low', { priority: 1 }));
    clock.advance(1);
    q.add(makePod('high', { priority: 100 }));
    clock.advance(1);
    q.add(makePod('low2', { priority: 1 }));
    assert.deepEqual([q.pop(), q.pop(), q.pop()].map((e) => e?.podInfo.name), ['high', 'low', 'low2']);
    assert.equal(q.pop(), undefined);
  });

  it('backoff: 1 s doubling to 10 s per attempt', () => {
    const clock = new FakeClock();
    const q = new SchedulingQueue({ clock });
    const pod = makePod('p');
    q.add(pod);
    const durations: number[] = [];
    for (let i = 0; i < 6; i++) {
      const e = q.pop()!;
      durations.push(q.backoffDuration(e));
      e.lastError = new Error('x');
      q.addUnschedulableIfNotPresent(e, q.cycle);
      assert.equal(q.whereIs(pod.metadata!.uid!), 'backoff');
      clock.advance(durations[i]! - 1);
      assert.equal(q.pop(), undefined, 'still backing off');
      clock.advance(1);
    }
    assert.deepEqual(durations, [1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('parks rejected pods and moves them only on events their plugins registered', () => {
    const clock = new FakeClock();
    const q = new SchedulingQueue({ clock, eventsByPlugin: new Map([['NodeResourcesFit', [{ resource: 'Node', action: 'Add' }, { resource: 'AssignedPod', action: 'Delete' }]]]) });
    const pod = makePod('p');
    q.add(pod);
    const e = q.pop()!;
    e.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulableIfNotPresent(e, q.cycle);
    const uid = pod.metadata!.uid!;
    assert.equal(q.whereIs(uid), 'unschedulable');
    assert.equal(q.moveAllToActiveOrBackoff(EVENTS.NodeLabelChange), 0);
    assert.equal(q.whereIs(uid), 'unschedulable');
    assert.equal(q.moveAllToActiveOrBackoff(EVENTS.AssignedPodDelete), 1);
    assert.equal(q.whereIs(uid), 'backoff');
    clock.advance(1000);
    assert.equal(q.pop()?.podInfo.name, 'p');
  });

  it('a move request during the attempt sends the failed pod to backoff, not parking', () => {
    const q = new SchedulingQueue({ clock: new FakeClock() });
    const pod = makePod('p');
    q.add(pod);
    const e = q.pop()!;
    q.moveAllToActiveOrBackoff(EVENTS.NodeAdd);
    e.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulableIfNotPresent(e, q.cycle);
    assert.equal(q.whereIs(pod.metadata!.uid!), 'backoff');
  });

  it('flushes pods parked for 5 minutes', () => {
    const clock = new FakeClock();
    const q = new SchedulingQueue({ clock, eventsByPlugin: new Map([['X', []]]) });
    const pod = makePod('p');
    q.add(pod);
    const e = q.pop()!;
    e.unschedulablePlugins = new Set(['X']);
    q.addUnschedulableIfNotPresent(e, q.cycle);
    clock.advance(4 * 60_000);
    q.flush();
    assert.equal(q.whereIs(pod.metadata!.uid!), 'unschedulable');
    clock.advance(60_000);
    q.flush();
    assert.equal(q.whereIs(pod.metadata!.uid!), 'active');
  });

  it('PreEnqueue gates keep a pod parked until an update lifts them', () => {
    const q = new SchedulingQueue({
      clock: new FakeClock(),
      preEnqueue: (p) => (p.spec?.schedulingGates?.length ? new Status(Code.UnschedulableAndUnresolvable, ['gated'], 'SchedulingGates') : undefined),
    });
    const gated = makePod('g', { spec: { schedulingGates: [{ name: 'wait' }] } });
    q.add(gated);
    assert.equal(q.pop(), undefined);
    assert.equal(q.whereIs(gated.metadata!.uid!), 'unschedulable');
    const open = { ...gated, spec: { ...gated.spec!, schedulingGates: [] } };
    q.update(gated, open);
    assert.equal(q.pop()?.podInfo.name, 'g');
  });

  it('nominated pods by node', () => {
    const q = new SchedulingQueue({ clock: new FakeClock() });
    const pod = makePod('p', { priority: 5 });
    q.add(pod);
    const e = q.pop()!;
    q.addNominatedPod(e.podInfo, 'n1');
    assert.deepEqual(q.nominatedPodsForNode('n1').map((p) => p.name), ['p']);
    q.delete(pod);
    assert.deepEqual(q.nominatedPodsForNode('n1'), []);
  });
});
