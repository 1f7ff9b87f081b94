// Snapshot: the immutable-for-one-cycle view of the cluster the framework schedules against.
// The cache refreshes it incrementally before each cycle (only NodeInfos whose generation is
// newer are copied). Besides the node list in zone-interleaved order it keeps the two indexes
// InterPodAffinity needs: nodes that have pods with (anti-)affinity, and nodes that have pods
// with required anti-affinity, so the common no-affinity case scans nothing.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from './node_info.js';
import { podInfoOf } from './pod_info.js';

export class Snapshot {
  nodeInfoMap = new Map<string, NodeInfo>();
  nodeInfoList: NodeInfo[] = [];
  havePodsWithAffinityList: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinityList: NodeInfo[] = [];
  /** The newest NodeInfo generation copied in. */
  generation = 0;

  get(name: string): NodeInfo | undefined {
    return this.nodeInfoMap.get(name);
  }

  list(): readonly NodeInfo[] {
    return this.nodeInfoList;
  }

  numNodes(): number {
    return this.nodeInfoList.length;
  }

  /** Rebuilds the affinity indexes from the node list. */
  rebuildAffinityLists(): void {
    const aff: NodeInfo[] = [];
    const anti: NodeInfo[] = [];
    for (const ni of this.nodeInfoList) {
      if (ni.podsWithAffinity.length > 0) aff.push(ni);
      if (ni.podsWithRequiredAntiAffinity.length > 0) anti.push(ni);
    }
    this.havePodsWithAffinityList = aff;
    this.havePodsWithRequiredAntiAffinityList = anti;
  }

  /** A snapshot built directly from objects (tests, one-off simulations). */
  static fromObjects(nodes: readonly Node[], pods: readonly Pod[] = []): Snapshot {
    const s = new Snapshot();
    for (const n of nodes) {
      const ni = new NodeInfo(n);
      s.nodeInfoMap.set(ni.name, ni);
      s.nodeInfoList.push(ni);
    }
    for (const p of pods) {
      const name = p.spec?.nodeName;
      if (!name) continue;
      const ni = s.nodeInfoMap.get(name);
      if (ni !== undefined) ni.addPod(podInfoOf(p));
    }
    s.rebuildAffinityLists();
    return s;
  }
}
