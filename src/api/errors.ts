// API errors as values: ApiError carries an HTTP code, a metav1 StatusReason and details, and
// renders as the metav1.Status body the API server writes. Field-level validation errors
// (FieldError, FieldPath) live here too because Invalid errors are built from them.
//
// Message texts, codes and the JSON shape reproduce Kubernetes apimachinery exactly, because
// kubectl prints them verbatim and users compare its output with a real cluster's.

import type { Status, StatusCause, StatusDetails } from 'kubernetes-types/meta/v1.js';

/** A metav1.StatusReason; the named ones are those the API server produces. */
export type StatusReason =
  | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'Invalid'
  | 'ServerTimeout' | 'StoreReadError' | 'Timeout' | 'TooManyRequests' | 'BadRequest' | 'MethodNotAllowed'
  | 'NotAcceptable' | 'RequestEntityTooLarge' | 'UnsupportedMediaType' | 'InternalError' | 'Expired'
  | 'ServiceUnavailable' | '';

export interface GroupResource { group: string; resource: string }
export interface GroupKind { group: string; kind: string }

/** `pods` for the core group, `deployments.apps` otherwise (schema.GroupResource.String). */
export function groupResourceString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** `Pod` for the core group, `Deployment.apps` otherwise (schema.GroupKind.String). */
export function groupKindString(gk: GroupKind): string {
  return gk.group === '' ? gk.kind : `${gk.kind}.${gk.group}`;
}

// ---------------------------------------------------------------------------------------------
// Go-compatible value rendering. Field errors print bad values the way Go's fmt and encoding/json
// do, so strings are quoted with strconv.Quote rules and composite values are JSON with Go's
// HTML-safe escaping.

const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Quotes a string as Go's strconv.Quote (and so fmt's %q) does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (cp === 0x20 || !NON_PRINTABLE.test(ch)) {
      // A lone surrogate cannot be valid UTF-8; Go would see replacement bytes.
      if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
      else out += ch;
    } else if (cp < 0x80) {
      out += '\\x' + cp.toString(16).padStart(2, '0');
    } else if (cp < 0x10000) {
      out += '\\u' + cp.toString(16).padStart(4, '0');
    } else {
      out += '\\U' + cp.toString(16).padStart(8, '0');
    }
  }
  return out + '"';
}

/** JSON as Go's encoding/json writes it: <, > and & escaped, as are U+2028 and U+2029. */
export function goJson(v: unknown): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)) ?? 'null';
  return s.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + (c.codePointAt(0) ?? 0).toString(16).padStart(4, '0'));
}

// ---------------------------------------------------------------------------------------------
// Field paths

/** An immutable path to a field, rendered as `spec.containers[0].ports[http]`. */
export class FieldPath {
  private constructor(
    private readonly name: string,
    private readonly subscript: string | undefined,
    private readonly parent: FieldPath | undefined,
  ) {}

  static root(name: string, ...more: string[]): FieldPath {
    let p = new FieldPath(name, undefined, undefined);
    for (const n of more) p = new FieldPath(n, undefined, p);
    return p;
  }

  child(name: string, ...more: string[]): FieldPath {
    let p = new FieldPath(name, undefined, this);
    for (const n of more) p = new FieldPath(n, undefined, p);
    return p;
  }

  index(i: number): FieldPath {
    return new FieldPath('', String(i), this);
  }

  key(k: string): FieldPath {
    return new FieldPath('', k, this);
  }

  toString(): string {
    const elems: FieldPath[] = [];
    for (let p: FieldPath | undefined = this; p !== undefined; p = p.parent) elems.push(p);
    let out = '';
    for (let i = elems.length - 1; i >= 0; i--) {
      const e = elems[i]!;
      if (e.subscript !== undefined) {
        out += `[${e.subscript}]`;
      } else {
        if (e.parent !== undefined && e.name.length > 0) out += '.';
        out += e.name;
      }
    }
    return out;
  }
}

/** Starts a field path: `fieldPath('spec').child('containers').index(0)`. */
export function fieldPath(name: string, ...more: string[]): FieldPath {
  return FieldPath.root(name, ...more);
}

/**
 * Where upstream passes a nil *field.Path (e.g. labels.Parse without a path option), the field
 * renders as "<nil>" and children of it start a fresh path; these two helpers reproduce that.
 */
export function pathString(p: FieldPath | undefined): string {
  return p === undefined ? '<nil>' : p.toString();
}
export function childOf(p: FieldPath | undefined, name: string): FieldPath {
  return p === undefined ? fieldPath(name) : p.child(name);
}

// ---------------------------------------------------------------------------------------------
// Field errors

/** field.ErrorType; these strings are also the `reason` of a Status cause. */
export type FieldErrorType =
  | 'FieldValueNotFound' | 'FieldValueRequired' | 'FieldValueDuplicate' | 'FieldValueInvalid'
  | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany'
  | 'FieldValueTooFew' | 'InternalError' | 'FieldValueTypeInvalid' | 'FieldValueTooShort';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTooFew: 'Too few',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueTooShort: 'Too short',
};

/** Marks a bad value that must not be printed (upstream's omitValue). */
export const OMIT_VALUE: unique symbol = Symbol('omitValue');

function renderValue(v: unknown): string {
  switch (typeof v) {
    case 'string': return goQuote(v);
    case 'number': return String(v);
    case 'bigint': return String(v);
    case 'boolean': return String(v);
    default: return goJson(v === undefined ? null : v);
  }
}

/** One field-level validation error (apimachinery's field.Error). */
export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly badValue: unknown,
    readonly detail: string,
  ) {}

  /** The message without the field name; used as a Status cause's message. */
  body(): string {
    let s: string;
    switch (this.type) {
      case 'FieldValueRequired': case 'FieldValueForbidden': case 'FieldValueTooLong':
      case 'FieldValueTooShort': case 'InternalError':
        s = TYPE_TEXT[this.type];
        break;
      default:
        s = this.badValue === OMIT_VALUE ? TYPE_TEXT[this.type] : `${TYPE_TEXT[this.type]}: ${renderValue(this.badValue)}`;
    }
    return this.detail.length > 0 ? `${s}: ${this.detail}` : s;
  }

  toString(): string {
    return `${this.field}: ${this.body()}`;
  }
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/**
 * Constructors of field errors, named as apimachinery's field package names them:
 * `field.required(path, detail)`, `field.invalid(path, value, detail)`, ...
 */
export const field = {
  required(path: FieldPath, detail = ''): FieldError {
    return new FieldError('FieldValueRequired', path.toString(), '', detail);
  },
  invalid(path: FieldPath, value: unknown, detail = ''): FieldError {
    return new FieldError('FieldValueInvalid', path.toString(), value, detail);
  },
  typeInvalid(path: FieldPath, value: unknown, detail = ''): FieldError {
    return new FieldError('FieldValueTypeInvalid', path.toString(), value, detail);
  },
  duplicate(path: FieldPath, value: unknown): FieldError {
    return new FieldError('FieldValueDuplicate', path.toString(), value, '');
  },
  notFound(path: FieldPath, value: unknown): FieldError {
    return new FieldError('FieldValueNotFound', path.toString(), value, '');
  },
  notSupported(path: FieldPath, value: unknown, validValues: readonly string[]): FieldError {
    const detail = validValues.length > 0 ? 'supported values: ' + validValues.map(goQuote).join(', ') : '';
    return new FieldError('FieldValueNotSupported', path.toString(), value, detail);
  },
  forbidden(path: FieldPath, detail = ''): FieldError {
    return new FieldError('FieldValueForbidden', path.toString(), '', detail);
  },
  /** In bytes; a negative maxLength means "unknown limit". The value itself is never printed. */
  tooLong(path: FieldPath, maxLength: number): FieldError {
    const detail = maxLength >= 0 ? `may not be more than ${maxLength} ${plural(maxLength, 'byte', 'bytes')}` : 'value is too long';
    return new FieldError('FieldValueTooLong', path.toString(), '<value omitted>', detail);
  },
  tooLongCharacters(path: FieldPath, maxLength: number): FieldError {
    const detail = maxLength >= 0 ? `may not be more than ${maxLength} ${plural(maxLength, 'character', 'characters')}` : 'value is too long';
    return new FieldError('FieldValueTooLong', path.toString(), '<value omitted>', detail);
  },
  tooShort(path: FieldPath, value: string, minLength: number): FieldError {
    const detail = minLength >= 0 ? `must be at least ${minLength} ${plural(minLength, 'character', 'characters')}` : 'value is too short';
    return new FieldError('FieldValueTooShort', path.toString(), value, detail);
  },
  /** A negative actual count omits the value; a negative maximum means "unknown limit". */
  tooMany(path: FieldPath, actual: number, max: number): FieldError {
    const detail = max >= 0 ? `must have at most ${max} ${plural(max, 'item', 'items')}` : 'has too many items';
    return new FieldError('FieldValueTooMany', path.toString(), actual >= 0 ? actual : OMIT_VALUE, detail);
  },
  tooFew(path: FieldPath, actual: number, min: number): FieldError {
    const detail = min >= 0 ? `must have at least ${min} ${plural(min, 'item', 'items')}` : 'has too few items';
    return new FieldError('FieldValueTooFew', path.toString(), actual, detail);
  },
  internal(path: FieldPath, err: unknown): FieldError {
    const msg = errorText(err);
    return new FieldError('InternalError', path.toString(), msg, msg);
  },
} as const;

/**
 * Renders a list as util/errors.Aggregate does: duplicates dropped, one message bare, several in
 * brackets joined by ", ". Returns '' for an empty list.
 */
export function aggregateMessage(errs: readonly { toString(): string }[]): string {
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errs) {
    const m = e.toString();
    if (!seen.has(m)) {
      seen.add(m);
      msgs.push(m);
    }
  }
  if (msgs.length === 0) return '';
  if (msgs.length === 1) return msgs[0]!;
  return `[${msgs.join(', ')}]`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------------------------------------------------------------------------------------------
// ApiError

export interface ApiErrorOptions {
  code: number;
  reason: StatusReason | string;
  message: string;
  details?: StatusDetails;
}

/** An error the API server answers with; `toStatus()` is the response body. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason | string;
  readonly details: StatusDetails | undefined;

  constructor(opts: ApiErrorOptions) {
    super(opts.message);
    this.name = 'ApiError';
    this.code = opts.code;
    this.reason = opts.reason;
    this.details = opts.details;
  }

  /**
   * The metav1.Status body, keys in the order and with the omissions of Go's JSON encoding
   * (empty fields dropped, but a present-yet-empty `details` kept as `{}` as Go does).
   */
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure' };
    if (this.message !== '') s.message = this.message;
    if (this.reason !== '') s.reason = this.reason;
    if (this.details !== undefined) s.details = renderDetails(this.details);
    if (this.code !== 0) s.code = this.code;
    return s;
  }

  /** Rebuilds an error from a Status body (client side). */
  static fromStatus(s: Status): ApiError {
    return new ApiError({ code: s.code ?? 0, reason: s.reason ?? '', message: s.message ?? '', details: s.details });
  }
}

function renderDetails(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) {
    out.causes = d.causes.map((c) => {
      const rc: StatusCause = {};
      if (c.reason) rc.reason = c.reason;
      if (c.message) rc.message = c.message;
      if (c.field) rc.field = c.field;
      return rc;
    });
  }
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

export function isApiError(x: unknown): x is ApiError {
  return x instanceof ApiError;
}

/** True when `x` is an ApiError with this reason (e.g. `hasReason(err, 'NotFound')`). */
export function hasReason(x: unknown, reason: StatusReason): boolean {
  return x instanceof ApiError && x.reason === reason;
}

function resourceDetails(gr: GroupResource, name: string): StatusDetails {
  return { name, group: gr.group, kind: gr.resource };
}

/** The inner text of the usual optimistic-concurrency conflict. */
export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError({ code: 404, reason: 'NotFound', details: resourceDetails(gr, name),
    message: `${groupResourceString(gr)} ${goQuote(name)} not found` });
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError({ code: 409, reason: 'AlreadyExists', details: resourceDetails(gr, name),
    message: `${groupResourceString(gr)} ${goQuote(name)} already exists` });
}

/** The server could not find a free generated name; the client should retry. */
export function generateNameConflict(gr: GroupResource, name: string, retryAfterSeconds: number): ApiError {
  return new ApiError({ code: 409, reason: 'AlreadyExists', details: { ...resourceDetails(gr, name), retryAfterSeconds },
    message: `${groupResourceString(gr)} ${goQuote(name)} already exists, the server was not able to generate a unique name for the object` });
}

export function conflict(gr: GroupResource, name: string, err: unknown = OBJECT_MODIFIED): ApiError {
  return new ApiError({ code: 409, reason: 'Conflict', details: resourceDetails(gr, name),
    message: `Operation cannot be fulfilled on ${groupResourceString(gr)} ${goQuote(name)}: ${errorText(err)}` });
}

/** Server-side apply conflicts: causes name the conflicting managers and fields. */
export function applyConflict(causes: StatusCause[], message: string): ApiError {
  return new ApiError({ code: 409, reason: 'Conflict', details: { causes }, message });
}

export function invalid(gk: GroupKind, name: string, errs: readonly FieldError[]): ApiError {
  const causes: StatusCause[] = errs.map((e) => ({ reason: e.type, message: e.body(), field: e.field }));
  const agg = aggregateMessage(errs);
  const base = `${groupKindString(gk)} ${goQuote(name)} is invalid`;
  return new ApiError({ code: 422, reason: 'Invalid', details: { name, group: gk.group, kind: gk.kind, causes },
    message: agg === '' ? base : `${base}: ${agg}` });
}

export function badRequest(message: string): ApiError {
  return new ApiError({ code: 400, reason: 'BadRequest', message });
}

export function unauthorized(reason = ''): ApiError {
  return new ApiError({ code: 401, reason: 'Unauthorized', message: reason === '' ? 'not authorized' : reason });
}

export function forbidden(gr: GroupResource, name: string, err: unknown): ApiError {
  const grs = groupResourceString(gr);
  const text = errorText(err);
  let message: string;
  if (gr.group === '' && gr.resource === '') message = `forbidden: ${text}`;
  else if (name === '') message = `${grs} is forbidden: ${text}`;
  else message = `${grs} ${goQuote(name)} is forbidden: ${text}`;
  return new ApiError({ code: 403, reason: 'Forbidden', details: resourceDetails(gr, name), message });
}

export function methodNotSupported(gr: GroupResource, action: string): ApiError {
  return new ApiError({ code: 405, reason: 'MethodNotAllowed', details: { group: gr.group, kind: gr.resource },
    message: `${action} is not supported on resources of kind ${goQuote(groupResourceString(gr))}` });
}

/** 410 with reason Gone (upstream's deprecated NewGone). Watches should use resourceExpired. */
export function gone(message: string): ApiError {
  return new ApiError({ code: 410, reason: 'Gone', message });
}

/** 410 with reason Expired: the requested resourceVersion is no longer available. */
export function resourceExpired(message: string): ApiError {
  return new ApiError({ code: 410, reason: 'Expired', message });
}

/** What the watch cache answers for a compacted resourceVersion: `too old resource version: 5 (10)`. */
export function tooOldResourceVersion(requested: number | string, current: number | string): ApiError {
  return resourceExpired(`too old resource version: ${requested} (${current})`);
}

export function requestEntityTooLarge(message: string): ApiError {
  return new ApiError({ code: 413, reason: 'RequestEntityTooLarge', message: `Request entity too large: ${message}` });
}

/** The request body's Content-Type is not one the endpoint decodes. */
export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError({ code: 415, reason: 'UnsupportedMediaType',
    message: `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}` });
}

/** No media type in the Accept header can be produced. */
export function notAcceptable(accepted: readonly string[]): ApiError {
  return new ApiError({ code: 406, reason: 'NotAcceptable',
    message: `only the following media types are accepted: ${accepted.join(', ')}` });
}

/** 429 with a retry hint in details (upstream NewTooManyRequests; used by eviction). */
export function tooManyRequests(message: string, retryAfterSeconds = 0): ApiError {
  return new ApiError({ code: 429, reason: 'TooManyRequests', message, details: { retryAfterSeconds } });
}

/** 429 prefixed "Too many requests: " without details (upstream NewTooManyRequestsError). */
export function tooManyRequestsError(message: string): ApiError {
  return new ApiError({ code: 429, reason: 'TooManyRequests', message: `Too many requests: ${message}` });
}

export function internalError(err: unknown): ApiError {
  const text = errorText(err);
  return new ApiError({ code: 500, reason: 'InternalError', details: { causes: [{ message: text }] },
    message: `Internal error occurred: ${text}` });
}

export function serviceUnavailable(reason: string): ApiError {
  return new ApiError({ code: 503, reason: 'ServiceUnavailable', message: reason });
}

/** 504: the request timed out but may still complete. */
export function timeout(message: string, retryAfterSeconds = 0): ApiError {
  return new ApiError({ code: 504, reason: 'Timeout', message: `Timeout: ${message}`, details: { retryAfterSeconds } });
}

/** 500 ServerTimeout: a transient failure of `operation` against a resource; retry. */
export function serverTimeout(gr: GroupResource, operation: string, retryAfterSeconds = 0): ApiError {
  return new ApiError({ code: 500, reason: 'ServerTimeout',
    details: { group: gr.group, kind: gr.resource, name: operation, retryAfterSeconds },
    message: `The ${operation} operation against ${groupResourceString(gr)} could not be completed at this time, please try again.` });
}
