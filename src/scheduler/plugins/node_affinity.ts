// NodeAffinity: Filter requires the pod's nodeSelector and required node affinity (terms
// ORed, expressions within a term ANDed; matchFields on metadata.name), plus an optional
// scheduler-enforced `addedAffinity`. PreFilter narrows the candidate nodes when every term
// pins `metadata.name`. Score sums the weights of the matching preferred terms, normalised to
// 0..100.

import type { NodeAffinity as NodeAffinitySpec, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import type { CycleState } from '../framework/cycle_state.js';
import {
  type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type Handle, type PreFilterPlugin, type PreScorePlugin,
  type ScorePlugin, PreFilterResult,
} from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { CompiledNodeSelector, CompiledNodeSelectorTerm, MAX_NODE_SCORE, type RequiredNodeAffinity, defaultNormalizeScore, requiredNodeAffinity } from '../framework/helpers.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
const PRE_FILTER_KEY = 'PreFilter' + NAME;
const PRE_SCORE_KEY = 'PreScore' + NAME;
const REJECT_POD = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_POD], NAME);
const REJECT_ENFORCED = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_ENFORCED], NAME);

export interface NodeAffinityArgs {
  addedAffinity?: NodeAffinitySpec;
}

interface WeightedTerm { term: CompiledNodeSelectorTerm; weight: number }

function compilePreferred(terms: readonly PreferredSchedulingTerm[] | undefined): WeightedTerm[] {
  const out: WeightedTerm[] = [];
  for (const t of terms ?? []) if (t.weight !== 0) out.push({ term: new CompiledNodeSelectorTerm(t.preference), weight: t.weight });
  return out;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly addedRequired: CompiledNodeSelector | undefined;
  private readonly addedPreferred: WeightedTerm[];

  constructor(args: NodeAffinityArgs = {}) {
    const req = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.addedRequired = req !== undefined ? new CompiledNodeSelector(req) : undefined;
    this.addedPreferred = compilePreferred(args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  preFilter(state: CycleState, pod: PodInfo): PreFilterResult | Status | undefined {
    const req = requiredNodeAffinity(pod.pod);
    if (req.isEmpty() && this.addedRequired === undefined) return Status.skip();
    state.write(PRE_FILTER_KEY, req);
    const names = req.pinnedNodeNames();
    return names === undefined ? undefined : new PreFilterResult(names);
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const n = node.node;
    if (n === undefined) return REJECT_POD;
    if (this.addedRequired !== undefined && !this.addedRequired.matches(n)) return REJECT_ENFORCED;
    const req = state.read<RequiredNodeAffinity>(PRE_FILTER_KEY) ?? requiredNodeAffinity(pod.pod);
    return req.matches(n) ? undefined : REJECT_POD;
  }

  preScore(state: CycleState, pod: PodInfo): Status | undefined {
    const terms = compilePreferred(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    if (terms.length === 0 && this.addedPreferred.length === 0) return Status.skip();
    state.write(PRE_SCORE_KEY, terms);
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const n = node.node;
    if (n === undefined) return 0;
    const terms = state.read<WeightedTerm[]>(PRE_SCORE_KEY)
      ?? compilePreferred(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    let sum = 0;
    for (const t of this.addedPreferred) if (t.term.matches(n)) sum += t.weight;
    for (const t of terms) if (t.term.matches(n)) sum += t.weight;
    return sum;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array): Status | undefined {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    return undefined;
  }

  events(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeLabel' }, { resource: 'UnscheduledPod', action: 'Update' }];
  }
}

export const factory = (args: Record<string, unknown> | undefined, _h: Handle): NodeAffinity => new NodeAffinity(args as NodeAffinityArgs);
