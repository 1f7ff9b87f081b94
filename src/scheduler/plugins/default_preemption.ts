// DefaultPreemption (PostFilter): when no node fits, look for a node where evicting pods of
// lower priority makes room. On each candidate node (a copy), remove every lower-priority
// pod, check the preemptor fits, then reprieve victims one by one, most important first
// (PDB-protected pods before the others), keeping only those whose return breaks the fit.
// Among candidates pick, in order: fewest PDB violations, lowest highest-victim priority,
// lowest priority sum, fewest victims, latest start of the highest-priority victims.
// The result names the node to nominate and the pods to evict; the caller evicts them.

import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { fromLabelSelector } from '../../api/labels.js';
import type { CycleState } from '../framework/cycle_state.js';
import { FitError, newDiagnosis } from '../framework/fit_error.js';
import type { Handle, NodeToStatus, PostFilterPlugin, PostFilterResult } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node_info.js';
import { type PodInfo, isTerminating } from '../framework/pod_info.js';
import { Code, Status, isSuccess } from '../framework/status.js';

export const NAME = 'DefaultPreemption';
export const REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

export interface Candidate {
  nodeName: string;
  victims: PodInfo[];
  numPDBViolations: number;
}

function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** Higher priority first; equal priority: the one that started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startTime(a) - startTime(b);
}

/** Splits pods into those whose eviction would violate a PDB and the rest (upstream semantics). */
export function splitByPDBViolation(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): [PodInfo[], PodInfo[]] {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((p) => {
    try { return fromLabelSelector(p.spec?.selector); } catch { return undefined; }
  });
  const violating: PodInfo[] = [];
  const ok: PodInfo[] = [];
  for (const p of pods) {
    let violated = false;
    if (Object.keys(p.labels).length > 0) {
      for (let i = 0; i < pdbs.length; i++) {
        const pdb = pdbs[i]!;
        if ((pdb.metadata?.namespace ?? 'default') !== p.namespace) continue;
        const sel = selectors[i];
        if (sel === undefined || sel.isEmpty() || sel.matchesNothing() || !sel.matches(p.labels)) continue;
        if (pdb.status?.disruptedPods?.[p.name] !== undefined) continue;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      }
    }
    (violated ? violating : ok).push(p);
  }
  return [violating, ok];
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = NAME;
  private readonly minPct: number;
  private readonly minAbs: number;

  constructor(private readonly handle: Handle, args: DefaultPreemptionArgs = {}) {
    this.minPct = args.minCandidateNodesPercentage ?? 10;
    this.minAbs = args.minCandidateNodesAbsolute ?? 100;
  }

  postFilter(state: CycleState, pod: PodInfo, nodeToStatus: NodeToStatus): { result?: PostFilterResult; status: Status } {
    const why = this.notEligible(pod);
    if (why !== undefined) return { status: new Status(Code.Unschedulable, [`preemption: ${why}`], NAME) };
    const allNodes = this.handle.snapshot().nodeInfoList;
    const statuses: NodeToStatus = new Map();
    const potential: NodeInfo[] = [];
    const notHelpful = new Status(Code.UnschedulableAndUnresolvable, [REASON_NOT_HELPFUL], NAME);
    for (const ni of allNodes) {
      const st = nodeToStatus.get(ni.name);
      if (st !== undefined && st.code === Code.UnschedulableAndUnresolvable) statuses.set(ni.name, notHelpful);
      else potential.push(ni);
    }
    const candidates: Candidate[] = [];
    if (potential.length > 0) {
      const pdbs = this.handle.pdbs();
      const want = Math.min(potential.length, Math.max(Math.trunc((potential.length * this.minPct) / 100), this.minAbs));
      const offset = Math.floor(Math.random() * potential.length);
      for (let k = 0; k < potential.length && candidates.length < want; k++) {
        const ni = potential[(offset + k) % potential.length]!;
        const r = this.selectVictimsOnNode(state.clone(), pod, ni.clone(), pdbs);
        if ('status' in r) statuses.set(ni.name, r.status);
        else candidates.push(r);
      }
    }
    if (candidates.length === 0) {
      const d = newDiagnosis();
      d.nodeToStatus = statuses;
      const fe = new FitError(pod, statuses.size, d);
      return { status: new Status(Code.Unschedulable, [`preemption: ${fe.message}`], NAME) };
    }
    const best = pickCandidate(candidates);
    return {
      result: { nominatedNodeName: best.nodeName, victims: best.victims.map((v) => v.pod) },
      status: new Status(Code.Success),
    };
  }

  private notEligible(pod: PodInfo): string | undefined {
    if (pod.pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = this.handle.snapshot().get(nominated);
      if (ni !== undefined) {
        for (const p of ni.pods) {
          if (isTerminating(p.pod) && p.priority < pod.priority) return 'not eligible due to a terminating pod on the nominated node.';
        }
      }
    }
    return undefined;
  }

  /** What-if on a copy of the node: the fewest victims that let the pod fit. */
  selectVictimsOnNode(state: CycleState, pod: PodInfo, ni: NodeInfo, pdbs: readonly PodDisruptionBudget[]): Candidate | { status: Status } {
    const potential: PodInfo[] = [];
    for (const p of ni.pods.slice()) {
      if (p.priority >= pod.priority) continue;
      potential.push(p);
      ni.removePod(p.uid);
      const s = this.handle.runPreFilterExtensionRemovePod(state, pod, p, ni);
      if (!isSuccess(s)) return { status: s! };
    }
    if (potential.length === 0) {
      return { status: new Status(Code.UnschedulableAndUnresolvable, [REASON_NO_VICTIMS], NAME) };
    }
    const fit = this.handle.runFilterPluginsWithNominatedPods(state, pod, ni);
    if (!isSuccess(fit)) return { status: fit! };
    potential.sort(moreImportant);
    const [violating, ok] = splitByPDBViolation(potential, pdbs);
    const victims: PodInfo[] = [];
    let numViolations = 0;
    const reprieve = (p: PodInfo): boolean => {
      ni.addPod(p);
      this.handle.runPreFilterExtensionAddPod(state, pod, p, ni);
      const fits = isSuccess(this.handle.runFilterPluginsWithNominatedPods(state, pod, ni));
      if (!fits) {
        ni.removePod(p.uid);
        this.handle.runPreFilterExtensionRemovePod(state, pod, p, ni);
        victims.push(p);
      }
      return fits;
    };
    for (const p of violating) if (!reprieve(p)) numViolations++;
    for (const p of ok) reprieve(p);
    victims.sort(moreImportant);
    return { nodeName: ni.name, victims, numPDBViolations: numViolations };
  }
}

/** Upstream pickOneNodeForPreemption's criteria, applied in order. */
export function pickCandidate(cands: readonly Candidate[]): Candidate {
  let set = cands.slice();
  const keepMin = (f: (c: Candidate) => number): void => {
    let min = Infinity;
    for (const c of set) min = Math.min(min, f(c));
    set = set.filter((c) => f(c) === min);
  };
  keepMin((c) => c.numPDBViolations);
  if (set.length > 1) keepMin((c) => c.victims[0]?.priority ?? -Infinity);
  // Priorities shifted to be non-negative before summing, as upstream.
  if (set.length > 1) keepMin((c) => c.victims.reduce((s, v) => s + v.priority + 2147483648, 0));
  if (set.length > 1) keepMin((c) => c.victims.length);
  if (set.length > 1) {
    const earliestOfHighest = (c: Candidate): number => {
      const top = c.victims[0]?.priority;
      let t = Infinity;
      for (const v of c.victims) if (v.priority === top) t = Math.min(t, startTime(v));
      return t;
    };
    keepMin((c) => -earliestOfHighest(c));
  }
  return set[0]!;
}

export const factory = (args: Record<string, unknown> | undefined, handle: Handle): DefaultPreemption =>
  new DefaultPreemption(handle, args as DefaultPreemptionArgs);
