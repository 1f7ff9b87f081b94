// apps/v1 ReplicaSets: 1 replica by default, selector and template rules shared with Deployments
// (including upstream's "empty selector is invalid for deployment" text), an immutable selector.
// Field selector: status.replicas.

import type { ReplicaSetSpec, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { defaultPodTemplateSpec } from './pod_template.js';
import { isRecord, objectOr, resourceOf, specOf } from './util.js';
import { selectorMatches, selectorMismatch, validateImmutableSelector, validateLongRunningTemplate, validateNonnegative, validateWorkloadSelector } from './workload_common.js';

function rsSpec(obj: KubeObject): ReplicaSetSpec {
  return objectOr<ReplicaSetSpec>(specOf(obj), { selector: {} });
}

function validateReplicaSetSpec(obj: KubeObject): FieldError[] {
  const spec = rsSpec(obj);
  const sp = fieldPath('spec');
  const errs = validateNonnegative(spec.replicas, sp.child('replicas'));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  if (!isRecord(spec.selector)) errs.push(field.required(sp.child('selector'), ''));
  // Upstream's ReplicaSet validation reuses the Deployment wording here.
  else errs.push(...validateWorkloadSelector(spec.selector, sp.child('selector'), 'deployment'));
  const matches = selectorMatches(isRecord(spec.selector) ? spec.selector : undefined, spec.template?.metadata?.labels);
  if (matches === undefined) {
    errs.push(field.invalid(sp.child('selector'), spec.selector ?? null, 'invalid label selector'));
  } else {
    if (!matches) errs.push(selectorMismatch(spec.template, sp.child('template')));
    errs.push(...validateLongRunningTemplate(spec.template, sp.child('template'), { kindForDeadline: 'ReplicaSet', deadlineForbidden: false }));
  }
  return errs;
}

export const replicaSetStrategy: Strategy = {
  resource: resourceOf('apps', 'v1', 'replicasets'),
  hasStatus: true,
  hasGeneration: true,
  defaults(obj) {
    const spec = rsSpec(obj);
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
    if (!isRecord(spec.template)) spec.template = {};
    defaultPodTemplateSpec(spec.template);
  },
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validateReplicaSetSpec(obj),
  validateUpdate(obj, old) {
    return [...validateReplicaSetSpec(obj), ...validateImmutableSelector(rsSpec(obj).selector, objectOr<ReplicaSetSpec>(old.spec, { selector: {} }).selector, fieldPath('spec', 'selector'))];
  },
  selectableFields: (obj) => ({ 'status.replicas': String(objectOr<ReplicaSetStatus>(obj.status, { replicas: 0 }).replicas ?? 0) }),
};
