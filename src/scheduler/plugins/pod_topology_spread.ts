// PodTopologySpread: keeps matching pods evenly spread over topology domains (zones,
// hostnames, …). For DoNotSchedule constraints, PreFilter counts the matching pods per domain
// over the eligible nodes (nodeAffinityPolicy Honor / nodeTaintsPolicy Ignore by default) and
// Filter rejects a node when placing the pod there would make its domain exceed the global
// minimum by more than maxSkew (the minimum is 0 while fewer than minDomains domains exist).
// For ScheduleAnyway constraints (or the cluster default constraints), Score prefers domains
// with fewer matching pods, weighted by log(number of domains + 2), as upstream.

import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { type Selector, fromLabelSelector, nothing } from '../../api/labels.js';
import type { CycleState, StateData } from '../framework/cycle_state.js';
import type {
  ClusterEvent, EnqueueExtensions, FilterPlugin, Handle, PreFilterExtensions, PreFilterPlugin, PreScorePlugin, ScorePlugin,
} from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import type { PodInfo } from '../framework/pod_info.js';
import {
  LABEL_HOSTNAME, LABEL_ZONE, MAX_NODE_SCORE, type RequiredNodeAffinity, findUntoleratedTaint, requiredNodeAffinity,
} from '../framework/helpers.js';
import { Code, Status } from '../framework/status.js';

export const NAME = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';
const PRE_FILTER_KEY = 'PreFilter' + NAME;
const PRE_SCORE_KEY = 'PreScore' + NAME;
const REJECT_LABEL = new Status(Code.UnschedulableAndUnresolvable, [ERR_REASON_NODE_LABEL_NOT_MATCH], NAME);
const REJECT_SKEW = new Status(Code.Unschedulable, [ERR_REASON_CONSTRAINTS_NOT_MATCH], NAME);

export interface PodTopologySpreadArgs {
  defaultConstraints?: TopologySpreadConstraint[];
  defaultingType?: 'System' | 'List';
}

/** Upstream's system default constraints (applied with the selector of the pod's owners). */
export const SYSTEM_DEFAULT_CONSTRAINTS: TopologySpreadConstraint[] = [
  { maxSkew: 3, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway' },
];

interface Constraint {
  /** Memo key of the selector's matching-pod counts (with the namespace prepended per pod). */
  selectorKey: string;
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

const noTaintEffect = (e: string): boolean => e === 'NoSchedule' || e === 'NoExecute';

function compileConstraint(c: TopologySpreadConstraint, podLabels: Record<string, string>, selectorOverride?: Selector): Constraint {
  let selector: Selector;
  if (selectorOverride !== undefined) {
    selector = selectorOverride;
  } else {
    try {
      const keys = (c.matchLabelKeys ?? []).filter((k) => podLabels[k] !== undefined);
      if (keys.length > 0 && c.labelSelector) {
        const ls: LabelSelector = {
          ...c.labelSelector,
          matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...keys.map((k) => ({ key: k, operator: 'In', values: [podLabels[k]!] }))],
        };
        selector = fromLabelSelector(ls);
      } else {
        selector = fromLabelSelector(c.labelSelector);
      }
    } catch {
      selector = nothing;
    }
  }
  return {
    selectorKey: 'pts\x00' + selector.toString() + (selector.matchesNothing() ? '\x00nothing' : ''),
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector,
    minDomains: c.minDomains ?? 1,
    honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
  };
}

function nodeHasAllKeys(labels: Record<string, string>, cs: readonly Constraint[]): boolean {
  for (let i = 0; i < cs.length; i++) if (labels[cs[i]!.topologyKey] === undefined) return false;
  return true;
}

function nodeIncluded(c: Constraint, pod: PodInfo, node: NodeInfo, aff: RequiredNodeAffinity): boolean {
  if (c.honorAffinity && !aff.isEmpty() && !aff.matches(node.node!)) return false;
  if (c.honorTaints && findUntoleratedTaint(node.taints, pod.pod.spec?.tolerations, noTaintEffect) !== undefined) return false;
  return true;
}

const internedKeys = new Map<string, number>();
/** A small integer standing for (namespace, selector), for NodeInfo's memo. */
function memoKey(ns: string, c: Constraint): number {
  const k = ns + '\x00' + c.selectorKey;
  let id = internedKeys.get(k);
  if (id === undefined) {
    id = internedKeys.size;
    internedKeys.set(k, id);
  }
  return id;
}

/**
 * countMatching memoised on the NodeInfo per (namespace, selector): between two cycles only
 * the node that received the last pod changes, so the scan over every node's pods happens once.
 */
function countMatchingCached(ni: NodeInfo, selector: Selector, ns: string, sig: number): number {
  if (ni.pods.length === 0) return 0;
  let c = ni.memoGet(sig);
  if (c === undefined) {
    c = countMatching(ni.pods, selector, ns);
    ni.memoSet(sig, c);
  }
  return c;
}

/** Matching, non-terminating pods of the namespace on the node. */
function countMatching(pods: readonly PodInfo[], selector: Selector, ns: string): number {
  let n = 0;
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i]!;
    if (p.namespace !== ns || p.terminating) continue;
    if (selector.matches(p.labels)) n++;
  }
  return n;
}

class PreFilterState implements StateData {
  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: matching pods per topology value, over eligible nodes. */
    readonly counts: Map<string, number>[],
    /** Per constraint: the smallest count (recomputed after what-if updates). */
    readonly mins: number[],
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(this.constraints, this.counts.map((m) => new Map(m)), this.mins.slice());
  }

  recomputeMin(i: number): void {
    let min = Infinity;
    for (const v of this.counts[i]!.values()) if (v < min) min = v;
    this.mins[i] = min === Infinity ? 0 : min;
  }

  update(pod: PodInfo, other: PodInfo, node: NodeInfo, delta: number): void {
    if (node.node === undefined || other.namespace !== pod.namespace) return;
    const labels = node.labels;
    if (!nodeHasAllKeys(labels, this.constraints)) return;
    const aff = requiredNodeAffinity(pod.pod);
    for (let i = 0; i < this.constraints.length; i++) {
      const c = this.constraints[i]!;
      if (!nodeIncluded(c, pod, node, aff)) continue;
      if (!c.selector.matches(other.labels)) continue;
      const v = labels[c.topologyKey]!;
      this.counts[i]!.set(v, (this.counts[i]!.get(v) ?? 0) + delta);
      this.recomputeMin(i);
    }
  }
}

interface PreScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  counts: Map<string, number>[];
  weights: number[];
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = NAME;
  private readonly defaults: TopologySpreadConstraint[];
  private readonly systemDefaulted: boolean;
  private readonly hardCache = new WeakMap<Pod, Constraint[]>();
  private readonly softCache = new WeakMap<Pod, Constraint[]>();

  constructor(private readonly handle: Handle, args: PodTopologySpreadArgs = {}) {
    const type = args.defaultingType ?? 'System';
    if (type === 'System') {
      if (args.defaultConstraints !== undefined && args.defaultConstraints.length > 0) {
        throw new Error('PodTopologySpread: defaultConstraints: must be empty when defaultingType is System');
      }
      this.defaults = SYSTEM_DEFAULT_CONSTRAINTS;
      this.systemDefaulted = true;
    } else {
      this.defaults = args.defaultConstraints ?? [];
      this.systemDefaulted = false;
    }
  }

  private constraintsOf(pod: PodInfo, mode: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    const cache = mode === 'DoNotSchedule' ? this.hardCache : this.softCache;
    let cs = cache.get(pod.pod);
    if (cs !== undefined) return cs;
    const spec = pod.pod.spec?.topologySpreadConstraints;
    const labels = pod.pod.metadata?.labels ?? {};
    if (spec !== undefined && spec.length > 0) {
      cs = spec.filter((c) => c.whenUnsatisfiable === mode).map((c) => compileConstraint(c, labels));
    } else {
      cs = [];
      const defs = this.defaults.filter((c) => c.whenUnsatisfiable === mode);
      if (defs.length > 0) {
        const sel = this.handle.defaultSpreadSelector?.(pod.pod);
        if (sel !== undefined && !sel.isEmpty() && !sel.matchesNothing()) {
          cs = defs.map((c) => compileConstraint(c, labels, sel));
        }
      }
    }
    cache.set(pod.pod, cs);
    return cs;
  }

  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined {
    const cs = this.constraintsOf(pod, 'DoNotSchedule');
    if (cs.length === 0) return Status.skip();
    const counts = cs.map(() => new Map<string, number>());
    const aff = requiredNodeAffinity(pod.pod);
    const ns = pod.namespace;
    const nc = cs.length;
    const single = nc === 1 ? cs[0]! : undefined;
    // Per-node checks that cannot fail are hoisted out of the loop.
    const simple = single !== undefined && (!single.honorAffinity || aff.isEmpty()) && !single.honorTaints;
    if (simple) {
      // One constraint, no node inclusion policy to evaluate (the common case).
      const key = single.topologyKey;
      const sel = single.selector;
      const sig = memoKey(ns, single);
      const m = counts[0]!;
      let lastV: string | undefined;
      let lastCount = 0;
      for (let n = 0; n < nodes.length; n++) {
        const ni = nodes[n]!;
        const node = ni.node;
        if (node === undefined) continue;
        const v = node.metadata!.labels?.[key];
        if (v === undefined) continue;
        const c = countMatchingCached(ni, sel, ns, sig);
        // Runs of nodes in the same domain are common; batch them before touching the map.
        if (v === lastV) { lastCount += c; continue; }
        if (lastV !== undefined) m.set(lastV, (m.get(lastV) ?? 0) + lastCount);
        lastV = v;
        lastCount = c;
      }
      if (lastV !== undefined) m.set(lastV, (m.get(lastV) ?? 0) + lastCount);
    }
    for (let n = 0; !simple && n < nodes.length; n++) {
      const ni = nodes[n]!;
      if (ni.node === undefined) continue;
      const labels = ni.labels;
      if (single !== undefined) {
        const v = labels[single.topologyKey];
        if (v === undefined || !nodeIncluded(single, pod, ni, aff)) continue;
        const m = counts[0]!;
        const c = countMatchingCached(ni, single.selector, ns, memoKey(ns, single));
        m.set(v, (m.get(v) ?? 0) + c);
        continue;
      }
      if (!nodeHasAllKeys(labels, cs)) continue;
      for (let i = 0; i < nc; i++) {
        const c = cs[i]!;
        if (!nodeIncluded(c, pod, ni, aff)) continue;
        const v = labels[c.topologyKey]!;
        const m = counts[i]!;
        const cnt = countMatchingCached(ni, c.selector, ns, memoKey(ns, c));
        m.set(v, (m.get(v) ?? 0) + cnt);
      }
    }
    const st = new PreFilterState(cs, counts, new Array<number>(nc).fill(0));
    for (let i = 0; i < nc; i++) st.recomputeMin(i);
    state.write(PRE_FILTER_KEY, st);
    return undefined;
  }

  preFilterExtensions(): PreFilterExtensions {
    return {
      addPod: (state, pod, other, node) => {
        state.read<PreFilterState>(PRE_FILTER_KEY)?.update(pod, other, node, 1);
        return undefined;
      },
      removePod: (state, pod, other, node) => {
        state.read<PreFilterState>(PRE_FILTER_KEY)?.update(pod, other, node, -1);
        return undefined;
      },
    };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const st = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (st === undefined) return undefined;
    const labels = node.labels;
    const cs = st.constraints;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) return REJECT_LABEL;
      const selfMatch = c.selector.matches(pod.labels) ? 1 : 0;
      const m = st.counts[i]!;
      const min = m.size < c.minDomains ? 0 : st.mins[i]!;
      const matchNum = m.get(v) ?? 0;
      if (matchNum + selfMatch - min > c.maxSkew) return REJECT_SKEW;
    }
    return undefined;
  }

  preScore(state: CycleState, pod: PodInfo, filtered: readonly NodeInfo[]): Status | undefined {
    const allNodes = this.handle.snapshot().nodeInfoList;
    if (allNodes.length === 0) return Status.skip();
    const cs = this.constraintsOf(pod, 'ScheduleAnyway');
    if (cs.length === 0) return Status.skip();
    const requireAll = (pod.pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !this.systemDefaulted;
    const ignored = new Set<string>();
    const counts = cs.map(() => new Map<string, number>());
    const topoSize = new Array<number>(cs.length).fill(0);
    for (const ni of filtered) {
      const labels = ni.labels;
      if (requireAll && !nodeHasAllKeys(labels, cs)) { ignored.add(ni.name); continue; }
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        if (c.topologyKey === LABEL_HOSTNAME) continue;
        const v = labels[c.topologyKey];
        if (v === undefined) continue;
        if (!counts[i]!.has(v)) { counts[i]!.set(v, 0); topoSize[i]!++; }
      }
    }
    const weights = cs.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : topoSize[i]!) + 2));
    const aff = requiredNodeAffinity(pod.pod);
    const ns = pod.namespace;
    const needCount = cs.some((c) => c.topologyKey !== LABEL_HOSTNAME);
    if (needCount) {
      for (const ni of allNodes) {
        if (ni.node === undefined) continue;
        const labels = ni.labels;
        if (requireAll && !nodeHasAllKeys(labels, cs)) continue;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!;
          if (c.topologyKey === LABEL_HOSTNAME) continue;
          if (!nodeIncluded(c, pod, ni, aff)) continue;
          const v = labels[c.topologyKey];
          if (v === undefined) continue;
          const cur = counts[i]!.get(v);
          if (cur === undefined) continue;
          if (ni.pods.length > 0) counts[i]!.set(v, cur + countMatchingCached(ni, c.selector, ns, memoKey(ns, c)));
        }
      }
    }
    const s: PreScoreState = { constraints: cs, ignored, counts, weights };
    state.write(PRE_SCORE_KEY, s);
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (s === undefined || s.ignored.has(node.name)) return 0;
    const labels = node.labels;
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) continue;
      const cnt = c.topologyKey === LABEL_HOSTNAME
        ? countMatchingCached(node, c.selector, pod.namespace, memoKey(pod.namespace, c))
        : s.counts[i]!.get(v) ?? 0;
      score += cnt * s.weights[i]! + (c.maxSkew - 1);
    }
    return Math.round(score);
  }

  normalizeScore(state: CycleState, _p: PodInfo, nodes: readonly NodeInfo[], scores: Float64Array): Status | undefined {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (s === undefined) return undefined;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i]!.name)) continue;
      const v = scores[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i]!.name)) { scores[i] = 0; continue; }
      if (max === 0) { scores[i] = MAX_NODE_SCORE; continue; }
      scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
    }
    return undefined;
  }

  events(): ClusterEvent[] {
    return [
      { resource: 'AssignedPod', action: 'Add' }, { resource: 'AssignedPod', action: 'Update' }, { resource: 'AssignedPod', action: 'Delete' },
      { resource: 'Node', action: 'Add' }, { resource: 'Node', action: 'Delete' }, { resource: 'Node', action: 'UpdateNodeLabel' },
      { resource: 'Node', action: 'UpdateNodeTaint' },
    ];
  }
}

export const factory = (args: Record<string, unknown> | undefined, handle: Handle): PodTopologySpread =>
  new PodTopologySpread(handle, args as PodTopologySpreadArgs);
