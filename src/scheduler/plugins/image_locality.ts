// ImageLocality (Score): favours nodes that already have the pod's images, weighting each
// image's size by how widely it is spread (so one node holding a popular image does not
// attract everything), clamped between 23 MiB and 1000 MiB per container.

import type { CycleState } from '../framework/cycle_state.js';
import type { Handle, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import { MAX_NODE_SCORE } from '../framework/helpers.js';

export const NAME = 'ImageLocality';
const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** Adds `:latest` to an image reference with neither tag nor digest. */
export function normalizedImageName(name: string): string {
  const lastSlash = name.lastIndexOf('/');
  const last = name.slice(lastSlash + 1);
  if (!last.includes(':') && !name.includes('@')) return name + ':latest';
  return name;
}

export class ImageLocality implements ScorePlugin {
  readonly name = NAME;
  constructor(private readonly handle: Handle) {}

  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (node.imageStates.size === 0) return 0;
    const total = this.handle.snapshot().numNodes();
    const spec = pod.pod.spec;
    let sum = 0;
    let containers = 0;
    for (const list of [spec?.initContainers, spec?.containers]) {
      if (list === undefined) continue;
      for (const c of list) {
        containers++;
        if (!c.image) continue;
        const st = node.imageStates.get(normalizedImageName(c.image));
        if (st !== undefined && total > 0) sum += Math.trunc(st.size * (st.nodes.size / total));
      }
    }
    const maxThreshold = MAX_CONTAINER_THRESHOLD * containers;
    if (sum < MIN_THRESHOLD) sum = MIN_THRESHOLD;
    else if (sum > maxThreshold) sum = maxThreshold;
    if (maxThreshold <= MIN_THRESHOLD) return 0;
    return Math.trunc((MAX_NODE_SCORE * (sum - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
  }
}

export const factory = (_a: unknown, handle: Handle): ImageLocality => new ImageLocality(handle);
