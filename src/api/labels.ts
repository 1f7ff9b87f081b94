// Label selectors: the `?labelSelector=` string syntax (`app=web,tier in (a,b),!canary,rank>2`)
// and metav1.LabelSelector objects, compiled into a Selector that list, watch, informers and
// controllers run once per object. Parsing and its error texts follow apimachinery's
// pkg/labels exactly; matching is precompiled into one closure per requirement.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import {
  ApiError, FieldError, type FieldPath, aggregateMessage, childOf, field, pathString,
} from './errors.js';
import { isQualifiedName, isValidLabelValue } from './validation.js';

/** selection.Operator values. */
export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

const BINARY_OPERATORS: readonly Operator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const ALL_OPERATORS: readonly Operator[] = [...BINARY_OPERATORS, 'exists', '!'];

export type Labels = Readonly<Record<string, string>>;

/** A selector failed to parse or validate; answers 400 like any BadRequest. */
export class LabelSelectorError extends ApiError {
  constructor(message: string, readonly fieldErrors: readonly FieldError[] = []) {
    super({ code: 400, reason: 'BadRequest', message });
  }
}

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, within int64.
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

function lookup(labels: Labels | undefined, key: string): string | undefined {
  if (labels === undefined) return undefined;
  // typeof guards against inherited members such as `constructor`.
  const v = labels[key];
  return typeof v === 'string' ? v : undefined;
}

type Matcher = (labels: Labels | undefined) => boolean;

function compile(key: string, op: Operator, values: readonly string[]): Matcher {
  switch (op) {
    case 'in': case '=': case '==': {
      if (values.length === 1) {
        const want = values[0]!;
        return (l) => lookup(l, key) === want;
      }
      const set = new Set(values);
      return (l) => { const v = lookup(l, key); return v !== undefined && set.has(v); };
    }
    case 'notin': case '!=': {
      if (values.length === 1) {
        const not = values[0]!;
        return (l) => lookup(l, key) !== not;
      }
      const set = new Set(values);
      return (l) => { const v = lookup(l, key); return v === undefined || !set.has(v); };
    }
    case 'exists': return (l) => lookup(l, key) !== undefined;
    case '!': return (l) => lookup(l, key) === undefined;
    case 'gt': case 'lt': {
      const bound = values.length === 1 ? parseInt64(values[0]!) : undefined;
      if (bound === undefined) return () => false;
      const gt = op === 'gt';
      return (l) => {
        const v = lookup(l, key);
        if (v === undefined) return false;
        const n = parseInt64(v);
        if (n === undefined) return false;
        return gt ? n > bound : n < bound;
      };
    }
  }
}

/** One requirement of a selector: a key, an operator and its values. */
export class Requirement {
  readonly matches: Matcher;

  /** Use newRequirement to validate; this constructor trusts its input. */
  constructor(readonly key: string, readonly operator: Operator, readonly values: readonly string[]) {
    this.matches = compile(key, operator, values);
  }

  toString(): string {
    let s = this.operator === '!' ? '!' + this.key : this.key;
    switch (this.operator) {
      case '=': s += '='; break;
      case '==': s += '=='; break;
      case '!=': s += '!='; break;
      case 'in': s += ' in '; break;
      case 'notin': s += ' notin '; break;
      case 'gt': s += '>'; break;
      case 'lt': s += '<'; break;
      case 'exists': case '!': return s;
    }
    const vals = this.values.length === 1 ? this.values[0]! : [...this.values].sort().join(',');
    return this.operator === 'in' || this.operator === 'notin' ? `${s}(${vals})` : s + vals;
  }
}

function labelKeyError(key: string, path: FieldPath | undefined): FieldError | undefined {
  const msgs = isQualifiedName(key);
  if (msgs.length === 0) return undefined;
  return new FieldError('FieldValueInvalid', pathString(path), key, msgs.join('; '));
}

/**
 * Validates and builds a requirement (upstream NewRequirement). Throws LabelSelectorError
 * carrying the field errors; `path` prefixes their fields (undefined renders as upstream's nil path).
 */
export function newRequirement(key: string, op: Operator, values: readonly string[], path?: FieldPath): Requirement {
  const errs: FieldError[] = [];
  const keyErr = labelKeyError(key, childOf(path, 'key'));
  if (keyErr) errs.push(keyErr);
  const valuePath = childOf(path, 'values');
  switch (op) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(field.invalid(valuePath, values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(field.invalid(valuePath, values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(field.invalid(valuePath, values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(field.invalid(valuePath, values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(field.invalid(valuePath.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(field.notSupported(childOf(path, 'operator'), op, ALL_OPERATORS));
  }
  values.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length > 0) errs.push(field.invalid(valuePath.index(i).key(key), v, msgs.join('; ')));
  });
  if (errs.length > 0) throw new LabelSelectorError(aggregateMessage(errs), errs);
  return new Requirement(key, op, values);
}

function byKey(a: Requirement, b: Requirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** A conjunction of requirements, sorted by key. */
export class Selector {
  private readonly reqs: readonly Requirement[];
  private readonly nothing: boolean;

  private constructor(reqs: readonly Requirement[], nothing: boolean) {
    this.reqs = reqs;
    this.nothing = nothing;
  }

  /** @internal */
  static of(reqs: Requirement[], nothing = false): Selector {
    return new Selector(reqs.sort(byKey), nothing);
  }

  matches(labels: Labels | undefined): boolean {
    if (this.nothing) return false;
    const reqs = this.reqs;
    for (let i = 0; i < reqs.length; i++) if (!reqs[i]!.matches(labels)) return false;
    return true;
  }

  /** True for the selector that matches everything; the nothing-selector is not empty. */
  isEmpty(): boolean {
    return !this.nothing && this.reqs.length === 0;
  }

  /** True for the selector that matches nothing (from a nil metav1.LabelSelector). */
  matchesNothing(): boolean {
    return this.nothing;
  }

  requirements(): readonly Requirement[] {
    return this.reqs;
  }

  /** A new selector with these requirements added. */
  add(...reqs: Requirement[]): Selector {
    if (this.nothing) return this;
    return Selector.of([...this.reqs, ...reqs]);
  }

  /** The value `label` must equal, when the selector pins it (lets a registry use an index). */
  requiresExactMatch(label: string): string | undefined {
    for (const r of this.reqs) {
      if (r.key !== label) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
      return undefined;
    }
    return undefined;
  }

  toString(): string {
    return this.nothing ? '' : this.reqs.map(String).join(',');
  }
}

/** Matches every object. */
export const everything: Selector = Selector.of([]);
/** Matches no object. */
export const nothing: Selector = Selector.of([], true);

// ---------------------------------------------------------------------------------------------
// Lexer and parser of the string syntax

const enum Tok {
  Error, EndOfString, ClosedPar, Comma, DoesNotExist, DoubleEquals, Equals, GreaterThan, Identifier,
  In, LessThan, NotEquals, NotIn, OpenPar,
}

const STRING_TO_TOKEN = new Map<string, Tok>([
  [')', Tok.ClosedPar], [',', Tok.Comma], ['!', Tok.DoesNotExist], ['==', Tok.DoubleEquals], ['=', Tok.Equals],
  ['>', Tok.GreaterThan], ['in', Tok.In], ['<', Tok.LessThan], ['!=', Tok.NotEquals], ['notin', Tok.NotIn], ['(', Tok.OpenPar],
]);

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}
function isSpecial(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

interface Item { tok: Tok; lit: string }

// Upstream's lexer reads a NUL byte as end of input; reading past the end also yields NUL.
function lex(s: string): Item[] {
  let pos = 0;
  const read = (): string => (pos < s.length ? s[pos++]! : '\0');
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === '\0') {
      items.push({ tok: Tok.EndOfString, lit: '' });
      return items;
    }
    if (isSpecial(ch)) {
      pos--;
      let buf = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === '\0') break;
        if (!isSpecial(c)) { pos--; break; }
        buf += c;
        const t = STRING_TO_TOKEN.get(buf);
        if (t !== undefined) last = { tok: t, lit: buf };
        else if (last !== undefined) { pos--; break; }
      }
      items.push(last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buf}'` });
    } else {
      pos--;
      let buf = '';
      for (;;) {
        const c = read();
        if (c === '\0') break;
        if (isSpecial(c) || isWhitespace(c)) { pos--; break; }
        buf += c;
      }
      items.push({ tok: STRING_TO_TOKEN.get(buf) ?? Tok.Identifier, lit: buf });
    }
  }
}

class ParseError extends Error {
  constructor(message: string, readonly fieldErrors: readonly FieldError[] = []) {
    super(message);
  }
}

class Parser {
  private position = 0;
  constructor(private readonly items: Item[], private readonly path: FieldPath | undefined) {}

  // In a value position the keywords `in` and `notin` are ordinary identifiers.
  private lookahead(values: boolean): Item {
    const it = this.items[this.position]!;
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }
  private consume(values: boolean): Item {
    const it = this.lookahead(values);
    this.position++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      switch (tok) {
        case Tok.Identifier: case Tok.DoesNotExist: {
          try {
            reqs.push(this.parseRequirement());
          } catch (e) {
            if (e instanceof ParseError || e instanceof LabelSelectorError) {
              throw new ParseError(`unable to parse requirement: ${e.message}`, e.fieldErrors);
            }
            throw e;
          }
          const next = this.consume(true);
          if (next.tok === Tok.EndOfString) return reqs;
          if (next.tok === Tok.Comma) {
            const after = this.lookahead(true);
            if (after.tok !== Tok.Identifier && after.tok !== Tok.DoesNotExist) {
              throw new ParseError(`found '${after.lit}', expected: identifier after ','`);
            }
            break;
          }
          throw new ParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
        case Tok.EndOfString:
          return reqs;
        default:
          throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const { key, op: inferred } = this.parseKeyAndInferOperator();
    if (inferred === 'exists' || inferred === '!') return newRequirement(key, inferred, [], this.path);
    const op = this.parseOperator();
    const values = op === 'in' || op === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, op, [...values].sort(), this.path);
  }

  private parseKeyAndInferOperator(): { key: string; op: Operator | undefined } {
    let op: Operator | undefined;
    let it = this.consume(true);
    if (it.tok === Tok.DoesNotExist) {
      op = '!';
      it = this.consume(true);
    }
    if (it.tok !== Tok.Identifier) throw new ParseError(`found '${it.lit}', expected: identifier`);
    const keyErr = labelKeyError(it.lit, this.path);
    if (keyErr) throw new ParseError(keyErr.toString(), [keyErr]);
    const next = this.lookahead(true).tok;
    if ((next === Tok.EndOfString || next === Tok.Comma) && op !== '!') op = 'exists';
    return { key: it.lit, op };
  }

  private parseOperator(): Operator {
    const it = this.consume(false);
    switch (it.tok) {
      case Tok.In: return 'in';
      case Tok.Equals: return '=';
      case Tok.DoubleEquals: return '==';
      case Tok.GreaterThan: return 'gt';
      case Tok.LessThan: return 'lt';
      case Tok.NotIn: return 'notin';
      case Tok.NotEquals: return '!=';
      default: throw new ParseError(`found '${it.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume(true);
    if (open.tok !== Tok.OpenPar) throw new ParseError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    switch (tok) {
      case Tok.Identifier: case Tok.Comma: {
        const s = this.parseIdentifiersList();
        if (this.consume(true).tok !== Tok.ClosedPar) throw new ParseError(`found '${lit}', expected: ')'`);
        return s;
      }
      case Tok.ClosedPar:
        this.consume(true);
        return new Set(['']);
      default:
        throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
    }
  }

  // Empty entries, as in `(a,,b)` or `(,a)`, stand for the empty value.
  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const it = this.consume(true);
      if (it.tok === Tok.Identifier) {
        s.add(it.lit);
        const next = this.lookahead(true);
        if (next.tok === Tok.Comma) continue;
        if (next.tok === Tok.ClosedPar) return s;
        throw new ParseError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (it.tok === Tok.Comma) {
        if (s.size === 0) s.add('');
        const next = this.lookahead(true).tok;
        if (next === Tok.ClosedPar) {
          s.add('');
          return s;
        }
        if (next === Tok.Comma) s.add('');
      } else {
        throw new ParseError(`found '${it.lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead(true).tok;
    if (next === Tok.EndOfString || next === Tok.Comma) return new Set(['']);
    const it = this.consume(true);
    if (it.tok === Tok.Identifier) return new Set([it.lit]);
    throw new ParseError(`found '${it.lit}', expected: identifier`);
  }
}

/**
 * Parses the string syntax of `?labelSelector=`. Throws LabelSelectorError (400 BadRequest) with
 * upstream's message, e.g. `unable to parse requirement: found '', expected: identifier`.
 */
export function parseSelector(selector: string, path?: FieldPath): Selector {
  let reqs: Requirement[];
  try {
    reqs = new Parser(lex(selector), path).parse();
  } catch (e) {
    if (e instanceof ParseError) throw new LabelSelectorError(e.message, e.fieldErrors);
    throw e;
  }
  return reqs.length === 0 ? everything : Selector.of(reqs);
}

/**
 * Compiles a metav1.LabelSelector (upstream LabelSelectorAsSelector): undefined matches nothing,
 * an empty selector matches everything. Throws LabelSelectorError when it is invalid.
 */
export function fromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (ls === undefined || ls === null) return nothing;
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  const keys = Object.keys(matchLabels);
  if (keys.length + exprs.length === 0) return everything;
  const reqs: Requirement[] = [];
  for (const k of keys) reqs.push(newRequirement(k, '=', [matchLabels[k]!]));
  for (const e of exprs) {
    let op: Operator;
    switch (e.operator) {
      case 'In': op = 'in'; break;
      case 'NotIn': op = 'notin'; break;
      case 'Exists': op = 'exists'; break;
      case 'DoesNotExist': op = '!'; break;
      default: throw new LabelSelectorError(`"${e.operator}" is not a valid label selector operator`);
    }
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return Selector.of(reqs);
}

/** A selector requiring every label of `set` (upstream SelectorFromSet; not validated). */
export function selectorFromSet(set: Labels | undefined): Selector {
  if (set === undefined) return everything;
  const keys = Object.keys(set);
  if (keys.length === 0) return everything;
  return Selector.of(keys.map((k) => new Requirement(k, '=', [set[k]!])));
}

/** `a=1,b=2`, keys sorted, as labels.Set.String() prints. */
export function formatLabels(set: Labels | undefined): string {
  if (set === undefined) return '';
  return Object.keys(set).sort().map((k) => `${k}=${set[k]}`).join(',');
}
