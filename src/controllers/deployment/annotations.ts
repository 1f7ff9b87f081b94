// The annotations a Deployment and its ReplicaSets carry, as upstream's deployment/util:
//   deployment.kubernetes.io/revision          the rollout number; the newest ReplicaSet has the
//                                              highest, and the Deployment mirrors it
//   deployment.kubernetes.io/revision-history  earlier revisions a ReplicaSet had, when a rollback
//                                              made it new again (comma-separated, capped)
//   deployment.kubernetes.io/desired-replicas  spec.replicas of the Deployment when last scaled
//   deployment.kubernetes.io/max-replicas      that plus maxSurge: the base of proportional scaling
// A new ReplicaSet also gets the Deployment's own annotations, except kubectl's last-applied
// configuration and these. `kubectl rollout history` and `undo` read them.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** upstream maxRevHistoryLengthInChars. */
export const MAX_REVISION_HISTORY_CHARS = 2000;

const SKIPPED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  DEPRECATED_ROLLBACK_TO,
]);

/** The revision a ReplicaSet (or Deployment) carries; undefined when absent or unparsable. */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number | undefined {
  const v = obj?.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The highest revision among `rss` (0 for none). */
export function maxRevision(rss: readonly ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) max = Math.max(max, revisionOf(rs) ?? 0);
  return max;
}

/** Templates equal once the pod-template-hash label is ignored (upstream EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonical(stripHash(a)) === canonical(stripHash(b));
}

function stripHash(t: PodTemplateSpec | undefined): unknown {
  const c = structuredClone(t ?? {}) as PodTemplateSpec & { metadata?: { labels?: Record<string, string> } };
  if (c.metadata?.labels) {
    delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  if (c.metadata && Object.keys(c.metadata).length === 0) delete c.metadata;
  return c;
}

/** Deep equality that, like Go's semantic equality, treats empty maps and lists as absent. */
function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.length === 0 ? undefined : x.map(norm);
    if (x !== null && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) {
        const n = norm((x as Record<string, unknown>)[k]);
        if (n !== undefined) out[k] = n;
      }
      return Object.keys(out).length === 0 ? undefined : out;
    }
    return x;
  };
  return JSON.stringify(norm(v) ?? null);
}

/** Copies the Deployment's annotations (but the skipped ones) onto the ReplicaSet; true if any changed. */
function copyDeploymentAnnotations(d: Deployment, annotations: Record<string, string>): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (SKIPPED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  return changed;
}

/** Sets desired- and max-replicas; true if either changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    annotations[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * upstream SetNewReplicaSetAnnotations, on `annotations` (the new ReplicaSet's, mutated): copy the
 * Deployment's annotations, raise the revision to `newRevision` if it is lower (recording the old
 * one in revision-history: that is a rollback making an old ReplicaSet new again), and for a
 * ReplicaSet about to be created, the replicas annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  annotations: Record<string, string>,
  o: { newRevision: number; exists: boolean; maxReplicas: number },
): boolean {
  let changed = copyDeploymentAnnotations(d, annotations);
  const oldText = annotations[REVISION_ANNOTATION];
  let oldRevision = 0;
  if (oldText !== undefined && oldText !== '') {
    if (!/^\d+$/.test(oldText)) return false;
    oldRevision = Number(oldText);
  }
  if (oldRevision < o.newRevision) {
    annotations[REVISION_ANNOTATION] = String(o.newRevision);
    changed = true;
    if (oldText !== undefined) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') annotations[REVISION_HISTORY_ANNOTATION] = oldText;
      else {
        let parts = history.split(',');
        let total = history.length + oldText.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < parts.length) {
          total -= parts[start]!.length + 1;
          start++;
        }
        if (total <= MAX_REVISION_HISTORY_CHARS) {
          parts = [...parts.slice(start), oldText];
          annotations[REVISION_HISTORY_ANNOTATION] = parts.join(',');
        }
      }
    }
  }
  if (!o.exists && setReplicasAnnotations(annotations, d.spec?.replicas ?? 1, o.maxReplicas)) changed = true;
  return changed;
}
