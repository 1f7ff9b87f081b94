// NodeResourcesFit: Filter checks that the pod's requests (containers, init-container max,
// sidecars, overhead) fit in the node's allocatable minus what its pods already request —
// pods count, cpu, memory, ephemeral-storage and every scalar resource (hugepages-*,
// nvidia.com/gpu, …) — with upstream's messages (`Too many pods`, `Insufficient cpu`,
// `Insufficient nvidia.com/gpu`). Score ranks nodes by one strategy over weighted resources:
// LeastAllocated (spread, default), MostAllocated (bin-packing) or RequestedToCapacityRatio
// (a piecewise-linear shape over utilisation).
//
// Scoring uses the "non-zero" cpu/memory requests (100m / 200Mi for containers that ask for
// none) so that request-less pods still spread, as upstream.

import type { CycleState } from '../framework/cycle_state.js';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Handle, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { MAX_NODE_SCORE } from '../framework/helpers.js';
import { RESOURCE_CPU, RESOURCE_EPHEMERAL_STORAGE, RESOURCE_MEMORY, isScalarResourceName } from '../framework/resource.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'NodeResourcesFit';

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface UtilizationShapePoint {
  /** 0..100 */
  utilization: number;
  /** 0..10 */
  score: number;
}

export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: ScoringStrategyType;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape?: UtilizationShapePoint[] };
  };
}

const MAX_CUSTOM_PRIORITY_SCORE = 10;
const MAX_UTILIZATION = 100;
const DEFAULT_RESOURCES: ResourceSpec[] = [{ name: RESOURCE_CPU, weight: 1 }, { name: RESOURCE_MEMORY, weight: 1 }];

export const REASON_TOO_MANY_PODS = 'Too many pods';
export const insufficient = (name: string): string => `Insufficient ${name}`;

/** The pod's request of one resource as scoring sees it (non-zero cpu/memory). */
export function podScoringRequest(pod: PodInfo, name: string, useRequested: boolean): number {
  switch (name) {
    case RESOURCE_CPU: return useRequested ? pod.requests.milliCPU : pod.nonZeroMilliCPU;
    case RESOURCE_MEMORY: return useRequested ? pod.requests.memory : pod.nonZeroMemory;
    default: return pod.requests.get(name);
  }
}

/**
 * Allocatable and requested-after-placement of one resource on a node, or allocatable 0 when
 * the resource does not take part (a scalar resource the pod does not request).
 */
export function allocatableAndRequested(node: NodeInfo, name: string, podRequest: number, useRequested: boolean): [number, number] {
  switch (name) {
    case RESOURCE_CPU:
      return [node.allocatable.milliCPU, (useRequested ? node.requested.milliCPU : node.nonZeroMilliCPU) + podRequest];
    case RESOURCE_MEMORY:
      return [node.allocatable.memory, (useRequested ? node.requested.memory : node.nonZeroMemory) + podRequest];
    case RESOURCE_EPHEMERAL_STORAGE:
      return [node.allocatable.ephemeralStorage, node.requested.ephemeralStorage + podRequest];
    default:
      if (isScalarResourceName(name)) {
        if (podRequest === 0) return [0, 0];
        return [node.allocatable.getScalar(name), node.requested.getScalar(name) + podRequest];
      }
      return [0, 0];
  }
}

function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  if (requested > capacity) requested = capacity;
  return Math.trunc((requested * MAX_NODE_SCORE) / capacity);
}

/** Upstream's broken-linear function over (utilization, score) points, scores already scaled. */
export function brokenLinear(shape: readonly UtilizationShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const s = shape[i]!;
      if (p <= s.utilization) {
        if (i === 0) return s.score;
        const prev = shape[i - 1]!;
        return prev.score + Math.trunc(((s.score - prev.score) * (p - prev.utilization)) / (s.utilization - prev.utilization));
      }
    }
    return shape[shape.length - 1]!.score;
  };
}

export class NodeResourcesFit implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: string[];
  readonly strategy: ScoringStrategyType;
  private readonly resources: ResourceSpec[];
  private readonly defaultResources: boolean;
  private readonly rtcr: ((p: number) => number) | undefined;

  constructor(args: NodeResourcesFitArgs = {}) {
    this.ignored = new Set(args.ignoredResources ?? []);
    this.ignoredGroups = args.ignoredResourceGroups ?? [];
    const st = args.scoringStrategy ?? {};
    this.strategy = st.type ?? 'LeastAllocated';
    if (!['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'].includes(this.strategy)) {
      throw new Error(`NodeResourcesFit: scoringStrategy.type: Unsupported value: "${this.strategy}"`);
    }
    this.resources = (st.resources ?? DEFAULT_RESOURCES).map((r) => ({ name: r.name, weight: r.weight ?? 1 }));
    this.defaultResources = this.resources.length === 2 && this.resources[0]!.name === RESOURCE_CPU && this.resources[1]!.name === RESOURCE_MEMORY
      && this.resources[0]!.weight === 1 && this.resources[1]!.weight === 1;
    if (this.strategy === 'RequestedToCapacityRatio') {
      const shape = st.requestedToCapacityRatio?.shape ?? [{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }];
      if (shape.length === 0) throw new Error('NodeResourcesFit: requestedToCapacityRatio.shape: at least one point is required');
      const scaled = shape.map((p) => ({ utilization: p.utilization, score: (p.score * MAX_NODE_SCORE) / MAX_CUSTOM_PRIORITY_SCORE }));
      this.rtcr = brokenLinear(scaled);
    }
  }

  private isIgnored(name: string): boolean {
    if (this.ignored.has(name)) return true;
    if (this.ignoredGroups.length > 0) {
      const slash = name.indexOf('/');
      if (slash > 0 && this.ignoredGroups.includes(name.slice(0, slash))) return true;
    }
    return false;
  }

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const req = pod.requests;
    const alloc = node.allocatable;
    const used = node.requested;
    let reasons: string[] | undefined;
    if (node.pods.length + 1 > alloc.allowedPodNumber) (reasons ??= []).push(REASON_TOO_MANY_PODS);
    if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar === undefined) {
      return reasons === undefined ? undefined : new Status(Code.Unschedulable, reasons, NAME);
    }
    if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) (reasons ??= []).push(insufficient(RESOURCE_CPU));
    if (req.memory > 0 && req.memory > alloc.memory - used.memory) (reasons ??= []).push(insufficient(RESOURCE_MEMORY));
    if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
      (reasons ??= []).push(insufficient(RESOURCE_EPHEMERAL_STORAGE));
    }
    if (req.scalar !== undefined) {
      for (const [name, v] of req.scalar) {
        if (v === 0 || this.isIgnored(name)) continue;
        if (v > alloc.getScalar(name) - used.getScalar(name)) (reasons ??= []).push(insufficient(name));
      }
    }
    return reasons === undefined ? undefined : new Status(Code.Unschedulable, reasons, NAME);
  }

  preScore(): Status | undefined {
    return undefined;
  }

  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (this.defaultResources && this.strategy === 'LeastAllocated') {
      // The common case, without the generic per-resource dispatch.
      const ac = node.allocatable.milliCPU;
      const am = node.allocatable.memory;
      let sum = 0;
      let w = 0;
      if (ac !== 0) { sum += leastRequestedScore(node.nonZeroMilliCPU + pod.nonZeroMilliCPU, ac); w++; }
      if (am !== 0) { sum += leastRequestedScore(node.nonZeroMemory + pod.nonZeroMemory, am); w++; }
      return w === 0 ? 0 : Math.trunc(sum / w);
    }
    let sum = 0;
    let weightSum = 0;
    const res = this.resources;
    for (let i = 0; i < res.length; i++) {
      const r = res[i]!;
      const [alloc, requested] = allocatableAndRequested(node, r.name, podScoringRequest(pod, r.name, false), false);
      if (alloc === 0) continue;
      let s: number;
      switch (this.strategy) {
        case 'LeastAllocated': s = leastRequestedScore(requested, alloc); break;
        case 'MostAllocated': s = mostRequestedScore(requested, alloc); break;
        default: {
          const util = requested > alloc ? MAX_UTILIZATION : Math.trunc((requested * MAX_UTILIZATION) / alloc);
          s = this.rtcr!(util);
        }
      }
      sum += s * r.weight;
      weightSum += r.weight;
    }
    if (weightSum === 0) return 0;
    return this.strategy === 'RequestedToCapacityRatio' ? Math.round(sum / weightSum) : Math.trunc(sum / weightSum);
  }

  events(): ClusterEvent[] {
    return [
      { resource: 'AssignedPod', action: 'Delete' }, { resource: 'AssignedPod', action: 'UpdatePodScaleDown' },
      { resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeAllocatable' },
      { resource: 'UnscheduledPod', action: 'Update' },
    ];
  }
}

export const factory = (args: Record<string, unknown> | undefined, _h: Handle): NodeResourcesFit => new NodeResourcesFit(args as NodeResourcesFitArgs);
