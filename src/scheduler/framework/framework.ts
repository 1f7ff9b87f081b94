// Framework: one profile's plugins, run for one pod at a time. `schedulePod` is the
// synchronous scheduling cycle over a Snapshot (PreFilter → Filter over an adaptive share of
// the nodes from a rotating start → PostFilter on failure → PreScore → Score → NormalizeScore →
// weighted sum → highest score, ties broken by reservoir sampling → Reserve → Permit);
// `runBindingCycle` is the asynchronous rest (wait on Permit → PreBind → Bind → PostBind).
//
// The filter and score loops are the hot path of the whole scheduler: they are plain indexed
// loops over arrays, plugins return `undefined` for success, and scores go into typed arrays.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Selector } from '../../api/labels.js';
import { CycleState } from './cycle_state.js';
import { type ExtensionPoint, type ProfileConfig, type ResolvedPlugin, pluginArgs, resolveExtensionPoint } from './config.js';
import { FitError, newDiagnosis, type Diagnosis } from './fit_error.js';
import {
  type BindPlugin, type ClusterEvent, type FilterPlugin, type Handle, type Nominator, type NodeToStatus, type Plugin,
  type PluginFactory, type PostBindPlugin, type PostFilterPlugin, type PostFilterResult, type PreBindPlugin,
  type PreEnqueuePlugin, type PreFilterPlugin, type PreScorePlugin, type PermitPlugin, type QueueSortPlugin,
  type QueuedPodInfo, type ReservePlugin, type ScorePlugin, type WaitingPod, PreFilterResult,
  isBind, isEnqueueExtensions, isFilter, isPermit, isPostBind, isPostFilter, isPreBind, isPreEnqueue, isPreFilter,
  isPreScore, isQueueSort, isReserve, isScore,
} from './interfaces.js';
import { MAX_NODE_SCORE } from './helpers.js';
import type { NodeInfo } from './node_info.js';
import { type NamespaceLabels, PodInfo, defaultNamespaceLabels, podInfoOf } from './pod_info.js';
import type { Snapshot } from './snapshot.js';
import { Code, Status, isSuccess } from './status.js';

/** Below this many nodes, all are evaluated (upstream minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never drops below this (upstream minFeasibleNodesPercentageToFind). */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * How many feasible nodes to look for before scoring: all below 100 nodes; otherwise the
 * configured percentage, or adaptively 50% − nodes/125 (at least 5%), and never fewer than 100.
 */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct === 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** What the framework needs from the scheduler around it. */
export interface FrameworkDeps {
  bindPod?: (pod: Pod, nodeName: string) => Promise<void>;
  pdbs?: () => readonly PodDisruptionBudget[];
  namespaceLabels?: NamespaceLabels;
  nominator?: Nominator;
  now?: () => number;
  /** Uniform [0, 1); ties between equally scored nodes are broken with it. */
  random?: () => number;
  defaultSpreadSelector?: (pod: Pod) => Selector | undefined;
  /** Global percentageOfNodesToScore, overridden by the profile's. */
  percentageOfNodesToScore?: number;
}

export interface FrameworkOptions extends FrameworkDeps {
  profile: ProfileConfig;
  registry: Readonly<Record<string, PluginFactory>>;
}

export interface ScheduleSuccess {
  nodeName: string;
  state: CycleState;
  podInfo: PodInfo;
  evaluatedNodes: number;
  feasibleNodes: number;
  /** Permit returned Wait: the binding cycle will wait for allow/reject/timeout. */
  waiting: boolean;
}

export interface ScheduleFailure {
  failure: FitError;
  state: CycleState;
  podInfo: PodInfo;
  /** Set when PostFilter (preemption) nominated a node and victims. */
  postFilterResult?: PostFilterResult;
  /** The node the pod had been chosen for, when Reserve or Permit rejected it. */
  nodeName?: string;
}

export type ScheduleResult = ScheduleSuccess | ScheduleFailure;

export function isFailure(r: ScheduleResult): r is ScheduleFailure {
  return (r as ScheduleFailure).failure !== undefined;
}

export interface ScheduleOptions {
  /** Called once a node is chosen, before Reserve: the cache assumes the pod there. */
  assume?: (pod: PodInfo, nodeName: string) => void;
  /** Called when Reserve or Permit rejects the pod after assume. */
  forget?: (pod: PodInfo, nodeName: string) => void;
}

interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

const EMPTY_NOMINATED: readonly PodInfo[] = [];
const emptyNominator: Nominator = { nominatedPodsForNode: () => EMPTY_NOMINATED };

class WaitingPodImpl implements WaitingPod {
  private readonly pending: Map<string, ReturnType<typeof setTimeout>>;
  private settled = false;
  readonly done: Promise<Status | undefined>;
  private resolve!: (s: Status | undefined) => void;

  constructor(readonly pod: PodInfo, readonly nodeName: string, timeouts: Map<string, number>, private readonly onDone: () => void) {
    this.done = new Promise((r) => { this.resolve = r; });
    this.pending = new Map();
    for (const [plugin, ms] of timeouts) {
      const t = setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${ms / 1000}s at plugin ${plugin}`), ms);
      t.unref?.();
      this.pending.set(plugin, t);
    }
  }

  pendingPlugins(): string[] { return [...this.pending.keys()]; }

  allow(plugin: string): void {
    const t = this.pending.get(plugin);
    if (t === undefined || this.settled) return;
    clearTimeout(t);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.finish(undefined);
  }

  reject(plugin: string, message: string): void {
    if (this.settled) return;
    this.finish(new Status(Code.Unschedulable, [message], plugin));
  }

  private finish(s: Status | undefined): void {
    this.settled = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.onDone();
    this.resolve(s);
  }
}

export class Framework implements Handle {
  readonly schedulerName: string;
  readonly percentageOfNodesToScore: number | undefined;
  readonly plugins = new Map<string, Plugin>();
  readonly preEnqueuePlugins: PreEnqueuePlugin[] = [];
  readonly queueSortPlugin: QueueSortPlugin | undefined;
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  readonly filterPlugins: FilterPlugin[] = [];
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  readonly preScorePlugins: PreScorePlugin[] = [];
  readonly scorePlugins: WeightedScorePlugin[] = [];
  readonly reservePlugins: ReservePlugin[] = [];
  readonly permitPlugins: PermitPlugin[] = [];
  readonly preBindPlugins: PreBindPlugin[] = [];
  readonly bindPlugins: BindPlugin[] = [];
  readonly postBindPlugins: PostBindPlugin[] = [];
  readonly namespaceLabels: NamespaceLabels;
  readonly nominator: Nominator;
  readonly defaultSpreadSelector?: (pod: Pod) => Selector | undefined;
  /** Where the next cycle starts looking at nodes, so all nodes get their turn. */
  nextStartNodeIndex = 0;
  private currentSnapshot: Snapshot | undefined;
  private readonly waitingPods = new Map<string, WaitingPodImpl>();
  private readonly deps: FrameworkDeps;
  private readonly random: () => number;

  constructor(opts: FrameworkOptions) {
    this.deps = opts;
    this.schedulerName = opts.profile.schedulerName;
    this.percentageOfNodesToScore = opts.profile.percentageOfNodesToScore ?? opts.percentageOfNodesToScore;
    this.namespaceLabels = opts.namespaceLabels ?? defaultNamespaceLabels;
    this.nominator = opts.nominator ?? emptyNominator;
    this.random = opts.random ?? Math.random;
    if (opts.defaultSpreadSelector !== undefined) this.defaultSpreadSelector = opts.defaultSpreadSelector;

    const instantiate = (name: string): Plugin => {
      let p = this.plugins.get(name);
      if (p !== undefined) return p;
      const factory = opts.registry[name];
      if (factory === undefined) throw new Error(`scheduler profile ${this.schedulerName}: plugin "${name}" does not exist`);
      p = factory(pluginArgs(opts.profile, name), this);
      this.plugins.set(name, p);
      return p;
    };
    // Instantiating a plugin only to learn which interfaces it implements is cheap and lets
    // the config name extension points without a second table.
    const implementsPoint = (point: ExtensionPoint) => (name: string): boolean => {
      const factory = opts.registry[name];
      if (factory === undefined) throw new Error(`scheduler profile ${this.schedulerName}: plugin "${name}" does not exist`);
      return IMPLEMENTS[point](instantiate(name));
    };
    const resolve = (point: ExtensionPoint): ResolvedPlugin[] => resolveExtensionPoint(opts.profile, point, implementsPoint(point));
    for (const r of resolve('preEnqueue')) this.preEnqueuePlugins.push(instantiate(r.name) as PreEnqueuePlugin);
    const qs = resolve('queueSort');
    if (qs.length > 1) throw new Error(`scheduler profile ${this.schedulerName}: only one queueSort plugin can be enabled`);
    this.queueSortPlugin = qs.length === 1 ? instantiate(qs[0]!.name) as QueueSortPlugin : undefined;
    for (const r of resolve('preFilter')) this.preFilterPlugins.push(instantiate(r.name) as PreFilterPlugin);
    for (const r of resolve('filter')) this.filterPlugins.push(instantiate(r.name) as FilterPlugin);
    for (const r of resolve('postFilter')) this.postFilterPlugins.push(instantiate(r.name) as PostFilterPlugin);
    for (const r of resolve('preScore')) this.preScorePlugins.push(instantiate(r.name) as PreScorePlugin);
    for (const r of resolve('score')) this.scorePlugins.push({ plugin: instantiate(r.name) as ScorePlugin, weight: r.weight });
    for (const r of resolve('reserve')) this.reservePlugins.push(instantiate(r.name) as ReservePlugin);
    for (const r of resolve('permit')) this.permitPlugins.push(instantiate(r.name) as PermitPlugin);
    for (const r of resolve('preBind')) this.preBindPlugins.push(instantiate(r.name) as PreBindPlugin);
    for (const r of resolve('bind')) this.bindPlugins.push(instantiate(r.name) as BindPlugin);
    for (const r of resolve('postBind')) this.postBindPlugins.push(instantiate(r.name) as PostBindPlugin);
    if (this.bindPlugins.length === 0) throw new Error(`scheduler profile ${this.schedulerName}: at least one bind plugin is needed`);
  }

  // ----- Handle ----------------------------------------------------------------------------

  snapshot(): Snapshot {
    if (this.currentSnapshot === undefined) throw new Error('no snapshot: not inside a scheduling cycle');
    return this.currentSnapshot;
  }

  /** Sets the snapshot plugins see (schedulePod does it; tests of single plugins may too). */
  setSnapshot(s: Snapshot): void {
    this.currentSnapshot = s;
  }

  pdbs(): readonly PodDisruptionBudget[] {
    return this.deps.pdbs?.() ?? [];
  }

  async bindPod(pod: Pod, nodeName: string): Promise<void> {
    if (this.deps.bindPod === undefined) throw new Error('no bind function configured');
    await this.deps.bindPod(pod, nodeName);
  }

  now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.waitingPods.get(uid);
  }

  iterateWaitingPods(fn: (wp: WaitingPod) => void): void {
    for (const wp of [...this.waitingPods.values()]) fn(wp);
  }

  /** Rejects a waiting pod (e.g. it was deleted); returns whether it was waiting. */
  rejectWaitingPod(uid: string, message = 'removed'): boolean {
    const wp = this.waitingPods.get(uid);
    if (wp === undefined) return false;
    wp.reject('', message);
    return true;
  }

  /** The events each plugin says could make pods it rejected schedulable. */
  eventsByPlugin(): Map<string, ClusterEvent[]> {
    const out = new Map<string, ClusterEvent[]>();
    for (const [name, p] of this.plugins) if (isEnqueueExtensions(p)) out.set(name, p.events());
    return out;
  }

  queueSortLess(): ((a: QueuedPodInfo, b: QueuedPodInfo) => boolean) | undefined {
    const qs = this.queueSortPlugin;
    return qs === undefined ? undefined : (a, b) => qs.less(a, b);
  }

  runPreEnqueuePlugins(pod: Pod): Status | undefined {
    for (const p of this.preEnqueuePlugins) {
      const s = p.preEnqueue(pod);
      if (!isSuccess(s)) return s!.plugin === '' ? s!.withPlugin(p.name) : s;
    }
    return undefined;
  }

  // ----- Scheduling cycle --------------------------------------------------------------------

  /**
   * Schedules one pod against the snapshot: finds a node (or a FitError, after PostFilter),
   * assumes the pod there through `opts.assume`, and runs Reserve and Permit.
   */
  schedulePod(pod: Pod | PodInfo, snapshot: Snapshot, opts: ScheduleOptions = {}): ScheduleResult {
    const pi = pod instanceof PodInfo ? pod : podInfoOf(pod);
    const state = new CycleState();
    const found = this.findNode(state, pi, snapshot);
    if ('failure' in found) return found;
    const nodeName = found.nodeName;
    opts.assume?.(pi, nodeName);
    const rs = this.runReservePluginsReserve(state, pi, nodeName);
    if (!isSuccess(rs)) {
      this.runReservePluginsUnreserve(state, pi, nodeName);
      opts.forget?.(pi, nodeName);
      return { failure: singleNodeFailure(pi, nodeName, rs!), state, podInfo: pi, nodeName };
    }
    const ps = this.runPermitPlugins(state, pi, nodeName);
    if (ps !== undefined && ps.code !== Code.Wait) {
      this.runReservePluginsUnreserve(state, pi, nodeName);
      opts.forget?.(pi, nodeName);
      return { failure: singleNodeFailure(pi, nodeName, ps), state, podInfo: pi, nodeName };
    }
    return { ...found, waiting: ps !== undefined };
  }

  /** Filter, PostFilter on failure, score and select: the part of the cycle before Reserve. */
  findNode(state: CycleState, pi: PodInfo, snapshot: Snapshot): ScheduleSuccess | ScheduleFailure {
    this.currentSnapshot = snapshot;
    const allNodes = snapshot.nodeInfoList;
    const diagnosis = newDiagnosis();
    if (allNodes.length === 0) {
      return { failure: new FitError(pi, 0, diagnosis), state, podInfo: pi };
    }
    const feasible = this.findNodesThatFitPod(state, pi, snapshot, diagnosis);
    if (feasible === undefined || feasible.length === 0) {
      const failure = new FitError(pi, allNodes.length, diagnosis);
      const out: ScheduleFailure = { failure, state, podInfo: pi };
      if (this.postFilterPlugins.length > 0 && (diagnosis.preFilterMsg !== '' || diagnosis.nodeToStatus.size > 0)) {
        const pf = this.runPostFilterPlugins(state, pi, diagnosis.nodeToStatus);
        if (pf.status.message() !== '') diagnosis.postFilterMsg = pf.status.message();
        if (pf.result !== undefined && pf.result.nominatedNodeName !== '') out.postFilterResult = pf.result;
      }
      return out;
    }
    const evaluated = feasible.length + diagnosis.nodeToStatus.size + diagnosis.rejectedInFilter;
    if (feasible.length === 1) {
      return { nodeName: feasible[0]!.name, state, podInfo: pi, evaluatedNodes: evaluated, feasibleNodes: 1, waiting: false };
    }
    const scores = this.prioritizeNodes(state, pi, feasible);
    const idx = this.selectHost(scores);
    return { nodeName: feasible[idx]!.name, state, podInfo: pi, evaluatedNodes: evaluated, feasibleNodes: feasible.length, waiting: false };
  }

  /** PreFilter, then Filter over nodes from the rotating start until enough fit; undefined on PreFilter rejection. */
  findNodesThatFitPod(state: CycleState, pi: PodInfo, snapshot: Snapshot, diagnosis: Diagnosis): NodeInfo[] | undefined {
    const allNodes = snapshot.nodeInfoList;
    let allowed: ReadonlySet<string> | undefined;
    let allowedBy: string[] = [];
    for (let i = 0; i < this.preFilterPlugins.length; i++) {
      const p = this.preFilterPlugins[i]!;
      const r = p.preFilter(state, pi, allNodes);
      if (r === undefined) continue;
      if (r instanceof PreFilterResult) {
        allowedBy = [...allowedBy, p.name];
        allowed = allowed === undefined ? r.nodeNames : intersect(allowed, r.nodeNames);
        if (allowed.size === 0) {
          const msg = allowedBy.length > 1
            ? `node(s) didn't satisfy plugin(s) [${allowedBy.join(' ')}] simultaneously`
            : `node(s) didn't satisfy plugin ${p.name}`;
          return this.rejectAll(new Status(Code.UnschedulableAndUnresolvable, [msg], p.name), allNodes, diagnosis, allowedBy);
        }
        continue;
      }
      if (r.code === Code.Skip) {
        (state.skipFilterPlugins ??= new Set()).add(p.name);
        continue;
      }
      if (r.code === Code.Success) continue;
      if (r.code === Code.Error) throw r.error ?? new Error(`running PreFilter plugin "${p.name}": ${r.message()}`);
      return this.rejectAll(r.plugin === '' ? r.withPlugin(p.name) : r, allNodes, diagnosis, [p.name]);
    }

    let nodes = allNodes;
    if (allowed !== undefined) {
      nodes = [];
      const filteredOut = new Status(Code.UnschedulableAndUnresolvable, ['node is filtered out by the prefilter result']);
      for (const n of allNodes) {
        if (allowed.has(n.name)) nodes.push(n);
        else diagnosis.nodeToStatus.set(n.name, filteredOut);
      }
    }

    // A pod nominated by an earlier preemption tries its nominated node first.
    const nominated = pi.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = snapshot.get(nominated);
      if (ni !== undefined && (allowed === undefined || allowed.has(nominated))) {
        const s = this.runFilterPluginsWithNominatedPods(state, pi, ni);
        if (isSuccess(s)) return [ni];
      }
    }

    const n = nodes.length;
    const numToFind = numFeasibleNodesToFind(this.percentageOfNodesToScore, n);
    const feasible: NodeInfo[] = [];
    if (n === 0) return feasible;
    const start = this.nextStartNodeIndex % n;
    const filters = this.filterPlugins;
    const skip = state.skipFilterPlugins;
    const nominator = this.nominator;
    // Rejections are collected in arrays and only turned into the diagnosis map on failure or
    // at the end: a Map insert per rejected node is measurable when most nodes are rejected.
    const rejNodes: NodeInfo[] = [];
    const rejStatus: Status[] = [];
    let processed = 0;
    for (; processed < n && feasible.length < numToFind; processed++) {
      let idx = start + processed;
      if (idx >= n) idx -= n;
      const ni = nodes[idx]!;
      let st: Status | undefined;
      if (nominator.nominatedPodsForNode(ni.name).length > 0) {
        st = this.runFilterPluginsWithNominatedPods(state, pi, ni);
      } else {
        for (let j = 0; j < filters.length; j++) {
          const f = filters[j]!;
          if (skip !== undefined && skip.has(f.name)) continue;
          const s = f.filter(state, pi, ni);
          if (s !== undefined && s.code !== Code.Success) {
            st = s.plugin === '' ? s.withPlugin(f.name) : s;
            break;
          }
        }
      }
      if (st === undefined) {
        feasible.push(ni);
      } else {
        if (st.code === Code.Error) throw st.error ?? new Error(`running Filter plugin "${st.plugin}": ${st.message()}`);
        rejNodes.push(ni);
        rejStatus.push(st);
      }
    }
    this.nextStartNodeIndex = (start + processed) % n;
    diagnosis.rejectedInFilter = rejNodes.length;
    if (feasible.length === 0) {
      for (let i = 0; i < rejNodes.length; i++) {
        const st = rejStatus[i]!;
        diagnosis.nodeToStatus.set(rejNodes[i]!.name, st);
        diagnosis.unschedulablePlugins.add(st.plugin);
      }
    }
    return feasible;
  }

  private rejectAll(st: Status, allNodes: readonly NodeInfo[], diagnosis: Diagnosis, plugins: string[]): undefined {
    for (const n of allNodes) diagnosis.nodeToStatus.set(n.name, st);
    diagnosis.preFilterMsg = st.message();
    for (const p of plugins) diagnosis.unschedulablePlugins.add(p);
    return undefined;
  }

  /** Runs every Filter plugin on one node; the first rejection wins. */
  runFilterPlugins(state: CycleState, pi: PodInfo, ni: NodeInfo): Status | undefined {
    const skip = state.skipFilterPlugins;
    for (const f of this.filterPlugins) {
      if (skip !== undefined && skip.has(f.name)) continue;
      const s = f.filter(state, pi, ni);
      if (s !== undefined && s.code !== Code.Success) return s.plugin === '' ? s.withPlugin(f.name) : s;
    }
    return undefined;
  }

  /**
   * Filters a node twice when it has nominated pods of equal or higher priority: once with
   * them added (so a preemptor's room is not taken) and once without (so pod affinity to them
   * is not assumed), as upstream.
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pi: PodInfo, ni: NodeInfo): Status | undefined {
    const nominated = this.nominator.nominatedPodsForNode(ni.name);
    let added = false;
    if (nominated.length > 0) {
      let stateCopy: CycleState | undefined;
      let niCopy: NodeInfo | undefined;
      for (const np of nominated) {
        if (np.priority < pi.priority || np.uid === pi.uid) continue;
        if (niCopy === undefined) { stateCopy = state.clone(); niCopy = ni.clone(); }
        niCopy.addPod(np);
        const s = this.runPreFilterExtensionAddPod(stateCopy!, pi, np, niCopy);
        if (!isSuccess(s)) return s;
        added = true;
      }
      if (added) {
        const s = this.runFilterPlugins(stateCopy!, pi, niCopy!);
        if (!isSuccess(s)) return s;
      }
    }
    return this.runFilterPlugins(state, pi, ni);
  }

  runPreFilterExtensionAddPod(state: CycleState, pi: PodInfo, podToAdd: PodInfo, ni: NodeInfo): Status | undefined {
    const skip = state.skipFilterPlugins;
    for (const p of this.preFilterPlugins) {
      if (skip !== undefined && skip.has(p.name)) continue;
      const ext = p.preFilterExtensions?.();
      if (ext === undefined) continue;
      const s = ext.addPod(state, pi, podToAdd, ni);
      if (!isSuccess(s)) return s;
    }
    return undefined;
  }

  runPreFilterExtensionRemovePod(state: CycleState, pi: PodInfo, podToRemove: PodInfo, ni: NodeInfo): Status | undefined {
    const skip = state.skipFilterPlugins;
    for (const p of this.preFilterPlugins) {
      if (skip !== undefined && skip.has(p.name)) continue;
      const ext = p.preFilterExtensions?.();
      if (ext === undefined) continue;
      const s = ext.removePod(state, pi, podToRemove, ni);
      if (!isSuccess(s)) return s;
    }
    return undefined;
  }

  /** PostFilter plugins run until one succeeds (nominates) or says Unschedulable and unresolvable. */
  runPostFilterPlugins(state: CycleState, pi: PodInfo, nodeToStatus: NodeToStatus): { result?: PostFilterResult; status: Status } {
    const reasons: string[] = [];
    let result: PostFilterResult | undefined;
    for (const p of this.postFilterPlugins) {
      const r = p.postFilter(state, pi, nodeToStatus);
      if (r.status.code === Code.Success) return r;
      if (r.status.code === Code.UnschedulableAndUnresolvable) return r;
      if (r.status.code === Code.Error) throw r.status.error ?? new Error(r.status.message());
      reasons.push(...r.status.reasons);
      if (r.result !== undefined) result = r.result;
    }
    const out: { result?: PostFilterResult; status: Status } = { status: new Status(Code.Unschedulable, reasons) };
    if (result !== undefined) out.result = result;
    return out;
  }

  /** PreScore, Score, NormalizeScore and the weighted sum, per feasible node. */
  prioritizeNodes(state: CycleState, pi: PodInfo, nodes: readonly NodeInfo[]): Float64Array {
    const n = nodes.length;
    const total = new Float64Array(n);
    for (const p of this.preScorePlugins) {
      const s = p.preScore(state, pi, nodes);
      if (s === undefined || s.code === Code.Success) continue;
      if (s.code === Code.Skip) { (state.skipScorePlugins ??= new Set()).add(p.name); continue; }
      throw s.error ?? new Error(`running PreScore plugin "${p.name}": ${s.message()}`);
    }
    const skip = state.skipScorePlugins;
    const scores = new Float64Array(n);
    for (const { plugin, weight } of this.scorePlugins) {
      if (skip !== undefined && skip.has(plugin.name)) continue;
      for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pi, nodes[i]!);
      if (plugin.normalizeScore !== undefined) {
        const s = plugin.normalizeScore(state, pi, nodes, scores);
        if (s !== undefined && s.code !== Code.Success) throw s.error ?? new Error(`running NormalizeScore plugin "${plugin.name}": ${s.message()}`);
      }
      for (let i = 0; i < n; i++) {
        const v = scores[i]!;
        if (v > MAX_NODE_SCORE || v < 0 || v !== v) {
          throw new Error(`plugin "${plugin.name}" returns an invalid score ${v}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`);
        }
        total[i] += v * weight;
      }
    }
    return total;
  }

  /** The highest total; equal totals are chosen uniformly by reservoir sampling. */
  selectHost(total: Float64Array): number {
    let selected = 0;
    let max = total[0]!;
    let count = 1;
    for (let i = 1; i < total.length; i++) {
      const v = total[i]!;
      if (v > max) { max = v; selected = i; count = 1; }
      else if (v === max) {
        count++;
        if (Math.floor(this.random() * count) === 0) selected = i;
      }
    }
    return selected;
  }

  runReservePluginsReserve(state: CycleState, pi: PodInfo, nodeName: string): Status | undefined {
    for (const p of this.reservePlugins) {
      const s = p.reserve(state, pi, nodeName);
      if (!isSuccess(s)) return s!.plugin === '' ? s!.withPlugin(p.name) : s;
    }
    return undefined;
  }

  /** In reverse order, as upstream; every plugin, whatever happened before. */
  runReservePluginsUnreserve(state: CycleState, pi: PodInfo, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) this.reservePlugins[i]!.unreserve(state, pi, nodeName);
  }

  /** Returns undefined (allowed), a Wait status (pod now waiting), or a rejection. */
  runPermitPlugins(state: CycleState, pi: PodInfo, nodeName: string): Status | undefined {
    const timeouts = new Map<string, number>();
    for (const p of this.permitPlugins) {
      const r = p.permit(state, pi, nodeName);
      const s = r.status;
      if (s === undefined || s.code === Code.Success) continue;
      if (s.code === Code.Wait) {
        timeouts.set(p.name, Math.min(r.timeoutMs ?? MAX_PERMIT_TIMEOUT_MS, MAX_PERMIT_TIMEOUT_MS));
        continue;
      }
      return s.plugin === '' ? s.withPlugin(p.name) : s;
    }
    if (timeouts.size === 0) return undefined;
    const wp = new WaitingPodImpl(pi, nodeName, timeouts, () => this.waitingPods.delete(pi.uid));
    this.waitingPods.set(pi.uid, wp);
    return new Status(Code.Wait);
  }

  /** Resolves when the pod is allowed (undefined) or rejected (a status). */
  async waitOnPermit(pi: PodInfo): Promise<Status | undefined> {
    const wp = this.waitingPods.get(pi.uid);
    if (wp === undefined) return undefined;
    return wp.done;
  }

  /**
   * The binding cycle: wait on Permit, PreBind, Bind (binders until one does not Skip),
   * PostBind. On failure runs Unreserve and returns the status; the caller forgets the
   * assumed pod and requeues it.
   */
  async runBindingCycle(state: CycleState, pi: PodInfo, nodeName: string): Promise<Status | undefined> {
    let st = await this.waitOnPermit(pi);
    if (st === undefined) st = await this.runPreBind(state, pi, nodeName);
    if (st === undefined) st = await this.runBind(state, pi, nodeName);
    if (st !== undefined) {
      this.runReservePluginsUnreserve(state, pi, nodeName);
      return st;
    }
    for (const p of this.postBindPlugins) p.postBind(state, pi, nodeName);
    return undefined;
  }

  private async runPreBind(state: CycleState, pi: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const p of this.preBindPlugins) {
      let s: Status | undefined;
      try { s = await p.preBind(state, pi, nodeName); } catch (e) { s = Status.error(asError(e), p.name); }
      if (!isSuccess(s)) return s!.plugin === '' ? s!.withPlugin(p.name) : s;
    }
    return undefined;
  }

  private async runBind(state: CycleState, pi: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const p of this.bindPlugins) {
      let s: Status | undefined;
      try { s = await p.bind(state, pi, nodeName); } catch (e) { s = Status.error(asError(e), p.name); }
      if (s !== undefined && s.code === Code.Skip) continue;
      if (!isSuccess(s)) return s!.plugin === '' ? s!.withPlugin(p.name) : s;
      return undefined;
    }
    return Status.error(`all bind plugins skipped pod ${pi.key}`);
  }
}

/** Permit may not hold a pod longer than this (upstream maxTimeout). */
export const MAX_PERMIT_TIMEOUT_MS = 15 * 60 * 1000;

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

function singleNodeFailure(pi: PodInfo, nodeName: string, st: Status): FitError {
  const d = newDiagnosis();
  d.nodeToStatus.set(nodeName, st);
  if (st.isRejected() && st.plugin !== '') d.unschedulablePlugins.add(st.plugin);
  return new FitError(pi, 1, d);
}

const IMPLEMENTS: Record<ExtensionPoint, (p: Plugin) => boolean> = {
  preEnqueue: isPreEnqueue,
  queueSort: isQueueSort,
  preFilter: isPreFilter,
  filter: isFilter,
  postFilter: isPostFilter,
  preScore: isPreScore,
  score: isScore,
  reserve: isReserve,
  permit: isPermit,
  preBind: isPreBind,
  bind: isBind,
  postBind: isPostBind,
};
