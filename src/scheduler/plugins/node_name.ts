// NodeName (Filter): a pod with spec.nodeName set fits only that node.

import type { ClusterEvent, EnqueueExtensions, FilterPlugin } from '../framework/interfaces.js';
import type { CycleState } from '../framework/cycle_state.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'NodeName';
export const ERR_REASON = "node(s) didn't match the requested node name";
const REJECT = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON], NAME);

export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;
  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const want = pod.pod.spec?.nodeName;
    if (!want || want === node.name) return undefined;
    return REJECT;
  }
  events(): ClusterEvent[] {
    return [{ resource: 'Node', action: 'Add' }];
  }
}

export const factory = (): NodeName => new NodeName();
