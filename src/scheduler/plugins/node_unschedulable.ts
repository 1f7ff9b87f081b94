// NodeUnschedulable (Filter): a cordoned node (spec.unschedulable) takes only pods that
// tolerate the node.kubernetes.io/unschedulable:NoSchedule taint.

import type { Taint } from 'kubernetes-types/core/v1.js';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from '../framework/interfaces.js';
import type { CycleState } from '../framework/cycle_state.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { tolerationsTolerateTaint } from '../framework/helpers.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
const REJECT = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_UNSCHEDULABLE], NAME);
const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;
  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.node?.spec?.unschedulable !== true) return undefined;
    if (tolerationsTolerateTaint(pod.pod.spec?.tolerations, UNSCHEDULABLE_TAINT)) return undefined;
    return REJECT;
  }
  events(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeTaint' }];
  }
}

export const factory = (): NodeUnschedulable => new NodeUnschedulable();
