// core/v1 ReplicationControllers and PodTemplates. RCs default their selector and labels from
// the template's labels and their replicas to 1; the selector must be non-empty and select the
// template. PodTemplates are a template and nothing else. Field selector (RC): status.replicas.

import type { PodTemplate, ReplicationControllerSpec, ReplicationControllerStatus } from 'kubernetes-types/core/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './pod_template.js';
import { isRecord, objectOr, resourceOf, specOf } from './util.js';
import { selectorMismatch, validateLongRunningTemplate, validateNonnegative } from './workload_common.js';
import { selectorFromSet } from '../../../api/labels.js';

function rcSpec(obj: KubeObject): ReplicationControllerSpec {
  return objectOr<ReplicationControllerSpec>(specOf(obj), {});
}

function validateRcSpec(obj: KubeObject): FieldError[] {
  const spec = rcSpec(obj);
  const sp = fieldPath('spec');
  const errs = validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds'));
  const selector = spec.selector ?? {};
  const empty = Object.keys(selector).length === 0;
  if (empty) errs.push(field.required(sp.child('selector'), ''));
  errs.push(...validateNonnegative(spec.replicas, sp.child('replicas')));
  const tp = sp.child('template');
  if (!isRecord(spec.template)) {
    errs.push(field.required(tp, ''));
    return errs;
  }
  if (!empty && !selectorFromSet(selector).matches(spec.template.metadata?.labels ?? {})) errs.push(selectorMismatch(spec.template, tp));
  errs.push(...validateLongRunningTemplate(spec.template, tp, { kindForDeadline: 'ReplicationController', deadlineForbidden: true }));
  return errs;
}

export const replicationControllerStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'replicationcontrollers'),
  hasStatus: true,
  hasGeneration: true,
  defaults(obj) {
    const spec = rcSpec(obj);
    const labels = isRecord(spec.template) ? spec.template.metadata?.labels : undefined;
    if (labels !== undefined) {
      if (!spec.selector || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
      const meta = obj.metadata ?? (obj.metadata = {});
      if (!meta.labels || Object.keys(meta.labels).length === 0) meta.labels = { ...labels };
    }
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
    if (isRecord(spec.template)) defaultPodTemplateSpec(spec.template);
  },
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validateRcSpec(obj),
  validateUpdate: (obj) => validateRcSpec(obj),
  selectableFields: (obj) => ({ 'status.replicas': String(objectOr<ReplicationControllerStatus>(obj.status, { replicas: 0 }).replicas ?? 0) }),
};

export const podTemplateStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'podtemplates'),
  hasGeneration: false,
  defaults(obj) {
    const pt = objectOr<PodTemplate>(obj, {});
    if (!isRecord(pt.template)) pt.template = {};
    defaultPodTemplateSpec(pt.template);
  },
  validate: (obj) => validatePodTemplateSpec(objectOr<PodTemplate>(obj, {}).template, fieldPath('template')),
  validateUpdate: (obj) => validatePodTemplateSpec(objectOr<PodTemplate>(obj, {}).template, fieldPath('template')),
};
