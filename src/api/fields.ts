// Field selectors: the `?fieldSelector=` syntax (`metadata.name=x,status.phase!=Running`) parsed
// into equality requirements over an object's selectable fields. Each registry strategy says which
// fields it supports and renders them into a flat Record; `checkSupported` answers the 400s that
// Kubernetes gives for other fields. Grammar, escaping and messages follow apimachinery's
// pkg/fields.

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { ApiError } from './errors.js';

export type FieldOperator = '=' | '!=';

/** One term. `==` parses to `=`, as upstream reports both as selection.Equals. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

export type Fields = Readonly<Record<string, string>>;

/** A field selector failed to parse or names an unsupported field; answers 400. */
export class FieldSelectorError extends ApiError {
  constructor(message: string) {
    super({ code: 400, reason: 'BadRequest', message });
  }
}

/** Backslash-escapes `\`, `,` and `=` in a value. */
export function escapeValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => '\\' + c);
}

/** Reverses escapeValue; throws FieldSelectorError on a bad escape or a bare `,`/`=`. */
export function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Upstream prints the rune with %v, i.e. as its code point number.
      throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0) ?? 0}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new FieldSelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

function getField(fields: Fields | undefined, name: string): string {
  if (fields === undefined) return '';
  const v = fields[name];
  return typeof v === 'string' ? v : '';
}

/** A conjunction of field requirements. A field absent from the set reads as ''. */
export class FieldSelector {
  private constructor(private readonly reqs: readonly FieldRequirement[], private readonly nothing: boolean) {}

  /** @internal */
  static of(reqs: readonly FieldRequirement[], nothing = false): FieldSelector {
    return new FieldSelector(reqs, nothing);
  }

  matches(fields: Fields | undefined): boolean {
    if (this.nothing) return false;
    const reqs = this.reqs;
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      const v = getField(fields, r.field);
      if (r.operator === '=' ? v !== r.value : v === r.value) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    return !this.nothing && this.reqs.length === 0;
  }

  matchesNothing(): boolean {
    return this.nothing;
  }

  requirements(): readonly FieldRequirement[] {
    return this.reqs;
  }

  /** The value `field` must equal, if an `=` term pins it (lets a registry use an index). */
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.reqs) if (r.field === field && r.operator === '=') return r.value;
    return undefined;
  }

  /**
   * Rewrites each term's field and value (upstream Transform; registries map legacy field names
   * here). `fn` may throw to reject a field; a term mapped to an empty field and value is dropped.
   */
  transform(fn: (field: string, value: string) => [string, string]): FieldSelector {
    if (this.nothing) return this;
    const out: FieldRequirement[] = [];
    for (const r of this.reqs) {
      const [f, v] = fn(r.field, r.value);
      if (f === '' && v === '') continue;
      out.push({ field: f, operator: r.operator, value: v });
    }
    return new FieldSelector(out, false);
  }

  toString(): string {
    if (this.nothing) return '';
    return this.reqs.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

export const everythingFields: FieldSelector = FieldSelector.of([]);
export const nothingFields: FieldSelector = FieldSelector.of([], true);

// Splits on commas that are not escaped; an escape covers exactly the next character.
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

// The first operator found scanning left to right wins; at one position `!=` and `==` beat `=`.
function splitTerm(term: string): { lhs: string; op: '!=' | '==' | '='; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('!=', i)) return { lhs: term.slice(0, i), op: '!=', rhs: term.slice(i + 2) };
    if (term.startsWith('==', i)) return { lhs: term.slice(0, i), op: '==', rhs: term.slice(i + 2) };
    if (term[i] === '=') return { lhs: term.slice(0, i), op: '=', rhs: term.slice(i + 1) };
  }
  return undefined;
}

/**
 * Parses `?fieldSelector=`. Terms come out sorted by their text, as upstream sorts them. Throws
 * FieldSelectorError, e.g. `invalid selector: 'x'; can't understand 'x'`.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (t === undefined) throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({ field: t.lhs, operator: t.op === '!=' ? '!=' : '=', value: unescapeValue(t.rhs) });
  }
  return reqs.length === 0 ? everythingFields : FieldSelector.of(reqs);
}

/** A selector requiring each field of `set` to equal its value. */
export function fieldSelectorFromSet(set: Fields): FieldSelector {
  return FieldSelector.of(Object.keys(set).sort().map((f) => ({ field: f, operator: '=' as const, value: set[f]! })));
}

/** The fields every object supports: metadata.name, and metadata.namespace when namespaced. */
export function objectMetaFields(meta: ObjectMeta | undefined, namespaced: boolean): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': meta?.name ?? '' };
  if (namespaced) out['metadata.namespace'] = meta?.namespace ?? '';
  return out;
}

/** Built-in kinds that register their selectable fields answer this for any other field. */
export function fieldLabelNotSupported(field: string): FieldSelectorError {
  return new FieldSelectorError(`field label not supported: ${field}`);
}

/** Kinds without registered fields (the scheme's default conversion) answer this instead. */
export function unknownFieldSelector(field: string): FieldSelectorError {
  return new FieldSelectorError(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
}

export interface CheckSupportedOptions {
  /**
   * The fields the kind supports. Omit for a kind with no registered fields: then only
   * metadata.name and metadata.namespace are accepted, with the scheme default's message.
   */
  supported?: ReadonlySet<string> | readonly string[];
}

function isStringArray(x: ReadonlySet<string> | readonly string[]): x is readonly string[] {
  return Array.isArray(x);
}

/** Throws the upstream 400 for the first term whose field the kind does not support. */
export function checkSupported(selector: FieldSelector, opts: CheckSupportedOptions = {}): void {
  const list = opts.supported;
  if (list === undefined) {
    for (const r of selector.requirements()) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace') throw unknownFieldSelector(r.field);
    }
    return;
  }
  const set: ReadonlySet<string> = isStringArray(list) ? new Set(list) : list;
  for (const r of selector.requirements()) if (!set.has(r.field)) throw fieldLabelNotSupported(r.field);
}
