// The two entry points of field management, as pure functions of the objects involved:
//
//   computeUpdateManagedFields  after a create, update or (non-apply) patch: the manager takes
//                               ownership of every field it added or changed, others lose those
//   serverSideApply             an apply patch: merge the applied configuration into the live
//                               object, prune what the applier stopped applying, detect conflicts
//                               with other managers, record the applier's field set
//
// They reproduce the layers of Kubernetes' field manager (strip type/identity metadata from
// sets, one entry per manager identifier with the time of its last change, tracking only after
// create or first apply, at most ten Update entries, kubectl's client-side-apply upgrade path).

import type { ManagedFieldsEntry, StatusCause } from 'kubernetes-types/meta/v1.js';
import { ApiError, applyConflict, badRequest, field, fieldPath, goJson, invalid, type FieldError } from '../../api/errors.js';
import { FieldSet, compareStrings, fieldElement, pathString, type Json, type Path } from './fieldset.js';
import {
  ManagedFieldsError,
  capUpdateManagers,
  cloneManaged,
  decodeManagedFields,
  encodeManagedFields,
  excludePrefixes,
  isResetManagedFields,
  managerIdentifier,
  printManager,
  stripMeta,
  type Managed,
  type ManagerEntry,
} from './managed_fields.js';
import { schemaForKind, type TypeNode } from './schema.js';
import {
  compare,
  ensureNamedFieldsAreMembers,
  fieldSetOf,
  isObject,
  jsonEqual,
  materialize,
  merge,
  removeItems,
  validateApplied,
  type JsonObject,
} from './typed.js';
import { rfc3339 } from '../../api/time.js';

/** The annotation client-side `kubectl apply` keeps its last applied configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Upstream's fieldManager length limit. */
export const FIELD_MANAGER_MAX_LENGTH = 128;


function metaOf(obj: unknown): JsonObject | undefined {
  return isObject(obj) && isObject(obj.metadata) ? obj.metadata : undefined;
}

/** Field-name paths (`[['status']]`) as a set of prefixes. */
function prefixSet(paths: readonly (readonly string[])[] | undefined): FieldSet | undefined {
  if (!paths || paths.length === 0) return undefined;
  return FieldSet.of(...paths.map((p): Path => p.map((f) => fieldElement(f))));
}

function withoutManagedFields(obj: unknown): JsonObject {
  if (!isObject(obj)) return {};
  const meta = metaOf(obj);
  if (meta === undefined || !('managedFields' in meta)) return obj;
  const { managedFields: _m, ...rest } = meta;
  return { ...obj, metadata: rest };
}

function schemaOf(...objs: unknown[]): TypeNode {
  for (const o of objs) {
    if (isObject(o) && typeof o.apiVersion === 'string' && typeof o.kind === 'string') return schemaForKind(o.apiVersion, o.kind);
  }
  return schemaForKind('', '');
}

// ---- updates -----------------------------------------------------------------------------------

export interface UpdateOptions {
  /** The stored object; undefined for a create. */
  old: object | undefined;
  /** The object about to be stored (after patching, defaulting and the strategy). */
  updated: object;
  /** The field manager (`?fieldManager=`, or the User-Agent prefix; see managerFromUserAgent). */
  manager: string;
  operation: 'Update';
  /** The group/version the request was made in, e.g. `apps/v1`. */
  apiVersion: string;
  /** `status`, `scale`, ... when the write went to a subresource. */
  subresource?: string;
  now: Date;
  /**
   * Top-level fields the strategy resets for this endpoint (`[['status']]` for the main resource
   * of a kind with a status subresource); nobody gains ownership of them here.
   */
  resetFields?: readonly (readonly string[])[];
}

/** Managed fields to start from: the request's own (a client may edit them), else the stored ones. */
function startingManaged(old: unknown, updated: unknown, subresource: string | undefined): Managed {
  const liveEntries = metaOf(old)?.managedFields;
  const decodeOrEmpty = (entries: unknown): Managed => {
    try {
      return decodeManagedFields(entries);
    } catch {
      return new Map();
    }
  };
  // Subresource writes cannot set managedFields.
  if (subresource) return decodeOrEmpty(liveEntries);
  const requested = metaOf(updated)?.managedFields;
  if (isResetManagedFields(requested)) return new Map();
  try {
    const m = decodeManagedFields(requested);
    if (m.size > 0) return m;
  } catch {
    // An undecodable request falls back to the stored entries, as upstream does.
  }
  return decodeOrEmpty(liveEntries);
}

/**
 * Applies the changes between `lhs` and `rhs` to the other managers' sets: fields that changed or
 * appeared leave their sets; fields that disappeared leave every set. Returns the comparison and
 * the per-manager conflicts (sets of fields `rhs` changed that another manager owned).
 */
function updateOthers(opts: {
  lhs: unknown;
  rhs: unknown;
  node: TypeNode;
  managed: Managed;
  self: string;
  force: boolean;
  reset: FieldSet | undefined;
}): { changed: FieldSet; removed: FieldSet; conflicts: Map<string, FieldSet> } {
  const cmp = compare(materialize(opts.lhs, opts.node), materialize(opts.rhs, opts.node), opts.node);
  const changed = excludePrefixes(cmp.modified.union(cmp.added), opts.reset);
  const removed = excludePrefixes(cmp.removed, opts.reset);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, e] of opts.managed) {
    if (id === opts.self) continue;
    const c = e.set.intersection(changed);
    if (!c.isEmpty()) conflicts.set(id, c);
  }
  if (!opts.force && conflicts.size > 0) return { changed, removed, conflicts };
  for (const [id, e] of opts.managed) {
    if (id === opts.self) continue;
    const c = conflicts.get(id);
    let set = c ? e.set.difference(c) : e.set;
    if (!removed.isEmpty()) set = set.difference(removed);
    if (set.isEmpty()) opts.managed.delete(id);
    else opts.managed.set(id, { ...e, set });
  }
  return { changed, removed, conflicts };
}

/** One Update by `manager` from `lhs` to `rhs`, recorded into `managed` (mutated). */
function recordUpdate(opts: {
  lhs: unknown;
  rhs: unknown;
  node: TypeNode;
  managed: Managed;
  manager: string;
  apiVersion: string;
  subresource?: string;
  now: Date;
  reset: FieldSet | undefined;
}): void {
  const entry = { manager: opts.manager === '' ? 'unknown' : opts.manager, operation: 'Update' as const, apiVersion: opts.apiVersion };
  const full: ManagerEntry = { ...entry, set: new FieldSet(), ...(opts.subresource ? { subresource: opts.subresource } : {}) };
  const id = managerIdentifier(full);
  // The writer is compared as a fresh participant; its previous set is treated like anyone else's
  // and the two are united afterwards, so it keeps what it owned unless that was removed.
  const { changed } = updateOthers({ lhs: opts.lhs, rhs: opts.rhs, node: opts.node, managed: opts.managed, self: '', force: true, reset: opts.reset });
  const taken = stripMeta(changed);
  if (taken.isEmpty()) return;
  const previous = opts.managed.get(id);
  opts.managed.set(id, { ...full, set: previous ? taken.union(previous.set) : taken, time: rfc3339(opts.now) });
  capUpdateManagers(opts.managed);
}

/**
 * The managedFields the updated object should carry after a create, update or non-apply patch.
 * An empty result means the object carries no managedFields (delete the field): that happens when
 * a stored object had none (tracking starts at create or first apply) or the request reset them.
 */
export function computeUpdateManagedFields(opts: UpdateOptions): ManagedFieldsEntry[] {
  const managed = startingManaged(opts.old, opts.updated, opts.subresource);
  // Objects that predate field tracking (or had it reset) stay untracked until the next apply.
  if (managed.size === 0 && opts.old !== undefined) return [];
  const node = schemaOf(opts.updated, opts.old);
  recordUpdate({
    lhs: opts.old === undefined ? {} : withoutManagedFields(opts.old),
    rhs: withoutManagedFields(opts.updated),
    node,
    managed,
    manager: opts.manager,
    apiVersion: opts.apiVersion,
    subresource: opts.subresource,
    now: opts.now,
    reset: prefixSet(opts.resetFields),
  });
  return encodeManagedFields(managed);
}

// ---- apply ---------------------------------------------------------------------------------

export interface ApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  current: object | undefined;
  /** The applied configuration (the decoded apply-patch body). */
  applied: object;
  manager: string;
  force: boolean;
  /** The group/version of the endpoint, e.g. `apps/v1`. */
  apiVersion: string;
  /** The kind of the endpoint; defaults to the current object's kind. */
  kind?: string;
  subresource?: string;
  now: Date;
  /** As for updates: top-level fields the strategy resets (`[['status']]` on the main resource). */
  resetFields?: readonly (readonly string[])[];
}

export interface ApplyResult {
  /** The object to store (or create), with managedFields set. */
  object: JsonObject;
  /** False when the apply changed nothing but (possibly) managedFields. */
  changed: boolean;
}

/** `apps/v1, Kind=Deployment`, `/v1, Kind=Pod` (schema.GroupVersionKind's String). */
function gvkString(apiVersion: string, kind: string): string {
  return `${apiVersion.includes('/') ? apiVersion : `/${apiVersion}`}, Kind=${kind}`;
}

interface Conflict {
  manager: ManagerEntry;
  id: string;
  path: Path;
}

class Conflicts {
  constructor(readonly list: Conflict[]) {}
}

function conflictList(managed: Managed, conflicts: Map<string, FieldSet>): Conflict[] {
  const out: Conflict[] = [];
  const ids = [...conflicts.keys()].sort(compareStrings);
  for (const id of ids) for (const path of conflicts.get(id)!.paths()) out.push({ manager: managed.get(id)!, id, path });
  return out;
}

/** The 409 upstream answers: one line for one conflict, a list grouped by manager otherwise. */
export function conflictError(list: readonly { manager: ManagerEntry; id: string; path: Path }[]): ApiError {
  const causes: StatusCause[] = list.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  if (list.length === 1) {
    const c = list[0]!;
    return applyConflict(causes, `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${pathString(c.path)}`);
  }
  const byId = new Map<string, { manager: ManagerEntry; paths: Path[] }>();
  for (const c of list) {
    const g = byId.get(c.id) ?? { manager: c.manager, paths: [] };
    g.paths.push(c.path);
    byId.set(c.id, g);
  }
  const lines: string[] = [];
  for (const id of [...byId.keys()].sort(compareStrings)) {
    const g = byId.get(id)!;
    lines.push(`conflicts with ${printManager(g.manager)}:`);
    for (const p of g.paths) lines.push(`- ${pathString(p)}`);
  }
  return applyConflict(causes, `Apply failed with ${list.length} conflicts: ${lines.join('\n')}`);
}

/**
 * Prunes from `merged` what the applier applied last time and no longer applies, unless someone
 * else (or the new configuration) owns it; fields nobody owned that the applier never applied stay.
 */
function prune(merged: Json | undefined, managed: Managed, lastSet: FieldSet | undefined, node: TypeNode): Json | undefined {
  if (merged === undefined || lastSet === undefined || lastSet.isEmpty()) return merged;
  const named = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, node);
  const last = named(lastSet);
  const pruned = removeItems(merged, last, node);
  let owned = new FieldSet();
  for (const e of managed.values()) owned = owned.union(e.set);
  const mergedSet = named(fieldSetOf(merged, node));
  // Put back whatever any manager owns; then only remove what the applier itself had applied.
  const kept = removeItems(merged, mergedSet.difference(named(fieldSetOf(pruned, node)).union(named(owned))), node);
  const lost = mergedSet.difference(named(fieldSetOf(kept, node))).intersection(last);
  return removeItems(merged, lost, node);
}

function applyOnce(opts: {
  live: JsonObject;
  applied: JsonObject;
  node: TypeNode;
  managed: Managed;
  manager: string;
  apiVersion: string;
  subresource?: string;
  force: boolean;
  reset: FieldSet | undefined;
}): { object: JsonObject; managed: Managed; changed: boolean } | Conflicts {
  const managed = cloneManaged(opts.managed);
  const entry: ManagerEntry = {
    manager: opts.manager, operation: 'Apply', apiVersion: opts.apiVersion, set: new FieldSet(),
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  const id = managerIdentifier(entry);
  const last = managed.get(id);
  const set = excludePrefixes(fieldSetOf(opts.applied, opts.node), opts.reset);
  managed.set(id, { ...entry, set, ...(last?.time !== undefined ? { time: last.time } : {}) });
  let merged = merge(opts.live, opts.applied, opts.node);
  merged = prune(merged, managed, last?.set, opts.node);
  const object = isObject(merged) ? merged : {};
  const { conflicts } = updateOthers({
    lhs: opts.live, rhs: object, node: opts.node, managed, self: id, force: opts.force, reset: opts.reset,
  });
  if (!opts.force && conflicts.size > 0) return new Conflicts(conflictList(managed, conflicts));
  const own = stripMeta(managed.get(id)!.set);
  if (own.isEmpty()) managed.delete(id);
  else managed.set(id, { ...managed.get(id)!, set: own });
  return { object, managed, changed: !jsonEqual(opts.live, object) };
}

/** The fields kubectl's last-applied annotation still describes truthfully (for kubectl's upgrade). */
function allowedFromLastApplied(live: JsonObject, apiVersion: string, node: TypeNode): FieldSet | undefined {
  const text = metaOf(live)?.annotations;
  const raw = isObject(text) ? text[LAST_APPLIED_ANNOTATION] : undefined;
  if (typeof raw !== 'string' || raw === '') return undefined;
  let last: unknown;
  try {
    last = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(last) || last.apiVersion !== apiVersion) return undefined;
  if (validateApplied(last, node).length > 0) return undefined;
  const cmp = compare(last, materialize(live, node), node);
  return fieldSetOf(last, node).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

/** JSON as Go's encoding/json writes a map: keys sorted, HTML-safe escaping; newline-terminated. */
function sortedJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort(compareStrings).map((k) => `${goJson(k)}:${sortedJson(v[k]!)}`).join(',')}}`;
  }
  return goJson(v);
}

function buildLastApplied(applied: JsonObject): string {
  const meta = metaOf(applied);
  let obj = applied;
  if (meta && isObject(meta.annotations) && LAST_APPLIED_ANNOTATION in meta.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _drop, ...annotations } = meta.annotations;
    obj = { ...applied, metadata: { ...meta, annotations } };
  }
  return `${sortedJson(obj)}\n`;
}

/**
 * Server-side apply. Returns the object to store (the merged object, or the live object with new
 * managedFields when nothing else changed); throws ApiError: 400 for a wrong kind/version or a body
 * carrying managedFields, 409 Conflict listing conflicting managers (unless `force`), 500 for an
 * unusable configuration (list elements without keys, duplicate keys) as upstream does.
 */
export function serverSideApply(opts: ApplyOptions): ApplyResult {
  if (!isObject(opts.applied)) throw badRequest('the body of the request was in an unknown format');
  const applied = opts.applied;
  const kind = opts.kind ?? (isObject(opts.current) && typeof opts.current.kind === 'string' ? opts.current.kind : undefined)
    ?? (typeof applied.kind === 'string' ? applied.kind : '');
  const appliedVersion = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  const appliedKind = typeof applied.kind === 'string' ? applied.kind : '';
  if (appliedVersion !== opts.apiVersion || appliedKind !== kind) throw badRequest(`invalid object type: ${gvkString(appliedVersion, appliedKind)}`);
  const appliedMeta = metaOf(applied);
  if (appliedMeta && appliedMeta.managedFields !== undefined && appliedMeta.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const node = schemaForKind(opts.apiVersion, kind);
  const errs = validateApplied(applied, node);
  if (errs.length > 0) {
    const ns = typeof appliedMeta?.namespace === 'string' ? appliedMeta.namespace : '';
    const name = typeof appliedMeta?.name === 'string' ? appliedMeta.name : '';
    const detail = errs.length === 1 ? errs[0]! : `errors:\n${errs.map((e) => `  ${e}`).join('\n')}`;
    // Upstream surfaces this as a plain (500, reasonless) error.
    throw new ApiError({ code: 500, reason: '', message: `failed to create typed patch object (${ns}/${name}; ${gvkString(appliedVersion, appliedKind)}): ${detail}` });
  }

  let managed: Managed;
  try {
    managed = decodeManagedFields(metaOf(opts.current)?.managedFields);
  } catch (err) {
    const msg = err instanceof ManagedFieldsError ? err.message : String(err);
    throw new ApiError({ code: 500, reason: '', message: `failed to decode managed fields: ${msg}` });
  }
  const reset = prefixSet(opts.resetFields);
  const live = opts.current === undefined ? {} : withoutManagedFields(opts.current);
  // An object nobody tracked yet: whatever it holds is attributed to `before-first-apply`, so the
  // first applier conflicts with existing values instead of silently taking them.
  if (managed.size === 0 && opts.current !== undefined) {
    recordUpdate({ lhs: {}, rhs: live, node, managed, manager: 'before-first-apply', apiVersion: opts.apiVersion, now: opts.now, reset });
  }

  const run = (force: boolean) => applyOnce({
    live, applied, node, managed, manager: opts.manager, apiVersion: opts.apiVersion, subresource: opts.subresource, force, reset,
  });
  let result = run(opts.force);
  if (result instanceof Conflicts && opts.manager === 'kubectl') {
    // kubectl's upgrade from client-side apply: conflicts on fields the last-applied annotation
    // still describes are the user's own and are taken over.
    const allowed = allowedFromLastApplied(live, opts.apiVersion, node);
    if (allowed !== undefined) {
      const remaining = result.list.filter((c) => !allowed.has(c.path));
      result = remaining.length === 0 ? run(true) : new Conflicts(remaining);
    }
  }
  if (result instanceof Conflicts) throw conflictError(result.list);

  const id = managerIdentifier({ manager: opts.manager, operation: 'Apply', apiVersion: '', subresource: opts.subresource });
  const object = result.changed ? structuredClone(result.object) : structuredClone(live);
  if (result.changed && result.managed.has(id)) result.managed.set(id, { ...result.managed.get(id)!, time: rfc3339(opts.now) });

  if (opts.manager === 'kubectl') {
    const annotations = metaOf(object)?.annotations;
    if (isObject(annotations) && typeof annotations[LAST_APPLIED_ANNOTATION] === 'string' && annotations[LAST_APPLIED_ANNOTATION] !== '') {
      annotations[LAST_APPLIED_ANNOTATION] = buildLastApplied(applied);
    }
  }
  // The annotation sync can change an otherwise unchanged object.
  const changed = result.changed || !jsonEqual(live, object);
  const entries = encodeManagedFields(result.managed);
  const meta: JsonObject = isObject(object.metadata) ? object.metadata : (object.metadata = {});
  if (entries.length > 0) meta.managedFields = entries as unknown as Json;
  else delete meta.managedFields;
  return { object, changed };
}

// ---- request options ------------------------------------------------------------------------------

/** Unicode's "printable" as Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols, ASCII space. */
function isPrint(ch: string): boolean {
  return ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}

/**
 * Validates the fieldManager and force options of a PATCH (metav1 ValidatePatchOptions): apply
 * requires a manager; force is only for apply; managers are at most 128 bytes of printable text.
 * Returns the 422 upstream answers (`PatchOptions.meta.k8s.io "" is invalid: ...`), or undefined.
 */
export function validatePatchOptions(opts: { apply: boolean; fieldManager: string | undefined; force: string | boolean | undefined }): ApiError | undefined {
  const errs: FieldError[] = [];
  const m = opts.fieldManager ?? '';
  if (opts.apply && m === '') errs.push(field.required(fieldPath('fieldManager'), 'is required for apply patch'));
  if (!opts.apply && opts.force !== undefined) errs.push(field.forbidden(fieldPath('force'), 'may not be specified for non-apply patch'));
  errs.push(...validateFieldManager(m));
  return errs.length > 0 ? invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', errs) : undefined;
}

/** ValidateFieldManager for create/update options too (length in UTF-8 bytes, printable runes). */
export function validateFieldManager(manager: string): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(manager, 'utf8') > FIELD_MANAGER_MAX_LENGTH) errs.push(field.tooLong(fieldPath('fieldManager'), FIELD_MANAGER_MAX_LENGTH));
  let pos = 0;
  for (const ch of manager) {
    if (!isPrint(ch)) {
      const cp = ch.codePointAt(0)!;
      errs.push(field.invalid(fieldPath('fieldManager'), manager, `invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (at position ${pos})`));
    }
    pos += Buffer.byteLength(ch, 'utf8');
  }
  return errs;
}

/**
 * The manager name of a request without `?fieldManager=`: the User-Agent up to its first `/`,
 * non-printable characters dropped, cut to 128 bytes (`kubectl/v1.32.0 (linux/amd64)` → `kubectl`).
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!;
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!isPrint(ch)) continue;
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}
