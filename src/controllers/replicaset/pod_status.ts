// What the workload controllers read from a pod's status: whether it still counts (active),
// whether it is ready, and when it becomes available (ready for minReadySeconds). These follow
// upstream's podutil.IsPodReady / IsPodAvailable and controller.IsPodActive.
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';

/** Not terminating and not finished: a pod that counts towards replicas. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function readyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Milliseconds of a metav1.Time string; undefined when absent or unparsable. */
export function timeMs(t: string | undefined): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When a ready pod counts as available, or undefined for a pod that is not ready. With
 * minReadySeconds 0 that is at once (-Infinity); otherwise minReadySeconds after the Ready
 * condition's last transition (upstream wants that instant strictly in the past).
 */
export function availableAt(pod: Pod, minReadySeconds: number): number | undefined {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return undefined;
  if (minReadySeconds <= 0) return -Infinity;
  const t = timeMs(c.lastTransitionTime);
  // A Ready condition without a transition time never becomes available, as upstream.
  if (t === undefined) return Infinity;
  return t + minReadySeconds * 1000;
}

export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const at = availableAt(pod, minReadySeconds);
  return at !== undefined && (at === -Infinity || at < nowMs);
}
