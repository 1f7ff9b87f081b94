// What the controllers' objects share: a label selector that must select the pod template,
// a template whose spec is a valid pod spec (defaulted as one), restartPolicy rules, replica
// counts, and int-or-percent fields. Messages and paths are Kubernetes 1.32's, including the Go
// `%#v` rendering of template labels and selectors in the errors that print them.

import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { type FieldError, type FieldPath, field } from '../../../api/errors.js';
import { fromLabelSelector } from '../../../api/labels.js';
import { IS_NEGATIVE_ERROR_MSG, isValidPercent, validateLabelSelector } from '../../../api/validation.js';
import { validatePodTemplateSpec } from './pod_template.js';
import { goIntOrString, goLabelSelector, goStringMap, invalidGo, isRecord } from './util.js';

export function validateNonnegative(value: number | undefined | null, path: FieldPath): FieldError[] {
  return typeof value === 'number' && value < 0 ? [field.invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

/** The selector's validity and, when `emptyKind` is given, that it is not empty ("... for deployment"). */
export function validateWorkloadSelector(sel: LabelSelector | undefined, path: FieldPath, emptyKind?: string): FieldError[] {
  if (!isRecord(sel)) return [];
  const errs = validateLabelSelector(sel, {}, path);
  if (emptyKind !== undefined) errs.push(...validateSelectorNotEmpty(sel, path, emptyKind));
  return errs;
}

/** `empty selector is invalid for <kind>` when the selector has no requirement at all. */
export function validateSelectorNotEmpty(sel: LabelSelector, path: FieldPath, kind: string): FieldError[] {
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length > 0) return [];
  return [invalidGo(path, goLabelSelector(sel), `empty selector is invalid for ${kind}`)];
}

/** True when the selector (nil matches nothing, empty matches all) selects these labels. */
export function selectorMatches(sel: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean | undefined {
  try {
    return fromLabelSelector(sel ?? undefined).matches(labels ?? {});
  } catch {
    return undefined; // an invalid selector is reported by validateWorkloadSelector
  }
}

export function templateLabels(t: PodTemplateSpec | undefined): Record<string, string> | undefined {
  return t?.metadata?.labels;
}

/** `selector` does not match template `labels`, with the labels printed as Go's map literal. */
export function selectorMismatch(t: PodTemplateSpec | undefined, templatePath: FieldPath): FieldError {
  return invalidGo(templatePath.child('metadata', 'labels'), goStringMap(templateLabels(t)), '`selector` does not match template `labels`');
}

export interface TemplateRules {
  /** "ReplicaSet", "StatefulSet", ... as named in the activeDeadlineSeconds message. */
  kindForDeadline: string;
  /** Whether the deadline error is Forbidden (StatefulSet, ReplicationController) or Invalid. */
  deadlineForbidden: boolean;
}

/** The template, then restartPolicy Always and no activeDeadlineSeconds, for long-running workloads. */
export function validateLongRunningTemplate(t: PodTemplateSpec | undefined, path: FieldPath, rules: TemplateRules): FieldError[] {
  const errs = validatePodTemplateSpec(t, path);
  const spec = t?.spec;
  const rp = spec?.restartPolicy ?? '';
  if (rp !== 'Always') errs.push(field.notSupported(path.child('spec', 'restartPolicy'), rp, ['Always']));
  const ads = spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    const msg = `activeDeadlineSeconds in ${rules.kindForDeadline} is not Supported`;
    errs.push(rules.deadlineForbidden
      ? field.forbidden(path.child('spec', 'activeDeadlineSeconds'), msg)
      : field.invalid(path.child('spec', 'activeDeadlineSeconds'), ads, msg));
  }
  return errs;
}

/** The value of an int-or-percent field (percent of 100), as upstream's getIntOrPercentValue. */
export function intOrPercentValue(v: number | string | undefined | null): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  return 0;
}

/** ValidatePositiveIntOrPercent plus IsNotMoreThan100Percent. */
export function validateIntOrPercent(v: number | string | undefined | null, path: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  const errs: FieldError[] = [];
  if (typeof v === 'string') {
    for (const m of isValidPercent(v)) errs.push(invalidGo(path, goIntOrString(v), m));
    if (errs.length === 0 && intOrPercentValue(v) > 100) errs.push(invalidGo(path, goIntOrString(v), 'must not be greater than 100%'));
  } else {
    errs.push(...validateNonnegative(v, path));
  }
  return errs;
}

/** `field is immutable` for a selector, printed as 1.32 prints a v1.LabelSelector. */
export function validateImmutableSelector(next: LabelSelector | undefined, prev: LabelSelector | undefined, path: FieldPath): FieldError[] {
  const a = JSON.stringify(next ?? null);
  const b = JSON.stringify(prev ?? null);
  if (a === b) return [];
  // Equal up to key order is still equal.
  const norm = (s: LabelSelector | undefined): string => JSON.stringify({
    l: Object.entries(s?.matchLabels ?? {}).sort(), e: s?.matchExpressions ?? [],
  });
  if ((next === undefined) === (prev === undefined) && norm(next) === norm(prev)) return [];
  return [invalidGo(path, goLabelSelector(next), 'field is immutable')];
}
