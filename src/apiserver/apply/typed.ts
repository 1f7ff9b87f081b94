// Schema-aware operations on JSON objects that server-side apply is built from:
//   fieldSetOf      the fields a value sets (what an applier owns)
//   compare         which fields differ between two versions (what an update changed)
//   merge           an applied configuration laid over a live object
//   removeItems     a value without the fields of a set (pruning what an applier stopped applying)
//   materialize     a value with the fields Go always serializes filled in (see go_facts.ts)
//
// The semantics follow structured-merge-diff, the library Kubernetes uses: structs and maps merge
// field by field unless atomic; a struct or map that is empty (or absent) on both sides is a leaf,
// which keeps the empty/null distinction; list elements are named by key fields (associative lists)
// or by value (sets) and merged element by element; atomic lists and scalars are replaced whole.

import {
  FieldSet,
  fieldElement,
  keyElement,
  pathString,
  valueElement,
  elementString,
  elementText,
  type Json,
  type PathElement,
} from './fieldset.js';
import { DEDUCED, SCALAR, fieldType, type TypeNode } from './schema.js';

export type JsonObject = { [k: string]: Json };

/** Deep equality of JSON values, key order ignored (own copy: the registry imports this module). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const ak = Object.keys(a).filter((k) => a[k] !== undefined);
  const bk = Object.keys(b).filter((k) => b[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!jsonEqual(a[k], b[k])) return false;
  return true;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DEDUCED_MAP: TypeNode = { kind: 'map', elem: DEDUCED, atomic: false };
const DEDUCED_LIST: TypeNode = { kind: 'list', elem: DEDUCED, rel: 'atomic', keys: [] };

function shapeOf(v: Json | undefined): 'object' | 'array' | 'scalar' | 'none' {
  if (v === undefined) return 'none';
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return 'scalar';
}

/** The node to walk `l`/`r` with: deduced nodes take the values' shape; a shape clash is a leaf. */
function effective(node: TypeNode, l: Json | undefined, r: Json | undefined): TypeNode {
  if (node.kind !== 'deduced') return node;
  const sl = shapeOf(l);
  const sr = shapeOf(r);
  const s = sr === 'none' ? sl : sr;
  if (sl !== 'none' && sr !== 'none' && sl !== sr) return SCALAR;
  return s === 'object' ? DEDUCED_MAP : s === 'array' ? DEDUCED_LIST : SCALAR;
}

function isEmptyish(v: JsonObject | Json[] | undefined): boolean {
  return v === undefined || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);
}

/** Names a list element: by its key fields (associative list) or its value (set). */
export function itemElement(list: TypeNode & { kind: 'list' }, item: Json): PathElement | string {
  if (list.rel === 'map') {
    if (item === null) return 'associative list with keys may not have a null element';
    if (!isObject(item)) return 'associative list with keys may not have non-map elements';
    const fields: [string, Json][] = [];
    for (const k of list.keys) {
      const v = item[k];
      if (v !== undefined) fields.push([k, v]);
      else {
        const def = list.elem.kind === 'struct' ? list.elem.fields.get(k)?.default : undefined;
        if (def !== undefined) fields.push([k, def as Json]);
      }
    }
    if (fields.length === 0) {
      return `associative list with keys has an element that omits all key fields [${list.keys.map((k) => JSON.stringify(k)).join(' ')}] (and doesn't have default values for any key fields)`;
    }
    return keyElement(fields);
  }
  if (isObject(item)) return "associative list without keys has an element that's a map type";
  if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
  if (item === null) return "associative list without keys has an element that's an explicit null";
  return valueElement(item);
}

// ---- field sets ------------------------------------------------------------------------------

/** The set of fields `value` sets, as the owner of an applied configuration would own them. */
export function fieldSetOf(value: unknown, node: TypeNode): FieldSet {
  const set = new FieldSet();
  walkFieldSet(value as Json, node, [], set);
  return set;
}

function walkFieldSet(v: Json, node: TypeNode, path: PathElement[], set: FieldSet): void {
  const t = effective(node, v, v);
  if (t.kind === 'scalar' || t.kind === 'deduced') {
    set.insert(path);
    return;
  }
  if (t.kind === 'list') {
    if (t.rel === 'atomic') {
      set.insert(path);
      return;
    }
    if (!Array.isArray(v)) return;
    const seen = new Set<string>();
    const dups = new Set<string>();
    const pes = v.map((item) => itemElement(t, item));
    for (const pe of pes) {
      if (typeof pe === 'string') continue;
      const text = elementText(pe);
      if (seen.has(text) && !dups.has(text)) {
        // Duplicated elements are owned as one opaque element.
        set.insert([...path, pe]);
        dups.add(text);
      }
      seen.add(text);
    }
    for (let i = 0; i < v.length; i++) {
      const pe = pes[i]!;
      if (typeof pe === 'string' || dups.has(elementText(pe))) continue;
      walkFieldSet(v[i]!, t.elem, [...path, pe], set);
      set.insert([...path, pe]);
    }
    return;
  }
  if (t.atomic) {
    set.insert(path);
    return;
  }
  if (!isObject(v)) return;
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const p = [...path, fieldElement(k)];
    walkFieldSet(val, fieldType(t, k), p, set);
    // Struct fields are owned through their leaves; map entries and empty values are owned as such.
    if (val === null || (isObject(val) && Object.keys(val).length === 0)) set.insert(p);
    else if (!(t.kind === 'struct' && t.fields.has(k))) set.insert(p);
  }
}

/** Adds every struct field that has owned fields below it as a member itself. */
export function ensureNamedFieldsAreMembers(set: FieldSet, node: TypeNode): FieldSet {
  const out = new FieldSet();
  for (const [t, pe] of set.members) out.members.set(t, pe);
  for (const [t, c] of set.children) {
    let childNode: TypeNode = DEDUCED;
    if (c.pe.kind === 'field') {
      if (node.kind === 'struct' && node.fields.has(c.pe.name)) out.members.set(t, c.pe);
      childNode = node.kind === 'struct' || node.kind === 'map' ? fieldType(node, c.pe.name) : DEDUCED;
    } else if (c.pe.kind === 'key' && node.kind === 'list') {
      childNode = node.elem;
    }
    out.children.set(t, { pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, childNode) });
  }
  return out;
}

// ---- comparison ------------------------------------------------------------------------------

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** The fields `rhs` added, modified and removed relative to `lhs`. */
export function compare(lhs: unknown, rhs: unknown, node: TypeNode): Comparison {
  const out: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(lhs as Json | undefined, rhs as Json | undefined, node, [], out);
  return out;
}

function walkCompare(l: Json | undefined, r: Json | undefined, node: TypeNode, path: PathElement[], out: Comparison): void {
  const t = effective(node, l, r);
  const leaf = (): void => {
    if (l === undefined) out.added.insert(path);
    else if (r === undefined) out.removed.insert(path);
    else if (!jsonEqual(l, r)) out.modified.insert(path);
  };
  if (t.kind === 'scalar' || t.kind === 'deduced') return leaf();
  if (t.kind === 'list') {
    const ll = Array.isArray(l) ? l : undefined;
    const rl = Array.isArray(r) ? r : undefined;
    if (t.rel === 'atomic' || (isEmptyish(ll) && isEmptyish(rl))) return leaf();
    compareListItems(t, ll ?? [], rl ?? [], path, out);
  } else {
    const lm = isObject(l) ? l : undefined;
    const rm = isObject(r) ? r : undefined;
    if (t.atomic || (isEmptyish(lm) && isEmptyish(rm))) return leaf();
    for (const k of unionKeys(lm, rm)) walkCompare(lm?.[k], rm?.[k], fieldType(t, k), [...path, fieldElement(k)], out);
  }
  if (l === undefined) out.added.insert(path);
  else if (r === undefined) out.removed.insert(path);
}

function unionKeys(a: JsonObject | undefined, b: JsonObject | undefined): string[] {
  const keys: string[] = [];
  if (a) for (const k of Object.keys(a)) if (a[k] !== undefined) keys.push(k);
  if (b) for (const k of Object.keys(b)) if (b[k] !== undefined && (a === undefined || a[k] === undefined)) keys.push(k);
  return keys;
}

interface Grouped {
  order: { pe: PathElement; text: string }[];
  items: Map<string, Json[]>;
}

function groupItems(t: TypeNode & { kind: 'list' }, list: Json[]): Grouped {
  const g: Grouped = { order: [], items: new Map() };
  for (const item of list) {
    const pe = itemElement(t, item);
    if (typeof pe === 'string') continue;
    const text = elementText(pe);
    const have = g.items.get(text);
    if (have) have.push(item);
    else {
      g.items.set(text, [item]);
      g.order.push({ pe, text });
    }
  }
  return g;
}

function compareListItems(t: TypeNode & { kind: 'list' }, l: Json[], r: Json[], path: PathElement[], out: Comparison): void {
  const gl = groupItems(t, l);
  const gr = groupItems(t, r);
  const all = [...gl.order, ...gr.order.filter((e) => !gl.items.has(e.text))];
  for (const { pe, text } of all) {
    const li = gl.items.get(text) ?? [];
    const ri = gr.items.get(text) ?? [];
    const p = [...path, pe];
    if (li.length <= 1 && ri.length <= 1) {
      walkCompare(li[0], ri[0], t.elem, p, out);
    } else if (li.length >= 2 && ri.length >= 2) {
      // Duplicated before and after: compared as one opaque element.
      if (!jsonEqual(li as Json, ri as Json)) out.modified.insert(p);
    } else if (li.length >= 2) {
      if (ri.length === 1) walkCompare(undefined, ri[0], t.elem, p, out);
      out.removed.insert(p);
    } else {
      if (li.length === 1) walkCompare(li[0], undefined, t.elem, p, out);
      out.added.insert(p);
    }
  }
}

// ---- merge -----------------------------------------------------------------------------------

/** `rhs` (an applied configuration) laid over `lhs` (the live object). */
export function merge(lhs: unknown, rhs: unknown, node: TypeNode): Json | undefined {
  return walkMerge(lhs as Json | undefined, rhs as Json | undefined, node);
}

function walkMerge(l: Json | undefined, r: Json | undefined, node: TypeNode): Json | undefined {
  const t = effective(node, l, r);
  const leaf = r !== undefined ? r : l;
  if (t.kind === 'scalar' || t.kind === 'deduced') return leaf;
  if (t.kind === 'list') {
    const ll = Array.isArray(l) ? l : undefined;
    const rl = Array.isArray(r) ? r : undefined;
    if (t.rel === 'atomic' || (isEmptyish(ll) && isEmptyish(rl))) return leaf;
    return mergeList(t, ll ?? [], rl ?? []);
  }
  const lm = isObject(l) ? l : undefined;
  const rm = isObject(r) ? r : undefined;
  if (t.atomic || (isEmptyish(lm) && isEmptyish(rm))) return leaf;
  const out: JsonObject = {};
  for (const k of unionKeys(lm, rm)) {
    const v = walkMerge(lm?.[k], rm?.[k], fieldType(t, k));
    // A null in a struct is what Go would decode to an unset field; leave it out.
    if (v === undefined || (v === null && t.kind === 'struct')) continue;
    out[k] = v;
  }
  return out;
}

/** Marks an element that appears more than once in the live list. */
const DUPLICATE = Symbol('duplicate');

/**
 * Merges an associative list. Elements only in the live list keep their place; elements of the
 * applied list come in the applied order, with live-only elements interleaved where they stood.
 */
function mergeList(t: TypeNode & { kind: 'list' }, l: Json[], r: Json[]): Json[] {
  const lpes: string[] = [];
  const lItems = new Map<string, Json | typeof DUPLICATE>();
  const lIndex: number[] = [];
  l.forEach((item, i) => {
    const pe = itemElement(t, item);
    if (typeof pe === 'string') return;
    const text = elementText(pe);
    lItems.set(text, lItems.has(text) ? DUPLICATE : item);
    lpes.push(text);
    lIndex.push(i);
  });
  const rpes: string[] = [];
  const rItems = new Map<string, Json>();
  for (const item of r) {
    const pe = itemElement(t, item);
    if (typeof pe === 'string' || rItems.has(elementText(pe))) continue; // rejected before merging
    rItems.set(elementText(pe), item);
    rpes.push(elementText(pe));
  }
  const shared = rpes.filter((p) => lItems.has(p));
  let nextShared: string | undefined = shared.shift();
  const mergedFromR = new Set<string>();
  const out: Json[] = [];
  const emit = (lv: Json | typeof DUPLICATE | undefined, rv: Json | undefined): void => {
    const v = walkMerge(lv === DUPLICATE ? null : lv, rv, t.elem);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < lpes.length || ri < rpes.length) {
    if (li < lpes.length && ri < rpes.length) {
      const lt = lpes[li]!;
      if (lt === rpes[ri]) {
        mergedFromR.add(lt);
        emit(lItems.get(lt), rItems.get(lt));
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      // A shared element met out of the applied order waits for its turn in the applied list.
      if (rItems.has(lt) && nextShared !== undefined && nextShared !== lt) {
        li++;
        continue;
      }
    }
    if (li < lpes.length) {
      const lt = lpes[li]!;
      if (!rItems.has(lt)) {
        emit(l[lIndex[li]!], undefined);
        li++;
        continue;
      }
      if (mergedFromR.has(lt)) li++;
    }
    if (ri < rpes.length) {
      const rt = rpes[ri]!;
      mergedFromR.add(rt);
      emit(lItems.get(rt), rItems.get(rt));
      ri++;
      if (nextShared === rt) nextShared = shared.shift();
    }
  }
  return out;
}

// ---- removal ---------------------------------------------------------------------------------

/** `value` without the fields (and their subtrees) in `set`; undefined when nothing is left. */
export function removeItems(value: unknown, set: FieldSet, node: TypeNode): Json | undefined {
  return walkRemove(value as Json, set, node);
}

function walkRemove(v: Json, set: FieldSet, node: TypeNode): Json | undefined {
  const t = effective(node, v, v);
  if (t.kind === 'scalar' || t.kind === 'deduced') return v;
  if (t.kind === 'list') {
    if (!Array.isArray(v) || v.length === 0 || t.rel === 'atomic') return undefined;
    const out: Json[] = [];
    for (const item of v) {
      const pe = itemElement(t, item);
      if (typeof pe === 'string') {
        out.push(item);
        continue;
      }
      if (set.has([pe])) continue;
      const sub = set.withPrefix(pe);
      if (sub.isEmpty()) out.push(item);
      else {
        const kept = walkRemove(item, sub, t.elem);
        if (kept !== undefined) out.push(kept);
      }
    }
    return out.length > 0 ? out : undefined;
  }
  if (!isObject(v) || Object.keys(v).length === 0 || t.atomic) return undefined;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    const pe = fieldElement(k);
    if (set.has([pe])) continue;
    const sub = set.withPrefix(pe);
    if (sub.isEmpty()) {
      out[k] = val;
      continue;
    }
    const kept = walkRemove(val, sub, fieldType(t, k));
    if (kept !== undefined) out[k] = kept;
    else if (t.kind === 'struct' && t.fields.get(k)?.zero === 'struct') out[k] = {}; // Go keeps value structs
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// ---- Go serialization ------------------------------------------------------------------------

/**
 * A copy of `value` with the fields Go always writes filled in: non-pointer structs as `{}` and
 * non-omitempty slices, maps and pointers as `null`. Upstream compares objects that went through
 * Go, where `spec`, `template`, `resources`, ... are never missing, so whether such a field "was
 * added" (and so whether its owner owns it as a whole) depends on this.
 */
export function materialize(value: unknown, node: TypeNode): Json | undefined {
  return walkMaterialize(value as Json | undefined, node);
}

function walkMaterialize(v: Json | undefined, node: TypeNode): Json | undefined {
  if (v === undefined || v === null) return v;
  switch (node.kind) {
    case 'struct': {
      if (!isObject(v)) return v;
      const out: JsonObject = {};
      for (const [k, val] of Object.entries(v)) {
        if (val !== undefined) out[k] = walkMaterialize(val, fieldType(node, k)) as Json;
      }
      for (const [k, f] of node.fields) {
        if (out[k] !== undefined || f.zero === undefined) continue;
        out[k] = f.zero === 'null' ? null : (walkMaterialize({}, f.type) as Json);
      }
      return out;
    }
    case 'map': {
      if (!isObject(v)) return v;
      const out: JsonObject = {};
      for (const [k, val] of Object.entries(v)) if (val !== undefined) out[k] = walkMaterialize(val, node.elem) as Json;
      return out;
    }
    case 'list':
      return Array.isArray(v) ? v.map((x) => walkMaterialize(x, node.elem) as Json) : v;
    default:
      return v;
  }
}

// ---- validation of applied configurations --------------------------------------------------

/**
 * Errors that make an applied configuration unusable: list elements without key fields, elements
 * of the wrong shape, duplicate keys. Paths render as upstream prints them (`.spec.ports`).
 */
export function validateApplied(value: unknown, node: TypeNode): string[] {
  const errs: string[] = [];
  walkValidate(value as Json, node, [], errs);
  return errs;
}

function walkValidate(v: Json, node: TypeNode, path: PathElement[], errs: string[]): void {
  const t = effective(node, v, v);
  if (t.kind === 'list') {
    if (t.rel === 'atomic' || !Array.isArray(v)) return;
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const pe = itemElement(t, item);
      if (typeof pe === 'string') {
        errs.push(`${pathString(path)}: element ${i}: ${pe}`);
        return;
      }
      const text = elementText(pe);
      if (seen.has(text)) {
        errs.push(`${pathString(path)}: duplicate entries for key ${elementString(pe)}`);
        return;
      }
      seen.add(text);
      walkValidate(item, t.elem, [...path, pe], errs);
    });
    return;
  }
  if ((t.kind === 'struct' || t.kind === 'map') && !t.atomic && isObject(v)) {
    for (const [k, val] of Object.entries(v)) if (val !== undefined) walkValidate(val, fieldType(t, k), [...path, fieldElement(k)], errs);
  }
}
