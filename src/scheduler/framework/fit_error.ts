// FitError: why a pod fits no node, rendered exactly as upstream so `kubectl describe pod`
// reads the same: `0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2
// Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for
// incoming pod.` Reasons are counted over nodes, printed as "<count> <reason>", sorted as
// strings (so counts sort first), and joined with ", ".

import type { PodInfo } from './pod_info.js';
import type { NodeToStatus } from './interfaces.js';

export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  /** Plugins that rejected the pod with Unschedulable(AndUnresolvable); used by queueing hints. */
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter plugin rejected the pod (then node statuses are not listed). */
  preFilterMsg: string;
  /** The PostFilter (preemption) outcome, appended after the filter reasons. */
  postFilterMsg: string;
  /** Nodes Filter rejected (listed in nodeToStatus only when the pod fits nowhere). */
  rejectedInFilter: number;
}

export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new Map(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '', rejectedInFilter: 0 };
}

export const NO_NODE_AVAILABLE = 'no nodes available to schedule pods';

export class FitError extends Error {
  constructor(readonly pod: PodInfo, readonly numAllNodes: number, readonly diagnosis: Diagnosis) {
    super();
    this.name = 'FitError';
    // Rendered on read: PostFilter adds its message after the error is built.
    Object.defineProperty(this, 'message', { get: () => this.render(), enumerable: false, configurable: true });
  }

  render(): string {
    if (this.numAllNodes === 0 && this.diagnosis.preFilterMsg === '' && this.diagnosis.nodeToStatus.size === 0) {
      return NO_NODE_AVAILABLE;
    }
    let msg = `0/${this.numAllNodes} nodes are available:`;
    const d = this.diagnosis;
    if (d.preFilterMsg !== '') {
      msg += ` ${d.preFilterMsg}.`;
    } else {
      const hist = reasonHistogram(d.nodeToStatus);
      if (hist.length > 0) msg += ` ${hist.join(', ')}.`;
    }
    // The PostFilter message brings its own full stop (upstream appends it after a space).
    if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}`;
    return msg;
  }
}

/** "<count> <reason>" for every reason over all node statuses, sorted as strings. */
export function reasonHistogram(nodeToStatus: NodeToStatus): string[] {
  const counts = new Map<string, number>();
  for (const st of nodeToStatus.values()) {
    for (const r of st.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const [r, n] of counts) out.push(`${n} ${r}`);
  // Go's sort.Strings: byte-wise comparison.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
