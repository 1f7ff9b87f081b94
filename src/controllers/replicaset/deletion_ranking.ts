// Which pods a ReplicaSet deletes first when it scales down: upstream's ActivePodsWithRanks order,
// where the pod that sorts first goes first:
//   1. unscheduled before scheduled
//   2. Pending before Unknown before Running
//   3. not ready before ready
//   4. lower controller.kubernetes.io/pod-deletion-cost before higher
//   5. more pods of the same owner family on its node (doubled up) before fewer
//   6. both ready: ready for a shorter time before longer (in log2 buckets of age, as the
//      LogarithmicScaleDown feature does, with uid as the tie-break inside a bucket)
//   7. more container restarts before fewer
//   8. newer before older (same log2 bucketing of creation time)
// Upstream leaves the remaining ties to an unstable sort; we end with the name so that the choice
// is reproducible.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodActive, isPodReady, readyCondition, timeMs } from './pod_status.js';

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/** The pod-deletion-cost annotation as an int32; 0 when absent or invalid. */
export function deletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : 0;
}

function maxRestarts(pod: Pod): number {
  let m = 0;
  for (const s of pod.status?.containerStatuses ?? []) m = Math.max(m, s.restartCount ?? 0);
  return m;
}

/** floor(log2(now - t)) in nanoseconds, or -1 when t is not in the past (upstream's bucket). */
function logBucket(tMs: number, nowMs: number): number {
  const dNs = (nowMs - tMs) * 1e6;
  return dNs > 0 ? Math.floor(Math.log2(dNs)) : -1;
}

/**
 * Compares two timestamps for "delete first": undefined (empty) first, then the more recent. With
 * `nowMs`, timestamps in the same log2 age bucket tie and the uid decides.
 */
function compareTimes(a: Pod, ta: number | undefined, b: Pod, tb: number | undefined, nowMs: number | undefined): number {
  if (ta === tb) return 0;
  if (ta === undefined) return -1;
  if (tb === undefined) return 1;
  if (nowMs !== undefined) {
    const diff = logBucket(ta, nowMs) - logBucket(tb, nowMs);
    if (diff !== 0) return diff;
    const ua = a.metadata?.uid ?? '';
    const ub = b.metadata?.uid ?? '';
    return ua < ub ? -1 : ua > ub ? 1 : 0;
  }
  return tb - ta;
}

export interface RankedPod {
  pod: Pod;
  /** Active pods of the same owner family on this pod's node (upstream's rank). */
  rank: number;
}

/** Negative when `a` should be deleted before `b`. `nowMs` enables the log-scale age buckets. */
export function compareForDeletion(a: RankedPod, b: RankedPod, nowMs?: number): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const oa = PHASE_ORDINAL[pa.status?.phase ?? ''] ?? 0;
  const ob = PHASE_ORDINAL[pb.status?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa - ob;
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const c = compareTimes(pa, timeMs(readyCondition(pa)?.lastTransitionTime), pb, timeMs(readyCondition(pb)?.lastTransitionTime), nowMs);
    if (c !== 0) return c;
  }
  const xa = maxRestarts(pa);
  const xb = maxRestarts(pb);
  if (xa !== xb) return xb - xa;
  const c = compareTimes(pa, timeMs(pa.metadata?.creationTimestamp), pb, timeMs(pb.metadata?.creationTimestamp), nowMs);
  if (c !== 0) return c;
  const ka = pa.metadata?.name ?? '';
  const kb = pb.metadata?.name ?? '';
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The `n` pods of `pods` to delete first. `related` are the active and inactive pods of the owner's
 * family (pods of every ReplicaSet with the same controller, including `pods`): a pod sharing its
 * node with more of them is a better candidate, to spread the survivors.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], n: number, nowMs?: number): Pod[] {
  if (n >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked: RankedPod[] = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, nowMs));
  return ranked.slice(0, n).map((r) => r.pod);
}
