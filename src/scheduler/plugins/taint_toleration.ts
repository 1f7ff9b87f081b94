// TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod does not
// tolerate (message names the first such taint, as upstream); Score counts the
// PreferNoSchedule taints the pod does not tolerate and normalises in reverse (fewer is better).

import type { Toleration } from 'kubernetes-types/core/v1.js';
import type { CycleState } from '../framework/cycle_state.js';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { MAX_NODE_SCORE, defaultNormalizeScore, findUntoleratedTaint, tolerationsTolerateTaint } from '../framework/helpers.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'TaintToleration';
const STATE_KEY = 'PreScore' + NAME;

const filterEffect = (e: string): boolean => e === 'NoSchedule' || e === 'NoExecute';

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const taints = node.taints;
    if (taints === undefined || taints.length === 0) return undefined;
    const t = findUntoleratedTaint(taints, pod.pod.spec?.tolerations, filterEffect);
    if (t === undefined) return undefined;
    return new Status(Code.UnschedulableAndUnresolvable, [`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`], NAME);
  }

  preScore(state: CycleState, pod: PodInfo): Status | undefined {
    // Only tolerations with an empty or PreferNoSchedule effect matter for scoring.
    const tols = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(STATE_KEY, tols);
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const taints = node.taints;
    if (taints === undefined || taints.length === 0) return 0;
    const tols = state.read<Toleration[]>(STATE_KEY) ?? pod.pod.spec?.tolerations ?? [];
    let n = 0;
    for (const t of taints) {
      if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tols, t)) n++;
    }
    return n;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array): Status | undefined {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
    return undefined;
  }

  events(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeTaint' }, { resource: 'UnscheduledPod', action: 'Update' }];
  }
}

export const factory = (): TaintToleration => new TaintToleration();
