// Small helpers shared by the resource strategies: type guards over decoded JSON, Go's `%#v`
// rendering of the few composite values Kubernetes 1.32 prints in field errors, and a lookup of
// the resource table that fails loudly when a strategy names a resource the table lacks.
//
// Why a Go renderer: in 1.32 apimachinery's field.Error prints a bad value that is neither a
// scalar nor a fmt.Stringer with `%#v`, so a selector mismatch reads
// `Invalid value: map[string]string{"app":"y"}` and an immutable selector reads
// `v1.LabelSelector{MatchLabels:...}`. errors.ts renders composites as JSON (the newer style), so
// strategies that must print the 1.32 text wrap the value in a GoValue.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { FieldError, type FieldPath, goQuote } from '../../../api/errors.js';
import { lookupResource, type ResourceInfo } from '../../../api/resources.js';
import type { KubeObject } from '../strategy.js';

export function isRecord<T>(x: T): x is NonNullable<T> & Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Narrows decoded JSON to a kubernetes-types interface. The store checks bodies against the
 * OpenAPI schema before strategies run, so only object-ness is verified here.
 */
export function isObjectOf<T extends object>(x: unknown): x is T {
  return isRecord(x);
}

/** `x` as T when it is an object, else `fallback`. */
export function objectOr<T extends object>(x: unknown, fallback: T): T {
  return isObjectOf<T>(x) ? x : fallback;
}

/** The resource at group/version/plural; throws at module load if the table lacks it. */
export function resourceOf(group: string, version: string, plural: string): ResourceInfo {
  const r = lookupResource(group, version, plural);
  if (r === undefined) throw new Error(`strategies: no resource ${group}/${version}/${plural} in the resource table`);
  return r;
}

/** An object's `spec`, created empty when missing so defaulting can fill it. */
export function specOf(obj: KubeObject): Record<string, unknown> {
  if (!isRecord(obj.spec)) obj.spec = {};
  return obj.spec as Record<string, unknown>;
}

/** Narrows a decoded object to a kubernetes-types shape after checking `key` is an object or absent. */
export function hasObjectField<K extends string>(obj: KubeObject, key: K): boolean {
  return obj[key] === undefined || isRecord(obj[key]);
}

export function stringMap(x: unknown): Record<string, string> | undefined {
  if (!isRecord(x)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Go %#v rendering

/** A value already rendered as Go would print it; FieldError bodies print it verbatim. */
export class GoValue {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A FieldError whose bad value prints as Go's `%#v` text rather than JSON. */
class GoValueFieldError extends FieldError {
  override body(): string {
    const v = this.badValue;
    const text = v instanceof GoValue ? v.text : String(v);
    const s = `Invalid value: ${text}`;
    return this.detail.length > 0 ? `${s}: ${this.detail}` : s;
  }
}

/** field.Invalid with a value rendered by one of the go* functions below. */
export function invalidGo(path: FieldPath, value: GoValue, detail: string): FieldError {
  return new GoValueFieldError('FieldValueInvalid', path.toString(), value, detail);
}

/** `%#v` of a map[string]string: keys sorted, nil as `map[string]string(nil)`. */
export function goStringMap(m: Record<string, string> | undefined | null): GoValue {
  if (m === undefined || m === null) return new GoValue('map[string]string(nil)');
  const keys = Object.keys(m).sort();
  return new GoValue(`map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k] ?? '')}`).join(', ')}}`);
}

function goStringSlice(xs: readonly string[] | undefined): string {
  if (xs === undefined) return '[]string(nil)';
  return `[]string{${xs.map(goQuote).join(', ')}}`;
}

/** `%#v` of a metav1.LabelSelector value (a dereferenced *LabelSelector; nil prints `null`). */
export function goLabelSelector(ls: LabelSelector | undefined | null): GoValue {
  if (ls === undefined || ls === null) return new GoValue('null');
  const exprs = ls.matchExpressions;
  const e = exprs === undefined
    ? '[]v1.LabelSelectorRequirement(nil)'
    : `[]v1.LabelSelectorRequirement{${exprs.map((r) =>
      `v1.LabelSelectorRequirement{Key:${goQuote(r.key ?? '')}, Operator:${goQuote(r.operator ?? '')}, Values:${goStringSlice(r.values)}}`).join(', ')}}`;
  return new GoValue(`v1.LabelSelector{MatchLabels:${goStringMap(ls.matchLabels).text}, MatchExpressions:${e}}`);
}

/** `%#v` of an intstr.IntOrString value. */
export function goIntOrString(v: number | string): GoValue {
  return typeof v === 'number'
    ? new GoValue(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`)
    : new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`);
}
