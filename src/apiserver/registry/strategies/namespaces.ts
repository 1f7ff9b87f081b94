// Namespaces (core/v1, cluster-scoped): the `kubernetes` finalizer and phase Active on create,
// the metadata.name label, spec finalizer names, and the phase rules of status updates, as
// Kubernetes 1.32's pkg/registry/core/namespace does. Names are DNS-1123 labels (see registry.ts).

import type { NamespaceSpec, NamespaceStatus } from 'kubernetes-types/core/v1.js';
import { type FieldError, type FieldPath, field, fieldPath } from '../../../api/errors.js';
import { isQualifiedName } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { isRecord, objectOr, resourceOf, specOf } from './util.js';

const FINALIZER_KUBERNETES = 'kubernetes';
const NAME_LABEL = 'kubernetes.io/metadata.name';

function nsSpec(obj: KubeObject): NamespaceSpec {
  return objectOr<NamespaceSpec>(specOf(obj), {});
}

/** validateFinalizerName: a qualified name, and either standard ("kubernetes") or prefixed. */
export function validateFinalizerName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((m) => field.invalid(path, name, m));
  if (!name.includes('/') && name !== FINALIZER_KUBERNETES) {
    errs.push(field.invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

function validateSpecFinalizers(obj: KubeObject): FieldError[] {
  // Upstream does not index this path on create and update.
  return (nsSpec(obj).finalizers ?? []).flatMap((f) => validateFinalizerName(f, fieldPath('spec', 'finalizers')));
}

export const namespaceStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'namespaces'),
  hasStatus: true,

  defaults(obj) {
    // SetDefaults_Namespace: the immutable name label, so selectors can pick namespaces by name.
    const meta = obj.metadata;
    if (meta?.name) meta.labels = { ...(meta.labels ?? {}), [NAME_LABEL]: meta.name };
    if (isRecord(obj.status)) {
      const st = objectOr<NamespaceStatus>(obj.status, {});
      if (!st.phase) st.phase = 'Active';
    }
  },

  prepareForCreate(obj) {
    const spec = nsSpec(obj);
    const finalizers = spec.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_KUBERNETES)) spec.finalizers = [...finalizers, FINALIZER_KUBERNETES];
    obj.status = { phase: 'Active' };
  },

  prepareForUpdate(obj, old) {
    // Spec finalizers change only through the finalize subresource; status only through status.
    const spec = nsSpec(obj);
    const oldFinalizers = objectOr<NamespaceSpec>(old.spec, {}).finalizers;
    if (oldFinalizers === undefined) delete spec.finalizers;
    else spec.finalizers = [...oldFinalizers];
    obj.status = structuredClone(old.status);
  },

  validate: (obj) => validateSpecFinalizers(obj),
  validateUpdate: (obj) => validateSpecFinalizers(obj),

  validateStatusUpdate(obj) {
    const phase = objectOr<NamespaceStatus>(obj.status, {}).phase ?? '';
    const path = fieldPath('status', 'Phase');
    if (!obj.metadata?.deletionTimestamp) {
      return phase === 'Active' ? [] : [field.invalid(path, phase, "may only be 'Active' if `deletionTimestamp` is empty")];
    }
    return phase === 'Terminating' ? [] : [field.invalid(path, phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
  },

  selectableFields(obj) {
    return { 'status.phase': objectOr<NamespaceStatus>(obj.status, {}).phase ?? '' };
  },
};

/** The finalize subresource's validation: spec.finalizers names, indexed. */
export function validateNamespaceFinalize(obj: KubeObject): FieldError[] {
  return (nsSpec(obj).finalizers ?? []).flatMap((f, i) => validateFinalizerName(f, fieldPath('spec', 'finalizers').index(i)));
}
