// The `scale` subresource (autoscaling/v1 Scale) of workloads: a view of `spec.replicas` and
// `status.replicas` plus the selector as a string, used by `kubectl scale`, the HPA and
// controllers. Writes go to the parent object's spec.replicas through its store, so the parent's
// validation, optimistic concurrency and generation rules apply unchanged.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest, conflict, field, fieldPath, invalid } from '../../api/errors.js';
import { fromLabelSelector, selectorFromSet } from '../../api/labels.js';
import type { GenericStore, WriteOptions } from './generic_store.js';
import type { KubeObject } from './strategy.js';

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string };
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The selector in its string form: apps/v1 kinds have a LabelSelector, ReplicationControllers a map. */
function selectorString(obj: KubeObject): string | undefined {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const sel = spec.selector;
  if (!isRecord(sel)) return undefined;
  if (obj.kind === 'ReplicationController') return selectorFromSet(sel as Record<string, string>).toString();
  return fromLabelSelector(sel as LabelSelector).toString();
}

export function toScale(obj: KubeObject): Scale {
  const m = obj.metadata ?? {};
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const selector = selectorString(obj);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, ...(selector ? { selector } : {}) },
  };
}

/** GET .../<name>/scale */
export async function getScale(store: GenericStore, ns: string, name: string): Promise<Scale> {
  return toScale(await store.get(ns, name));
}

/**
 * PUT or PATCH .../<name>/scale: `next` computes the new Scale from the current one. A Scale
 * that names a resourceVersion must name the parent's current one (409 otherwise).
 */
export async function updateScale(
  store: GenericStore,
  ns: string,
  name: string,
  next: (current: Scale) => unknown,
  opts: WriteOptions = {},
): Promise<Scale> {
  const { object } = await store.update(
    ns,
    name,
    (current) => {
      const desired = next(toScale(current));
      if (!isRecord(desired)) throw badRequest('the body of the request was not a Scale object');
      if (desired.kind !== undefined && desired.kind !== 'Scale') throw badRequest(`the kind in the data (${String(desired.kind)}) does not match the expected kind (Scale)`);
      const meta = isRecord(desired.metadata) ? desired.metadata : {};
      if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' && meta.resourceVersion !== current.metadata?.resourceVersion) {
        throw conflict({ group: store.resource.group, resource: store.resource.plural }, name);
      }
      const spec = isRecord(desired.spec) ? desired.spec : {};
      const replicas = spec.replicas ?? 0;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, [field.invalid(fieldPath('spec', 'replicas'), replicas, 'must be greater than or equal to 0')]);
      }
      const spec0 = isRecord(current.spec) ? current.spec : {};
      // Drop the parent's own resourceVersion: the store's compare-and-swap already guards the write.
      const { resourceVersion: _rv, ...parentMeta } = current.metadata ?? {};
      return { ...current, metadata: parentMeta, spec: { ...spec0, replicas } };
    },
    opts,
  );
  return toScale(object);
}
