// Issue 6 acceptance: the scheduler inside `capstan server`, nodes made by manifest (no kubelet),
// driven by real kubectl.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping scheduler e2e: ${skip}`);

interface NodeSpec {
  name: string;
  zone: string;
  cpu: string;
  memory: string;
  gpu?: string;
  taint?: string;
}

function nodeYaml(n: NodeSpec): string {
  const extra = n.gpu ? `, nvidia.com/gpu: "${n.gpu}"` : '';
  const res = `{cpu: "${n.cpu}", memory: ${n.memory}, pods: "110", ephemeral-storage: 200Gi${extra}}`;
  return `apiVersion: v1
kind: Node
metadata:
  name: ${n.name}
  labels: {kubernetes.io/hostname: ${n.name}, topology.kubernetes.io/zone: ${n.zone}}
spec:
  taints: ${n.taint ? `[{key: ${n.taint}, value: "true", effect: NoSchedule}]` : '[]'}
status:
  capacity: ${res}
  allocatable: ${res}
  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ok}]
---
`;
}

function podYaml(name: string, spec: string, labels = `{app: ${name}}`): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: ${labels}}
spec:
${spec}
---
`;
}

describe('scheduler e2e', { skip }, () => {
  const c = new Cluster(undefined, { scheduler: true });
  before(async () => {
    await c.start();
  });
  after(async () => {
    await c.destroy();
  });

  const apply = (yaml: string, ns = 'default'): void => {
    const r = c.kubectl(['apply', '-n', ns, '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  const nodeOf = (pod: string, ns = 'default'): string => c.kubectl(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.spec.nodeName}']).stdout;
  const waitBound = (pod: string, ns = 'default'): Promise<string> => eventually(() => nodeOf(pod, ns), 15_000, `${pod} to be bound`);

  test('placement: GPU, taints and tolerations, spreading, anti-affinity, unschedulable message, preemption', async () => {
    apply(
      nodeYaml({ name: 'n-gpu', zone: 'a', cpu: '8', memory: '32Gi', gpu: '1' }) +
        nodeYaml({ name: 'n-b', zone: 'b', cpu: '8', memory: '32Gi' }) +
        nodeYaml({ name: 'n-c', zone: 'c', cpu: '8', memory: '32Gi', taint: 'dedicated' }),
    );
    // (a) only the GPU node fits.
    apply(podYaml('gpu-pod', '  containers: [{name: c, image: x, resources: {limits: {nvidia.com/gpu: "1"}}}]'));
    assert.equal(await waitBound('gpu-pod'), 'n-gpu');
    // (d) a toleration opens the tainted node; a nodeSelector pins it there.
    apply(
      podYaml(
        'tolerant',
        '  nodeSelector: {topology.kubernetes.io/zone: c}\n  tolerations: [{key: dedicated, operator: Equal, value: "true", effect: NoSchedule}]\n  containers: [{name: c, image: x}]',
      ),
    );
    assert.equal(await waitBound('tolerant'), 'n-c');
    // Without the toleration the same pod cannot go there.
    apply(podYaml('intolerant', '  nodeSelector: {topology.kubernetes.io/zone: c}\n  containers: [{name: c, image: x}]'));
    // (b) three pods spread over the three zones (the taint is tolerated so every zone counts).
    const spread = (i: number): string =>
      podYaml(
        `spread-${i}`,
        `  topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}]
  tolerations: [{key: dedicated, operator: Exists}]
  containers: [{name: c, image: x, resources: {requests: {cpu: 100m}}}]`,
        '{app: spread}',
      );
    apply(spread(0) + spread(1) + spread(2));
    const zones = await Promise.all([0, 1, 2].map((i) => waitBound(`spread-${i}`)));
    assert.deepEqual([...zones].sort(), ['n-b', 'n-c', 'n-gpu'], 'one spread pod per zone');
    // (c) anti-affinity: two pods that refuse to share a host.
    const anti = (i: number): string =>
      podYaml(
        `anti-${i}`,
        `  affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: anti}}}]}}
  containers: [{name: c, image: x}]`,
        '{app: anti}',
      );
    apply(anti(0) + anti(1));
    const [h0, h1] = await Promise.all([waitBound('anti-0'), waitBound('anti-1')]);
    assert.notEqual(h0, h1);
    // (e) nothing fits: the condition and the describe output carry the upstream-style message.
    apply(podYaml('huge', '  containers: [{name: c, image: x, resources: {requests: {cpu: "100"}}}]'));
    const message = await eventually(
      () => c.kubectl(['get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']).stdout,
      15_000,
      'the PodScheduled=False message',
    );
    assert.match(message, /^0\/3 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: true\}, 2 Insufficient cpu\. preemption: /);
    const describe = c.kubectl(['describe', 'pod', 'huge']);
    assert.match(describe.stdout, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available/);
    const reason = c.kubectl(['get', 'pod', 'intolerant', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}']);
    assert.equal(reason.stdout, 'Unschedulable');
    assert.equal(nodeOf('intolerant'), '');
    // (f) preemption: a high-priority pod evicts a low-priority one from the only node with room.
    apply('apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: low}\nvalue: 10\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n');
    apply(podYaml('victim', '  priorityClassName: low\n  nodeSelector: {kubernetes.io/hostname: n-b}\n  containers: [{name: c, image: x, resources: {requests: {cpu: "7"}}}]'));
    assert.equal(await waitBound('victim'), 'n-b');
    assert.equal(c.kubectl(['get', 'pod', 'victim', '-o', 'jsonpath={.spec.priority}']).stdout, '10');
    apply(podYaml('vip', '  priorityClassName: high\n  nodeSelector: {kubernetes.io/hostname: n-b}\n  containers: [{name: c, image: x, resources: {requests: {cpu: "7"}}}]'));
    // The victim is deleted gracefully and the preemptor nominated to its node.
    await eventually(() => c.kubectl(['get', 'pod', 'victim', '-o', 'jsonpath={.metadata.deletionTimestamp}']).stdout, 15_000, 'the victim to be evicted');
    await eventually(() => c.kubectl(['get', 'pod', 'vip', '-o', 'jsonpath={.status.nominatedNodeName}']).stdout === 'n-b', 15_000, 'vip nominated to n-b');
    // No kubelet runs here (issue 8), so the test confirms the termination as a kubelet would.
    assert.equal(c.kubectl(['delete', 'pod', 'victim', '--grace-period=0', '--force']).code, 0);
    assert.equal(await waitBound('vip'), 'n-b');
    // A missing class is refused, as upstream's admission does.
    const missing = c.kubectl(['apply', '-f', '-'], { input: podYaml('nopc', '  priorityClassName: nope\n  containers: [{name: c, image: x}]') });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no PriorityClass with name nope was found/);
  });

  test('pixel streaming: one 4-cpu/16Gi/50Gi/GPU pod per 8-cpu GPU node, the rest wait for a GPU', async () => {
    c.kubectl(['create', 'namespace', 'pixel']);
    let nodes = '';
    for (let i = 0; i < 3; i++) {
      nodes += nodeYaml({ name: `px-${i}`, zone: 'px', cpu: '8', memory: '32Gi', gpu: '1' }).replace('labels: {', 'labels: {pool: pixel, ');
    }
    apply(nodes);
    let pods = '';
    for (let i = 0; i < 5; i++) {
      pods += podYaml(
        `stream-${i}`,
        `  nodeSelector: {pool: pixel}
  containers: [{name: streamer, image: pixel, resources: {requests: {cpu: "4", memory: 16Gi, ephemeral-storage: 50Gi}, limits: {nvidia.com/gpu: "1"}}}]`,
        '{app: stream}',
      );
    }
    apply(pods, 'pixel');
    const placed = await eventually(
      () => {
        const out = c.kubectl(['get', 'pods', '-n', 'pixel', '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}']).stdout;
        const bound = out.split('\n').filter(Boolean);
        return bound.length === 3 ? bound : undefined;
      },
      15_000,
      'three streaming pods to be bound',
    );
    assert.deepEqual([...placed].sort(), ['px-0', 'px-1', 'px-2'], 'exactly one per node');
    const pending = await eventually(
      () => {
        const list = JSON.parse(c.kubectl(['get', 'pods', '-n', 'pixel', '-o', 'json']).stdout) as {
          items: Array<{ spec: { nodeName?: string }; status: { conditions?: Array<{ type: string; message?: string }> } }>;
        };
        const msgs = list.items.filter((p) => !p.spec.nodeName).map((p) => p.status.conditions?.find((x) => x.type === 'PodScheduled')?.message ?? '');
        return msgs.length === 2 && msgs.every(Boolean) ? msgs : undefined;
      },
      15_000,
      'two pods to report why they wait',
    );
    for (const m of pending) assert.match(m, /3 Insufficient nvidia\.com\/gpu/);
  });

  test('a pod for another scheduler stays Pending and untouched; a node with malformed capacity is refused', async () => {
    apply(podYaml('other', '  schedulerName: someone-else\n  containers: [{name: c, image: x}]'));
    const rv0 = c.kubectl(['get', 'pod', 'other', '-o', 'jsonpath={.metadata.resourceVersion}']).stdout;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(nodeOf('other'), '');
    assert.equal(c.kubectl(['get', 'pod', 'other', '-o', 'jsonpath={.metadata.resourceVersion}']).stdout, rv0, 'the scheduler wrote nothing');
    const bad = c.kubectl(['apply', '-f', '-'], { input: nodeYaml({ name: 'n-bad', zone: 'z', cpu: 'lots', memory: '1Gi' }) });
    assert.notEqual(bad.code, 0);
    // The scheduler keeps working.
    apply(podYaml('after-bad', '  containers: [{name: c, image: x}]'));
    assert.notEqual(await waitBound('after-bad'), '');
  });
});

describe('scheduler profiles from --scheduler-config', { skip }, () => {
  test('a MostAllocated profile packs pods that name it onto one node', async () => {
    const c = new Cluster(undefined, { scheduler: true });
    try {
      const cfg = join(c.dir, 'sched.yaml');
      writeFileSync(
        cfg,
        `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
`,
      );
      await c.start(['--scheduler-config', cfg]);
      const nodes = [0, 1, 2].map((i) => nodeYaml({ name: `bp-${i}`, zone: 'z', cpu: '8', memory: '32Gi' })).join('');
      assert.equal(c.kubectl(['apply', '-f', '-'], { input: nodes }).code, 0);
      const pods = [0, 1, 2, 3]
        .map((i) => podYaml(`packed-${i}`, '  schedulerName: bin-packing\n  containers: [{name: c, image: x, resources: {requests: {cpu: "1", memory: 1Gi}}}]', '{app: packed}'))
        .join('');
      assert.equal(c.kubectl(['apply', '-f', '-'], { input: pods }).code, 0);
      const placed: string[] = [];
      for (let i = 0; i < 4; i++) {
        placed.push(await eventually(() => c.kubectl(['get', 'pod', `packed-${i}`, '-o', 'jsonpath={.spec.nodeName}']).stdout, 15_000, `packed-${i} bound`));
      }
      assert.equal(new Set(placed).size, 1, `all on one node: ${placed.join(',')}`);
    } finally {
      await c.destroy();
    }
  });
});
