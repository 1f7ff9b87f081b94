// Decoding a request body the way upstream's typed JSON decoder does (sigs.k8s.io/json into the Go
// structs), on the already-parsed JSON value. Returns a new object:
//
//  - a value of the wrong JSON type is a 400 BadRequest worded as upstream's
//    `<Kind> in version "<v>" cannot be handled as a <Kind>: json: cannot unmarshal number into Go
//    struct field ObjectMeta.metadata.name of type string` — the struct is the innermost Go struct
//    holding the field, the path is the field names from the root without list indices or map keys
//    (Go's errorContext), the type is the Go type (`v1.Protocol`, `[]v1.Container`, `int32`). Like
//    Go, the first such error in document order wins, except that errors returned by a custom
//    UnmarshalJSON (Quantity, IntOrString, Time) abort at once and win over an earlier one.
//  - `null` becomes the zero value: a null struct field is dropped; a null list element or map value
//    becomes "", 0, false, "0" (Quantity), {} (struct or map) or [] (list).
//  - fields the schema does not declare are dropped (pruned) where the schema lists `properties`
//    and does not preserve unknown fields; `fieldValidation` reporting is schema_check.ts's job.
//  - nesting deeper than MAX_DEPTH objects/arrays is rejected (`json: exceeded max depth`); every
//    recursion here is bounded by that depth, so arbitrarily deep input cannot overflow the stack.
//
// Schemas are compiled once per definition into nodes carrying the Go type name for messages. The
// Go types the OpenAPI schema cannot express (int64 vs int32, named string types such as
// v1.Protocol, v1.ResourceList, types.UID, []byte) come from GO_TYPE_OVERRIDES below.

import { badRequest, type ApiError } from './errors.js';
import { definitions, refName, type SchemaObject } from './openapi_schemas.js';
import { Quantity, QuantityError } from './quantity.js';
import type { GroupVersionKind } from './resources.js';
import { definitionForKind } from './schema_check.js';

/** Objects and arrays may nest this deep (the root object is depth 1). */
export const MAX_DEPTH = 1000;

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const PRESERVE_UNKNOWN = 'x-kubernetes-preserve-unknown-fields';

const enum K { Any, String, Int32, Int64, Float, Bool, Bytes, Quantity, IntOrString, Time, Object, Map, Array }

/** A compiled schema node. */
interface DNode {
  k: K;
  /** The Go type's name as reflect prints it, for messages (`v1.PodSpec`, `[]string`, `int32`). */
  goType: string;
  /** Object: the Go struct's name, the `Struct` of errors in its fields. */
  struct: string;
  /** Object: declared fields. */
  props: Map<string, DNode> | undefined;
  /** Object: keep undeclared fields (x-kubernetes-preserve-unknown-fields). */
  keepUnknown: boolean;
  /** Map values / list items. */
  elem: DNode | undefined;
}

function node(k: K, goType: string): DNode {
  return { k, goType, struct: '', props: undefined, keepUnknown: false, elem: undefined };
}

const ANY: DNode = node(K.Any, 'interface {}');
const compiled = new Map<string, DNode>();
let overrides: Map<string, Map<string, string>> | undefined;

function goTypeOverride(defName: string, field: string): string | undefined {
  if (!overrides) {
    overrides = new Map();
    for (const [def, spec] of Object.entries(GO_TYPE_OVERRIDES)) {
      const m = new Map<string, string>();
      for (const pair of spec.split(' ')) {
        const eq = pair.indexOf('=');
        m.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      overrides.set(`io.k8s.${def}`, m);
    }
  }
  return overrides.get(defName)?.get(field);
}

/** `io.k8s.api.core.v1.PodSpec` → `v1.PodSpec` (Go prints a type as `<package name>.<Name>`). */
function goNameOfDefinition(name: string): string {
  const parts = name.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

/** The Go type name a schema gets when nothing says otherwise. */
function defaultGoType(s: SchemaObject): string {
  if (s.$ref) return goNameOfDefinition(refName(s.$ref));
  switch (s.type) {
    case 'array': return `[]${defaultGoType(s.items ?? {})}`;
    case 'object': return typeof s.additionalProperties === 'object' ? `map[string]${defaultGoType(s.additionalProperties)}` : 'interface {}';
    case 'integer': return 'int32';
    case 'number': return 'float64';
    case 'boolean': return 'bool';
    case 'string': return 'string';
    default: return 'interface {}';
  }
}

/** The element type name of a Go slice or map type name, when it is spelled out. */
function elemGoType(goType: string): string | undefined {
  let rest: string;
  if (goType.startsWith('[]')) rest = goType.slice(2);
  else if (goType.startsWith('map[')) rest = goType.slice(goType.indexOf(']') + 1);
  else return undefined; // a named slice or map type (v1.ResourceList): the schema's default
  return rest.startsWith('*') ? rest.slice(1) : rest;
}

function compileDefinition(name: string): DNode {
  const hit = compiled.get(name);
  if (hit) return hit;
  const def = definitions()[name];
  if (!def) return ANY;
  // Register before compiling the body so recursive types terminate and share one node.
  const n = node(K.Any, goNameOfDefinition(name));
  compiled.set(name, n);
  if (name === QUANTITY) n.k = K.Quantity;
  else Object.assign(n, compileSchema(def, n.goType, name));
  return n;
}

function compileSchema(s: SchemaObject, goType: string, defName?: string): DNode {
  if (s.$ref) return compileDefinition(refName(s.$ref));
  const preserve = (s as Record<string, unknown>)[PRESERVE_UNKNOWN] === true;
  if (s.format === 'int-or-string') return node(K.IntOrString, goType);
  if (s.format === 'date-time') return node(K.Time, goType);
  if (s.type === 'array') {
    const items = s.items ?? {};
    const n = node(K.Array, goType);
    n.elem = compileSchema(items, elemGoType(goType) ?? defaultGoType(items));
    return n;
  }
  if (s.properties) {
    const n = node(K.Object, goType);
    // A definition is a named Go struct; an inline object schema (decodeWithSchema) an anonymous one.
    n.struct = defName !== undefined ? defName.slice(defName.lastIndexOf('.') + 1) : /^\w+\.\w+$/.test(goType) ? goType.slice(goType.indexOf('.') + 1) : '';
    n.keepUnknown = preserve || s.additionalProperties === true || typeof s.additionalProperties === 'object';
    n.props = new Map();
    for (const [k, v] of Object.entries(s.properties)) {
      n.props.set(k, compileSchema(v, (defName !== undefined ? goTypeOverride(defName, k) : undefined) ?? defaultGoType(v)));
    }
    return n;
  }
  if (typeof s.additionalProperties === 'object' && !s.properties) {
    const n = node(K.Map, goType);
    n.elem = compileSchema(s.additionalProperties, elemGoType(goType) ?? defaultGoType(s.additionalProperties));
    return n;
  }
  switch (s.type) {
    case 'string': return node(goType === '[]uint8' ? K.Bytes : K.String, goType);
    case 'integer': return node(goType === 'int64' ? K.Int64 : K.Int32, goType);
    case 'number': return node(K.Float, goType);
    case 'boolean': return node(K.Bool, goType);
    default: return ANY; // free-form objects (RawExtension, FieldsV1), preserve-unknown, untyped
  }
}

// ---- Walking -----------------------------------------------------------------------------------

/** An error a custom UnmarshalJSON returns: decoding stops at once (Go returns it, not saves it). */
class Fatal {
  constructor(readonly message: string) {}
}
/** Nesting beyond MAX_DEPTH. Upstream's scanner checks syntax before decoding, so this wins. */
class TooDeep {}

/** Per-call state: the field names from the root to the current value, and Go's saved error. */
interface Ctx {
  path: string[];
  saved: string | undefined;
}

function jsonKind(v: unknown): string {
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return 'number';
    case 'boolean': return 'bool';
    default: return Array.isArray(v) ? 'array' : 'object';
  }
}

/** The text Go shows for a number literal (JSON.parse kept only its value). */
function numberText(n: number): string {
  return Number.isInteger(n) && Math.abs(n) >= 1e21 ? BigInt(n).toString() : String(n);
}

function typeError(value: string, goType: string, owner: string, ctx: Ctx): string {
  return ctx.path.length === 0
    ? `json: cannot unmarshal ${value} into Go value of type ${goType}`
    : `json: cannot unmarshal ${value} into Go struct field ${owner}.${ctx.path.join('.')} of type ${goType}`;
}

/** Records a type error as Go's decoder does (the first one wins) and checks the skipped value's depth. */
function mismatch(n: DNode, v: unknown, depth: number, owner: string, ctx: Ctx, value = jsonKind(v)): undefined {
  if (ctx.saved === undefined) ctx.saved = typeError(value, n.goType, owner, ctx);
  scanDepth(v, depth);
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets a key on a fresh object; `__proto__` as an own property rather than the prototype. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** Throws TooDeep when `v` (inside `depth` containers) nests deeper than MAX_DEPTH. Recursion ≤ MAX_DEPTH. */
function scanDepth(v: unknown, depth: number): void {
  if (typeof v !== 'object' || v === null) return;
  if (++depth > MAX_DEPTH) throw new TooDeep();
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (typeof e === 'object' && e !== null) scanDepth(e, depth);
    }
  } else {
    for (const key in v) {
      const e = (v as Record<string, unknown>)[key];
      if (typeof e === 'object' && e !== null) scanDepth(e, depth);
    }
  }
}

/** A deep copy of free-form JSON, depth-checked. Recursion ≤ MAX_DEPTH. */
function copyAny(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (++depth > MAX_DEPTH) throw new TooDeep();
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyAny(v[i], depth);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key in v) put(out, key, copyAny((v as Record<string, unknown>)[key], depth));
  return out;
}

/** The zero value a null list item or map value decodes to. */
function zeroOf(n: DNode): unknown {
  switch (n.k) {
    case K.String: case K.Bytes: return '';
    case K.Int32: case K.Int64: case K.Float: case K.IntOrString: return 0;
    case K.Bool: return false;
    case K.Quantity: return '0';
    case K.Object: case K.Map: return {};
    case K.Array: return [];
    default: return null; // Time (Go writes a zero Time as null), free-form
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -9223372036854775808; // exactly -2^63
const INT64_LIMIT = 9223372036854775808; // 2^63: the nearest double to int64's maximum, so excluded

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The decoded value of `v` (not null) against `n`, or undefined after a type error (recorded in
 * ctx.saved). `depth` counts the objects and arrays that enclose `v`; `owner` is the Go struct whose
 * field holds it.
 */
function decode(n: DNode, v: unknown, depth: number, owner: string, ctx: Ctx): unknown {
  switch (n.k) {
    case K.String:
      return typeof v === 'string' ? v : mismatch(n, v, depth, owner, ctx);
    case K.Int32:
      if (typeof v !== 'number') return mismatch(n, v, depth, owner, ctx);
      return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : mismatch(n, v, depth, owner, ctx, `number ${numberText(v)}`);
    case K.Int64:
      if (typeof v !== 'number') return mismatch(n, v, depth, owner, ctx);
      return Number.isInteger(v) && v >= INT64_MIN && v < INT64_LIMIT ? v : mismatch(n, v, depth, owner, ctx, `number ${numberText(v)}`);
    case K.Float:
      return typeof v === 'number' ? v : mismatch(n, v, depth, owner, ctx);
    case K.Bool:
      return typeof v === 'boolean' ? v : mismatch(n, v, depth, owner, ctx);
    case K.Bytes: {
      if (typeof v !== 'string') return mismatch(n, v, depth, owner, ctx);
      if (BASE64_RE.test(v)) return v;
      const stripped = v.replace(/[\r\n]/g, '');
      if (stripped !== v && BASE64_RE.test(stripped)) return stripped; // Go skips newlines; re-encodes without them
      const at = base64ErrorOffset(v);
      if (at < 0) return stripped;
      if (ctx.saved === undefined) ctx.saved = `illegal base64 data at input byte ${at}`;
      return undefined;
    }
    case K.Quantity:
      return decodeQuantity(v, depth);
    case K.IntOrString:
      if (typeof v === 'string') return v;
      // IntOrString.UnmarshalJSON: json.Unmarshal into its int32; the error gets the outer field's context.
      if (typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) return v;
      scanDepth(v, depth);
      throw new Fatal(typeError(typeof v === 'number' ? `number ${numberText(v)}` : jsonKind(v), 'int32', owner, ctx));
    case K.Time:
      if (typeof v === 'string') return v;
      // Time.UnmarshalJSON: json.Unmarshal into a string first.
      scanDepth(v, depth);
      throw new Fatal(typeError(jsonKind(v), 'string', owner, ctx));
    case K.Object: {
      if (!isPlainObject(v)) return mismatch(n, v, depth, owner, ctx);
      if (++depth > MAX_DEPTH) throw new TooDeep();
      const props = n.props!;
      const struct = n.struct;
      const path = ctx.path;
      const out: Record<string, unknown> = {};
      for (const key in v) {
        const val = v[key];
        const child = props.get(key);
        if (child === undefined) {
          if (n.keepUnknown) put(out, key, copyAny(val, depth));
          else if (typeof val === 'object' && val !== null) scanDepth(val, depth);
          continue;
        }
        if (val === null) continue;
        if (child.k === K.String && typeof val === 'string') {
          out[key] = val;
          continue;
        }
        path.push(key);
        const r = decode(child, val, depth, struct, ctx);
        path.pop();
        if (r !== undefined) out[key] = r;
      }
      return out;
    }
    case K.Map: {
      if (!isPlainObject(v)) return mismatch(n, v, depth, owner, ctx);
      if (++depth > MAX_DEPTH) throw new TooDeep();
      const elem = n.elem!;
      const out: Record<string, unknown> = {};
      for (const key in v) {
        const val = v[key];
        if (elem.k === K.String && typeof val === 'string') put(out, key, val);
        else if (val === null) put(out, key, zeroOf(elem));
        else {
          const r = decode(elem, val, depth, owner, ctx);
          if (r !== undefined) put(out, key, r);
        }
      }
      return out;
    }
    case K.Array: {
      if (!Array.isArray(v)) return mismatch(n, v, depth, owner, ctx);
      if (++depth > MAX_DEPTH) throw new TooDeep();
      const elem = n.elem!;
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const val: unknown = v[i];
        out[i] = val === null ? zeroOf(elem) : decode(elem, val, depth, owner, ctx);
      }
      return out;
    }
    default:
      return copyAny(v, depth);
  }
}

/** Quantity.UnmarshalJSON: a string or a bare number, parsed; anything else fails to parse. */
function decodeQuantity(v: unknown, depth: number): unknown {
  if (typeof v === 'number') {
    try {
      return Quantity.parse(numberText(v)).toString();
    } catch (err) {
      if (err instanceof QuantityError) throw new Fatal(err.message);
      throw err;
    }
  }
  if (typeof v !== 'string') {
    scanDepth(v, depth);
    throw new Fatal(QUANTITY_FORMAT_WRONG);
  }
  try {
    Quantity.parse(v.trim());
  } catch (err) {
    if (err instanceof QuantityError) throw new Fatal(err.message);
    throw err;
  }
  return v;
}

/** Where Go's base64.StdEncoding.Decode reports the first problem (a byte offset; newlines are skipped), -1 if none. */
function base64ErrorOffset(s: string): number {
  const src = Buffer.from(s, 'utf8');
  const isAlpha = (c: number): boolean =>
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
  const isNl = (c: number): boolean => c === 0x0a || c === 0x0d;
  let si = 0;
  for (;;) {
    // one quantum of four characters (decodeQuantum)
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return -1; // valid
        return si - j;
      }
      const c = src[si++]!;
      if (isAlpha(c)) continue;
      if (isNl(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d) return si - 1;
      if (j === 0 || j === 1) return si - 1;
      if (j === 2) {
        while (si < src.length && isNl(src[si]!)) si++;
        if (si === src.length) return src.length;
        if (src[si] !== 0x3d) return si - 1;
        si++;
      }
      while (si < src.length && isNl(src[si]!)) si++;
      return si < src.length ? si : -1;
    }
  }
}

const QUANTITY_FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

// ---- Entry point -------------------------------------------------------------------------------

export interface DecodeOptions {
  /** The body's JSON text, for the summary upstream quotes when apiVersion or kind is not a string. */
  json?: string;
}

/** upstream summarizeData(body, 30). */
function summarize(text: string): string {
  if (text.length === 0) return '<empty>';
  if (text.startsWith('{')) return text.length > 30 ? `${text.slice(0, 30)} ...` : text;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length > 30 ? `${bytes.subarray(0, 30).toString('hex')} ...` : bytes.toString('hex');
}

function decodeError(gvk: GroupVersionKind, message: string): ApiError {
  return badRequest(`${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: ${message}`);
}

/**
 * Decodes a parsed request body of kind `gvk` as upstream's JSON decoder would: a new object with
 * undeclared fields dropped and nulls turned into zero values. Throws ApiError 400 BadRequest for a
 * value of the wrong type, a malformed Quantity or base64 value, or nesting deeper than MAX_DEPTH.
 * Kinds without a schema come back unchanged (the same object) once their depth is checked.
 */
export function decodeAgainstSchema(gvk: GroupVersionKind, obj: unknown, opts: DecodeOptions = {}): { object: unknown } {
  const name = definitionForKind(gvk);
  if (name === undefined) {
    try {
      scanDepth(obj, 0);
    } catch (err) {
      if (err instanceof TooDeep) throw decodeError(gvk, 'json: exceeded max depth');
      throw err;
    }
    return { object: obj };
  }
  return run(gvk, compileDefinition(name), obj, opts);
}

/**
 * decodeAgainstSchema against an explicit schema (compiled on every call: for tests and one-off
 * schemas). The root's Go type is taken to be `<version>.<Kind>`.
 */
export function decodeWithSchema(gvk: GroupVersionKind, schema: SchemaObject, obj: unknown, opts: DecodeOptions = {}): { object: unknown } {
  return run(gvk, compileSchema(schema, `${gvk.version}.${gvk.kind}`), obj, opts);
}

function run(gvk: GroupVersionKind, root: DNode, obj: unknown, opts: DecodeOptions): { object: unknown } {
  try {
    if (obj === null) return { object: {} };
    if (isPlainObject(obj)) {
      // Upstream first reads apiVersion and kind alone (SimpleMetaFactory.Interpret, into an anonymous struct).
      for (const key in obj) {
        if (key !== 'apiVersion' && key !== 'kind') continue;
        const v = obj[key];
        if (v === null || typeof v === 'string') continue;
        scanDepth(obj, 0);
        throw badRequest(
          `the object provided is unrecognized (must be of type ${gvk.kind}): couldn't get version/kind; json parse error: ` +
            `json: cannot unmarshal ${jsonKind(v)} into Go struct field .${key} of type string (${summarize(opts.json ?? JSON.stringify(obj))})`,
        );
      }
    }
    const ctx: Ctx = { path: [], saved: undefined };
    let object: unknown;
    try {
      object = decode(root, obj, 0, '', ctx);
    } catch (err) {
      if (err instanceof Fatal) scanDepth(obj, 0); // nesting errors win: upstream finds them before decoding
      throw err;
    }
    if (ctx.saved !== undefined) throw new Fatal(ctx.saved);
    return { object };
  } catch (err) {
    if (err instanceof TooDeep) throw decodeError(gvk, 'json: exceeded max depth');
    if (err instanceof Fatal) throw decodeError(gvk, err.message);
    throw err;
  }
}

// ---- Go types the OpenAPI schema does not tell apart -------------------------------------------
//
// Definition (without `io.k8s.`) → `field=GoType …` wherever the Go field's type, as reflect prints
// it, differs from what defaultGoType() derives from the schema (string, int32, bool, `v1.<Def>`,
// `[]…`, `map[string]…`). Derived once from the Go struct declarations (types.go) of
// kubernetes/api and kubernetes/apimachinery at v0.32.13, the release src/api/protobuf/schema.json
// was generated from; names and types only.
const GO_TYPE_OVERRIDES: Readonly<Record<string, string>> = {
  "api.apps.v1.ControllerRevision": "revision=int64",
  "api.apps.v1.DaemonSetCondition": "status=v1.ConditionStatus type=v1.DaemonSetConditionType",
  "api.apps.v1.DaemonSetStatus": "observedGeneration=int64",
  "api.apps.v1.DaemonSetUpdateStrategy": "type=v1.DaemonSetUpdateStrategyType",
  "api.apps.v1.DeploymentCondition": "status=v1.ConditionStatus type=v1.DeploymentConditionType",
  "api.apps.v1.DeploymentStatus": "observedGeneration=int64",
  "api.apps.v1.DeploymentStrategy": "type=v1.DeploymentStrategyType",
  "api.apps.v1.ReplicaSetCondition": "status=v1.ConditionStatus type=v1.ReplicaSetConditionType",
  "api.apps.v1.ReplicaSetStatus": "observedGeneration=int64",
  "api.apps.v1.StatefulSetCondition": "status=v1.ConditionStatus type=v1.StatefulSetConditionType",
  "api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy": "whenDeleted=v1.PersistentVolumeClaimRetentionPolicyType whenScaled=v1.PersistentVolumeClaimRetentionPolicyType",
  "api.apps.v1.StatefulSetSpec": "podManagementPolicy=v1.PodManagementPolicyType",
  "api.apps.v1.StatefulSetStatus": "observedGeneration=int64",
  "api.apps.v1.StatefulSetUpdateStrategy": "type=v1.StatefulSetUpdateStrategyType",
  "api.authentication.v1.BoundObjectReference": "uid=types.UID",
  "api.authentication.v1.TokenRequestSpec": "expirationSeconds=int64",
  "api.autoscaling.v1.HorizontalPodAutoscalerStatus": "observedGeneration=int64",
  "api.autoscaling.v2.ContainerResourceMetricSource": "name=v1.ResourceName",
  "api.autoscaling.v2.ContainerResourceMetricStatus": "name=v1.ResourceName",
  "api.autoscaling.v2.HPAScalingPolicy": "type=v2.HPAScalingPolicyType",
  "api.autoscaling.v2.HPAScalingRules": "selectPolicy=v2.ScalingPolicySelect",
  "api.autoscaling.v2.HorizontalPodAutoscalerCondition": "status=v1.ConditionStatus type=v2.HorizontalPodAutoscalerConditionType",
  "api.autoscaling.v2.HorizontalPodAutoscalerStatus": "observedGeneration=int64",
  "api.autoscaling.v2.MetricSpec": "type=v2.MetricSourceType",
  "api.autoscaling.v2.MetricStatus": "type=v2.MetricSourceType",
  "api.autoscaling.v2.MetricTarget": "type=v2.MetricTargetType",
  "api.autoscaling.v2.ResourceMetricSource": "name=v1.ResourceName",
  "api.autoscaling.v2.ResourceMetricStatus": "name=v1.ResourceName",
  "api.batch.v1.CronJobSpec": "concurrencyPolicy=v1.ConcurrencyPolicy startingDeadlineSeconds=int64",
  "api.batch.v1.JobCondition": "status=v1.ConditionStatus type=v1.JobConditionType",
  "api.batch.v1.JobSpec": "activeDeadlineSeconds=int64 completionMode=v1.CompletionMode podReplacementPolicy=v1.PodReplacementPolicy",
  "api.batch.v1.PodFailurePolicyOnExitCodesRequirement": "operator=v1.PodFailurePolicyOnExitCodesOperator",
  "api.batch.v1.PodFailurePolicyOnPodConditionsPattern": "status=v1.ConditionStatus type=v1.PodConditionType",
  "api.batch.v1.PodFailurePolicyRule": "action=v1.PodFailurePolicyAction",
  "api.batch.v1.UncountedTerminatedPods": "failed=[]types.UID succeeded=[]types.UID",
  "api.core.v1.AppArmorProfile": "type=v1.AppArmorProfileType",
  "api.core.v1.AttachedVolume": "name=v1.UniqueVolumeName",
  "api.core.v1.AzureDiskVolumeSource": "cachingMode=v1.AzureDataDiskCachingMode kind=v1.AzureDataDiskKind",
  "api.core.v1.Capabilities": "add=[]v1.Capability drop=[]v1.Capability",
  "api.core.v1.ConfigMap": "binaryData=map[string][]uint8",
  "api.core.v1.ConfigMapNodeConfigSource": "uid=types.UID",
  "api.core.v1.Container": "imagePullPolicy=v1.PullPolicy restartPolicy=v1.ContainerRestartPolicy terminationMessagePolicy=v1.TerminationMessagePolicy",
  "api.core.v1.ContainerImage": "sizeBytes=int64",
  "api.core.v1.ContainerPort": "protocol=v1.Protocol",
  "api.core.v1.ContainerResizePolicy": "resourceName=v1.ResourceName restartPolicy=v1.ResourceResizeRestartPolicy",
  "api.core.v1.ContainerStatus": "allocatedResources=v1.ResourceList",
  "api.core.v1.EmptyDirVolumeSource": "medium=v1.StorageMedium",
  "api.core.v1.EndpointPort": "protocol=v1.Protocol",
  "api.core.v1.EphemeralContainer": "imagePullPolicy=v1.PullPolicy restartPolicy=v1.ContainerRestartPolicy terminationMessagePolicy=v1.TerminationMessagePolicy",
  "api.core.v1.HTTPGetAction": "scheme=v1.URIScheme",
  "api.core.v1.HostPathVolumeSource": "type=v1.HostPathType",
  "api.core.v1.LimitRangeItem": "default=v1.ResourceList defaultRequest=v1.ResourceList max=v1.ResourceList maxLimitRequestRatio=v1.ResourceList min=v1.ResourceList type=v1.LimitType",
  "api.core.v1.LoadBalancerIngress": "ipMode=v1.LoadBalancerIPMode",
  "api.core.v1.ModifyVolumeStatus": "status=v1.PersistentVolumeClaimModifyVolumeStatus",
  "api.core.v1.NamespaceCondition": "status=v1.ConditionStatus type=v1.NamespaceConditionType",
  "api.core.v1.NamespaceSpec": "finalizers=[]v1.FinalizerName",
  "api.core.v1.NamespaceStatus": "phase=v1.NamespacePhase",
  "api.core.v1.NodeAddress": "type=v1.NodeAddressType",
  "api.core.v1.NodeCondition": "status=v1.ConditionStatus type=v1.NodeConditionType",
  "api.core.v1.NodeSelectorRequirement": "operator=v1.NodeSelectorOperator",
  "api.core.v1.NodeStatus": "allocatable=v1.ResourceList capacity=v1.ResourceList phase=v1.NodePhase volumesInUse=[]v1.UniqueVolumeName",
  "api.core.v1.ObjectReference": "uid=types.UID",
  "api.core.v1.PersistentVolumeClaimCondition": "status=v1.ConditionStatus type=v1.PersistentVolumeClaimConditionType",
  "api.core.v1.PersistentVolumeClaimSpec": "accessModes=[]v1.PersistentVolumeAccessMode volumeMode=v1.PersistentVolumeMode",
  "api.core.v1.PersistentVolumeClaimStatus": "accessModes=[]v1.PersistentVolumeAccessMode allocatedResourceStatuses=map[v1.ResourceName]v1.ClaimResourceStatus allocatedResources=v1.ResourceList capacity=v1.ResourceList phase=v1.PersistentVolumeClaimPhase",
  "api.core.v1.PersistentVolumeSpec": "accessModes=[]v1.PersistentVolumeAccessMode capacity=v1.ResourceList persistentVolumeReclaimPolicy=v1.PersistentVolumeReclaimPolicy volumeMode=v1.PersistentVolumeMode",
  "api.core.v1.PersistentVolumeStatus": "phase=v1.PersistentVolumePhase",
  "api.core.v1.PodCondition": "status=v1.ConditionStatus type=v1.PodConditionType",
  "api.core.v1.PodOS": "name=v1.OSName",
  "api.core.v1.PodReadinessGate": "conditionType=v1.PodConditionType",
  "api.core.v1.PodSecurityContext": "fsGroup=int64 fsGroupChangePolicy=v1.PodFSGroupChangePolicy runAsGroup=int64 runAsUser=int64 supplementalGroups=[]int64",
  "api.core.v1.PodSpec": "activeDeadlineSeconds=int64 dnsPolicy=v1.DNSPolicy overhead=v1.ResourceList preemptionPolicy=v1.PreemptionPolicy restartPolicy=v1.RestartPolicy terminationGracePeriodSeconds=int64",
  "api.core.v1.PodStatus": "phase=v1.PodPhase qosClass=v1.PodQOSClass resize=v1.PodResizeStatus",
  "api.core.v1.PortStatus": "protocol=v1.Protocol",
  "api.core.v1.Probe": "terminationGracePeriodSeconds=int64",
  "api.core.v1.ReplicationControllerCondition": "status=v1.ConditionStatus type=v1.ReplicationControllerConditionType",
  "api.core.v1.ReplicationControllerStatus": "observedGeneration=int64",
  "api.core.v1.ResourceQuotaSpec": "hard=v1.ResourceList scopes=[]v1.ResourceQuotaScope",
  "api.core.v1.ResourceQuotaStatus": "hard=v1.ResourceList used=v1.ResourceList",
  "api.core.v1.ResourceRequirements": "limits=v1.ResourceList requests=v1.ResourceList",
  "api.core.v1.ScopedResourceSelectorRequirement": "operator=v1.ScopeSelectorOperator scopeName=v1.ResourceQuotaScope",
  "api.core.v1.SeccompProfile": "type=v1.SeccompProfileType",
  "api.core.v1.Secret": "data=map[string][]uint8 type=v1.SecretType",
  "api.core.v1.SecurityContext": "procMount=v1.ProcMountType runAsGroup=int64 runAsUser=int64",
  "api.core.v1.ServiceAccountTokenProjection": "expirationSeconds=int64",
  "api.core.v1.ServicePort": "protocol=v1.Protocol",
  "api.core.v1.ServiceSpec": "externalTrafficPolicy=v1.ServiceExternalTrafficPolicy internalTrafficPolicy=v1.ServiceInternalTrafficPolicy ipFamilies=[]v1.IPFamily ipFamilyPolicy=v1.IPFamilyPolicy sessionAffinity=v1.ServiceAffinity type=v1.ServiceType",
  "api.core.v1.SleepAction": "seconds=int64",
  "api.core.v1.Taint": "effect=v1.TaintEffect",
  "api.core.v1.Toleration": "effect=v1.TaintEffect operator=v1.TolerationOperator tolerationSeconds=int64",
  "api.core.v1.TopologySpreadConstraint": "nodeAffinityPolicy=v1.NodeInclusionPolicy nodeTaintsPolicy=v1.NodeInclusionPolicy whenUnsatisfiable=v1.UnsatisfiableConstraintAction",
  "api.core.v1.VolumeMount": "mountPropagation=v1.MountPropagationMode recursiveReadOnly=v1.RecursiveReadOnlyMode",
  "api.core.v1.VolumeMountStatus": "recursiveReadOnly=v1.RecursiveReadOnlyMode",
  "api.core.v1.VolumeResourceRequirements": "limits=v1.ResourceList requests=v1.ResourceList",
  "api.discovery.v1.EndpointPort": "protocol=v1.Protocol",
  "api.discovery.v1.EndpointSlice": "addressType=v1.AddressType",
  "api.networking.v1.HTTPIngressPath": "pathType=v1.PathType",
  "api.networking.v1.IngressPortStatus": "protocol=v1.Protocol",
  "api.networking.v1.NetworkPolicyPort": "protocol=v1.Protocol",
  "api.networking.v1.NetworkPolicySpec": "policyTypes=[]v1.PolicyType",
  "api.policy.v1.PodDisruptionBudgetSpec": "unhealthyPodEvictionPolicy=v1.UnhealthyPodEvictionPolicyType",
  "api.policy.v1.PodDisruptionBudgetStatus": "observedGeneration=int64",
  "api.scheduling.v1.PriorityClass": "preemptionPolicy=v1.PreemptionPolicy",
  "api.storage.v1.StorageClass": "reclaimPolicy=v1.PersistentVolumeReclaimPolicy volumeBindingMode=v1.VolumeBindingMode",
  "apimachinery.pkg.apis.meta.v1.APIResource": "verbs=v1.Verbs",
  "apimachinery.pkg.apis.meta.v1.Condition": "observedGeneration=int64 status=v1.ConditionStatus",
  "apimachinery.pkg.apis.meta.v1.DeleteOptions": "gracePeriodSeconds=int64 propagationPolicy=v1.DeletionPropagation",
  "apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": "operator=v1.LabelSelectorOperator",
  "apimachinery.pkg.apis.meta.v1.ListMeta": "remainingItemCount=int64",
  "apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": "operation=v1.ManagedFieldsOperationType",
  "apimachinery.pkg.apis.meta.v1.ObjectMeta": "deletionGracePeriodSeconds=int64 generation=int64 uid=types.UID",
  "apimachinery.pkg.apis.meta.v1.OwnerReference": "uid=types.UID",
  "apimachinery.pkg.apis.meta.v1.Preconditions": "uid=types.UID",
  "apimachinery.pkg.apis.meta.v1.Status": "reason=v1.StatusReason",
  "apimachinery.pkg.apis.meta.v1.StatusCause": "reason=v1.CauseType",
  "apimachinery.pkg.apis.meta.v1.StatusDetails": "uid=types.UID",
};
