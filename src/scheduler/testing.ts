// Builders for scheduler tests and benchmarks: compact Node and Pod objects.

import type { Container, Node, Pod, Taint } from 'kubernetes-types/core/v1.js';

let seq = 0;

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const alloc: Record<string, string> = { cpu: s.cpu ?? '4', memory: s.memory ?? '16Gi', pods: s.pods ?? '110', ...(s.extra ?? {}) };
  const node: Node = {
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...(s.labels ?? {}) } },
    spec: {},
    status: { capacity: alloc, allocatable: alloc },
  };
  if (s.taints !== undefined) node.spec!.taints = s.taints;
  if (s.unschedulable !== undefined) node.spec!.unschedulable = s.unschedulable;
  if (s.images !== undefined) node.status!.images = s.images;
  return node;
}

export interface PodSpecLite {
  namespace?: string;
  requests?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string>;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  schedulerName?: string;
  spec?: Partial<NonNullable<Pod['spec']>>;
  startTime?: string;
}

export function makePod(name: string, s: PodSpecLite = {}): Pod {
  const containers = s.containers ?? [{ name: 'c', image: 'busybox', resources: s.requests ? { requests: s.requests } : {} }];
  const pod: Pod = {
    metadata: { name, namespace: s.namespace ?? 'default', uid: `uid-${name}-${++seq}`, labels: s.labels ?? {} },
    spec: { containers, ...(s.spec ?? {}) },
    ...(s.startTime !== undefined ? { status: { startTime: s.startTime } } : {}),
  };
  if (s.initContainers !== undefined) pod.spec!.initContainers = s.initContainers;
  if (s.overhead !== undefined) pod.spec!.overhead = s.overhead;
  if (s.nodeName !== undefined) pod.spec!.nodeName = s.nodeName;
  if (s.priority !== undefined) pod.spec!.priority = s.priority;
  if (s.schedulerName !== undefined) pod.spec!.schedulerName = s.schedulerName;
  return pod;
}

/** A manual clock for queue and cache tests. */
export class FakeClock {
  constructor(public t = 1_000_000) {}
  now(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}
