// apps/v1 StatefulSets: defaults (OrderedReady, RollingUpdate with partition 0, 1 replica, 10
// revisions, PVC retention Retain/Retain), ValidateStatefulSetSpec, and the short list of spec
// fields an update may change.

import type { StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { defaultPodTemplateSpec } from './pod_template.js';
import { deepEqual, isRecord, objectOr, resourceOf, specOf } from './util.js';
import { selectorMatches, selectorMismatch, validateIntOrPercent, validateLongRunningTemplate, validateNonnegative, validateWorkloadSelector } from './workload_common.js';

function stsSpec(obj: KubeObject): StatefulSetSpec {
  return objectOr<StatefulSetSpec>(specOf(obj), { selector: {}, template: {}, serviceName: '' });
}

const RETENTION = ['Retain', 'Delete'];

function validateStatefulSetSpec(obj: KubeObject): FieldError[] {
  const spec = stsSpec(obj);
  const sp = fieldPath('spec');
  const errs: FieldError[] = [];
  switch (spec.podManagementPolicy ?? '') {
    case 'OrderedReady': case 'Parallel': break;
    case '': errs.push(field.required(sp.child('podManagementPolicy'), '')); break;
    default: errs.push(field.invalid(sp.child('podManagementPolicy'), spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = spec.updateStrategy ?? {};
  const usp = sp.child('updateStrategy');
  switch (us.type ?? '') {
    case 'OnDelete':
      if (isRecord(us.rollingUpdate)) errs.push(field.invalid(usp.child('rollingUpdate'), us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isRecord(us.rollingUpdate)) {
        errs.push(...validateNonnegative(us.rollingUpdate.partition, usp.child('rollingUpdate', 'partition')));
        errs.push(...validateIntOrPercent(us.rollingUpdate.maxUnavailable, usp.child('rollingUpdate', 'maxUnavailable')));
      }
      break;
    case '': errs.push(field.required(usp, '')); break;
    default: errs.push(field.invalid(usp, us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const pvc = spec.persistentVolumeClaimRetentionPolicy;
  if (isRecord(pvc)) {
    for (const k of ['whenDeleted', 'whenScaled'] as const) {
      const v = pvc[k] ?? '';
      if (!RETENTION.includes(v)) errs.push(field.notSupported(sp.child('persistentVolumeClaimRetentionPolicy', k), v, RETENTION));
    }
  }
  errs.push(...validateNonnegative(spec.replicas, sp.child('replicas')));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  if (isRecord(spec.ordinals)) errs.push(...validateNonnegative(spec.ordinals.start, sp.child('ordinals', 'start')));
  if (!isRecord(spec.selector)) errs.push(field.required(sp.child('selector'), ''));
  else errs.push(...validateWorkloadSelector(spec.selector, sp.child('selector'), 'statefulset'));
  const matches = selectorMatches(isRecord(spec.selector) ? spec.selector : undefined, spec.template?.metadata?.labels);
  if (matches === undefined) {
    errs.push(field.invalid(sp.child('selector'), spec.selector ?? null, 'invalid label selector.'));
  } else {
    if (!matches) errs.push(selectorMismatch(spec.template, sp.child('template')));
    errs.push(...validateLongRunningTemplate(spec.template, sp.child('template'), { kindForDeadline: 'StatefulSet', deadlineForbidden: true }));
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  return errs;
}

const UPDATABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export const statefulSetStrategy: Strategy = {
  resource: resourceOf('apps', 'v1', 'statefulsets'),
  hasStatus: true,
  hasGeneration: true,

  defaults(obj) {
    const spec = stsSpec(obj);
    if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
    const us = isRecord(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {});
    if (!us.type) us.type = 'RollingUpdate';
    if (us.type === 'RollingUpdate') {
      const ru = isRecord(us.rollingUpdate) ? us.rollingUpdate : (us.rollingUpdate = {});
      if (ru.partition === undefined || ru.partition === null) ru.partition = 0;
    }
    const pvc = isRecord(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : (spec.persistentVolumeClaimRetentionPolicy = {});
    if (!pvc.whenDeleted) pvc.whenDeleted = 'Retain';
    if (!pvc.whenScaled) pvc.whenScaled = 'Retain';
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
    if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
    if (!isRecord(spec.template)) spec.template = {};
    defaultPodTemplateSpec(spec.template);
    for (const t of spec.volumeClaimTemplates ?? []) {
      if (isRecord(t.spec) && !t.spec.volumeMode) t.spec.volumeMode = 'Filesystem';
    }
  },
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validateStatefulSetSpec(obj),
  validateUpdate(obj, old) {
    const errs = validateStatefulSetSpec(obj);
    const next: Record<string, unknown> = { ...specOf(obj) };
    const prev: Record<string, unknown> = { ...specOf(old) };
    for (const k of UPDATABLE) {
      delete next[k];
      delete prev[k];
    }
    if (!deepEqual(next, prev)) {
      errs.push(field.forbidden(fieldPath('spec'), "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }
    return errs;
  },
};
