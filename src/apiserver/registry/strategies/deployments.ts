// apps/v1 Deployments: upstream defaults (1 replica, RollingUpdate 25%/25%, 10 revisions, 600s
// progress deadline, pod template defaults) and ValidateDeployment/ValidateDeploymentUpdate.

import type { DeploymentSpec } from 'kubernetes-types/apps/v1.js';
import { type FieldError, type FieldPath, field, fieldPath } from '../../../api/errors.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { defaultPodTemplateSpec } from './pod_template.js';
import { isRecord, objectOr, resourceOf, specOf, goIntOrString, invalidGo } from './util.js';
import {
  intOrPercentValue, selectorMatches, selectorMismatch, validateImmutableSelector, validateIntOrPercent,
  validateLongRunningTemplate, validateNonnegative, validateWorkloadSelector,
} from './workload_common.js';

function depSpec(obj: KubeObject): DeploymentSpec {
  return objectOr<DeploymentSpec>(specOf(obj), { selector: {}, template: {} });
}

function validateStrategy(spec: DeploymentSpec, path: FieldPath): FieldError[] {
  const s = spec.strategy ?? {};
  const errs: FieldError[] = [];
  switch (s.type) {
    case 'Recreate':
      if (isRecord(s.rollingUpdate)) errs.push(field.forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!isRecord(ru)) {
        errs.push(field.required(path.child('rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const rp = path.child('rollingUpdate');
      errs.push(...validateIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      errs.push(...validateIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalidGo(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
      }
      break;
    }
    default:
      errs.push(field.notSupported(path.child('type'), s.type ?? '', ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

function validateDeploymentSpec(obj: KubeObject): FieldError[] {
  const spec = depSpec(obj);
  const sp = fieldPath('spec');
  const errs = validateNonnegative(spec.replicas, sp.child('replicas'));
  if (!isRecord(spec.selector)) errs.push(field.required(sp.child('selector'), ''));
  else errs.push(...validateWorkloadSelector(spec.selector, sp.child('selector'), 'deployment'));
  const matches = selectorMatches(isRecord(spec.selector) ? spec.selector : undefined, spec.template?.metadata?.labels);
  if (matches === undefined) {
    errs.push(invalidGoSelector(spec, sp));
  } else {
    // An empty selector matches everything; upstream skips the label check for it.
    if (!matches) errs.push(selectorMismatch(spec.template, sp.child('template')));
    errs.push(...validateLongRunningTemplate(spec.template, sp.child('template'), { kindForDeadline: 'ReplicaSet', deadlineForbidden: false }));
  }
  errs.push(...validateStrategy(spec, sp.child('strategy')));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    errs.push(...validateNonnegative(pds, sp.child('progressDeadlineSeconds')));
    if (pds <= (spec.minReadySeconds ?? 0)) errs.push(field.invalid(sp.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

function invalidGoSelector(spec: DeploymentSpec, sp: FieldPath): FieldError {
  return field.invalid(sp.child('selector'), spec.selector ?? null, 'invalid label selector');
}

export const deploymentStrategy: Strategy = {
  resource: resourceOf('apps', 'v1', 'deployments'),
  hasStatus: true,
  hasGeneration: true,

  defaults(obj) {
    const spec = depSpec(obj);
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
    const strat = isRecord(spec.strategy) ? spec.strategy : (spec.strategy = {});
    if (!strat.type) strat.type = 'RollingUpdate';
    if (strat.type === 'RollingUpdate') {
      const ru = isRecord(strat.rollingUpdate) ? strat.rollingUpdate : (strat.rollingUpdate = {});
      if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = '25%';
      if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = '25%';
    }
    if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
    if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
    if (!isRecord(spec.template)) spec.template = {};
    defaultPodTemplateSpec(spec.template);
  },

  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },

  validate: (obj) => validateDeploymentSpec(obj),
  validateUpdate(obj, old) {
    const errs = validateDeploymentSpec(obj);
    errs.push(...validateImmutableSelector(depSpec(obj).selector, objectOr<DeploymentSpec>(old.spec, { selector: {}, template: {} }).selector, fieldPath('spec', 'selector')));
    return errs;
  },
};
