// PrioritySort (QueueSort): higher spec.priority first, then the pod that entered the queue
// earlier.

import type { QueueSortPlugin, QueuedPodInfo } from '../framework/interfaces.js';

export const NAME = 'PrioritySort';

export class PrioritySort implements QueueSortPlugin {
  readonly name = NAME;
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.podInfo.priority;
    const pb = b.podInfo.priority;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}

export const factory = (): PrioritySort => new PrioritySort();
