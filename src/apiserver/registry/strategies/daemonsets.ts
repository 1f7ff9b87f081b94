// apps/v1 DaemonSets: RollingUpdate with maxUnavailable 1 and maxSurge 0 by default, 10
// revisions, pod template defaults; ValidateDaemonSetSpec and an immutable selector.

import type { DaemonSetSpec } from 'kubernetes-types/apps/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { defaultPodTemplateSpec } from './pod_template.js';
import { goIntOrString, invalidGo, isRecord, objectOr, resourceOf, specOf } from './util.js';
import {
  intOrPercentValue, selectorMatches, selectorMismatch, validateImmutableSelector, validateIntOrPercent,
  validateLongRunningTemplate, validateNonnegative, validateSelectorNotEmpty, validateWorkloadSelector,
} from './workload_common.js';

function dsSpec(obj: KubeObject): DaemonSetSpec {
  return objectOr<DaemonSetSpec>(specOf(obj), { selector: {}, template: {} });
}

function validateDaemonSetSpec(obj: KubeObject): FieldError[] {
  const spec = dsSpec(obj);
  const sp = fieldPath('spec');
  const sel = isRecord(spec.selector) ? spec.selector : undefined;
  const errs = validateWorkloadSelector(sel, sp.child('selector'));
  if (selectorMatches(sel, spec.template?.metadata?.labels) === false) errs.push(selectorMismatch(spec.template, sp.child('template')));
  if (sel !== undefined) errs.push(...validateSelectorNotEmpty(sel, sp.child('selector'), 'daemonset'));
  errs.push(...validateLongRunningTemplate(spec.template, sp.child('template'), { kindForDeadline: 'DaemonSet', deadlineForbidden: false }));
  errs.push(...validateNonnegative(spec.minReadySeconds, sp.child('minReadySeconds')));
  const us = spec.updateStrategy ?? {};
  const usp = sp.child('updateStrategy');
  switch (us.type ?? '') {
    case 'OnDelete': break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!isRecord(ru)) {
        errs.push(field.required(usp.child('rollingUpdate'), ''));
        break;
      }
      const rp = usp.child('rollingUpdate');
      errs.push(...validateIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      errs.push(...validateIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalidGo(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable ?? 0), 'cannot be 0 when maxSurge is 0'));
      }
      break;
    }
    default:
      errs.push(field.notSupported(usp.child('type'), us.type ?? '', ['OnDelete', 'RollingUpdate']));
  }
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, sp.child('revisionHistoryLimit')));
  return errs;
}

export const daemonSetStrategy: Strategy = {
  resource: resourceOf('apps', 'v1', 'daemonsets'),
  hasStatus: true,
  hasGeneration: true,
  defaults(obj) {
    const spec = dsSpec(obj);
    const us = isRecord(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {});
    if (!us.type) us.type = 'RollingUpdate';
    if (us.type === 'RollingUpdate') {
      const ru = isRecord(us.rollingUpdate) ? us.rollingUpdate : (us.rollingUpdate = {});
      if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = 1;
      if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
    }
    if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
    if (!isRecord(spec.template)) spec.template = {};
    defaultPodTemplateSpec(spec.template);
  },
  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validateDaemonSetSpec(obj),
  validateUpdate(obj, old) {
    return [...validateDaemonSetSpec(obj), ...validateImmutableSelector(dsSpec(obj).selector, objectOr<DaemonSetSpec>(old.spec, { selector: {}, template: {} }).selector, fieldPath('spec', 'selector'))];
  },
};
