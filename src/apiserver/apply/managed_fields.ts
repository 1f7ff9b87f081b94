// metadata.managedFields: decoding entries into per-manager field sets, encoding them back in the
// order Kubernetes writes them, and the bookkeeping every write does (an Update takes ownership of
// what it changed; the oldest Update entries are merged once there are more than ten).
//
// Managers are told apart by an identifier: the JSON of their entry without time and fields, and,
// for appliers, without apiVersion (an applier stays one manager across versions). Conflict
// messages print managers from that identifier, so its shape matters.

import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { goJson, goQuote } from '../../api/errors.js';
import {
  FieldSet,
  FieldsV1Error,
  compareStrings,
  decodeFieldsV1,
  encodeFieldsV1,
  fieldElement,
  type Path,
} from './fieldset.js';

export type Operation = 'Apply' | 'Update';

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  /** RFC 3339; absent when the manager applied without changing anything on its first apply. */
  time?: string;
  set: FieldSet;
}

/** Entries by manager identifier. */
export type Managed = Map<string, ManagerEntry>;

/** The upper bound of Update entries kept; older ones are merged into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/** The identifier of a manager (Go field order: manager, operation, apiVersion, subresource). */
export function managerIdentifier(e: { manager: string; operation: Operation; apiVersion: string; subresource?: string }): string {
  let s = `{"manager":${goJson(e.manager)},"operation":${goJson(e.operation)}`;
  if (e.operation !== 'Apply' && e.apiVersion !== '') s += `,"apiVersion":${goJson(e.apiVersion)}`;
  if (e.subresource) s += `,"subresource":${goJson(e.subresource)}`;
  return `${s}}`;
}

/** A manager as conflict messages name it: `"kubectl"`, `"mgr" using apps/v1`. */
export function printManager(e: ManagerEntry): string {
  let s = goQuote(e.manager);
  if (e.subresource) s += ` with subresource ${goQuote(e.subresource)}`;
  // Identifiers carry no time, so the "at <time>" form upstream can print never appears here.
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

export class ManagedFieldsError extends Error {}

/** Decodes entries as the API server does; throws ManagedFieldsError on an invalid entry. */
export function decodeManagedFields(entries: unknown): Managed {
  const managed: Managed = new Map();
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new ManagedFieldsError('managedFields must be a list');
  entries.forEach((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ManagedFieldsError(`managed fields entry ${i} is not an object`);
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new ManagedFieldsError('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new ManagedFieldsError('apiVersion must not be empty');
    if (!e.fieldsType) throw new ManagedFieldsError(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new ManagedFieldsError(`invalid fieldsType ${goQuote(e.fieldsType)} in managed fields entry ${i}`);
    let set: FieldSet;
    try {
      set = decodeFieldsV1(e.fieldsV1);
    } catch (err) {
      const msg = err instanceof FieldsV1Error ? err.message : String(err);
      throw new ManagedFieldsError(`error decoding versioned set: ${msg}`);
    }
    const entry: ManagerEntry = { manager: e.manager ?? '', operation: e.operation, apiVersion: e.apiVersion, set };
    if (e.subresource) entry.subresource = e.subresource;
    if (e.time) entry.time = String(e.time);
    managed.set(managerIdentifier(entry), entry);
  });
  return managed;
}

function seconds(time: string | undefined): number {
  if (time === undefined) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/**
 * Entries in upstream's order: Apply before Update, then by time (seconds), manager, apiVersion
 * and subresource. Keys in metav1 JSON order. Empty `managed` gives [] (no managedFields).
 */
export function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] {
  const entries = [...managed.values()].sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const ps = seconds(p.time);
    const qs = seconds(q.time);
    if (ps !== qs) return ps < qs ? -1 : 1;
    return compareStrings(p.manager, q.manager) || compareStrings(p.apiVersion, q.apiVersion)
      || compareStrings(p.subresource ?? '', q.subresource ?? '');
  });
  return entries.map((e) => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time !== undefined) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = encodeFieldsV1(e.set);
    if (e.subresource) out.subresource = e.subresource;
    return out;
  });
}

export function cloneManaged(m: Managed): Managed {
  const out: Managed = new Map();
  for (const [id, e] of m) out.set(id, { ...e });
  return out;
}

/** Whether a request's managedFields ask to clear them: `[]` or a single empty entry. */
export function isResetManagedFields(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  const only: unknown = entries[0];
  return entries.length === 1 && typeof only === 'object' && only !== null && Object.keys(only).length === 0;
}

// Fields never tracked: type and identity metadata the server owns. Labels, annotations,
// finalizers, ownerReferences (and generateName, deletionGracePeriodSeconds, ...) stay tracked.
const STRIPPED: FieldSet = FieldSet.of(
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  [fieldElement('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((f): Path => [fieldElement('metadata'), fieldElement(f)]),
);

export function stripMeta(set: FieldSet): FieldSet {
  return set.difference(STRIPPED);
}

/** Removes every path at or below one of `prefixes` (fields the strategy resets, e.g. `status`). */
export function excludePrefixes(set: FieldSet, prefixes: FieldSet | undefined): FieldSet {
  if (prefixes === undefined || prefixes.isEmpty()) return set;
  const out = new FieldSet();
  for (const [t, pe] of set.members) if (!prefixes.members.has(t)) out.members.set(t, pe);
  for (const [t, c] of set.children) {
    if (prefixes.members.has(t)) continue;
    const sub = prefixes.children.get(t);
    const rest = sub ? excludePrefixes(c.set, sub.set) : c.set;
    if (!rest.isEmpty()) out.children.set(t, { pe: c.pe, set: rest });
  }
  return out;
}

/**
 * Merges the oldest Update entries into one `ancient-changes` entry per apiVersion until at most
 * MAX_UPDATE_MANAGERS Update entries remain.
 */
export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed.entries()].filter(([, e]) => e.operation === 'Update').map(([id]) => id);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => {
    const ta = seconds(managed.get(a)!.time);
    const tb = seconds(managed.get(b)!.time);
    return ta !== tb ? (ta < tb ? -1 : 1) : compareStrings(a, b);
  });
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i]!;
    const e = managed.get(id)!;
    const bucketEntry = { manager: ANCIENT_CHANGES, operation: 'Update' as const, apiVersion: e.apiVersion };
    const bucket = managerIdentifier(bucketEntry);
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, id);
      continue;
    }
    if (!managed.has(bucket)) {
      const f = managed.get(first)!;
      managed.delete(first);
      managed.set(bucket, { ...bucketEntry, set: f.set, ...(f.time !== undefined ? { time: f.time } : {}) });
    }
    const b = managed.get(bucket)!;
    const merged: ManagerEntry = { ...bucketEntry, set: e.set.union(b.set) };
    if (e.time !== undefined) merged.time = e.time;
    managed.delete(id);
    managed.set(bucket, merged);
    length--;
  }
}
