// The protobuf form of GET /openapi/v2: gnostic's `openapi.v2.Document`, which kubectl 1.27 and older
// (and client-go's discovery `OpenAPISchema()`) asks for with
// `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and uses for `explain`, for
// `apply` validation and for strategic-merge-patch metadata.
//
// The model is a typed mirror of Swagger 2.0. The conversion rules, all driven by the message table
// src/api/protobuf/openapi_v2_schema.json (scripts/gen-gnostic-schema.ts writes it from the upstream
// .proto):
// - JSON keys become snake_case field names (`operationId` -> `operation_id`); `$ref` is `_ref`.
// - `x-...` keys go to the message's `vendor_extension` list as NamedAny{name, value: Any{yaml}}; the
//   YAML is the value's JSON text (JSON is YAML). Free-form values (`default`, `example`, `enum`
//   entries, `examples`) are Any the same way.
// - Maps (`definitions`, `properties`, `parameters`, `responses`, `securityDefinitions`, `headers`,
//   `scopes`, ...) are messages holding a repeated Named* {name, value} in document order; `paths`
//   and an operation's `responses` mix those with vendor extensions.
// - `type` is TypeItem{value: [..]}, `items` is ItemsItem{schema: [..]}, `additionalProperties` is
//   a oneof of a Schema and a bool.
// - The union types pick their variant the way Swagger does: a `$ref` object is a JsonReference; a
//   parameter is a BodyParameter when `in` is `body`, otherwise a NonBodyParameter holding the
//   header/formData/query/path sub-schema; a response schema of type `file` is a FileSchema; a
//   security definition by `type` (and `flow` for oauth2).
// Keys the model has no field for are dropped (gnostic would reject such a document). The messages
// are proto3, so typed scalars equal to their zero value (0, false, '') and empty lists are not on the
// wire — exactly as when gnostic writes the document; Any values keep theirs.
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';
import YAML from 'yaml';
import schemaJson from './openapi_v2_schema.json' with { type: 'json' };
import { openapiV2 } from '../../apiserver/openapi.js';

/** The media type kubectl and client-go ask for (`Accept`). */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/**
 * The Content-Type of the answer: the same type spelled without `@`, which Go's mime parser rejects
 * ("mime: unexpected content after media subtype"); kube-apiserver answers with this spelling too.
 */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** A document that does not fit the model (a value of the wrong JSON type), with the JSON path. */
export class OpenAPIV2EncodeError extends Error {
  override readonly name = 'OpenAPIV2EncodeError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };
type Msg = Record<string, unknown>;

const PKG = 'openapi.v2';

// ---------------------------------------------------------------------------------------------------------------
// Schema

interface Loaded {
  readonly root: protobuf.Root;
  readonly document: protobuf.Type;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const json: unknown = schemaJson;
  if (!isRecord(json) || !isRecord(json.nested)) throw new Error('src/api/protobuf/openapi_v2_schema.json is malformed');
  const root = protobuf.Root.fromJSON({ nested: json.nested as protobuf.INamespace['nested'] });
  root.resolveAll();
  loaded = { root, document: root.lookupType(`${PKG}.Document`) };
  return loaded;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const snakeCache = new Map<string, string>();
function snake(key: string): string {
  let s = snakeCache.get(key);
  if (s === undefined) {
    s = key === '$ref' ? '_ref' : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeCache.set(key, s);
  }
  return s;
}

const camelCache = new Map<string, string>();
function camel(name: string): string {
  let s = camelCache.get(name);
  if (s === undefined) {
    s = name === '_ref' ? '$ref' : name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    camelCache.set(name, s);
  }
  return s;
}

/** Messages that are a JSON map: one repeated `additional_properties` of Named{name, value}. */
function mapValueField(t: protobuf.Type): protobuf.Field | undefined {
  const fields = t.fieldsArray;
  if (fields.length !== 1) return undefined;
  const f = fields[0];
  if (f.name !== 'additional_properties' || !f.repeated || !f.resolvedType) return undefined;
  const named = f.resolvedType as protobuf.Type;
  return named.fields.value;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: Swagger JSON -> message objects

function fail(path: string, what: string): never {
  throw new OpenAPIV2EncodeError(`${path || '/'}: ${what}`);
}

function typeName(t: protobuf.Type): string {
  return t.name;
}

function child(t: protobuf.Type, field: string): protobuf.Type {
  return t.fields[field].resolvedType as protobuf.Type;
}

function anyOf(v: Json): Msg {
  return { yaml: JSON.stringify(v) };
}

function vendorExtension(key: string, v: Json): Msg {
  return { name: key, value: anyOf(v) };
}

function scalar(f: protobuf.Field, v: Json, path: string): unknown {
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string') fail(path, `expected a string, found ${JSON.stringify(v)}`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') fail(path, `expected a boolean, found ${JSON.stringify(v)}`);
      return v;
    case 'double':
      if (typeof v !== 'number') fail(path, `expected a number, found ${JSON.stringify(v)}`);
      return v;
    case 'int64':
      if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `expected an integer, found ${JSON.stringify(v)}`);
      return v;
    default:
      return fail(path, `unsupported field type ${f.type}`);
  }
}

function fieldValue(f: protobuf.Field, v: Json, path: string): unknown {
  return f.resolvedType ? encodeMessage(f.resolvedType as protobuf.Type, v, path) : scalar(f, v, path);
}

/** Named{name, value} entries for a JSON map; the value's type is the Named message's `value` field. */
function namedEntries(valueField: protobuf.Field, obj: JsonObject, path: string, skipExtensions = false): Msg[] {
  const out: Msg[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (skipExtensions && k.startsWith('x-')) continue;
    out.push({ name: k, value: fieldValue(valueField, v, `${path}/${k}`) });
  }
  return out;
}

function asObject(v: Json, path: string): JsonObject {
  if (!isJsonObject(v)) fail(path, `expected an object, found ${JSON.stringify(v)}`);
  return v;
}

function encodeMessage(t: protobuf.Type, v: Json, path: string): Msg {
  switch (typeName(t)) {
    case 'Any':
      return anyOf(v);
    case 'TypeItem': {
      const list = Array.isArray(v) ? v : [v];
      return { value: list.map((x, i) => scalar(t.fields.value, x, `${path}/${i}`)) };
    }
    case 'StringArray':
      if (!Array.isArray(v)) fail(path, 'expected an array');
      return { value: v.map((x, i) => scalar(t.fields.value, x, `${path}/${i}`)) };
    case 'ItemsItem': {
      const list = Array.isArray(v) ? v : [v];
      return { schema: list.map((x, i) => encodeMessage(child(t, 'schema'), x, Array.isArray(v) ? `${path}/${i}` : path)) };
    }
    case 'AdditionalPropertiesItem':
      return typeof v === 'boolean' ? { boolean: v } : { schema: encodeMessage(child(t, 'schema'), v, path) };
    case 'ParametersItem':
    case 'ResponseValue': {
      const o = asObject(v, path);
      const variant = typeof o.$ref === 'string' ? 'json_reference' : t.oneofs.oneof.oneof.find((n) => n !== 'json_reference')!;
      return { [variant]: encodeMessage(child(t, variant), o, path) };
    }
    case 'Parameter': {
      const o = asObject(v, path);
      const variant = o.in === 'body' ? 'body_parameter' : 'non_body_parameter';
      return { [variant]: encodeMessage(child(t, variant), o, path) };
    }
    case 'NonBodyParameter': {
      const o = asObject(v, path);
      const variants: Record<string, string> = {
        header: 'header_parameter_sub_schema', formData: 'form_data_parameter_sub_schema',
        query: 'query_parameter_sub_schema', path: 'path_parameter_sub_schema',
      };
      const variant = typeof o.in === 'string' ? variants[o.in] : undefined;
      if (!variant) fail(`${path}/in`, `unknown parameter location ${JSON.stringify(o.in)}`);
      return { [variant]: encodeMessage(child(t, variant), o, path) };
    }
    case 'SchemaItem': {
      const o = asObject(v, path);
      const variant = o.type === 'file' ? 'file_schema' : 'schema';
      return { [variant]: encodeMessage(child(t, variant), o, path) };
    }
    case 'SecurityDefinitionsItem': {
      const o = asObject(v, path);
      const flows: Record<string, string> = {
        implicit: 'oauth2_implicit_security', password: 'oauth2_password_security',
        application: 'oauth2_application_security', accessCode: 'oauth2_access_code_security',
      };
      const variant = o.type === 'basic' ? 'basic_authentication_security'
        : o.type === 'apiKey' ? 'api_key_security'
        : o.type === 'oauth2' && typeof o.flow === 'string' ? flows[o.flow] : undefined;
      if (!variant) fail(path, `unknown security definition type ${JSON.stringify(o.type)}`);
      return { [variant]: encodeMessage(child(t, variant), o, path) };
    }
    case 'Paths':
    case 'Responses': {
      const o = asObject(v, path);
      const listField = typeName(t) === 'Paths' ? 'path' : 'response_code';
      const valueField = child(t, listField).fields.value;
      const out: Msg = { [listField]: namedEntries(valueField, o, path, true) };
      const ext = Object.entries(o).filter(([k]) => k.startsWith('x-')).map(([k, x]) => vendorExtension(k, x));
      if (ext.length > 0) out.vendor_extension = ext;
      return out;
    }
    default:
      break;
  }
  const valueField = mapValueField(t);
  if (valueField) return { additional_properties: namedEntries(valueField, asObject(v, path), path) };

  const o = asObject(v, path);
  const out: Msg = {};
  const hasExtensions = t.fields.vendor_extension !== undefined;
  for (const [k, x] of Object.entries(o)) {
    if (k.startsWith('x-')) {
      if (hasExtensions) ((out.vendor_extension ??= []) as Msg[]).push(vendorExtension(k, x));
      continue;
    }
    const f = t.fields[snake(k)];
    if (!f) continue; // not in the model
    if (x === null && (f.resolvedType as protobuf.Type | null)?.name !== 'Any') continue;
    const p = `${path}/${k}`;
    if (f.repeated) {
      if (!Array.isArray(x)) fail(p, 'expected an array');
      out[f.name] = x.map((e, i) => fieldValue(f, e, `${p}/${i}`));
    } else {
      out[f.name] = fieldValue(f, x, p);
    }
  }
  return out;
}

/** The gnostic `openapi.v2.Document` message for a Swagger 2.0 document (as parsed JSON). */
export function encodeOpenAPIV2Protobuf(doc: object): Buffer {
  const { document } = load();
  const message = encodeMessage(document, doc as Json, '');
  const bytes = document.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding: message objects -> Swagger JSON (the reverse of the rules above; used by tests and tools)

function parseAny(m: Msg): Json {
  const text = typeof m.yaml === 'string' ? m.yaml : '';
  if (text === '') return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return YAML.parse(text) as Json;
  }
}

function decodeValue(f: protobuf.Field, v: unknown): Json {
  if (f.resolvedType) return decodeMessage(f.resolvedType as protobuf.Type, v as Msg);
  return v as Json;
}

function decodeNamed(valueField: protobuf.Field, list: unknown, into: JsonObject): void {
  if (!Array.isArray(list)) return;
  for (const e of list as Msg[]) into[String(e.name ?? '')] = e.value === undefined ? null : decodeValue(valueField, e.value);
}

function decodeExtensions(list: unknown, into: JsonObject): void {
  if (!Array.isArray(list)) return;
  for (const e of list as Msg[]) into[String(e.name ?? '')] = isRecord(e.value) ? parseAny(e.value) : null;
}

function decodeMessage(t: protobuf.Type, m: Msg): Json {
  const name = typeName(t);
  if (name === 'Any') return parseAny(m);
  if (name === 'TypeItem' || name === 'ItemsItem') {
    const key = name === 'TypeItem' ? 'value' : 'schema';
    const list = (Array.isArray(m[key]) ? m[key] : []) as unknown[];
    const out = list.map((x) => decodeValue(t.fields[key], x));
    return out.length === 1 ? out[0] : out;
  }
  if (name === 'StringArray') return (Array.isArray(m.value) ? m.value : []) as Json[];
  if (name === 'Paths' || name === 'Responses') {
    const listField = name === 'Paths' ? 'path' : 'response_code';
    const out: JsonObject = {};
    decodeNamed(child(t, listField).fields.value, m[listField], out);
    decodeExtensions(m.vendor_extension, out);
    return out;
  }
  // A union: the value is whichever variant is set.
  if (t.oneofsArray.length === 1 && t.fieldsArray.length === t.oneofsArray[0].fieldsArray.length) {
    for (const f of t.fieldsArray) if (m[f.name] !== undefined && m[f.name] !== null) return decodeValue(f, m[f.name]);
    return {};
  }
  const valueField = mapValueField(t);
  if (valueField) {
    const out: JsonObject = {};
    decodeNamed(valueField, m.additional_properties, out);
    return out;
  }
  const out: JsonObject = {};
  for (const f of t.fieldsArray) {
    const v = m[f.name];
    if (v === undefined || v === null) continue;
    if (f.name === 'vendor_extension') {
      decodeExtensions(v, out);
    } else if (f.repeated) {
      if (Array.isArray(v) && v.length > 0) out[camel(f.name)] = v.map((e) => decodeValue(f, e));
    } else {
      out[camel(f.name)] = decodeValue(f, v);
    }
  }
  return out;
}

/** The Swagger 2.0 JSON of an `openapi.v2.Document` message. What the wire does not record does
 * not come back: typed scalars equal to zero (`minimum: 0`, `required: false`), empty arrays, and
 * whether a one-element `type`/`items` was a list. */
export function decodeOpenAPIV2Protobuf(bytes: Uint8Array): object {
  const { document } = load();
  const message = document.decode(bytes);
  const plain = document.toObject(message, { longs: Number, defaults: false, arrays: false, oneofs: false }) as Msg;
  return decodeMessage(document, plain) as JsonObject;
}

// ---------------------------------------------------------------------------------------------------------------
// The served document

export interface OpenAPIV2ProtobufDocument {
  readonly body: Buffer;
  /** Upper-case hex SHA-512 of the body. */
  readonly hash: string;
  /** Strong ETag (quoted hash). */
  readonly etag: string;
}

let served: OpenAPIV2ProtobufDocument | undefined;

/** GET /openapi/v2 in protobuf, with its ETag: `openapiV2()` converted once and kept. */
export function openapiV2ProtobufDocument(): OpenAPIV2ProtobufDocument {
  if (served) return served;
  const body = encodeOpenAPIV2Protobuf(JSON.parse(openapiV2().body) as object);
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
  served = { body, hash, etag: `"${hash}"` };
  return served;
}

/** The body of GET /openapi/v2 in protobuf (cached). */
export function openapiV2Protobuf(): Buffer {
  return openapiV2ProtobufDocument().body;
}

/**
 * Which form of /openapi/v2 an Accept header asks for: the first media range (by quality, then
 * order) that names the protobuf type or JSON wins; `*\/*`, `application/*` and a missing header
 * mean JSON. `undefined` when nothing acceptable is named (answer 406).
 */
export function negotiateOpenAPIV2(accept: string | undefined): 'json' | 'protobuf' | undefined {
  if (accept === undefined || accept.trim() === '') return 'json';
  const ranges = accept.split(',').map((part, index) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    let q = 1;
    for (const p of params) {
      const [k, val] = p.split('=').map((s) => s.trim());
      if (k?.toLowerCase() === 'q' && val !== undefined) q = Number(val);
    }
    return { type: (type ?? '').toLowerCase(), q: Number.isFinite(q) ? q : 0, index };
  }).filter((r) => r.type !== '' && r.q > 0);
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const r of ranges) {
    if (r.type === OPENAPI_V2_PROTOBUF_ACCEPT || r.type === OPENAPI_V2_PROTOBUF_CONTENT_TYPE) return 'protobuf';
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') return 'json';
  }
  return undefined;
}
