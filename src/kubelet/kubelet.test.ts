// The kubelet over the in-process API with the sim runtime: registration, Lease, pod life from
// bind to Ready, waiting for a missing ConfigMap, and graceful deletion that removes the pod.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, Node, Pod } from 'kubernetes-types/core/v1.js';
import { localApi } from '../apiserver/local_api.js';
import { startApiServer, type ApiServerHandle } from '../apiserver/server.js';
import { LocalClient } from '../client/local.js';
import { resourceRef, type ResourceClient } from '../client/resource_client.js';
import { isGone, until } from '../client/testing.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { startKubelet, type Kubelet } from './kubelet.js';
import { SimRuntime } from './runtime/sim/sim_runtime.js';

let api: ApiServerHandle;
let kubelet: Kubelet;
let dir: string;
let pods: ResourceClient<Pod>;
let nodes: ResourceClient<Node>;
let client: LocalClient;
const events: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubelet-test-'));
  api = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  client = new LocalClient(localApi(api.stores), { fieldManager: 'kubelet' });
  pods = client.resource<Pod>(resourceRef('', 'v1', 'pods'));
  nodes = client.resource<Node>(resourceRef('', 'v1', 'nodes'));
  kubelet = await startKubelet({
    client,
    nodeName: 'sim-1',
    nodeIp: '127.0.0.1',
    runtime: new SimRuntime({ podNetPrefix: '10.42.9' }),
    rootDir: dir,
    capacity: { cpu: '4', memory: '8Gi', pods: '110', 'nvidia.com/gpu': '1' },
    labels: { zone: 'a' },
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
    serve: false,
    simulated: true,
    events: { event: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
    log: () => undefined,
  });
});

after(async () => {
  await kubelet.stop();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: 'sim-1', containers: [{ name: 'c', image: 'x', command: ['sleep', '1000'] }], terminationGracePeriodSeconds: 5, ...extra },
});

test('the node registers Ready with its capacity, labels and taints, and holds a Lease', async () => {
  const node = await nodes.get('', 'sim-1');
  assert.equal(node.status?.capacity?.['nvidia.com/gpu'], '1');
  assert.equal(node.status?.allocatable?.cpu, '4');
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'sim-1');
  assert.equal(node.metadata?.labels?.zone, 'a');
  assert.deepEqual(node.spec?.taints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'True');
  assert.equal(ready?.reason, 'KubeletReady');
  assert.deepEqual(node.status?.addresses?.[0], { type: 'InternalIP', address: '127.0.0.1' });
  const lease = await client.resource<Lease>(resourceRef('coordination.k8s.io', 'v1', 'leases')).get('kube-node-lease', 'sim-1');
  assert.equal(lease.spec?.holderIdentity, 'sim-1');
  assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid);
});

test('a bound pod becomes Running and Ready with IPs and conditions', async () => {
  await pods.create('default', pod('web'));
  const p = await until('web Running and Ready', async () => {
    const got = await pods.get('default', 'web');
    return got.status?.phase === 'Running' && got.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? got : undefined;
  });
  assert.match(p.status?.podIP ?? '', /^10\.42\.9\.\d+$/);
  assert.equal(p.status?.hostIP, '127.0.0.1');
  assert.ok(p.status?.startTime);
  const cs = p.status?.containerStatuses?.[0];
  assert.equal(cs?.ready, true);
  assert.equal(cs?.started, true);
  assert.ok(cs?.state?.running?.startedAt);
  assert.match(cs?.containerID ?? '', /^sim:\/\//);
  assert.ok(events.some((e) => e === 'Normal Started Started container c'));
});

test('a missing ConfigMap holds the container in CreateContainerConfigError until it appears', async () => {
  await pods.create('default', pod('needs-cfg', { containers: [{ name: 'c', image: 'x', command: ['sleep', '1'], env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'late', key: 'a' } } }] }] }));
  const waiting = await until('CreateContainerConfigError', async () => {
    const got = await pods.get('default', 'needs-cfg');
    return got.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' ? got : undefined;
  });
  assert.equal(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message, 'configmap "late" not found');
  assert.equal(waiting.status?.phase, 'Pending');
  await client.resource<ConfigMap>(resourceRef('', 'v1', 'configmaps')).create('default', { metadata: { name: 'late' }, data: { a: '1' } });
  await until('running once the ConfigMap exists', async () => (await pods.get('default', 'needs-cfg')).status?.phase === 'Running', 20_000);
});

test('graceful deletion stops the containers, writes a final status and removes the pod', async () => {
  await pods.create('default', pod('doomed'));
  await until('doomed Running', async () => (await pods.get('default', 'doomed')).status?.phase === 'Running');
  await pods.delete('default', 'doomed', { gracePeriodSeconds: 5 });
  await until('doomed gone', () => isGone(pods, 'default', 'doomed'));
  assert.ok(events.some((e) => e === 'Normal Killing Stopping container c'));
  assert.equal(kubelet.worker('default', 'doomed'), undefined);
});
