// Field sets: the sets of field paths that managedFields records per manager, with the set algebra
// server-side apply needs (union, difference, intersection) and the FieldsV1 wire encoding.
//
// A path is a list of path elements: a field of an object (`f:spec`), an element of an associative
// list named by its key fields (`k:{"name":"nginx"}`), an element of a set-typed list named by its
// value (`v:"a"`), or a list index (`i:0`, which Kubernetes' own types never produce but the format
// allows). A set is a trie: each node holds the elements that end a path here (members) and the
// subtrees of longer paths (children). FieldsV1 writes that trie as JSON objects keyed by the
// elements' text, with `.` marking a node that is itself a member and also has children.
//
// Elements are ordered as Kubernetes orders them (fields, then keys, then values, then indexes;
// within a kind by name or by value), so that encoded FieldsV1 and conflict listings come out in the
// same order a real API server writes them.

import { goJson, goQuote } from '../../api/errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  /** Key fields sorted by name. */
  | { readonly kind: 'key'; readonly fields: ReadonlyArray<readonly [string, Json]> }
  | { readonly kind: 'value'; readonly value: Json }
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

export function fieldElement(name: string): PathElement {
  return { kind: 'field', name };
}

export function keyElement(fields: ReadonlyArray<readonly [string, Json]>): PathElement {
  const sorted = [...fields].sort((a, b) => compareStrings(a[0], b[0]));
  return { kind: 'key', fields: sorted };
}

export function valueElement(value: Json): PathElement {
  return { kind: 'value', value };
}

export function indexElement(index: number): PathElement {
  return { kind: 'index', index };
}

/** Go compares strings bytewise in UTF-8, which is code point order (not UTF-16 unit order). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP character in code point order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function typeRank(v: Json): number {
  if (typeof v === 'number') return 0; // ints and floats compare numerically with each other
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 3;
  if (Array.isArray(v)) return 4;
  if (v !== null && typeof v === 'object') return 5;
  return 6; // null sorts last
}

/** A total order over JSON values: numbers, strings, booleans, lists, maps, null. */
export function compareValues(a: Json, b: Json): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0: return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 2: return compareStrings(a as string, b as string);
    case 3: return a === b ? 0 : a === false ? -1 : 1;
    case 4: {
      const x = a as Json[];
      const y = b as Json[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 5: {
      const x = a as Record<string, Json>;
      const y = b as Record<string, Json>;
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = compareStrings(kx[i]!, ky[i]!) || compareValues(x[kx[i]!]!, y[ky[i]!]!);
        if (c !== 0) return c;
      }
      return kx.length < ky.length ? -1 : kx.length > ky.length ? 1 : 0;
    }
    default: return 0;
  }
}

const KIND_RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return KIND_RANK[a.kind] < KIND_RANK[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field': return compareStrings(a.name, (b as typeof a).name);
    case 'key': {
      const x = a.fields;
      const y = (b as typeof a).fields;
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareStrings(x[i]![0], y[i]![0]) || compareValues(x[i]![1], y[i]![1]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
    case 'value': return compareValues(a.value, (b as typeof a).value);
    case 'index': {
      const y = (b as typeof a).index;
      return a.index < y ? -1 : a.index > y ? 1 : 0;
    }
  }
}

/** Canonical JSON of a value: object keys sorted, Go's escaping (used in `k:` and `v:` text). */
function canonicalJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort(compareStrings);
    return `{${keys.map((k) => `${goJson(k)}:${canonicalJson(v[k]!)}`).join(',')}}`;
  }
  return goJson(v);
}

/** The FieldsV1 text of an element: `f:name`, `k:{"name":"x"}`, `v:"a"`, `i:0`. */
export function elementText(pe: PathElement): string {
  switch (pe.kind) {
    case 'field': return `f:${pe.name}`;
    case 'key': return `k:{${pe.fields.map(([k, v]) => `${goJson(k)}:${canonicalJson(v)}`).join(',')}}`;
    case 'value': return `v:${canonicalJson(pe.value)}`;
    case 'index': return `i:${pe.index}`;
  }
}

/** A value as upstream prints it in paths: strings quoted Go-style, numbers and booleans bare. */
function valueString(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  return Object.keys(v).map((k) => `${k}=${valueString(v[k]!)}`).join('');
}

/** An element as printed in conflict messages: `.spec`, `[name="nginx"]`, `[=a]`, `[0]`. */
export function elementString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field': return `.${pe.name}`;
    case 'key': return `[${pe.fields.map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
    case 'value': return `[=${valueString(pe.value)}]`;
    case 'index': return `[${pe.index}]`;
  }
}

export function pathString(p: Path): string {
  return p.map(elementString).join('');
}

export class FieldsV1Error extends Error {}

/** Parses the FieldsV1 text of one element. */
export function parseElementText(s: string): PathElement | undefined {
  if (s.length < 2 || s[1] !== ':') throw new FieldsV1Error(`key must be 2 characters long: ${s}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f': return fieldElement(body);
    case 'i': {
      if (!/^[-+]?\d+$/.test(body)) throw new FieldsV1Error(`invalid index: ${s}`);
      return indexElement(Number(body));
    }
    case 'v': return valueElement(parseJsonText(body, s));
    case 'k': {
      const v = parseJsonText(body, s);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FieldsV1Error(`key is not an object: ${s}`);
      return keyElement(Object.entries(v));
    }
    default: return undefined; // unknown kinds are dropped, as upstream does
  }
}

function parseJsonText(text: string, whole: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new FieldsV1Error(`invalid JSON in path element: ${whole}`);
  }
}

interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/**
 * A set of paths. Mutating methods (`insert`) are for building; the algebra returns new sets and
 * never shares mutable nodes with its inputs' futures (inputs are not modified).
 */
export class FieldSet {
  /** Elements ending a path at this node, by element text. */
  readonly members = new Map<string, PathElement>();
  /** Subtrees by element text. Never empty sets (the algebra prunes them). */
  readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]!);
    const last = path[path.length - 1]!;
    node.members.set(elementText(last), last);
  }

  /** The subtree under `pe`, created if missing (building only). */
  private child(pe: PathElement): FieldSet {
    const t = elementText(pe);
    let c = this.children.get(t);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(t, c);
    }
    return c.set;
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(elementText(path[i]!))?.set;
    return node !== undefined && node.members.has(elementText(path[path.length - 1]!));
  }

  /** The paths below `pe`, relative to it (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(elementText(pe))?.set ?? EMPTY;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.isEmpty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [t, pe] of this.members) out.members.set(t, pe);
    for (const [t, pe] of other.members) out.members.set(t, pe);
    for (const [t, c] of this.children) {
      const o = other.children.get(t);
      out.children.set(t, { pe: c.pe, set: o ? c.set.union(o.set) : c.set.copy() });
    }
    for (const [t, c] of other.children) if (!this.children.has(t)) out.children.set(t, { pe: c.pe, set: c.set.copy() });
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [t, pe] of this.members) if (!other.members.has(t)) out.members.set(t, pe);
    for (const [t, c] of this.children) {
      const o = other.children.get(t);
      const d = o ? c.set.difference(o.set) : c.set.copy();
      if (!d.isEmpty()) out.children.set(t, { pe: c.pe, set: d });
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [t, pe] of this.members) if (other.members.has(t)) out.members.set(t, pe);
    for (const [t, c] of this.children) {
      const o = other.children.get(t);
      if (!o) continue;
      const d = c.set.intersection(o.set);
      if (!d.isEmpty()) out.children.set(t, { pe: c.pe, set: d });
    }
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const [t, pe] of this.members) out.members.set(t, pe);
    for (const [t, c] of this.children) out.children.set(t, { pe: c.pe, set: c.set.copy() });
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  sortedMembers(): PathElement[] {
    return [...this.members.values()].sort(comparePathElements);
  }

  sortedChildren(): Child[] {
    return [...this.children.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  /** Every path, in the order upstream iterates them: this node's members, then each subtree. */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const pe of this.sortedMembers()) out.push([...prefix, pe]);
    for (const c of this.sortedChildren()) out.push(...c.set.paths([...prefix, c.pe]));
    return out;
  }

  toString(): string {
    return this.paths().map(pathString).join('\n');
  }
}

const EMPTY = new FieldSet();

// ---- FieldsV1 -----------------------------------------------------------------------------

export type FieldsV1 = { [key: string]: FieldsV1 };

/** The FieldsV1 object of a set, keys in upstream's order. */
export function encodeFieldsV1(set: FieldSet): FieldsV1 {
  return encodeNode(set, false);
}

function encodeNode(set: FieldSet, self: boolean): FieldsV1 {
  const out: FieldsV1 = {};
  if (self && !set.isEmpty()) out['.'] = {};
  // Members and children interleave in element order; an element that is both writes `.` inside.
  const members = set.sortedMembers();
  const children = set.sortedChildren().filter((c) => !c.set.isEmpty());
  let i = 0;
  let j = 0;
  while (i < members.length || j < children.length) {
    const m = members[i];
    const c = children[j];
    const cmp = m === undefined ? 1 : c === undefined ? -1 : comparePathElements(m, c.pe);
    if (cmp < 0) {
      out[elementText(m!)] = {};
      i++;
    } else if (cmp > 0) {
      out[elementText(c!.pe)] = encodeNode(c!.set, false);
      j++;
    } else {
      out[elementText(c!.pe)] = encodeNode(c!.set, true);
      i++;
      j++;
    }
  }
  return out;
}

/** Reads a FieldsV1 object (as parsed JSON). Throws FieldsV1Error on malformed input. */
export function decodeFieldsV1(json: unknown): FieldSet {
  if (json === undefined || json === null) return new FieldSet();
  if (typeof json !== 'object' || Array.isArray(json)) throw new FieldsV1Error('FieldsV1 must be a JSON object');
  return decodeNode(json as Record<string, unknown>).set ?? new FieldSet();
}

function decodeNode(obj: Record<string, unknown>): { set: FieldSet | undefined; member: boolean } {
  let set: FieldSet | undefined;
  let member = false;
  for (const [key, v] of Object.entries(obj)) {
    if (key === '.') {
      member = true;
      continue;
    }
    const pe = parseElementText(key);
    if (pe === undefined) continue;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FieldsV1Error(`value of ${key} must be an object`);
    const sub = decodeNode(v as Record<string, unknown>);
    set ??= new FieldSet();
    const t = elementText(pe);
    if (sub.member) set.members.set(t, pe);
    if (sub.set) set.children.set(t, { pe, set: sub.set });
  }
  // An empty object (or one holding only unknown kinds) marks a member.
  if (set === undefined) member = true;
  return { set, member };
}
