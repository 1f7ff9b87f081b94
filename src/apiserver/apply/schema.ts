// The shape of a kind as server-side apply sees it: which objects are structs (fixed fields) and
// which are maps (free keys), which maps and structs are owned as a whole ("atomic"), and how each
// list is merged: atomic (replaced whole), set (scalars merged by value) or map (objects merged by
// key fields). Built once per definition from the generated OpenAPI schemas, completed with the Go
// facts the schemas do not carry (go_facts.ts).
//
// Lists follow the rules Kubernetes uses to turn OpenAPI into merge schemas: an explicit
// `x-kubernetes-list-type` wins; otherwise `x-kubernetes-patch-strategy: merge` makes the list
// associative (keyed by the patch merge key, or a set without one); everything else is atomic.
// Kinds without a schema, and free-form objects, are "deduced": objects merge key by key, lists are
// atomic.

import { definitions, refName, type SchemaObject } from '../../api/openapi_schemas.js';
import { definitionForKind } from '../../api/schema_check.js';
import { GO_TYPE_FACTS, type GoFieldFacts } from './go_facts.js';

export interface FieldInfo {
  readonly type: TypeNode;
  /** Go serializes this field even when unset: a `{}` struct or a `null`. */
  readonly zero?: 'struct' | 'null';
  /** The schema default of a scalar field (used for list-map keys left out of an element). */
  readonly default?: unknown;
}

export type TypeNode =
  | { kind: 'struct'; name: string; fields: Map<string, FieldInfo>; atomic: boolean }
  | { kind: 'map'; elem: TypeNode; atomic: boolean }
  | { kind: 'list'; elem: TypeNode; rel: 'atomic' | 'set' | 'map'; keys: readonly string[] }
  | { kind: 'scalar' }
  | { kind: 'deduced' };

export const SCALAR: TypeNode = { kind: 'scalar' };
export const DEDUCED: TypeNode = { kind: 'deduced' };

const compiled = new Map<string, TypeNode>();

function compileDefinition(name: string): TypeNode {
  const hit = compiled.get(name);
  if (hit) return hit;
  const def = definitions()[name];
  if (!def) return DEDUCED;
  if (def.properties) {
    // Registered before the fields are compiled so recursive types (JSONSchemaProps-like) terminate.
    const node: TypeNode = { kind: 'struct', name, fields: new Map(), atomic: GO_TYPE_FACTS[name]?.atomic === true };
    compiled.set(name, node);
    const facts = GO_TYPE_FACTS[name]?.fields ?? {};
    for (const [field, schema] of Object.entries(def.properties)) {
      const f = facts[field];
      const info: { type: TypeNode; zero?: 'struct' | 'null'; default?: unknown } = { type: compileProperty(schema, f) };
      if (f?.zero) info.zero = f.zero;
      if (f && 'default' in f) info.default = f.default;
      node.fields.set(field, info);
    }
    return node;
  }
  const node = compileSchema(def, undefined);
  compiled.set(name, node);
  return node;
}

function compileProperty(s: SchemaObject, facts: GoFieldFacts | undefined): TypeNode {
  const node = compileSchema(s, facts);
  if (facts?.mapType === 'atomic') {
    if (node.kind === 'map') return { ...node, atomic: true };
    if (node.kind === 'struct') return { ...node, atomic: true };
  }
  return node;
}

function compileSchema(s: SchemaObject, facts: GoFieldFacts | undefined): TypeNode {
  if (s.$ref) return compileDefinition(refName(s.$ref));
  if (s.type === 'array') {
    const elem = s.items ? compileSchema(s.items, undefined) : DEDUCED;
    const { rel, keys } = listRelationship(s, facts);
    return { kind: 'list', elem, rel, keys };
  }
  if (s.type === 'object' || s.properties || s.additionalProperties !== undefined) {
    if (typeof s.additionalProperties === 'object') return { kind: 'map', elem: compileSchema(s.additionalProperties, undefined), atomic: false };
    return DEDUCED;
  }
  if (s.type === undefined) return DEDUCED;
  return SCALAR;
}

function listRelationship(s: SchemaObject, facts: GoFieldFacts | undefined): { rel: 'atomic' | 'set' | 'map'; keys: readonly string[] } {
  const listType = s['x-kubernetes-list-type'] ?? facts?.listType;
  if (listType === 'atomic') return { rel: 'atomic', keys: [] };
  if (listType === 'set') return { rel: 'set', keys: [] };
  if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? facts?.keys ?? [];
    return keys.length > 0 ? { rel: 'map', keys } : { rel: 'atomic', keys: [] };
  }
  const strategy = s['x-kubernetes-patch-strategy'] ?? facts?.patchStrategy;
  if (strategy === 'merge' || strategy === 'merge,retainKeys') {
    const key = s['x-kubernetes-patch-merge-key'] ?? facts?.patchMergeKey;
    return key ? { rel: 'map', keys: [key] } : { rel: 'set', keys: [] };
  }
  return { rel: 'atomic', keys: [] };
}

/** `apps/v1` → group `apps`, version `v1`; `v1` → the core group. */
function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The merge schema of a kind, or the deduced schema when Capstan has none for it. */
export function schemaForKind(apiVersion: string, kind: string): TypeNode {
  const name = definitionForKind({ ...splitApiVersion(apiVersion), kind });
  return name === undefined ? DEDUCED : compileDefinition(name);
}

/** The schema of a definition by name (tests and callers that know the type). */
export function schemaForDefinition(name: string): TypeNode {
  return compileDefinition(name);
}

/** The type of a field of `node` (deduced for unknown fields and free-form objects). */
export function fieldType(node: TypeNode, name: string): TypeNode {
  if (node.kind === 'struct') return node.fields.get(name)?.type ?? DEDUCED;
  if (node.kind === 'map') return node.elem;
  return DEDUCED;
}
