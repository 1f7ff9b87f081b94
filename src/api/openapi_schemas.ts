// Loads the generated OpenAPI definitions (src/api/generated/openapi-schemas.json, written by
// scripts/gen-openapi.ts during `npm run build`) once, lazily, and types them. The file sits beside
// this module in both src/ (tsx) and dist/ (the generator copies it there), so it is read relative to
// import.meta.url rather than imported: importing a 500 KiB JSON would make tsc infer a huge type.

import { readFileSync } from 'node:fs';

/** The subset of OpenAPI v2 schema objects the generator emits. Refs are `#/definitions/<name>`. */
export interface SchemaObject {
  readonly type?: string;
  readonly format?: string;
  readonly description?: string;
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly items?: SchemaObject;
  readonly additionalProperties?: SchemaObject | boolean;
  readonly required?: readonly string[];
  readonly 'x-kubernetes-group-version-kind'?: ReadonlyArray<{ group: string; version: string; kind: string }>;
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

export type Definitions = Readonly<Record<string, SchemaObject>>;

export const DEFINITION_REF_PREFIX = '#/definitions/';

const SCHEMAS_URL = new URL('./generated/openapi-schemas.json', import.meta.url);

let cached: Definitions | undefined;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every generated definition by its Kubernetes name (`io.k8s.api.core.v1.Pod`). */
export function definitions(): Definitions {
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(SCHEMAS_URL, 'utf8');
  } catch (err) {
    throw new Error(`OpenAPI schemas not generated (${SCHEMAS_URL.pathname}); run \`npm run gen:openapi\``, { cause: err });
  }
  const parsed: unknown = JSON.parse(text);
  if (!isRecord(parsed) || !isRecord(parsed.definitions)) throw new Error(`${SCHEMAS_URL.pathname}: no "definitions" object`);
  // Trusted build output of our own generator: checked for shape above, not validated field by field.
  cached = parsed.definitions as Definitions;
  return cached;
}

/** The definition name a `$ref` points at. */
export function refName(ref: string): string {
  return ref.startsWith(DEFINITION_REF_PREFIX) ? ref.slice(DEFINITION_REF_PREFIX.length) : ref;
}
