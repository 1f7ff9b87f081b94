// Small strategies for resources that need a rule or two: PriorityClasses (value range, reserved
// names, immutable value), PersistentVolumeClaims (access modes, storage request, immutable spec),
// ResourceQuotas and LimitRanges (resource names and quantities).

import type { LimitRangeSpec, PersistentVolumeClaimSpec, PersistentVolumeClaimStatus, ResourceQuotaSpec } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { type FieldError, field, fieldPath, goJson } from '../../../api/errors.js';
import { validateImmutableField } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { quantityText, validateResourceName, validateResourceQuantity } from './pod_template.js';
import { deepEqual, isRecord, objectOr, resourceOf, specOf } from './util.js';

// ---------------------------------------------------------------------------------------------
// PriorityClass

const HIGHEST_USER_PRIORITY = 1000000000;
const SYSTEM_CLASSES = new Set(['system-node-critical', 'system-cluster-critical']);

function pcOf(obj: KubeObject): PriorityClass {
  return objectOr<PriorityClass>(obj, { value: 0 });
}

function validatePriorityClass(obj: KubeObject): FieldError[] {
  const pc = pcOf(obj);
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? '';
  if (name.startsWith('system-') && !SYSTEM_CLASSES.has(name)) {
    errs.push(field.forbidden(fieldPath('metadata', 'name'), "priority class names with 'system-' prefix are reserved"));
  }
  if ((pc.value ?? 0) > HIGHEST_USER_PRIORITY && !SYSTEM_CLASSES.has(name)) {
    errs.push(field.forbidden(fieldPath('value'), `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  const pp = pc.preemptionPolicy;
  if (pp !== undefined && pp !== null && pp !== 'PreemptLowerPriority' && pp !== 'Never') {
    errs.push(field.notSupported(fieldPath('preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  return errs;
}

export const priorityClassStrategy: Strategy = {
  resource: resourceOf('scheduling.k8s.io', 'v1', 'priorityclasses'),
  defaults(obj) {
    const pc = pcOf(obj);
    if (!pc.preemptionPolicy) pc.preemptionPolicy = 'PreemptLowerPriority';
  },
  validate: (obj) => validatePriorityClass(obj),
  validateUpdate(obj, old) {
    const errs = validatePriorityClass(obj);
    if (pcOf(obj).value !== pcOf(old).value) errs.push(field.forbidden(fieldPath('value'), 'may not be changed in an update.'));
    errs.push(...validateImmutableField(pcOf(obj).preemptionPolicy ?? '', pcOf(old).preemptionPolicy ?? '', fieldPath('preemptionPolicy')));
    return errs;
  },
};

// ---------------------------------------------------------------------------------------------
// PersistentVolumeClaim

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

function pvcSpec(obj: KubeObject): PersistentVolumeClaimSpec {
  return objectOr<PersistentVolumeClaimSpec>(specOf(obj), {});
}

function validatePvc(obj: KubeObject): FieldError[] {
  const spec = pvcSpec(obj);
  const sp = fieldPath('spec');
  const errs: FieldError[] = [];
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) errs.push(field.required(sp.child('accessModes'), 'at least 1 access mode is required'));
  let rwop = false;
  let other = false;
  for (const m of modes) {
    if (!ACCESS_MODES.includes(m)) errs.push(field.notSupported(sp.child('accessModes'), m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(field.forbidden(sp.child('accessModes'), 'may not use ReadWriteOncePod with other access modes'));
  const storagePath = sp.child('resources').key('storage');
  const raw = spec.resources?.requests?.storage;
  if (raw === undefined) errs.push(field.required(storagePath, ''));
  else {
    const { q, errs: qe } = validateResourceQuantity('storage', raw, storagePath);
    if (q !== null && q.sign() <= 0) errs.push(field.invalid(storagePath, quantityText(q), 'must be greater than zero'));
    else errs.push(...qe);
  }
  const vm = spec.volumeMode;
  if (vm !== undefined && vm !== null && vm !== 'Block' && vm !== 'Filesystem') errs.push(field.notSupported(sp.child('volumeMode'), vm, ['Block', 'Filesystem']));
  return errs;
}

export const persistentVolumeClaimStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'persistentvolumeclaims'),
  hasStatus: true,
  defaults(obj) {
    const spec = pvcSpec(obj);
    if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' } satisfies PersistentVolumeClaimStatus;
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validatePvc(obj),
  validateUpdate(obj, old) {
    const errs = validatePvc(obj);
    const next = structuredClone(pvcSpec(obj));
    const prev = structuredClone(pvcSpec(old));
    if (!prev.volumeName) prev.volumeName = next.volumeName;
    const bound = objectOr<PersistentVolumeClaimStatus>(old.status, {}).phase === 'Bound';
    if (bound && isRecord(next.resources?.requests) && isRecord(prev.resources?.requests)) {
      next.resources.requests.storage = prev.resources.requests.storage ?? next.resources.requests.storage;
    }
    if (!deepEqual(next, prev)) {
      errs.push(field.forbidden(fieldPath('spec'), `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n- ${goJson(prev)}\n+ ${goJson(next)}\n`));
    }
    const oldQ = validateResourceQuantity('storage', pvcSpec(old).resources?.requests?.storage ?? '0', fieldPath('x')).q;
    const newQ = validateResourceQuantity('storage', pvcSpec(obj).resources?.requests?.storage ?? '0', fieldPath('x')).q;
    if (oldQ !== null && newQ !== null && newQ.cmp(oldQ) < 0) {
      errs.push(field.forbidden(fieldPath('spec', 'resources', 'requests', 'storage'), 'field can not be less than previous value'));
    }
    return errs;
  },
};

// ---------------------------------------------------------------------------------------------
// ResourceQuota and LimitRange

function validateQuotaSpec(obj: KubeObject): FieldError[] {
  const spec = objectOr<ResourceQuotaSpec>(specOf(obj), {});
  const errs: FieldError[] = [];
  for (const [name, v] of Object.entries(spec.hard ?? {})) {
    const p = fieldPath('spec', 'hard').key(name);
    errs.push(...validateResourceName(name, p));
    errs.push(...validateResourceQuantity(name, v, p).errs);
  }
  return errs;
}

export const resourceQuotaStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'resourcequotas'),
  hasStatus: true,
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validateQuotaSpec(obj),
  validateUpdate(obj, old) {
    const errs = validateQuotaSpec(obj);
    const a = [...(objectOr<ResourceQuotaSpec>(obj.spec, {}).scopes ?? [])].sort();
    const b = [...(objectOr<ResourceQuotaSpec>(old.spec, {}).scopes ?? [])].sort();
    if (!deepEqual(a, b)) errs.push(field.invalid(fieldPath('spec', 'scopes'), objectOr<ResourceQuotaSpec>(obj.spec, {}).scopes ?? null, 'field is immutable'));
    return errs;
  },
};

function validateLimitRange(obj: KubeObject): FieldError[] {
  const spec = objectOr<LimitRangeSpec>(specOf(obj), { limits: [] });
  const errs: FieldError[] = [];
  const types = new Set<string>();
  (spec.limits ?? []).forEach((l, i) => {
    const p = fieldPath('spec', 'limits').index(i);
    const type = l.type ?? '';
    if (!['Pod', 'Container', 'PersistentVolumeClaim'].includes(type) && !type.includes('/')) {
      errs.push(field.invalid(p.child('type'), type, 'must be a standard limit type or fully qualified'));
    }
    if (types.has(type)) errs.push(field.duplicate(p.child('type'), type));
    types.add(type);
    if (type === 'Pod') {
      if (Object.keys(l.default ?? {}).length > 0) errs.push(field.forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(l.defaultRequest ?? {}).length > 0) errs.push(field.forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"));
    }
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      for (const [name, v] of Object.entries(l[k] ?? {})) {
        errs.push(...validateResourceName(name, p.child(k).key(name)));
        errs.push(...validateResourceQuantity(name, v, p.child(k).key(name)).errs);
      }
    }
    for (const [name, minRaw] of Object.entries(l.min ?? {})) {
      const maxRaw = l.max?.[name];
      if (maxRaw === undefined) continue;
      const min = validateResourceQuantity(name, minRaw, p).q;
      const max = validateResourceQuantity(name, maxRaw, p).q;
      if (min !== null && max !== null && min.cmp(max) > 0) {
        errs.push(field.invalid(p.child('min').key(name), quantityText(min), `min value ${quantityText(min)} is greater than max value ${quantityText(max)}`));
      }
    }
  });
  return errs;
}

export const limitRangeStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'limitranges'),
  validate: (obj) => validateLimitRange(obj),
  validateUpdate: (obj) => validateLimitRange(obj),
};
