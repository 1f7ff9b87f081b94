// PodInfo: a pod with everything the scheduler derives from it parsed once — requests,
// host ports, compiled (anti-)affinity terms — so that the filter and score loops, which see
// each existing pod thousands of times, never re-parse quantities or selectors.

import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { type Labels, Selector, fromLabelSelector, nothing } from '../../api/labels.js';
import { Resource, computePodRequests } from './resource.js';
import { podKey, podNamespace, podPriority, podUid } from './helpers.js';

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** Namespace labels for affinity terms with a namespaceSelector (wired to a lister later). */
export type NamespaceLabels = (namespace: string) => Labels | undefined;

/** Without a namespace lister, a namespace carries the label every namespace gets from the API server. */
export const defaultNamespaceLabels: NamespaceLabels = (ns) => ({ 'kubernetes.io/metadata.name': ns });

/** A compiled PodAffinityTerm (upstream framework.AffinityTerm). */
export class AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  readonly selector: Selector;
  /** undefined: no namespaceSelector; an empty one matches all namespaces. */
  readonly namespaceSelector: Selector | undefined;
  readonly topologyKey: string;

  constructor(pod: Pod, term: PodAffinityTerm) {
    this.topologyKey = term.topologyKey;
    let sel: Selector;
    try {
      sel = fromLabelSelector(term.labelSelector);
      // matchLabelKeys / mismatchLabelKeys merge the incoming pod's values into the selector.
      const extra: string[] = [];
      const labels = pod.metadata?.labels ?? {};
      for (const k of term.matchLabelKeys ?? []) if (labels[k] !== undefined) extra.push(`${k}=${labels[k]}`);
      for (const k of term.mismatchLabelKeys ?? []) if (labels[k] !== undefined) extra.push(`${k}!=${labels[k]}`);
      if (extra.length > 0 && !sel.matchesNothing()) {
        sel = fromLabelSelector({
          matchLabels: term.labelSelector?.matchLabels,
          matchExpressions: [
            ...(term.labelSelector?.matchExpressions ?? []),
            ...(term.matchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'In', values: [labels[k]!] })),
            ...(term.mismatchLabelKeys ?? []).filter((k) => labels[k] !== undefined).map((k) => ({ key: k, operator: 'NotIn', values: [labels[k]!] })),
          ],
        });
      }
    } catch {
      sel = nothing;
    }
    this.selector = sel;
    let nsSel: Selector | undefined;
    if (term.namespaceSelector !== undefined && term.namespaceSelector !== null) {
      try { nsSel = fromLabelSelector(term.namespaceSelector); } catch { nsSel = nothing; }
    }
    this.namespaceSelector = nsSel;
    const ns = new Set(term.namespaces ?? []);
    // No namespaces and no namespaceSelector: the pod's own namespace.
    if (ns.size === 0 && nsSel === undefined) ns.add(podNamespace(pod));
    this.namespaces = ns;
  }

  /** Whether `other` is selected by this term (namespace and labels). */
  matches(other: PodInfo, nsLabels: NamespaceLabels): boolean {
    if (!this.matchesNamespace(other.namespace, nsLabels)) return false;
    return this.selector.matches(other.labels);
  }

  matchesNamespace(ns: string, nsLabels: NamespaceLabels): boolean {
    if (this.namespaces.has(ns)) return true;
    const s = this.namespaceSelector;
    if (s === undefined) return false;
    if (s.isEmpty()) return true;
    return s.matches(nsLabels(ns));
  }
}

export interface WeightedAffinityTerm {
  term: AffinityTerm;
  weight: number;
}

function compileTerms(pod: Pod, terms: readonly PodAffinityTerm[] | undefined): AffinityTerm[] {
  if (terms === undefined || terms.length === 0) return EMPTY;
  return terms.map((t) => new AffinityTerm(pod, t));
}

function compileWeighted(pod: Pod, terms: readonly WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] {
  if (terms === undefined || terms.length === 0) return EMPTY_W;
  return terms.map((t) => ({ term: new AffinityTerm(pod, t.podAffinityTerm), weight: t.weight }));
}

const EMPTY: AffinityTerm[] = [];
const EMPTY_W: WeightedAffinityTerm[] = [];

export class PodInfo {
  readonly uid: string;
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly priority: number;
  readonly requests: Resource;
  readonly nonZeroMilliCPU: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  /** Set when the pod's requests could not be parsed (treated as zero). */
  readonly parseError: Error | undefined;
  /** metadata.deletionTimestamp is set (terminating pods do not count for spreading). */
  readonly terminating: boolean;

  constructor(readonly pod: Pod, from?: PodInfo) {
    if (from !== undefined) {
      // Same pod, new object (e.g. the assumed copy with spec.nodeName): reuse parsed data.
      this.uid = from.uid; this.key = from.key; this.namespace = from.namespace; this.labels = from.labels;
      this.priority = from.priority; this.requests = from.requests; this.nonZeroMilliCPU = from.nonZeroMilliCPU;
      this.nonZeroMemory = from.nonZeroMemory; this.hostPorts = from.hostPorts;
      this.requiredAffinityTerms = from.requiredAffinityTerms; this.requiredAntiAffinityTerms = from.requiredAntiAffinityTerms;
      this.preferredAffinityTerms = from.preferredAffinityTerms; this.preferredAntiAffinityTerms = from.preferredAntiAffinityTerms;
      this.parseError = from.parseError;
      this.terminating = isTerminating(pod);
      return;
    }
    this.uid = podUid(pod);
    this.key = podKey(pod);
    this.namespace = podNamespace(pod);
    this.labels = pod.metadata?.labels ?? {};
    this.priority = podPriority(pod);
    this.terminating = isTerminating(pod);
    let parseError: Error | undefined;
    let req;
    try {
      req = computePodRequests(pod);
    } catch (e) {
      parseError = e instanceof Error ? e : new Error(String(e));
      req = { requests: new Resource(), nonZeroMilliCPU: 0, nonZeroMemory: 0 };
    }
    this.parseError = parseError;
    this.requests = req.requests;
    this.nonZeroMilliCPU = req.nonZeroMilliCPU;
    this.nonZeroMemory = req.nonZeroMemory;
    const ports: HostPort[] = [];
    const spec = pod.spec;
    for (const list of [spec?.initContainers, spec?.containers]) {
      if (list === undefined) continue;
      for (const c of list) {
        for (const p of c.ports ?? []) {
          if (p.hostPort === undefined || p.hostPort <= 0) continue;
          ports.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
        }
      }
    }
    this.hostPorts = ports;
    const aff = spec?.affinity;
    this.requiredAffinityTerms = compileTerms(pod, aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.requiredAntiAffinityTerms = compileTerms(pod, aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.preferredAffinityTerms = compileWeighted(pod, aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinityTerms = compileWeighted(pod, aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  get name(): string { return this.pod.metadata?.name ?? ''; }

  /** Any pod (anti-)affinity, required or preferred (upstream podsWithAffinity membership). */
  hasAffinity(): boolean {
    return this.requiredAffinityTerms.length + this.requiredAntiAffinityTerms.length
      + this.preferredAffinityTerms.length + this.preferredAntiAffinityTerms.length > 0;
  }

  hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }

  /** The same parsed pod under a new object (an update that changed no scheduling input). */
  withPod(pod: Pod): PodInfo {
    return new PodInfo(pod, this);
  }
}

const podInfoCache = new WeakMap<Pod, PodInfo>();

/** The PodInfo of a pod object, computed once per object. */
export function podInfoOf(pod: Pod): PodInfo {
  let pi = podInfoCache.get(pod);
  if (pi === undefined) {
    pi = new PodInfo(pod);
    podInfoCache.set(pod, pi);
  }
  return pi;
}

/** Registers a PodInfo for an object derived from another (same requests and affinity). */
export function derivePodInfo(pod: Pod, from: PodInfo): PodInfo {
  const pi = from.withPod(pod);
  podInfoCache.set(pod, pi);
  return pi;
}

export function isTerminating(pod: Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}
