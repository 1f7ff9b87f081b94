// SchedulingGates (PreEnqueue): a pod with spec.schedulingGates stays out of the active queue
// until the gates are removed by an update.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PreEnqueuePlugin, ClusterEvent, EnqueueExtensions } from '../framework/interfaces.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'SchedulingGates';

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = NAME;
  preEnqueue(pod: Pod): Status | undefined {
    const gates = pod.spec?.schedulingGates;
    if (gates === undefined || gates.length === 0) return undefined;
    return new Status(Code.UnschedulableAndUnresolvable, [`waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`]);
  }
  events(): ClusterEvent[] {
    return [{ resource: 'UnscheduledPod', action: 'Update' }];
  }
}

export const factory = (): SchedulingGates => new SchedulingGates();
