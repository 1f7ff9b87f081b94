import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { podConditions, podPhase } from './status.js';

const running = (name: string, ready = true): ContainerStatus => ({ name, ready, restartCount: 0, image: '', imageID: '', state: { running: {} } });
const exited = (name: string, exitCode: number): ContainerStatus => ({ name, ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode } } });
const backoff = (name: string, exitCode: number): ContainerStatus => ({
  name,
  ready: false,
  restartCount: 1,
  image: '',
  imageID: '',
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode } },
});

test('phase follows init containers and the restart policy', () => {
  const base = { initialized: true, initFailed: false };
  assert.equal(podPhase({ ...base, initialized: false, restartPolicy: 'Always', containers: [] }), 'Pending');
  assert.equal(podPhase({ ...base, initFailed: true, restartPolicy: 'Never', containers: [] }), 'Failed');
  assert.equal(podPhase({ ...base, restartPolicy: 'Always', containers: [running('a'), { name: 'b', ready: false, restartCount: 0, image: '', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] }), 'Pending');
  assert.equal(podPhase({ ...base, restartPolicy: 'Always', containers: [running('a'), backoff('b', 1)] }), 'Running');
  assert.equal(podPhase({ ...base, restartPolicy: 'Never', containers: [exited('a', 0), exited('b', 3)] }), 'Failed');
  assert.equal(podPhase({ ...base, restartPolicy: 'Never', containers: [exited('a', 0)] }), 'Succeeded');
  assert.equal(podPhase({ ...base, restartPolicy: 'OnFailure', containers: [exited('a', 0)] }), 'Succeeded');
  assert.equal(podPhase({ ...base, restartPolicy: 'OnFailure', containers: [backoff('a', 2)] }), 'Running');
});

test('conditions: unready containers named, transition times kept, others preserved', () => {
  const pod: Pod = {
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: 't0' }, { type: 'Initialized', status: 'True', lastTransitionTime: 't1' }] },
  };
  const cs = podConditions({ pod, phase: 'Running', sandboxReady: true, initialized: true, pendingInit: [], containers: [running('a'), running('b', false)] }, 'now');
  const get = (t: string) => cs.find((c) => c.type === t);
  assert.equal(get('Ready')?.status, 'False');
  assert.equal(get('Ready')?.message, 'containers with unready status: [b]');
  assert.equal(get('ContainersReady')?.reason, 'ContainersNotReady');
  assert.equal(get('Initialized')?.lastTransitionTime, 't1', 'unchanged status keeps its transition time');
  assert.equal(get('PodScheduled')?.lastTransitionTime, 't0', 'a condition the kubelet does not own is kept');
  assert.deepEqual(cs.map((c) => c.type), ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
});
