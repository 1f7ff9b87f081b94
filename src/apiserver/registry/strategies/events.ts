// Events, in both APIs that serve them (core/v1 and events.k8s.io/v1): a one-hour storage TTL,
// the field selectors kubectl uses (`involvedObject.*`, `reason`, `type`, ...), and the checks that
// tie an event to its namespace and, for events.k8s.io, its required fields.

import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as NewEvent } from 'kubernetes-types/events/v1.js';
import { type FieldError, field, fieldPath } from '../../../api/errors.js';
import { isQualifiedName } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { objectOr, resourceOf } from './util.js';

const EVENT_TTL_SECONDS = 3600;
const NOTE_MAX_BYTES = 1024;

function coreFields(e: CoreEvent): Record<string, string> {
  const io = e.involvedObject ?? {};
  return {
    'involvedObject.kind': io.kind ?? '',
    'involvedObject.namespace': io.namespace ?? '',
    'involvedObject.name': io.name ?? '',
    'involvedObject.uid': io.uid ?? '',
    'involvedObject.apiVersion': io.apiVersion ?? '',
    'involvedObject.resourceVersion': io.resourceVersion ?? '',
    'involvedObject.fieldPath': io.fieldPath ?? '',
    reason: e.reason ?? '',
    reportingComponent: e.reportingComponent ?? '',
    source: e.source?.component ?? '',
    type: e.type ?? '',
  };
}

function validateInvolvedNamespace(eventNs: string, involvedNs: string | undefined, path: string[]): FieldError[] {
  // Events about cluster-scoped objects live in "default" (or no namespace).
  if (!involvedNs) {
    return eventNs !== '' && eventNs !== 'default'
      ? [field.invalid(fieldPath(path[0]!, ...path.slice(1)), involvedNs ?? '', 'does not match event.namespace')]
      : [];
  }
  return involvedNs !== eventNs ? [field.invalid(fieldPath(path[0]!, ...path.slice(1)), involvedNs, 'does not match event.namespace')] : [];
}

function validateCoreEvent(obj: KubeObject): FieldError[] {
  const e = objectOr<CoreEvent>(obj, { involvedObject: {}, metadata: {} });
  const errs = validateInvolvedNamespace(e.metadata?.namespace ?? '', e.involvedObject?.namespace, ['involvedObject', 'namespace']);
  // Events written through events.k8s.io carry reportingComponent; those must meet the new API's rules.
  if (e.reportingComponent) {
    errs.push(...isQualifiedName(e.reportingComponent).map((m) => field.invalid(fieldPath('reportingComponent'), e.reportingComponent, m)));
  }
  if (e.type && e.type !== 'Normal' && e.type !== 'Warning' && e.reportingComponent) {
    errs.push(field.invalid(fieldPath('type'), e.type, 'has invalid value: ' + e.type));
  }
  return errs;
}

function validateNewEvent(obj: KubeObject): FieldError[] {
  const e = objectOr<NewEvent>(obj, { eventTime: '', metadata: {} });
  const errs = validateInvolvedNamespace(e.metadata?.namespace ?? '', e.regarding?.namespace, ['regarding', 'namespace']);
  if (!e.eventTime) errs.push(field.required(fieldPath('eventTime'), ''));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(field.invalid(fieldPath('type'), e.type ?? '', `has invalid value: ${e.type ?? ''}`));
  if (!e.reportingController) errs.push(field.required(fieldPath('reportingController'), ''));
  else errs.push(...isQualifiedName(e.reportingController).map((m) => field.invalid(fieldPath('reportingController'), e.reportingController, m)));
  if (!e.reportingInstance) errs.push(field.required(fieldPath('reportingInstance'), ''));
  if (!e.action) errs.push(field.required(fieldPath('action'), ''));
  if (!e.reason) errs.push(field.required(fieldPath('reason'), ''));
  if (e.note && Buffer.byteLength(e.note) > NOTE_MAX_BYTES) errs.push(field.tooLong(fieldPath('note'), NOTE_MAX_BYTES));
  return errs;
}

export const eventStrategy: Strategy = {
  resource: resourceOf('', 'v1', 'events'),
  ttlSeconds: EVENT_TTL_SECONDS,
  validate: (obj) => validateCoreEvent(obj),
  selectableFields: (obj) => coreFields(objectOr<CoreEvent>(obj, { involvedObject: {}, metadata: {} })),
};

export const eventsV1Strategy: Strategy = {
  resource: resourceOf('events.k8s.io', 'v1', 'events'),
  ttlSeconds: EVENT_TTL_SECONDS,
  validate: (obj) => validateNewEvent(obj),
  // Both APIs store the same objects; selectors use the core field names.
  selectableFields(obj) {
    const e = objectOr<NewEvent>(obj, { eventTime: '', metadata: {} });
    return coreFields({
      involvedObject: e.regarding ?? {}, metadata: e.metadata ?? {}, reason: e.reason, type: e.type,
      reportingComponent: e.reportingController, source: e.deprecatedSource,
    });
  },
};
