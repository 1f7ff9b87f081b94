import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { lookupResource } from '../../api/resources.js';
import { podPrinter } from './pod.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const ctx = { now: NOW, resource: lookupResource('', 'v1', 'pods')! };

function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString();
}

/** [READY, STATUS, RESTARTS] of a pod built from spec and status. */
function summary(pod: Pod): [unknown, unknown, unknown] {
  const cells = podPrinter.cells({ metadata: { name: 'p', creationTimestamp: ago(60) }, ...pod } as Record<string, unknown>, ctx);
  return [cells[1], cells[2], cells[3]];
}

const one = { containers: [{ name: 'a' }] };
const running = { name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } };

test('phase and container states give STATUS', () => {
  assert.deepEqual(summary({ spec: one, status: { phase: 'Pending' } }), ['0/1', 'Pending', '0']);
  assert.deepEqual(summary({ spec: one, status: { phase: 'Running', containerStatuses: [running] } }), ['1/1', 'Running', '0']);
  assert.deepEqual(summary({ spec: one, status: { phase: 'Running', containerStatuses: [{ ...running, ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }] } }), ['0/1', 'ImagePullBackOff', '0']);
  assert.deepEqual(summary({ spec: one, status: { phase: 'Failed', containerStatuses: [{ ...running, ready: false, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] } }), ['0/1', 'OOMKilled', '0']);
  assert.deepEqual(summary({ spec: one, status: { phase: 'Failed', containerStatuses: [{ ...running, ready: false, state: { terminated: { exitCode: 3 } } }] } }), ['0/1', 'ExitCode:3', '0']);
  assert.deepEqual(summary({ spec: one, status: { phase: 'Failed', containerStatuses: [{ ...running, ready: false, state: { terminated: { exitCode: 0, signal: 9 } } }] } }), ['0/1', 'Signal:9', '0']);
  // status.reason (an eviction) overrides the phase.
  assert.deepEqual(summary({ spec: one, status: { phase: 'Failed', reason: 'Evicted' } }), ['0/1', 'Evicted', '0']);
  assert.deepEqual(summary({ spec: one, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }), ['0/1', 'SchedulingGated', '0']);
});

test('the first container wins STATUS; Completed with a running container is Running or NotReady', () => {
  const two = { containers: [{ name: 'a' }, { name: 'b' }] };
  const done = { ...running, name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  assert.deepEqual(summary({ spec: two, status: { phase: 'Running', containerStatuses: [{ ...running, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } }, { ...running, name: 'b' }] } }), ['1/2', 'CrashLoopBackOff', '0']);
  assert.deepEqual(summary({ spec: two, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [done, running] } }), ['1/2', 'Running', '0']);
  assert.deepEqual(summary({ spec: two, status: { phase: 'Running', containerStatuses: [done, running] } }), ['1/2', 'NotReady', '0']);
});

test('init containers: progress, failures and waiting reasons', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] };
  const initDone = { name: 'i1', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  const initRunning = { name: 'i2', image: '', imageID: '', ready: false, restartCount: 0, state: { running: {} } };
  assert.deepEqual(summary({ spec, status: { phase: 'Pending', initContainerStatuses: [initDone, initRunning] } }), ['0/1', 'Init:1/2', '0']);
  assert.deepEqual(summary({ spec, status: { phase: 'Pending', initContainerStatuses: [{ ...initDone, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), ['0/1', 'Init:CrashLoopBackOff', '2']);
  assert.deepEqual(summary({ spec, status: { phase: 'Pending', initContainerStatuses: [{ ...initDone, state: { terminated: { exitCode: 2 } } }] } }), ['0/1', 'Init:ExitCode:2', '0']);
  assert.deepEqual(summary({ spec, status: { phase: 'Pending', initContainerStatuses: [{ ...initDone, state: { terminated: { exitCode: 1, reason: 'Error' } } }] } }), ['0/1', 'Init:Error', '0']);
  // PodInitializing is not a reason to show; the index is.
  assert.deepEqual(summary({ spec, status: { phase: 'Pending', initContainerStatuses: [{ ...initDone, state: { waiting: { reason: 'PodInitializing' } } }] } }), ['0/1', 'Init:0/2', '0']);
});

test('sidecars (restartable init containers) count toward READY and RESTARTS', () => {
  const spec = { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }], containers: [{ name: 'a' }] };
  const sidecar = { name: 'proxy', image: '', imageID: '', ready: true, started: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(120) } } };
  assert.deepEqual(
    summary({ spec, status: { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: [sidecar], containerStatuses: [running] } }),
    ['2/2', 'Running', '1 (2m ago)'],
  );
});

test('RESTARTS sums restarts and dates the latest', () => {
  const two = { containers: [{ name: 'a' }, { name: 'b' }] };
  const a = { ...running, restartCount: 3, lastState: { terminated: { exitCode: 1, finishedAt: ago(3600) } } };
  const b = { ...running, name: 'b', restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(45) } } };
  assert.deepEqual(summary({ spec: two, status: { phase: 'Running', containerStatuses: [a, b] } }), ['2/2', 'Running', '5 (45s ago)']);
  // Without a finish time there is nothing to date.
  assert.deepEqual(summary({ spec: one, status: { phase: 'Running', containerStatuses: [{ ...running, restartCount: 4 }] } }), ['1/1', 'Running', '4']);
});

test('deletion: Terminating unless finished; NodeLost reads Unknown', () => {
  const meta = { name: 'p', creationTimestamp: ago(60), deletionTimestamp: ago(0) };
  assert.equal(podPrinter.cells({ metadata: meta, spec: one, status: { phase: 'Running', containerStatuses: [running] } }, ctx)[2], 'Terminating');
  assert.equal(podPrinter.cells({ metadata: meta, spec: one, status: { phase: 'Succeeded' } }, ctx)[2], 'Succeeded');
  assert.equal(podPrinter.cells({ metadata: meta, spec: one, status: { phase: 'Running', reason: 'NodeLost' } }, ctx)[2], 'Unknown');
});

test('wide columns and row conditions', () => {
  const pod = {
    metadata: { name: 'p', creationTimestamp: ago(60) },
    spec: { ...one, nodeName: 'n1', readinessGates: [{ conditionType: 'x/a' }, { conditionType: 'x/b' }] },
    status: { phase: 'Succeeded', podIP: '10.0.0.2', nominatedNodeName: 'n2', conditions: [{ type: 'x/a', status: 'True' }, { type: 'x/b', status: 'False' }] },
  };
  assert.deepEqual(podPrinter.cells(pod, ctx).slice(4), ['60s', '10.0.0.2', 'n1', 'n2', '1/2']);
  assert.deepEqual(podPrinter.conditions?.(pod), [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  assert.equal(podPrinter.conditions?.({ status: { phase: 'Running' } }), undefined);
  assert.deepEqual(podPrinter.cells({ metadata: { name: 'p' } }, ctx), ['p', '0/0', '', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
});
