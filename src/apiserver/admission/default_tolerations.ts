// The DefaultTolerationSeconds admission step, as upstream's: every pod gets tolerations for the
// `node.kubernetes.io/not-ready:NoExecute` and `node.kubernetes.io/unreachable:NoExecute` taints
// with tolerationSeconds 300, unless it already tolerates that taint. The node lifecycle
// controller puts those taints on failed nodes, so this is what makes a pod on a dead node
// wait five minutes before it is evicted (instead of at once, or never).
//
// "Already tolerates" follows upstream's loose test: a toleration with the taint's key or an
// empty key, and effect NoExecute or empty, counts, whatever its operator, value or seconds.
// Upstream runs the step on create and update of pods (not of their subresources).
import type { Toleration } from 'kubernetes-types/core/v1.js';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';

export const defaultTolerationDefaults = {
  /** --default-not-ready-toleration-seconds */
  notReadyTolerationSeconds: 300,
  /** --default-unreachable-toleration-seconds */
  unreachableTolerationSeconds: 300,
} as const;

export interface DefaultTolerationOptions {
  notReadyTolerationSeconds?: number;
  unreachableTolerationSeconds?: number;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function covers(t: Toleration, key: string): boolean {
  return (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect);
}

/**
 * The tolerations with the two defaults appended where missing (a new array; the input and its
 * elements are not modified).
 */
export function withDefaultTolerations(tolerations: readonly Toleration[] | undefined, options: DefaultTolerationOptions = {}): Toleration[] {
  const out = [...(tolerations ?? [])];
  let notReady = false;
  let unreachable = false;
  for (const t of out) {
    if (!isRecord(t)) continue;
    if (covers(t, TAINT_NODE_NOT_READY)) notReady = true;
    if (covers(t, TAINT_NODE_UNREACHABLE)) unreachable = true;
  }
  if (!notReady) {
    out.push({
      key: TAINT_NODE_NOT_READY,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: options.notReadyTolerationSeconds ?? defaultTolerationDefaults.notReadyTolerationSeconds,
    });
  }
  if (!unreachable) {
    out.push({
      key: TAINT_NODE_UNREACHABLE,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: options.unreachableTolerationSeconds ?? defaultTolerationDefaults.unreachableTolerationSeconds,
    });
  }
  return out;
}

/**
 * Adds the default tolerations to a pod being admitted (in place, as every mutating admission
 * step here does) and returns it. Anything that is not a pod-shaped object is left alone; no I/O.
 */
export function admitDefaultTolerations<T extends { spec?: unknown }>(pod: T, options: DefaultTolerationOptions = {}): T {
  const spec = pod.spec;
  if (!isRecord(spec)) return pod;
  const current = Array.isArray(spec.tolerations) ? (spec.tolerations as Toleration[]) : undefined;
  if (spec.tolerations !== undefined && spec.tolerations !== null && !Array.isArray(spec.tolerations)) return pod; // validation will refuse it
  const next = withDefaultTolerations(current, options);
  if (next.length !== (current?.length ?? 0)) spec.tolerations = next;
  return pod;
}
