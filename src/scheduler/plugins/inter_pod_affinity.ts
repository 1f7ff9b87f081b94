// InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's, and existing
// pods' anti-affinity against the incoming pod, which is symmetric), and preferred terms for
// scoring. PreFilter counts, per topology key and value, the existing pods that match the
// incoming pod's terms (and the existing anti-affinity terms that match the incoming pod);
// Filter then only looks up the node's topology values. The snapshot's indexes limit the scan
// for existing pods' terms to nodes that have such pods.

import type { CycleState, StateData } from '../framework/cycle_state.js';
import type {
  ClusterEvent, EnqueueExtensions, FilterPlugin, Handle, PreFilterExtensions, PreFilterPlugin, PreScorePlugin, ScorePlugin,
} from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { AffinityTerm, NamespaceLabels, PodInfo } from '../framework/pod_info.js';
import { MAX_NODE_SCORE } from '../framework/helpers.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
const PRE_FILTER_KEY = 'PreFilter' + NAME;
const PRE_SCORE_KEY = 'PreScore' + NAME;
const REJECT_EXISTING = new Status(Code.Unschedulable, [ERR_REASON_EXISTING_ANTI_AFFINITY], NAME);
const REJECT_AFFINITY = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_AFFINITY], NAME);
const REJECT_ANTI = new Status(Code.Unschedulable, [ERR_REASON_ANTI_AFFINITY], NAME);

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

/** topologyKey → topology value → count (entries that reach 0 are deleted). */
class TopologyCounts {
  readonly byKey = new Map<string, Map<string, number>>();
  size = 0;

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, m] of this.byKey) c.byKey.set(k, new Map(m));
    c.size = this.size;
    return c;
  }

  update(labels: Record<string, string>, key: string, delta: number): void {
    const v = labels[key];
    if (v === undefined) return;
    let m = this.byKey.get(key);
    if (m === undefined) this.byKey.set(key, (m = new Map()));
    const cur = m.get(v);
    const next = (cur ?? 0) + delta;
    if (next === 0) {
      if (cur !== undefined) { m.delete(v); this.size--; }
    } else {
      if (cur === undefined) this.size++;
      m.set(v, next);
    }
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }
}

function matchesAll(terms: readonly AffinityTerm[], pod: PodInfo, nsLabels: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!t.matches(pod, nsLabels)) return false;
  return true;
}

class PreFilterState implements StateData {
  constructor(
    readonly existingAnti: TopologyCounts,
    readonly affinity: TopologyCounts,
    readonly anti: TopologyCounts,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(this.existingAnti.clone(), this.affinity.clone(), this.anti.clone());
  }
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly hardWeight: number;
  private readonly ignorePreferredOfExisting: boolean;

  constructor(private readonly handle: Handle, args: InterPodAffinityArgs = {}) {
    this.hardWeight = args.hardPodAffinityWeight ?? 1;
    this.ignorePreferredOfExisting = args.ignorePreferredTermsOfExistingPods ?? false;
  }

  /** Adds (delta 1) or removes (-1) one existing pod's contribution to the counts. */
  private account(st: PreFilterState, pod: PodInfo, other: PodInfo, labels: Record<string, string>, delta: number): void {
    const ns = this.handle.namespaceLabels;
    for (const t of other.requiredAntiAffinityTerms) if (t.matches(pod, ns)) st.existingAnti.update(labels, t.topologyKey, delta);
    const aff = pod.requiredAffinityTerms;
    if (aff.length > 0 && matchesAll(aff, other, ns)) for (const t of aff) st.affinity.update(labels, t.topologyKey, delta);
    for (const t of pod.requiredAntiAffinityTerms) if (t.matches(other, ns)) st.anti.update(labels, t.topologyKey, delta);
  }

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined {
    const snap = this.handle.snapshot();
    const ns = this.handle.namespaceLabels;
    const st = new PreFilterState(new TopologyCounts(), new TopologyCounts(), new TopologyCounts());
    for (const ni of snap.havePodsWithRequiredAntiAffinityList) {
      if (ni.node === undefined) continue;
      const labels = ni.labels;
      for (const ex of ni.podsWithRequiredAntiAffinity) {
        for (const t of ex.requiredAntiAffinityTerms) if (t.matches(pod, ns)) st.existingAnti.update(labels, t.topologyKey, 1);
      }
    }
    const aff = pod.requiredAffinityTerms;
    const anti = pod.requiredAntiAffinityTerms;
    if (st.existingAnti.size === 0 && aff.length === 0 && anti.length === 0) return Status.skip();
    if (aff.length > 0 || anti.length > 0) {
      for (let n = 0; n < nodes.length; n++) {
        const ni = nodes[n]!;
        if (ni.node === undefined || ni.pods.length === 0) continue;
        const labels = ni.labels;
        const pods = ni.pods;
        for (let i = 0; i < pods.length; i++) {
          const ex = pods[i]!;
          if (aff.length > 0 && matchesAll(aff, ex, ns)) for (const t of aff) st.affinity.update(labels, t.topologyKey, 1);
          for (let j = 0; j < anti.length; j++) {
            const t = anti[j]!;
            if (t.matches(ex, ns)) st.anti.update(labels, t.topologyKey, 1);
          }
        }
      }
    }
    state.write(PRE_FILTER_KEY, st);
    return undefined;
  }

  preFilterExtensions(): PreFilterExtensions {
    return {
      addPod: (state, pod, other, node) => {
        const st = state.read<PreFilterState>(PRE_FILTER_KEY);
        if (st !== undefined && node.node !== undefined) this.account(st, pod, other, node.labels, 1);
        return undefined;
      },
      removePod: (state, pod, other, node) => {
        const st = state.read<PreFilterState>(PRE_FILTER_KEY);
        if (st !== undefined && node.node !== undefined) this.account(st, pod, other, node.labels, -1);
        return undefined;
      },
    };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const st = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (st === undefined) return undefined;
    const labels = node.labels;
    // Required affinity: every term's domain on this node must hold a matching pod, unless
    // no pod matches anywhere and the pod matches its own terms (the first of a group).
    const aff = pod.requiredAffinityTerms;
    if (aff.length > 0) {
      let podsExist = true;
      for (const t of aff) {
        const v = labels[t.topologyKey];
        if (v === undefined) return REJECT_AFFINITY;
        if (st.affinity.get(t.topologyKey, v) <= 0) podsExist = false;
      }
      if (!podsExist && !(st.affinity.size === 0 && matchesAll(aff, pod, this.handle.namespaceLabels))) return REJECT_AFFINITY;
    }
    if (st.anti.size > 0) {
      for (const t of pod.requiredAntiAffinityTerms) {
        const v = labels[t.topologyKey];
        if (v !== undefined && st.anti.get(t.topologyKey, v) > 0) return REJECT_ANTI;
      }
    }
    if (st.existingAnti.size > 0) {
      for (const [key, m] of st.existingAnti.byKey) {
        const v = labels[key];
        if (v !== undefined && (m.get(v) ?? 0) > 0) return REJECT_EXISTING;
      }
    }
    return undefined;
  }

  preScore(state: CycleState, pod: PodInfo, _filtered: readonly NodeInfo[]): Status | undefined {
    const snap = this.handle.snapshot();
    const hasPreferred = pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
    const nodes = hasPreferred ? snap.nodeInfoList : snap.havePodsWithAffinityList;
    if (nodes.length === 0) return Status.skip();
    const ns = this.handle.namespaceLabels;
    const scores = new Map<string, Map<string, number>>();
    const add = (labels: Record<string, string>, key: string, w: number): void => {
      const v = labels[key];
      if (v === undefined) return;
      let m = scores.get(key);
      if (m === undefined) scores.set(key, (m = new Map()));
      m.set(v, (m.get(v) ?? 0) + w);
    };
    for (const ni of nodes) {
      if (ni.node === undefined) continue;
      const labels = ni.labels;
      const pods = hasPreferred ? ni.pods : ni.podsWithAffinity;
      for (const ex of pods) {
        for (const { term, weight } of pod.preferredAffinityTerms) if (term.matches(ex, ns)) add(labels, term.topologyKey, weight);
        for (const { term, weight } of pod.preferredAntiAffinityTerms) if (term.matches(ex, ns)) add(labels, term.topologyKey, -weight);
        if (this.hardWeight > 0) {
          for (const t of ex.requiredAffinityTerms) if (t.matches(pod, ns)) add(labels, t.topologyKey, this.hardWeight);
        }
        if (!this.ignorePreferredOfExisting) {
          for (const { term, weight } of ex.preferredAffinityTerms) if (term.matches(pod, ns)) add(labels, term.topologyKey, weight);
          for (const { term, weight } of ex.preferredAntiAffinityTerms) if (term.matches(pod, ns)) add(labels, term.topologyKey, -weight);
        }
      }
    }
    if (scores.size === 0) return Status.skip();
    state.write(PRE_SCORE_KEY, scores);
    return undefined;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const scores = state.read<Map<string, Map<string, number>>>(PRE_SCORE_KEY);
    if (scores === undefined) return 0;
    const labels = node.labels;
    let s = 0;
    for (const [key, m] of scores) {
      const v = labels[key];
      if (v !== undefined) s += m.get(v) ?? 0;
    }
    return s;
  }

  normalizeScore(state: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array): Status | undefined {
    if (state.read(PRE_SCORE_KEY) === undefined) return undefined;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) {
      scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / diff)) : 0;
    }
    return undefined;
  }

  events(): ClusterEvent[] {
    return [
      { resource: 'AssignedPod', action: 'Add' }, { resource: 'AssignedPod', action: 'Update' }, { resource: 'AssignedPod', action: 'Delete' },
      { resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'UpdateNodeLabel' },
    ];
  }
}

export const factory = (args: Record<string, unknown> | undefined, handle: Handle): InterPodAffinity =>
  new InterPodAffinity(handle, args as InterPodAffinityArgs);
