// The plugin seams of the scheduling framework, one small interface per extension point, in
// the order a pod meets them:
//
//   PreEnqueue → QueueSort → PreFilter → Filter (per node) → PostFilter (only when no node fits)
//   → PreScore → Score (per node) → NormalizeScore → Reserve → Permit
//   … binding cycle (async): WaitOnPermit → PreBind → Bind → PostBind; Unreserve on any failure.
//
// Plugins receive a PodInfo (the pod with its requests and affinity parsed once) and NodeInfos
// from the cycle's Snapshot. Hot-path methods (filter, score) return `undefined` for success
// and plain numbers for scores so that a cycle over thousands of nodes allocates little.
// A plugin is one object implementing any subset of these interfaces; the framework finds
// the extension points by the methods present.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Selector } from '../../api/labels.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { CycleState } from './cycle_state.js';
import type { NodeInfo } from './node_info.js';
import type { NamespaceLabels, PodInfo } from './pod_info.js';
import type { Snapshot } from './snapshot.js';
import type { Status } from './status.js';

export interface Plugin {
  readonly name: string;
}

/** A kind of cluster change that may make an unschedulable pod schedulable. */
export type ClusterEventResource = 'Pod' | 'AssignedPod' | 'UnscheduledPod' | 'Node' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'StorageClass' | 'Namespace' | '*';
export type ClusterEventAction = 'Add' | 'Delete' | 'Update' | 'UpdateNodeLabel' | 'UpdateNodeTaint' | 'UpdateNodeAllocatable' | 'UpdateNodeCondition' | 'UpdatePodLabel' | 'UpdatePodScaleDown' | 'All';

export interface ClusterEvent {
  resource: ClusterEventResource;
  action: ClusterEventAction;
  /** A label for logs and metrics, e.g. `NodeAdd`. */
  label?: string;
}

/** Plugins that reject pods say which events could change their verdict (queueing hints, simplified). */
export interface EnqueueExtensions {
  events(): ClusterEvent[];
}

/** A pod waiting in the queue with its scheduling history. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod was first added to the queue (ms). */
  initialAttemptTimestamp: number;
  /** When the pod entered its current queue (ms); the tie-breaker of QueueSort. */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected the pod in its last attempt. */
  unschedulablePlugins: Set<string>;
  /** Set when the last attempt ended in an error rather than a rejection. */
  lastError?: Error;
}

export interface PreEnqueuePlugin extends Plugin {
  /** Non-success keeps the pod out of the active queue until an update. */
  preEnqueue(pod: Pod): Status | undefined;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** Restricts the nodes Filter is run on (e.g. a node affinity pinned to names). */
export class PreFilterResult {
  constructor(readonly nodeNames: ReadonlySet<string>) {}
}

export interface PreFilterExtensions {
  /** A pod was added to a node in a what-if copy (nominated pods, preemption reprieves). */
  addPod(state: CycleState, pod: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status | undefined;
  /** A pod was removed from a node in a what-if copy (preemption victims). */
  removePod(state: CycleState, pod: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status | undefined;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): PreFilterResult | Status | undefined;
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

/** The statuses of the nodes that did not fit, by node name. */
export type NodeToStatus = Map<string, Status>;

export interface PostFilterResult {
  nominatedNodeName: string;
  /** Pods to evict so the preemptor fits on the nominated node. */
  victims: Pod[];
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, nodeToStatus: NodeToStatus): { result?: PostFilterResult; status: Status };
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status | undefined;
}

export interface ScorePlugin extends Plugin {
  /** 0..100 before normalisation for most plugins; NormalizeScore brings it into 0..100. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** `scores[i]` belongs to `nodes[i]`; rewrite in place. */
  normalizeScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: Float64Array): Status | undefined;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined;
  /** Must be idempotent; called on any later failure of the pod's cycle. */
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitResult {
  /** Success (undefined), Wait, or a rejection. */
  status?: Status;
  /** With Wait: how long to wait before rejecting. */
  timeoutMs?: number;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: PodInfo, nodeName: string): PermitResult;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

export interface BindPlugin extends Plugin {
  /** Skip passes the pod to the next binder. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

/** A pod held at Permit. */
export interface WaitingPod {
  readonly pod: PodInfo;
  readonly nodeName: string;
  /** Plugins still to allow the pod. */
  pendingPlugins(): string[];
  allow(plugin: string): void;
  reject(plugin: string, message: string): void;
}

/** Nominated pods (preemptors waiting for their victims to go) by node. */
export interface Nominator {
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

/** What a plugin may use from its surroundings. */
export interface Handle {
  /** The snapshot of the current cycle. */
  snapshot(): Snapshot;
  namespaceLabels: NamespaceLabels;
  /** PodDisruptionBudgets, for preemption (empty until wired). */
  pdbs(): readonly PodDisruptionBudget[];
  /** Binds a pod (DefaultBinder). */
  bindPod(pod: Pod, nodeName: string): Promise<void>;
  now(): number;
  getWaitingPod(uid: string): WaitingPod | undefined;
  iterateWaitingPods(fn: (wp: WaitingPod) => void): void;
  /** Runs the PreFilter extensions and Filter plugins of the profile (for preemption's what-ifs). */
  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status | undefined;
  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status | undefined;
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
  nominator: Nominator;
  /** The selector default topology spread constraints use for a pod (services/replicasets; none until wired). */
  defaultSpreadSelector?(pod: Pod): Selector | undefined;
}

export type PluginFactory = (args: Record<string, unknown> | undefined, handle: Handle) => Plugin;

export function isPreEnqueue(p: Plugin): p is PreEnqueuePlugin { return typeof (p as Partial<PreEnqueuePlugin>).preEnqueue === 'function'; }
export function isQueueSort(p: Plugin): p is QueueSortPlugin { return typeof (p as Partial<QueueSortPlugin>).less === 'function'; }
export function isPreFilter(p: Plugin): p is PreFilterPlugin { return typeof (p as Partial<PreFilterPlugin>).preFilter === 'function'; }
export function isFilter(p: Plugin): p is FilterPlugin { return typeof (p as Partial<FilterPlugin>).filter === 'function'; }
export function isPostFilter(p: Plugin): p is PostFilterPlugin { return typeof (p as Partial<PostFilterPlugin>).postFilter === 'function'; }
export function isPreScore(p: Plugin): p is PreScorePlugin { return typeof (p as Partial<PreScorePlugin>).preScore === 'function'; }
export function isScore(p: Plugin): p is ScorePlugin { return typeof (p as Partial<ScorePlugin>).score === 'function'; }
export function isReserve(p: Plugin): p is ReservePlugin { return typeof (p as Partial<ReservePlugin>).reserve === 'function'; }
export function isPermit(p: Plugin): p is PermitPlugin { return typeof (p as Partial<PermitPlugin>).permit === 'function'; }
export function isPreBind(p: Plugin): p is PreBindPlugin { return typeof (p as Partial<PreBindPlugin>).preBind === 'function'; }
export function isBind(p: Plugin): p is BindPlugin { return typeof (p as Partial<BindPlugin>).bind === 'function'; }
export function isPostBind(p: Plugin): p is PostBindPlugin { return typeof (p as Partial<PostBindPlugin>).postBind === 'function'; }
export function isEnqueueExtensions(p: Plugin): p is Plugin & EnqueueExtensions { return typeof (p as Partial<EnqueueExtensions>).events === 'function'; }
