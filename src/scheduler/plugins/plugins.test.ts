// Table-driven tests of the filter and score plugins against hand-built snapshots.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { CycleState } from '../framework/cycle_state.js';
import { Framework } from '../framework/framework.js';
import { podInfoOf } from '../framework/pod_info.js';
import { Snapshot } from '../framework/snapshot.js';
import { Code, Status } from '../framework/status.js';
import { PreFilterResult, type Plugin, type FilterPlugin, type PreFilterPlugin, type ScorePlugin, type PreScorePlugin } from '../framework/interfaces.js';
import { makeNode, makePod } from '../testing.js';
import { registry } from './registry.js';
import type { ProfileConfig } from '../framework/config.js';

/** A framework over the default profile, for its handle; plugins are instantiated from the registry. */
function setup(nodes: Node[], pods: Pod[] = [], profile: ProfileConfig = { schedulerName: 'default-scheduler' }) {
  const snap = Snapshot.fromObjects(nodes, pods);
  const fwk = new Framework({ profile, registry, bindPod: async () => {} });
  fwk.setSnapshot(snap);
  return { snap, fwk };
}

function plugin<T extends Plugin>(fwk: Framework, name: string): T {
  const p = fwk.plugins.get(name);
  assert.ok(p, `plugin ${name}`);
  return p as T;
}

/** Runs PreFilter (if any) then Filter on every node; returns reasons per node ('' = fits). */
function filterAll(fwk: Framework, snap: Snapshot, name: string, pod: Pod): Record<string, string> {
  const p = plugin<Plugin>(fwk, name) as Partial<PreFilterPlugin> & FilterPlugin;
  const state = new CycleState();
  const pi = podInfoOf(pod);
  let allowed: ReadonlySet<string> | undefined;
  if (p.preFilter) {
    const r = p.preFilter(state, pi, snap.nodeInfoList);
    if (r instanceof PreFilterResult) allowed = r.nodeNames;
    else if (r instanceof Status && r.code === Code.Skip) {
      return Object.fromEntries(snap.nodeInfoList.map((n) => [n.name, '']));
    } else if (r instanceof Status && r.code !== Code.Success) {
      return Object.fromEntries(snap.nodeInfoList.map((n) => [n.name, `prefilter: ${r.message()}`]));
    }
  }
  const out: Record<string, string> = {};
  for (const ni of snap.nodeInfoList) {
    if (allowed !== undefined && !allowed.has(ni.name)) { out[ni.name] = 'filtered by prefilter'; continue; }
    const s = p.filter(state, pi, ni);
    out[ni.name] = s === undefined || s.code === Code.Success ? '' : `${Code[s.code]}: ${s.message()}`;
  }
  return out;
}

/** PreScore, Score and NormalizeScore over all nodes. */
function scoreAll(fwk: Framework, snap: Snapshot, name: string, pod: Pod): Record<string, number> {
  const p = plugin<Plugin>(fwk, name) as Partial<PreScorePlugin> & ScorePlugin;
  const state = new CycleState();
  const pi = podInfoOf(pod);
  const nodes = snap.nodeInfoList;
  if (p.preScore) {
    const s = p.preScore(state, pi, nodes);
    if (s !== undefined && s.code === Code.Skip) return Object.fromEntries(nodes.map((n) => [n.name, 0]));
  }
  const scores = new Float64Array(nodes.length);
  nodes.forEach((n, i) => { scores[i] = p.score(state, pi, n); });
  p.normalizeScore?.(state, pi, nodes, scores);
  return Object.fromEntries(nodes.map((n, i) => [n.name, scores[i]!]));
}

describe('NodeResourcesFit filter', () => {
  const cases: { name: string; node: Parameters<typeof makeNode>[1]; existing?: Record<string, string>[]; pod: Pod; want: string }[] = [
    { name: 'fits', node: { cpu: '4', memory: '8Gi' }, pod: makePod('p', { requests: { cpu: '2', memory: '4Gi' } }), want: '' },
    { name: 'insufficient cpu', node: { cpu: '1' }, pod: makePod('p', { requests: { cpu: '2' } }), want: 'Unschedulable: Insufficient cpu' },
    { name: 'insufficient cpu and memory', node: { cpu: '1', memory: '1Gi' }, pod: makePod('p', { requests: { cpu: '2', memory: '2Gi' } }), want: 'Unschedulable: Insufficient cpu, Insufficient memory' },
    { name: 'existing pods use it', node: { cpu: '4' }, existing: [{ cpu: '3' }], pod: makePod('p', { requests: { cpu: '2' } }), want: 'Unschedulable: Insufficient cpu' },
    { name: 'gpu', node: { extra: { 'nvidia.com/gpu': '1' } }, existing: [{ 'nvidia.com/gpu': '1' }], pod: makePod('p', { requests: { 'nvidia.com/gpu': '1' } }), want: 'Unschedulable: Insufficient nvidia.com/gpu' },
    { name: 'gpu absent on node', node: {}, pod: makePod('p', { requests: { 'nvidia.com/gpu': '1' } }), want: 'Unschedulable: Insufficient nvidia.com/gpu' },
    { name: 'hugepages', node: { extra: { 'hugepages-2Mi': '4Mi' } }, pod: makePod('p', { requests: { 'hugepages-2Mi': '6Mi' } }), want: 'Unschedulable: Insufficient hugepages-2Mi' },
    { name: 'ephemeral-storage', node: { extra: { 'ephemeral-storage': '10Gi' } }, pod: makePod('p', { requests: { 'ephemeral-storage': '20Gi' } }), want: 'Unschedulable: Insufficient ephemeral-storage' },
    { name: 'too many pods', node: { pods: '1' }, existing: [{}], pod: makePod('p'), want: 'Unschedulable: Too many pods' },
    { name: 'too many pods and cpu', node: { pods: '1', cpu: '1' }, existing: [{}], pod: makePod('p', { requests: { cpu: '2' } }), want: 'Unschedulable: Too many pods, Insufficient cpu' },
    {
      name: 'init container max beats sum', node: { cpu: '3' },
      pod: makePod('p', {
        containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }, { name: 'b', resources: { requests: { cpu: '1' } } }],
        initContainers: [{ name: 'i', resources: { requests: { cpu: '4' } } }],
      }),
      want: 'Unschedulable: Insufficient cpu',
    },
    {
      name: 'init container below sum', node: { cpu: '3' },
      pod: makePod('p', {
        containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }, { name: 'b', resources: { requests: { cpu: '1' } } }],
        initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }],
      }),
      want: '',
    },
    {
      name: 'sidecar adds to sum', node: { cpu: '2' },
      pod: makePod('p', {
        containers: [{ name: 'a', resources: { requests: { cpu: '1500m' } } }],
        initContainers: [{ name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } }],
      }),
      want: 'Unschedulable: Insufficient cpu',
    },
    { name: 'overhead counts', node: { cpu: '2' }, pod: makePod('p', { requests: { cpu: '1800m' }, overhead: { cpu: '250m' } }), want: 'Unschedulable: Insufficient cpu' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const node = makeNode('n1', c.node);
      const existing = (c.existing ?? []).map((r, i) => makePod(`e${i}`, { requests: r, nodeName: 'n1' }));
      const { fwk, snap } = setup([node], existing);
      assert.equal(filterAll(fwk, snap, 'NodeResourcesFit', c.pod).n1, c.want);
    });
  }
});

describe('NodeResourcesFit score', () => {
  const nodes = [makeNode('small', { cpu: '4', memory: '10Gi' }), makeNode('big', { cpu: '8', memory: '20Gi' })];
  const pod = makePod('p', { requests: { cpu: '2', memory: '5Gi' } });
  it('LeastAllocated prefers free nodes', () => {
    const { fwk, snap } = setup(nodes);
    // small: cpu (4-2)/4 = 50, mem 50 → 50; big: 75, 75 → 75
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesFit', pod), { small: 50, big: 75 });
  });
  it('MostAllocated packs', () => {
    const { fwk, snap } = setup(nodes, [], {
      schedulerName: 'default-scheduler',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }],
    });
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesFit', pod), { small: 50, big: 25 });
  });
  it('RequestedToCapacityRatio follows the shape', () => {
    const { fwk, snap } = setup(nodes, [], {
      schedulerName: 'default-scheduler',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } } } }],
    });
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesFit', pod), { small: 50, big: 25 });
  });
  it('request-less pods score with the non-zero defaults', () => {
    const { fwk, snap } = setup([makeNode('n', { cpu: '1', memory: '2000Mi' })]);
    // cpu (1000-100)/1000 = 90, memory (2000-200)/2000 = 90
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesFit', makePod('p')), { n: 90 });
  });
  it('weights resources including extended ones', () => {
    const { fwk, snap } = setup([makeNode('g', { cpu: '4', memory: '16Gi', extra: { 'nvidia.com/gpu': '4' } })], [], {
      schedulerName: 'default-scheduler',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'nvidia.com/gpu', weight: 3 }] } } }],
    });
    // cpu 1/4 = 25, gpu 3/4 = 75: (25 + 225) / 4 = 62
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesFit', makePod('p', { requests: { cpu: '1', 'nvidia.com/gpu': '3' } })), { g: 62 });
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('prefers balanced fractions', () => {
    const nodes = [makeNode('a', { cpu: '4', memory: '4Gi' }), makeNode('b', { cpu: '4', memory: '16Gi' })];
    const { fwk, snap } = setup(nodes);
    // a: 0.5, 0.5 → 100; b: 0.5, 0.125 → std 0.1875 → 81
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesBalancedAllocation', makePod('p', { requests: { cpu: '2', memory: '2Gi' } })), { a: 100, b: 81 });
  });
  it('skips best-effort pods', () => {
    const { fwk, snap } = setup([makeNode('a')]);
    assert.deepEqual(scoreAll(fwk, snap, 'NodeResourcesBalancedAllocation', makePod('p')), { a: 0 });
  });
});

describe('TaintToleration', () => {
  const nodes = [
    makeNode('clean'),
    makeNode('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
    makeNode('gpu', { taints: [{ key: 'gpu', value: 'true', effect: 'NoExecute' }] }),
    makeNode('soft', { taints: [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }] }),
  ];
  const cases: { name: string; pod: Pod; want: Record<string, string> }[] = [
    {
      name: 'no tolerations', pod: makePod('p'),
      want: { clean: '', cp: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }', gpu: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}', soft: '' },
    },
    {
      name: 'tolerates by key/value', pod: makePod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true' }] } }),
      want: { clean: '', cp: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }', gpu: '', soft: '' },
    },
    {
      name: 'wrong value', pod: makePod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'false' }] } }),
      want: { clean: '', cp: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }', gpu: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}', soft: '' },
    },
    { name: 'tolerates everything', pod: makePod('p', { spec: { tolerations: [{ operator: 'Exists' }] } }), want: { clean: '', cp: '', gpu: '', soft: '' } },
    {
      name: 'effect must match', pod: makePod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] } }),
      want: { clean: '', cp: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }', gpu: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}', soft: '' },
    },
  ];
  for (const c of cases) {
    it(`filter: ${c.name}`, () => {
      const { fwk, snap } = setup(nodes);
      assert.deepEqual(filterAll(fwk, snap, 'TaintToleration', c.pod), c.want);
    });
  }
  it('score: PreferNoSchedule taints count against a node', () => {
    const { fwk, snap } = setup(nodes);
    assert.deepEqual(scoreAll(fwk, snap, 'TaintToleration', makePod('p')), { clean: 100, cp: 100, gpu: 100, soft: 0 });
    const tol = makePod('t', { spec: { tolerations: [{ key: 'soft', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
    assert.deepEqual(scoreAll(fwk, snap, 'TaintToleration', tol), { clean: 100, cp: 100, gpu: 100, soft: 100 });
  });
});

describe('NodeAffinity', () => {
  const nodes = [
    makeNode('a', { labels: { zone: 'z1', disk: 'ssd', rank: '5' } }),
    makeNode('b', { labels: { zone: 'z2', disk: 'hdd', rank: '10' } }),
    makeNode('c', { labels: { zone: 'z3' } }),
  ];
  const MISMATCH = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";
  const cases: { name: string; spec: Partial<NonNullable<Pod['spec']>>; want: Record<string, string> }[] = [
    { name: 'no constraints', spec: {}, want: { a: '', b: '', c: '' } },
    { name: 'nodeSelector', spec: { nodeSelector: { disk: 'ssd' } }, want: { a: '', b: MISMATCH, c: MISMATCH } },
    {
      name: 'required In', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2', 'z3'] }] }] } } } },
      want: { a: MISMATCH, b: '', c: '' },
    },
    {
      name: 'terms are ORed', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
        { matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] },
      ] } } } },
      want: { a: '', b: MISMATCH, c: '' },
    },
    {
      name: 'Gt', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'rank', operator: 'Gt', values: ['6'] }] }] } } } },
      want: { a: MISMATCH, b: '', c: MISMATCH },
    },
    {
      name: 'nodeSelector AND affinity', spec: { nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }] } } } },
      want: { a: MISMATCH, b: MISMATCH, c: MISMATCH },
    },
    {
      name: 'matchFields pins names', spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }] } } } },
      want: { a: 'filtered by prefilter', b: '', c: 'filtered by prefilter' },
    },
  ];
  for (const c of cases) {
    it(`filter: ${c.name}`, () => {
      const { fwk, snap } = setup(nodes);
      assert.deepEqual(filterAll(fwk, snap, 'NodeAffinity', makePod('p', { spec: c.spec })), c.want);
    });
  }
  it('score: preferred weights, normalised', () => {
    const { fwk, snap } = setup(nodes);
    const pod = makePod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
      { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] } },
    ] } } } });
    assert.deepEqual(scoreAll(fwk, snap, 'NodeAffinity', pod), { a: 33, b: 100, c: 0 });
  });
});

describe('NodeName, NodeUnschedulable, NodePorts', () => {
  it('NodeName', () => {
    const { fwk, snap } = setup([makeNode('a'), makeNode('b')]);
    assert.deepEqual(filterAll(fwk, snap, 'NodeName', makePod('p', { spec: { nodeName: 'b' } })), {
      a: "UnschedulableAndUnresolvable: node(s) didn't match the requested node name", b: '',
    });
  });
  it('NodeUnschedulable', () => {
    const { fwk, snap } = setup([makeNode('a', { unschedulable: true }), makeNode('b')]);
    assert.deepEqual(filterAll(fwk, snap, 'NodeUnschedulable', makePod('p')), { a: 'UnschedulableAndUnresolvable: node(s) were unschedulable', b: '' });
    const tol = makePod('t', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    assert.deepEqual(filterAll(fwk, snap, 'NodePorts', tol), { a: '', b: '' });
    assert.deepEqual(filterAll(fwk, snap, 'NodeUnschedulable', tol), { a: '', b: '' });
  });
  it('NodePorts', () => {
    const withPort = (name: string, port: number, ip?: string, nodeName?: string): Pod => makePod(name, {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, ...(ip ? { hostIP: ip } : {}) }] }],
    });
    const { fwk, snap } = setup([makeNode('a'), makeNode('b'), makeNode('c')], [withPort('x', 8080, undefined, 'a'), withPort('y', 8080, '10.0.0.1', 'b')]);
    const BUSY = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
    assert.deepEqual(filterAll(fwk, snap, 'NodePorts', withPort('p', 8080)), { a: BUSY, b: BUSY, c: '' });
    assert.deepEqual(filterAll(fwk, snap, 'NodePorts', withPort('q', 8080, '10.0.0.2')), { a: BUSY, b: '', c: '' });
    assert.deepEqual(filterAll(fwk, snap, 'NodePorts', withPort('r', 9090)), { a: '', b: '', c: '' });
  });
});

describe('ImageLocality', () => {
  it('prefers nodes with the image', () => {
    const img = { names: ['nginx:1.25'], sizeBytes: 500 * 1024 * 1024 };
    const nodes = [makeNode('a', { images: [img] }), makeNode('b')];
    const snap = Snapshot.fromObjects(nodes);
    // Image states come from the cache in production; wire them by hand here.
    const st = { size: img.sizeBytes, nodes: new Set(['a']) };
    snap.get('a')!.imageStates = new Map([['nginx:1.25', st]]);
    const fwk = new Framework({ profile: { schedulerName: 'default-scheduler' }, registry, bindPod: async () => {} });
    fwk.setSnapshot(snap);
    const pod = makePod('p', { containers: [{ name: 'c', image: 'nginx:1.25' }] });
    const s = scoreAll(fwk, snap, 'ImageLocality', pod);
    // 500Mi spread over 1 of 2 nodes = 250Mi: (250-23)/(1000-23) → 23
    assert.deepEqual(s, { a: 23, b: 0 });
  });
});

describe('PodTopologySpread', () => {
  const zoneNodes = [
    makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }),
    makeNode('b1', { labels: { zone: 'b' } }), makeNode('c1', { labels: { zone: 'c' } }),
    makeNode('nolabel'),
  ];
  const spreadPod = (name: string, extra: Record<string, unknown> = {}, when = 'DoNotSchedule'): Pod => makePod(name, {
    labels: { app: 'web' },
    spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: when, labelSelector: { matchLabels: { app: 'web' } }, ...extra }] },
  });
  const existing = (name: string, node: string): Pod => makePod(name, { labels: { app: 'web' }, nodeName: node });
  const SKEW = "Unschedulable: node(s) didn't match pod topology spread constraints";
  const LABEL = "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";
  const cases: { name: string; pods: Pod[]; pod: Pod; want: Record<string, string> }[] = [
    { name: 'empty cluster: all zones fit', pods: [], pod: spreadPod('p'), want: { a1: '', a2: '', b1: '', c1: '', nolabel: LABEL } },
    { name: 'zone a ahead by one', pods: [existing('e1', 'a1')], pod: spreadPod('p'), want: { a1: SKEW, a2: SKEW, b1: '', c1: '', nolabel: LABEL } },
    { name: 'balanced again', pods: [existing('e1', 'a1'), existing('e2', 'b1'), existing('e3', 'c1')], pod: spreadPod('p'), want: { a1: '', a2: '', b1: '', c1: '', nolabel: LABEL } },
    { name: 'other namespace does not count', pods: [makePod('x', { namespace: 'other', labels: { app: 'web' }, nodeName: 'a1' })], pod: spreadPod('p'), want: { a1: '', a2: '', b1: '', c1: '', nolabel: LABEL } },
    {
      name: 'minDomains above domain count forces min 0', pods: [existing('e1', 'a1'), existing('e2', 'b1'), existing('e3', 'c1')],
      pod: spreadPod('p', { minDomains: 4 }), want: { a1: SKEW, a2: SKEW, b1: SKEW, c1: SKEW, nolabel: LABEL },
    },
    {
      name: 'nodeAffinityPolicy Honor ignores zones the pod cannot use', pods: [existing('e1', 'a1')],
      pod: (() => { const p = spreadPod('p'); p.spec!.nodeSelector = { zone: 'a' }; return p; })(),
      want: { a1: '', a2: '', b1: '', c1: '', nolabel: LABEL },
    },
  ];
  for (const c of cases) {
    it(`filter: ${c.name}`, () => {
      const { fwk, snap } = setup(zoneNodes, c.pods);
      assert.deepEqual(filterAll(fwk, snap, 'PodTopologySpread', c.pod), c.want);
    });
  }
  it('score: ScheduleAnyway prefers emptier zones', () => {
    const { fwk, snap } = setup(zoneNodes.slice(0, 4), [existing('e1', 'a1'), existing('e2', 'a2'), existing('e3', 'b1')]);
    const s = scoreAll(fwk, snap, 'PodTopologySpread', spreadPod('p', {}, 'ScheduleAnyway'));
    assert.ok(s.c1! > s.b1! && s.b1! > s.a1!, JSON.stringify(s));
    assert.equal(s.c1, 100);
  });
});

describe('InterPodAffinity', () => {
  const nodes = [makeNode('a', { labels: { zone: 'z1' } }), makeNode('b', { labels: { zone: 'z1' } }), makeNode('c', { labels: { zone: 'z2' } })];
  const term = (app: string, key = 'kubernetes.io/hostname') => ({ topologyKey: key, labelSelector: { matchLabels: { app } } });
  const AFF = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
  const ANTI = "Unschedulable: node(s) didn't match pod anti-affinity rules";
  const EXISTING = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";
  const cases: { name: string; pods: Pod[]; pod: Pod; want: Record<string, string> }[] = [
    {
      name: 'anti-affinity by hostname', pods: [makePod('db', { labels: { app: 'db' }, nodeName: 'a' })],
      pod: makePod('p', { labels: { app: 'web' }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } } } }),
      want: { a: ANTI, b: '', c: '' },
    },
    {
      name: 'anti-affinity by zone', pods: [makePod('db', { labels: { app: 'db' }, nodeName: 'a' })],
      pod: makePod('p', { spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } } }),
      want: { a: ANTI, b: ANTI, c: '' },
    },
    {
      name: 'affinity by zone', pods: [makePod('db', { labels: { app: 'db' }, nodeName: 'c' })],
      pod: makePod('p', { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } } }),
      want: { a: AFF, b: AFF, c: '' },
    },
    {
      name: 'affinity to self with no matching pod anywhere: first of the group fits', pods: [],
      pod: makePod('p', { labels: { app: 'web' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } } }),
      want: { a: '', b: '', c: '' },
    },
    {
      name: 'affinity with no match and not self-matching', pods: [],
      pod: makePod('p', { labels: { app: 'web' }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', 'zone')] } } } }),
      want: { a: AFF, b: AFF, c: AFF },
    },
    {
      name: "existing pod's anti-affinity is symmetric",
      pods: [makePod('lonely', { labels: { app: 'lonely' }, nodeName: 'b', spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'zone')] } } } })],
      pod: makePod('p', { labels: { app: 'web' } }),
      want: { a: EXISTING, b: EXISTING, c: '' },
    },
  ];
  for (const c of cases) {
    it(`filter: ${c.name}`, () => {
      const { fwk, snap } = setup(nodes, c.pods);
      assert.deepEqual(filterAll(fwk, snap, 'InterPodAffinity', c.pod), c.want);
    });
  }
  it('score: preferred affinity and anti-affinity', () => {
    const { fwk, snap } = setup(nodes, [makePod('db', { labels: { app: 'db' }, nodeName: 'a' }), makePod('cache', { labels: { app: 'cache' }, nodeName: 'c' })]);
    const pod = makePod('p', { spec: { affinity: {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('db', 'zone') }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term('cache') }] },
    } } });
    // z1 nodes +50, node c −20: a 50, b 50, c −20 → normalised 100, 100, 0
    assert.deepEqual(scoreAll(fwk, snap, 'InterPodAffinity', pod), { a: 100, b: 100, c: 0 });
  });
});
