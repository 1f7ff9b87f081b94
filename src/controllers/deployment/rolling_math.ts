// The arithmetic of Deployment rollouts, as upstream's deployment/util: int-or-percent resolution
// (maxSurge rounds up, maxUnavailable rounds down, and when both come to 0 one pod may be
// unavailable so that a rollout can progress), how far the new ReplicaSet may grow, and how a
// change of spec.replicas mid-rollout is spread over the ReplicaSets in proportion to their size
// (proportional scaling). Pure functions over objects, for the controller and for unit tests.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { MAX_REPLICAS_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, revisionOf } from './annotations.js';

export type IntOrString = number | string;

/** upstream intstr.GetScaledValueFromIntOrPercent: a number as is, `N%` of total (ceil or floor). */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** upstream ResolveFenceposts: [surge, unavailable] for `desired` replicas. */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): [number, number] {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function replicasOf(x: { spec?: { replicas?: number } } | undefined): number {
  return x?.spec?.replicas ?? 0;
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec?.replicas ?? 1)[0];
}

export function maxUnavailable(d: Deployment): number {
  const replicas = d.spec?.replicas ?? 1;
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const u = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas)[1];
  return Math.min(u, replicas);
}

/** Sum of spec.replicas. */
export function specReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.spec?.replicas ?? 0;
  return n;
}

/** Sum of status.replicas. */
export function actualReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.status?.replicas ?? 0;
  return n;
}

export function readyReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.status?.readyReplicas ?? 0;
  return n;
}

export function availableReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  let n = 0;
  for (const rs of rss) n += rs?.status?.availableReplicas ?? 0;
  return n;
}

/** upstream NewRSNewReplicas: the size the new ReplicaSet may grow to now. */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const want = d.spec?.replicas ?? 1;
  if (!isRollingUpdate(d)) return want;
  const ru = d.spec?.strategy?.rollingUpdate;
  const surge = scaledValue(ru?.maxSurge ?? 0, want, true);
  const current = specReplicas(allRSs);
  const maxTotal = want + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, want - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** How many old pods may be scaled down now (upstream reconcileOldReplicaSets' maxScaledDown). */
export function maxScaledDown(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): number {
  const minAvailable = (d.spec?.replicas ?? 1) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS?.status?.availableReplicas ?? 0);
  return specReplicas(allRSs) - minAvailable - newUnavailable;
}

// ---- orderings (upstream controller.ReplicaSetsBy*) ----

function created(rs: ReplicaSet): number {
  const t = rs.metadata?.creationTimestamp;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Older first; the name breaks ties. */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Larger first; among equals, older first (who loses replicas first when scaling down). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  const d = replicasOf(b) - replicasOf(a);
  return d !== 0 ? d : byCreationTimestamp(a, b);
}

/** Larger first; among equals, newer first (who gains replicas first when scaling up). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  const d = replicasOf(b) - replicasOf(a);
  return d !== 0 ? d : byCreationTimestamp(b, a);
}

/** Lower revision first; unparsable revisions and ties by creation time. */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a);
  const rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreationTimestamp(a, b);
  return ra - rb;
}

export function isActive(rs: ReplicaSet | undefined): rs is ReplicaSet {
  return rs !== undefined && replicasOf(rs) > 0;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** upstream getReplicaSetFraction: this ReplicaSet's share of a resize, before capping. */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const want = d.spec?.replicas ?? 1;
  if (want === 0) return -replicasOf(rs);
  const maxReplicas = want + maxSurge(d);
  let before = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
  if (before === undefined || before === 0) {
    // Someone edited the ReplicaSet or dropped the annotation: fall back to the current size.
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  // Go's math.Round: half away from zero.
  const x = (replicasOf(rs) * maxReplicas) / before;
  return Math.sign(x) * Math.round(Math.abs(x)) - replicasOf(rs);
}

/** upstream GetReplicaSetProportion. */
export function replicaSetProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** The ReplicaSet to give all replicas when only one (or none) has any (upstream FindActiveOrLatest). */
export function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = [...olds, newRS].filter(isActive);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The new ReplicaSet has every replica, all available, for the current size (upstream IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
  if (desired === undefined) return false;
  const want = d.spec?.replicas ?? 1;
  return replicasOf(rs) === want && desired === want && (rs.status?.availableReplicas ?? 0) === want;
}

export interface ScaleStep {
  rs: ReplicaSet;
  replicas: number;
}

/**
 * What a resize of the Deployment (spec.replicas changed, or a paused one) does to its ReplicaSets,
 * as upstream's `scale`: the one active ReplicaSet (or the newest) gets everything; a saturated
 * new ReplicaSet empties the old ones; otherwise, for RollingUpdate, the difference between the
 * allowed total (replicas + maxSurge) and the current total is shared in proportion to size,
 * largest first, the rounding leftover going to the largest. Returns the ReplicaSets whose size
 * changes, with the scaling direction for events.
 */
export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const want = d.spec?.replicas ?? 1;
  const only = activeOrLatest(newRS, oldRSs);
  if (only) return replicasOf(only) === want ? [] : [{ rs: only, replicas: want }];
  if (isSaturated(d, newRS)) return oldRSs.filter(isActive).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];
  const all = [...oldRSs, newRS].filter(isActive);
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  const sizes = new Map<ReplicaSet, number>();
  let added = 0;
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = replicaSetProportion(rs, d, toAdd, added);
      sizes.set(rs, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs, replicasOf(rs));
  }
  if (toAdd !== 0 && all.length > 0) {
    const first = all[0]!;
    sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  }
  // Every active ReplicaSet is written (the max-replicas annotations change even where the size
  // does not), in the sorted order.
  return all.map((rs) => ({ rs, replicas: sizes.get(rs)! }));
}
