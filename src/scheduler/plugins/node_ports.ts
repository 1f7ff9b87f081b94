// NodePorts (Filter): the pod's host ports must be free on the node; 0.0.0.0 conflicts with
// every address for the same protocol and port.

import type { CycleState } from '../framework/cycle_state.js';
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, PreFilterPlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'NodePorts';
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";
const REJECT = new Status(Code.Unschedulable, [ERR_REASON], NAME);

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = NAME;
  preFilter(_s: CycleState, pod: PodInfo): Status | undefined {
    return pod.hostPorts.length === 0 ? Status.skip() : undefined;
  }
  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const ports = pod.hostPorts;
    if (ports.length === 0 || node.usedPorts.size === 0) return undefined;
    for (const p of ports) if (node.usedPorts.conflicts(p)) return REJECT;
    return undefined;
  }
  events(): ClusterEvent[] {
    return [{ resource: 'AssignedPod', action: 'Delete' }, { resource: 'Node', action: 'Add' }];
  }
}

export const factory = (): NodePorts => new NodePorts();
