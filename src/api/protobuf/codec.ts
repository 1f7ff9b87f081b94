// The Kubernetes protobuf wire format (`application/vnd.kubernetes.protobuf`), converted to and from the
// JSON shape the rest of Capstan works with.
//
// A body is the magic `k8s\0` followed by a `runtime.Unknown` {typeMeta{apiVersion, kind}, raw, contentEncoding,
// contentType}; `raw` is the object's own message. Watch streams (`;stream=watch`) are different: each frame is a
// 4-byte big-endian length and a bare `meta.v1.WatchEvent` (no magic, no Unknown: upstream's stream serializer is
// the "raw" one), whose `object.raw` is a full `k8s\0` + Unknown body of the object.
//
// The message table is src/api/protobuf/schema.json (scripts/gen-proto-schema.ts writes it from the upstream
// generated.proto files and Go struct tags); a protobufjs Root is built from it once, on first use. protobufjs does
// the wire work; this file maps messages to Kubernetes' JSON: JSON names, inlined structs, dropping the zero
// values Go writes for non-pointer `omitempty` scalars, and the custom-marshalled types (Time, MicroTime, Duration,
// Quantity, IntOrString, FieldsV1, RawExtension, and slice types such as meta.v1.Verbs).
import protobuf from 'protobufjs';
import schemaJson from './schema.json' with { type: 'json' };

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_WATCH_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf;stream=watch';

/** The 4 bytes every protobuf body starts with: `k8s\0`. */
export const PROTOBUF_MAGIC: Buffer = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** A request body that is not a well-formed Kubernetes protobuf object; the server answers 400 BadRequest. */
export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

/** An object that cannot be written as protobuf (unknown kind, a field of the wrong JSON type). */
export class ProtobufEncodeError extends Error {
  override readonly name = 'ProtobufEncodeError';
}

export type JsonObject = Record<string, unknown>;

/** True for `application/vnd.kubernetes.protobuf`, with or without parameters (`;stream=watch`). */
export function isProtobuf(contentType: string): boolean {
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return media === PROTOBUF_CONTENT_TYPE;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

interface FieldDef {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly rule?: 'repeated' | 'map';
  readonly keyType?: string;
  readonly json?: string;
  readonly inline?: boolean;
  readonly omitEmpty?: boolean;
}
interface MessageDef { readonly fields: readonly FieldDef[]; readonly array?: boolean }
interface Schema {
  readonly ref: string;
  readonly kinds: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly messages: Readonly<Record<string, MessageDef>>;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const DURATION = `${META}.Duration`;
const FIELDS_V1 = `${META}.FieldsV1`;
const WATCH_EVENT = `${META}.WatchEvent`;
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';

function isRecord(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSchema(v: unknown): v is Schema {
  return isRecord(v) && isRecord(v.kinds) && isRecord(v.messages) && typeof v.ref === 'string';
}

interface Loaded {
  readonly schema: Schema;
  readonly root: protobuf.Root;
  readonly types: Map<string, protobuf.Type>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const schema: unknown = schemaJson;
  if (!isSchema(schema)) throw new Error('src/api/protobuf/schema.json is malformed');
  // protobufjs wants a nested namespace tree; every message is proto2 (explicit presence, unpacked repeated).
  const tree: protobuf.INamespace = { nested: {} };
  for (const [full, msg] of Object.entries(schema.messages)) {
    const parts = full.split('.');
    let ns = tree;
    for (const p of parts.slice(0, -1)) {
      const nested = (ns.nested ??= {});
      const child: protobuf.INamespace = (nested[p] as protobuf.INamespace | undefined) ?? { nested: {} };
      nested[p] = child;
      ns = child;
    }
    const fields: Record<string, protobuf.IField> = {};
    for (const f of msg.fields) {
      const type = f.type.includes('.') ? `.${f.type}` : f.type;
      const field: protobuf.IField & { keyType?: string } = { type, id: f.id };
      if (f.rule === 'map') field.keyType = f.keyType;
      else if (f.rule === 'repeated') field.rule = 'repeated';
      fields[f.name] = field;
    }
    const t: protobuf.IType & { edition: string } = { edition: 'proto2', fields };
    (ns.nested ??= {})[parts[parts.length - 1]] = t;
  }
  const root = protobuf.Root.fromJSON(tree);
  const types = new Map<string, protobuf.Type>();
  for (const full of Object.keys(schema.messages)) types.set(full, root.lookupType(full));
  loaded = { schema, root, types };
  return loaded;
}

function typeOf(full: string): protobuf.Type {
  const t = load().types.get(full);
  if (!t) throw new Error(`no protobuf message ${full}`);
  return t;
}

/** The message for an apiVersion/kind, or undefined. meta.v1 kinds (Status, WatchEvent, DeleteOptions, ...) are
 * registered in every group version upstream, so they are found under any known apiVersion. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  const { kinds } = load().schema;
  const table = kinds[apiVersion];
  if (!table) return undefined;
  return table[kind] ?? kinds['meta.k8s.io/v1']?.[kind];
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding: protobufjs message -> Kubernetes JSON

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'toNumber' in v && typeof v.toNumber === 'function') {
    const n: unknown = v.toNumber();
    if (typeof n === 'number') return n;
  }
  throw new ProtobufDecodeError(`expected an integer, got ${typeof v}`);
}

/** Sets a map entry; a `__proto__` key (legal in a label map) must not become the object's prototype. */
function setKey(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function has(msg: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(msg, key);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Go's time.RFC3339 in UTC, seconds precision (meta.v1.Time's JSON), or RFC3339 with 6 fraction digits (MicroTime). */
function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const d = new Date(seconds * 1000);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || year < 0 || year > 9999) {
    throw new ProtobufDecodeError(`time out of range: ${seconds}s`);
  }
  const base = `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return micro ? `${base}.${pad(Math.floor(nanos / 1000), 6)}Z` : `${base}Z`;
}

/** Parses RFC3339 (as Go's time.Parse does for metav1.Time) into seconds and nanos. */
function parseTime(s: string): { seconds: number; nanos: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new ProtobufEncodeError(`invalid time ${JSON.stringify(s)}`);
  let seconds = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  if (m[8] !== 'Z' && m[8] !== 'z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    seconds -= sign * (Number(m[8].slice(1, 3)) * 3600 + Number(m[8].slice(4, 6)) * 60);
  }
  const nanos = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { seconds, nanos };
}

const DURATION_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['ns', 1n], ['us', 1000n], ['µs', 1000n], ['μs', 1000n], ['ms', 1000000n], ['s', 1000000000n],
  ['m', 60000000000n], ['h', 3600000000000n],
];

/** Go's time.Duration.String(): "1h2m3.5s", "150ms", "0s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  const frac = (v: bigint, digits: number): string => {
    const s = v.toString().padStart(digits, '0').replace(/0+$/, '');
    return s ? `.${s}` : '';
  };
  let out: string;
  if (u < 1000000000n) {
    if (u < 1000n) out = `${u}ns`;
    else if (u < 1000000n) out = `${u / 1000n}${frac(u % 1000n, 3)}µs`;
    else out = `${u / 1000000n}${frac(u % 1000000n, 6)}ms`;
  } else {
    const secs = u / 1000000000n;
    const rest = u % 1000000000n;
    const h = secs / 3600n;
    const m = (secs / 60n) % 60n;
    const s = secs % 60n;
    out = `${s}${frac(rest, 9)}s`;
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return neg ? `-${out}` : out;
}

/** Go's time.ParseDuration, to nanoseconds. */
export function parseDuration(s: string): bigint {
  let rest = s;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new ProtobufEncodeError(`invalid duration ${JSON.stringify(s)}`);
  let total = 0n;
  while (rest) {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && !m[2])) throw new ProtobufEncodeError(`invalid duration ${JSON.stringify(s)}`);
    const unit = DURATION_UNITS.find(([name]) => name === m[3])![1];
    total += BigInt(m[1] || '0') * unit;
    if (m[2]) total += (BigInt(m[2].slice(0, 18).padEnd(18, '0')) * unit) / 10n ** 18n;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new ProtobufDecodeError('expected bytes');
}

function decodeScalar(type: string, v: unknown): unknown {
  switch (type) {
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return toNumber(v);
    case 'bytes':
      return Buffer.from(bytesOf(v)).toString('base64');
    default:
      return v;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false ||
    (typeof v === 'object' && v !== null && 'isZero' in v && typeof v.isZero === 'function' && v.isZero() === true);
}

/** A field value's JSON form, or undefined to omit it. */
function decodeValue(type: string, v: unknown, depth: number): unknown {
  if (!type.includes('.')) return decodeScalar(type, v);
  if (!isRecord(v)) throw new ProtobufDecodeError(`expected a ${type} message`);
  return decodeMessage(type, v, depth + 1);
}

function decodeMessage(type: string, msg: JsonObject, depth: number): unknown {
  if (depth > 100) throw new ProtobufDecodeError('message nesting too deep');
  switch (type) {
    case TIME:
    case MICRO_TIME: {
      const seconds = has(msg, 'seconds') ? toNumber(msg.seconds) : 0;
      const nanos = has(msg, 'nanos') ? toNumber(msg.nanos) : 0;
      // A zero Time is written as an empty message; its JSON is null, so the field is omitted.
      if (seconds === 0 && nanos === 0) return undefined;
      return formatTime(seconds, nanos, type === MICRO_TIME);
    }
    case DURATION: {
      const d = msg.duration;
      return formatDuration(has(msg, 'duration') ? BigInt(String(d)) : 0n);
    }
    case QUANTITY:
      return has(msg, 'string') && msg.string !== '' ? msg.string : '0';
    case INT_OR_STRING: {
      const t = has(msg, 'type') ? toNumber(msg.type) : 0;
      if (t === 1) return has(msg, 'strVal') ? msg.strVal : '';
      return has(msg, 'intVal') ? toNumber(msg.intVal) : 0;
    }
    case FIELDS_V1:
      return has(msg, 'Raw') ? parseJsonBytes(bytesOf(msg.Raw), 'fieldsV1') : undefined;
    case RAW_EXTENSION: {
      if (!has(msg, 'raw')) return undefined;
      const raw = bytesOf(msg.raw);
      if (raw.length === 0) return undefined;
      if (startsWithMagic(raw)) return decodeObject(Buffer.from(raw)).object;
      return parseJsonBytes(raw, 'embedded object');
    }
  }
  const def = load().schema.messages[type];
  if (!def) throw new ProtobufDecodeError(`no protobuf message ${type}`);
  if (def.array) {
    const items = msg.items;
    return Array.isArray(items) ? items.map((x) => decodeScalar(def.fields[0]?.type ?? 'string', x)) : [];
  }
  const out: JsonObject = {};
  for (const f of def.fields) {
    if (!has(msg, f.name)) continue;
    const v = msg[f.name];
    if (f.rule === 'repeated') {
      if (!Array.isArray(v) || v.length === 0) continue;
      const arr = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) arr[i] = decodeValue(f.type, v[i], depth) ?? null;
      out[f.json ?? f.name] = arr;
    } else if (f.rule === 'map') {
      if (!isRecord(v)) continue;
      const keys = Object.keys(v);
      if (keys.length === 0) continue;
      const obj: JsonObject = {};
      for (const k of keys) setKey(obj, k, decodeValue(f.type, v[k], depth) ?? null);
      out[f.json ?? f.name] = obj;
    } else if (f.inline) {
      const inner = decodeValue(f.type, v, depth);
      if (isRecord(inner)) Object.assign(out, inner);
    } else {
      if (f.omitEmpty && isZero(v)) continue;
      const jv = decodeValue(f.type, v, depth);
      if (jv !== undefined) out[f.json ?? f.name] = jv;
    }
  }
  return out;
}

function parseJsonBytes(raw: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as unknown;
  } catch (e) {
    throw new ProtobufDecodeError(`${what} is neither protobuf nor JSON: ${(e as Error).message}`);
  }
}

function startsWithMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x6b && b[1] === 0x38 && b[2] === 0x73 && b[3] === 0x00;
}

function protoDecode(type: string, bytes: Uint8Array): JsonObject {
  const m: unknown = typeOf(type).decode(bytes);
  if (!isRecord(m)) throw new ProtobufDecodeError(`cannot decode ${type}`);
  return m;
}

/**
 * Decodes a `k8s\0` + runtime.Unknown body into the object's JSON shape, with apiVersion and kind set.
 * Throws ProtobufDecodeError for anything malformed, truncated or of an unknown kind.
 */
export function decodeObject(body: Uint8Array): { apiVersion: string; kind: string; object: JsonObject } {
  if (!startsWithMagic(body)) {
    throw new ProtobufDecodeError('protobuf body does not start with the k8s\\0 prefix');
  }
  try {
    const unk = protoDecode(UNKNOWN, body.subarray(4));
    const tm = isRecord(unk.typeMeta) ? unk.typeMeta : {};
    const apiVersion = typeof tm.apiVersion === 'string' ? tm.apiVersion : '';
    const kind = typeof tm.kind === 'string' ? tm.kind : '';
    if (!kind) throw new ProtobufDecodeError('protobuf body has no kind');
    const encoding = typeof unk.contentEncoding === 'string' ? unk.contentEncoding : '';
    if (encoding !== '') throw new ProtobufDecodeError(`unsupported protobuf contentEncoding ${JSON.stringify(encoding)}`);
    const ct = typeof unk.contentType === 'string' ? unk.contentType : '';
    if (ct !== '' && !isProtobuf(ct)) throw new ProtobufDecodeError(`unsupported embedded contentType ${JSON.stringify(ct)}`);
    const type = messageForKind(apiVersion, kind);
    if (!type) throw new ProtobufDecodeError(`no protobuf message is known for kind ${JSON.stringify(kind)} in ${JSON.stringify(apiVersion)}`);
    const raw = has(unk, 'raw') ? bytesOf(unk.raw) : new Uint8Array(0);
    const decoded = decodeMessage(type, protoDecode(type, raw), 0);
    if (!isRecord(decoded)) throw new ProtobufDecodeError(`cannot decode ${kind}`);
    const object: JsonObject = { apiVersion, kind, ...decoded };
    return { apiVersion, kind, object };
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw e;
    // protobufjs throws RangeError/Error for truncated or malformed wire data.
    throw new ProtobufDecodeError(`malformed protobuf body: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: Kubernetes JSON -> protobufjs plain object

function encErr(path: string, want: string, v: unknown): ProtobufEncodeError {
  return new ProtobufEncodeError(`${path}: expected ${want}, got ${JSON.stringify(v)?.slice(0, 60) ?? typeof v}`);
}

function encodeScalar(type: string, v: unknown, path: string): unknown {
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      throw encErr(path, 'a string', v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      throw encErr(path, 'a boolean', v);
    case 'bytes':
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      if (v instanceof Uint8Array) return v;
      throw encErr(path, 'base64 bytes', v);
    case 'double': case 'float':
      if (typeof v === 'number') return v;
      throw encErr(path, 'a number', v);
    default:
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      throw encErr(path, 'an integer', v);
  }
}

function encodeValue(type: string, v: unknown, path: string): unknown {
  if (!type.includes('.')) return encodeScalar(type, v, path);
  return encodeMessage(type, v, path);
}

function encodeMessage(type: string, v: unknown, path: string): JsonObject {
  switch (type) {
    case TIME:
    case MICRO_TIME: {
      if (typeof v !== 'string') throw encErr(path, 'an RFC3339 time', v);
      const { seconds, nanos } = parseTime(v);
      const out: JsonObject = {};
      if (seconds !== 0) out.seconds = seconds;
      if (nanos !== 0) out.nanos = nanos;
      return out;
    }
    case DURATION: {
      if (typeof v !== 'string') throw encErr(path, 'a duration', v);
      const ns = parseDuration(v);
      return ns === 0n ? {} : { duration: ns.toString() } /* protobufjs takes int64 as a decimal string */;
    }
    case QUANTITY:
      if (typeof v === 'string') return { string: v };
      if (typeof v === 'number') return { string: String(v) };
      throw encErr(path, 'a quantity', v);
    case INT_OR_STRING:
      if (typeof v === 'number' && Number.isInteger(v)) return { type: 0, intVal: v };
      if (typeof v === 'string') return { type: 1, strVal: v };
      throw encErr(path, 'an integer or a string', v);
    case FIELDS_V1:
      return { Raw: Buffer.from(JSON.stringify(v)) };
    case RAW_EXTENSION:
      return { raw: Buffer.from(JSON.stringify(v)) };
  }
  const def = load().schema.messages[type];
  if (!def) throw new ProtobufEncodeError(`${path}: no protobuf message ${type}`);
  if (def.array) {
    if (!Array.isArray(v)) throw encErr(path, 'an array', v);
    const itemType = def.fields[0]?.type ?? 'string';
    return { items: v.map((x, i) => encodeScalar(itemType, x, `${path}[${i}]`)) };
  }
  if (!isRecord(v)) throw encErr(path, 'an object', v);
  const out: JsonObject = {};
  for (const f of def.fields) {
    if (f.inline) {
      // Inlined Go structs share the parent's JSON object.
      out[f.name] = encodeMessage(f.type, v, path);
      continue;
    }
    const key = f.json ?? f.name;
    const jv = v[key];
    if (jv === undefined || jv === null) continue;
    const p = `${path}.${key}`;
    if (f.rule === 'repeated') {
      if (!Array.isArray(jv)) throw encErr(p, 'an array', jv);
      out[f.name] = jv.map((x, i) => encodeValue(f.type, x, `${p}[${i}]`));
    } else if (f.rule === 'map') {
      if (!isRecord(jv)) throw encErr(p, 'an object', jv);
      const m: JsonObject = {};
      for (const k of Object.keys(jv).sort()) {
        if (jv[k] === null) continue;
        setKey(m, k, encodeValue(f.type, jv[k], `${p}[${k}]`));
      }
      out[f.name] = m;
    } else {
      out[f.name] = encodeValue(f.type, jv, p);
    }
  }
  return out;
}

function protoEncode(type: string, value: JsonObject): Uint8Array {
  return typeOf(type).encode(value).finish();
}

/** Encodes a message of the given full name from its JSON shape (no envelope). */
function encodeRaw(type: string, obj: JsonObject, path: string): Uint8Array {
  return protoEncode(type, encodeMessage(type, obj, path));
}

/**
 * Encodes an object (any known kind, its List, or a Status) as `k8s\0` + runtime.Unknown.
 * apiVersion and kind travel in the envelope, as upstream does.
 */
export function encodeObject(obj: JsonObject): Buffer {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const type = messageForKind(apiVersion, kind);
  if (!type) throw new ProtobufEncodeError(`no protobuf message is known for kind ${JSON.stringify(kind)} in ${JSON.stringify(apiVersion)}`);
  const raw = encodeRaw(type, obj, kind);
  const unk = protoEncode(UNKNOWN, { typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' });
  return Buffer.concat([PROTOBUF_MAGIC, unk]);
}

/**
 * One frame of a protobuf watch stream: a 4-byte big-endian length, then a bare meta.v1.WatchEvent whose
 * object holds the full `k8s\0` + Unknown encoding of obj.
 */
export function encodeWatchEvent(type: string, obj: JsonObject): Buffer {
  const event = protoEncode(WATCH_EVENT, { type, object: { raw: encodeObject(obj) } });
  const frame = Buffer.allocUnsafe(4 + event.length);
  frame.writeUInt32BE(event.length, 0);
  frame.set(event, 4);
  return frame;
}

/** Decodes one watch frame (with its length prefix) into {type, object}; the reverse of encodeWatchEvent. */
export function decodeWatchEvent(frame: Uint8Array): { type: string; object: JsonObject } {
  if (frame.length < 4) throw new ProtobufDecodeError('watch frame shorter than its length prefix');
  const len = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).readUInt32BE(0);
  if (len !== frame.length - 4) throw new ProtobufDecodeError(`watch frame length ${len} does not match its ${frame.length - 4} bytes`);
  try {
    const ev = protoDecode(WATCH_EVENT, frame.subarray(4));
    const type = typeof ev.type === 'string' ? ev.type : '';
    const o = isRecord(ev.object) && has(ev.object, 'raw') ? bytesOf(ev.object.raw) : new Uint8Array(0);
    return { type, object: decodeObject(o).object };
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw e;
    throw new ProtobufDecodeError(`malformed watch frame: ${e instanceof Error ? e.message : String(e)}`);
  }
}
