// NodeResourcesBalancedAllocation (Score): favours nodes whose resource fractions (requested
// after placement / allocatable, per resource) are close to each other: score =
// (1 − standard deviation) × 100. Uses actual requests; best-effort pods are skipped.

import type { CycleState } from '../framework/cycle_state.js';
import type { Handle, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { MAX_NODE_SCORE } from '../framework/helpers.js';
import { RESOURCE_CPU, RESOURCE_MEMORY } from '../framework/resource.js';
import { Status } from '../framework/status.js';
import { type ResourceSpec, allocatableAndRequested, podScoringRequest } from './node_resources_fit.js';

export const NAME = 'NodeResourcesBalancedAllocation';

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  private readonly resources: string[];
  private readonly cpuMem: boolean;

  constructor(args: BalancedAllocationArgs = {}) {
    this.resources = (args.resources ?? [{ name: RESOURCE_CPU, weight: 1 }, { name: RESOURCE_MEMORY, weight: 1 }]).map((r) => r.name);
    this.cpuMem = this.resources.length === 2 && this.resources[0] === RESOURCE_CPU && this.resources[1] === RESOURCE_MEMORY;
  }

  preScore(_s: CycleState, pod: PodInfo): Status | undefined {
    for (const r of this.resources) if (podScoringRequest(pod, r, true) !== 0) return undefined;
    return Status.skip();
  }

  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (this.cpuMem) {
      const ac = node.allocatable.milliCPU;
      const am = node.allocatable.memory;
      if (ac !== 0 && am !== 0) {
        let fc = (node.requested.milliCPU + pod.requests.milliCPU) / ac;
        let fm = (node.requested.memory + pod.requests.memory) / am;
        if (fc > 1) fc = 1;
        if (fm > 1) fm = 1;
        const std = Math.abs((fc - fm) / 2);
        return Math.trunc((1 - std) * MAX_NODE_SCORE);
      }
    }
    const fractions: number[] = [];
    let total = 0;
    for (const r of this.resources) {
      const [alloc, req] = allocatableAndRequested(node, r, podScoringRequest(pod, r, true), true);
      if (alloc === 0) continue;
      const f = Math.min(req / alloc, 1);
      fractions.push(f);
      total += f;
    }
    let std = 0;
    if (fractions.length === 2) {
      std = Math.abs((fractions[0]! - fractions[1]!) / 2);
    } else if (fractions.length > 2) {
      const mean = total / fractions.length;
      let sum = 0;
      for (const f of fractions) sum += (f - mean) * (f - mean);
      std = Math.sqrt(sum / fractions.length);
    }
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  }
}

export const factory = (args: Record<string, unknown> | undefined, _h: Handle): NodeResourcesBalancedAllocation =>
  new NodeResourcesBalancedAllocation(args as BalancedAllocationArgs);
