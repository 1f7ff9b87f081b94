// Small shared pieces of Kubernetes semantics used by several plugins: toleration matching,
// compiled node selectors (NodeSelectorTerms with matchExpressions and matchFields), and the
// default score normalisation.

import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { type Labels, type Operator, Requirement, Selector, newRequirement, nothing, selectorFromSet } from '../../api/labels.js';

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';

/** Upstream ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator) {
    case 'Exists': return true;
    case undefined: case '': case 'Equal': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export function tolerationsTolerateTaint(tols: readonly Toleration[] | undefined, taint: Taint): boolean {
  if (tols === undefined) return false;
  for (let i = 0; i < tols.length; i++) if (toleratesTaint(tols[i]!, taint)) return true;
  return false;
}

/** The first taint with one of the effects that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined, tols: readonly Toleration[] | undefined, effects: (e: string) => boolean,
): Taint | undefined {
  if (taints === undefined) return undefined;
  for (const t of taints) {
    if (!effects(t.effect)) continue;
    if (!tolerationsTolerateTaint(tols, t)) return t;
  }
  return undefined;
}

const OPS: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

function requirementsSelector(reqs: readonly NodeSelectorRequirement[] | undefined): Selector | undefined {
  if (reqs === undefined || reqs.length === 0) return undefined;
  const out: Requirement[] = [];
  for (const r of reqs) {
    const op = OPS[r.operator];
    if (op === undefined) return nothing;
    try {
      out.push(newRequirement(r.key, op, r.values ?? []));
    } catch {
      // An invalid requirement makes its term match nothing, as upstream.
      return nothing;
    }
  }
  return selectorFromSet(undefined).add(...out);
}

/** A compiled NodeSelectorTerm: label expressions and `metadata.name` field expressions. */
export class CompiledNodeSelectorTerm {
  private readonly labels: Selector | undefined;
  private readonly fields: Selector | undefined;
  private readonly empty: boolean;

  constructor(term: NodeSelectorTerm) {
    this.labels = requirementsSelector(term.matchExpressions);
    const fr = term.matchFields;
    if (fr !== undefined && fr.length > 0 && fr.some((r) => r.key !== 'metadata.name')) this.fields = nothing;
    else this.fields = requirementsSelector(fr);
    // An empty term matches no objects (upstream).
    this.empty = this.labels === undefined && this.fields === undefined;
  }

  matches(node: Node): boolean {
    if (this.empty) return false;
    if (this.labels !== undefined && !this.labels.matches(node.metadata?.labels)) return false;
    if (this.fields !== undefined && !this.fields.matches({ 'metadata.name': node.metadata?.name ?? '' })) return false;
    return true;
  }

  /** Node names this term pins with `metadata.name In (...)`, or undefined. */
  pinnedNames(): string[] | undefined {
    if (this.fields === undefined || this.fields.matchesNothing()) return undefined;
    for (const r of this.fields.requirements()) if (r.operator === 'in') return [...r.values];
    return undefined;
  }
}

/** A NodeSelector: its terms are ORed. */
export class CompiledNodeSelector {
  readonly terms: CompiledNodeSelectorTerm[];
  constructor(ns: NodeSelector) {
    this.terms = (ns.nodeSelectorTerms ?? []).map((t) => new CompiledNodeSelectorTerm(t));
  }
  matches(node: Node): boolean {
    for (let i = 0; i < this.terms.length; i++) if (this.terms[i]!.matches(node)) return true;
    return false;
  }
}

/**
 * A pod's required node affinity: its nodeSelector AND its required node affinity terms
 * (upstream nodeaffinity.GetRequiredNodeAffinity). Cached per pod object.
 */
export class RequiredNodeAffinity {
  private readonly selector: Selector | undefined;
  private readonly affinity: CompiledNodeSelector | undefined;

  constructor(pod: Pod) {
    const ns = pod.spec?.nodeSelector;
    this.selector = ns !== undefined && Object.keys(ns).length > 0 ? selectorFromSet(ns) : undefined;
    const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.affinity = req !== undefined ? new CompiledNodeSelector(req) : undefined;
  }

  isEmpty(): boolean { return this.selector === undefined && this.affinity === undefined; }

  matches(node: Node): boolean {
    if (this.selector !== undefined && !this.selector.matches(node.metadata?.labels)) return false;
    if (this.affinity !== undefined && !this.affinity.matches(node)) return false;
    return true;
  }

  matchesLabels(labels: Labels | undefined, node: Node): boolean {
    if (this.selector !== undefined && !this.selector.matches(labels)) return false;
    if (this.affinity !== undefined && !this.affinity.matches(node)) return false;
    return true;
  }

  /** Node names pinned by every term's matchFields, if all terms pin names. */
  pinnedNodeNames(): Set<string> | undefined {
    if (this.affinity === undefined || this.affinity.terms.length === 0) return undefined;
    const out = new Set<string>();
    for (const t of this.affinity.terms) {
      const names = t.pinnedNames();
      if (names === undefined) return undefined;
      for (const n of names) out.add(n);
    }
    return out;
  }
}

const requiredAffinityCache = new WeakMap<Pod, RequiredNodeAffinity>();
export function requiredNodeAffinity(pod: Pod): RequiredNodeAffinity {
  let r = requiredAffinityCache.get(pod);
  if (r === undefined) {
    r = new RequiredNodeAffinity(pod);
    requiredAffinityCache.set(pod, r);
  }
  return r;
}

/**
 * Upstream DefaultNormalizeScore: scales scores to [0, maxPriority] by the highest one,
 * optionally reversed (for "fewer is better" counts).
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: Float64Array | number[]): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === 0) {
    if (reverse) for (let i = 0; i < scores.length; i++) scores[i] = maxPriority;
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((maxPriority * scores[i]!) / max);
    if (reverse) s = maxPriority - s;
    scores[i] = s;
  }
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

/** The pod's identity in queues and caches: its UID, or namespace/name when it has none. */
export function podUid(pod: Pod): string {
  return pod.metadata?.uid ?? podKey(pod);
}

export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export function podNamespace(pod: Pod): string {
  return pod.metadata?.namespace ?? 'default';
}
