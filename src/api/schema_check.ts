// Field validation for writes (`fieldValidation=Strict|Warn`): finds fields a request body sets that
// the kind's schema does not declare, and fields a JSON text sets twice (JSON.parse silently keeps
// the last one, so duplicates must be found in the raw text). Messages match upstream's strict JSON
// decoder: `unknown field "spec.containers[0].foo"`, `duplicate field "metadata.name"`.
//
// Runs on every write, so schemas are compiled once into plain lookup nodes (a Map of properties
// per object type, shared between every place a type is used) and the walk only follows fields that
// can hold objects.

import { definitions, refName, type SchemaObject } from './openapi_schemas.js';
import { groupVersionString, type GroupVersionKind } from './resources.js';

/** A compiled schema node. `leaf` accepts anything (scalars, free-form objects such as FieldsV1). */
interface Node {
  kind: 'object' | 'map' | 'array' | 'leaf';
  /** object: declared properties. */
  props?: Map<string, Node>;
  /** map values / array items. */
  elem?: Node;
}

const LEAF: Node = { kind: 'leaf' };
const compiled = new Map<string, Node>();
let byGvk: Map<string, string> | undefined;

function compileDefinition(name: string): Node {
  const hit = compiled.get(name);
  if (hit) return hit;
  const def = definitions()[name];
  if (!def) return LEAF;
  // Register before compiling the body so recursive types terminate and share one node.
  const node: Node = { kind: 'leaf' };
  compiled.set(name, node);
  Object.assign(node, compileSchema(def));
  return node;
}

function compileSchema(s: SchemaObject): Node {
  if (s.$ref) return compileDefinition(refName(s.$ref));
  if (s.type === 'array') {
    const elem = s.items ? compileSchema(s.items) : LEAF;
    return elem.kind === 'leaf' ? LEAF : { kind: 'array', elem };
  }
  if (s.properties) {
    const props = new Map<string, Node>();
    for (const [k, v] of Object.entries(s.properties)) props.set(k, compileSchema(v));
    return { kind: 'object', props };
  }
  if (typeof s.additionalProperties === 'object') {
    const elem = compileSchema(s.additionalProperties);
    return elem.kind === 'leaf' ? LEAF : { kind: 'map', elem };
  }
  return LEAF;
}

function gvkKey(g: GroupVersionKind): string {
  return `${groupVersionString(g.group, g.version)}/${g.kind}`;
}

/** The definition that declares a group-version-kind (resources, lists, Scale, Eviction, …). */
export function definitionForKind(gvk: GroupVersionKind): string | undefined {
  if (!byGvk) {
    byGvk = new Map();
    for (const [name, def] of Object.entries(definitions())) {
      for (const g of def['x-kubernetes-group-version-kind'] ?? []) byGvk.set(gvkKey(g), name);
    }
  }
  return byGvk.get(gvkKey(gvk));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(node: Node, value: unknown, path: string, out: string[]): void {
  if (node.kind === 'object') {
    if (!isPlainObject(value)) return; // a type error, reported by validation, not here
    const props = node.props!;
    for (const key in value) {
      const child = props.get(key);
      if (child === undefined) out.push(path === '' ? key : `${path}.${key}`);
      else if (child.kind !== 'leaf') walk(child, value[key], path === '' ? key : `${path}.${key}`, out);
    }
  } else if (node.kind === 'array') {
    if (!Array.isArray(value)) return;
    const elem = node.elem!;
    for (let i = 0; i < value.length; i++) walk(elem, value[i], `${path}[${i}]`, out);
  } else if (node.kind === 'map') {
    if (!isPlainObject(value)) return;
    const elem = node.elem!;
    for (const key in value) walk(elem, value[key], path === '' ? key : `${path}.${key}`, out);
  }
}

/**
 * Paths of fields in `object` that the schema of `gvk` does not declare, in document order
 * (`spec.foo`, `spec.containers[0].bar`), or undefined when Capstan has no schema for the kind.
 */
export function findUnknownFields(gvk: GroupVersionKind, object: unknown): string[] | undefined {
  const name = definitionForKind(gvk);
  if (name === undefined) return undefined;
  const out: string[] = [];
  walk(compileDefinition(name), object, '', out);
  return out;
}

// ---- Duplicate fields in raw JSON -------------------------------------------------------------

const enum C {
  Quote = 0x22, Backslash = 0x5c, Comma = 0x2c, Colon = 0x3a,
  OpenBrace = 0x7b, CloseBrace = 0x7d, OpenBracket = 0x5b, CloseBracket = 0x5d,
  Space = 0x20, Tab = 0x09, LF = 0x0a, CR = 0x0d,
}

/** Stops the scan on malformed input; JSON.parse reports the syntax error to the client. */
class Malformed extends Error {}

/**
 * Paths of object keys that appear more than once in the same JSON object (`metadata.name`,
 * `spec.containers[1].image`), in document order, each reported once per extra occurrence.
 * Malformed JSON yields whatever was found before the error.
 */
export function findDuplicateFields(json: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = json.length;

  const skipWs = (): void => {
    while (i < n) {
      const c = json.charCodeAt(i);
      if (c === C.Space || c === C.Tab || c === C.LF || c === C.CR) i++;
      else break;
    }
  };
  const readString = (): string => {
    // i is at the opening quote
    const start = ++i;
    let escaped = false;
    while (i < n) {
      const c = json.charCodeAt(i);
      if (c === C.Backslash) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c === C.Quote) {
        const raw = json.slice(start, i++);
        if (!escaped) return raw;
        try {
          return JSON.parse(`"${raw}"`) as string;
        } catch {
          throw new Malformed();
        }
      }
      i++;
    }
    throw new Malformed();
  };
  const value = (path: string, depth: number): void => {
    if (depth > 512) throw new Malformed(); // far deeper than any API object; avoid stack exhaustion
    skipWs();
    const c = json.charCodeAt(i);
    if (c === C.OpenBrace) {
      i++;
      const seen = new Set<string>();
      skipWs();
      if (json.charCodeAt(i) === C.CloseBrace) {
        i++;
        return;
      }
      for (;;) {
        skipWs();
        if (json.charCodeAt(i) !== C.Quote) throw new Malformed();
        const key = readString();
        const child = path === '' ? key : `${path}.${key}`;
        if (seen.has(key)) out.push(child);
        else seen.add(key);
        skipWs();
        if (json.charCodeAt(i++) !== C.Colon) throw new Malformed();
        value(child, depth + 1);
        skipWs();
        const d = json.charCodeAt(i++);
        if (d === C.CloseBrace) return;
        if (d !== C.Comma) throw new Malformed();
      }
    } else if (c === C.OpenBracket) {
      i++;
      skipWs();
      if (json.charCodeAt(i) === C.CloseBracket) {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        value(`${path}[${index}]`, depth + 1);
        skipWs();
        const d = json.charCodeAt(i++);
        if (d === C.CloseBracket) return;
        if (d !== C.Comma) throw new Malformed();
      }
    } else if (c === C.Quote) {
      readString();
    } else {
      // number, true, false, null: skip to the next delimiter
      const start = i;
      while (i < n) {
        const d = json.charCodeAt(i);
        if (d === C.Comma || d === C.CloseBrace || d === C.CloseBracket || d === C.Space || d === C.Tab || d === C.LF || d === C.CR) break;
        i++;
      }
      if (i === start) throw new Malformed();
    }
  };
  try {
    value('', 0);
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
  }
  return out;
}

// ---- Messages ---------------------------------------------------------------------------------

export interface FieldCheckInput {
  gvk: GroupVersionKind;
  /** The parsed body. */
  object: unknown;
  /** The body's JSON text, when it was JSON (YAML and protobuf bodies cannot hold duplicates here). */
  json?: string;
}

/**
 * Upstream-worded problems with a body: `duplicate field "…"` then `unknown field "…"`. With
 * fieldValidation=Strict the server rejects the request (see `strictDecodingMessage`); with Warn it
 * sends each as a `Warning: 299 - "<message>"` header.
 */
export function fieldValidationProblems(input: FieldCheckInput): string[] {
  const problems: string[] = [];
  if (input.json !== undefined) for (const p of findDuplicateFields(input.json)) problems.push(`duplicate field "${p}"`);
  for (const p of findUnknownFields(input.gvk, input.object) ?? []) problems.push(`unknown field "${p}"`);
  return problems;
}

/** The message of the 400 BadRequest a Strict request gets: `strict decoding error: …`. */
export function strictDecodingMessage(problems: readonly string[]): string {
  return `strict decoding error: ${problems.join(', ')}`;
}
