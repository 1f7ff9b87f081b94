// Server-side printing: the `meta.k8s.io` Table and PartialObjectMetadata forms of get and list.
//
// kubectl asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...;v=v1beta1..., application/json`
// and prints the Table it gets back verbatim: the server decides the columns and every cell's
// text, so the columns here are the ones Kubernetes 1.32's printers declare (one file per kind
// under printers/, listed in printers/registry.ts). Kinds without a printer get Kubernetes'
// default table, NAME and CREATED AT. The server always fills every column; kubectl hides the
// priority-1 ones unless `-o wide`. Metadata-only clients (client-go's metadata informers, the
// garbage collector) ask `as=PartialObjectMetadata[List]` and get objects stripped to metadata.
//
// The HTTP layer calls negotiateObjectForm (or wantsTable / wantsPartialObjectMetadata) on the
// Accept header, then toTable / toPartialObjectMetadata[List] on what it read from the store, and
// answers with the form's contentType.

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { ResourceInfo } from '../api/resources.js';
import { rfc3339 } from './printers/format.js';
import { columnDefinitions, NAME_COLUMN, type ColumnSpec, type PrintContext } from './printers/printer.js';
import { printerFor } from './printers/registry.js';
import { parseAccept } from './accept.js';

export { humanDuration, NONE, PENDING, UNKNOWN, UNSET } from './printers/format.js';

export const META_GROUP = 'meta.k8s.io';
export type MetaVersion = 'v1' | 'v1beta1';

export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** `name` for the column holding the object's name; otherwise empty. */
  format: string;
  description: string;
  /** 0 is always shown; higher numbers only in wide output. */
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export type TableCell = string | number | boolean;

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  /** PartialObjectMetadata (includeObject=Metadata), the whole object (Object), absent (None). */
  object?: Record<string, unknown>;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: ListMeta;
  /** Omitted when the caller asked for no headers (upstream TableOptions.NoHeaders). */
  columnDefinitions?: TableColumnDefinition[];
  rows: TableRow[];
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: string;
  metadata: ObjectMeta;
}

export interface PartialObjectMetadataList {
  kind: 'PartialObjectMetadataList';
  apiVersion: string;
  metadata: ListMeta;
  items: PartialObjectMetadata[];
}

/** TableOptions.includeObject: what each row's `object` holds. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

// ---------------------------------------------------------------------------------------------
// Accept negotiation

/** The transformed forms a client may ask for with `;as=<Kind>;g=meta.k8s.io;v=<version>`. */
export type MetaForm = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

export type ObjectForm =
  /** The resource itself (plain `application/json`, no Accept header, `*` wildcards). */
  | { readonly as: 'Object'; readonly mediaType: string }
  | { readonly as: MetaForm; readonly version: MetaVersion; readonly mediaType: string; readonly contentType: string }
  /** Nothing in the header can be served: answer 406 NotAcceptable. */
  | { readonly as: 'NotAcceptable' };

export interface NegotiateOptions {
  /** Whether the server can encode the plain object as protobuf (meta forms are JSON only here). */
  readonly protobuf?: boolean;
}

const JSON_TYPE = 'application/json';
const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';


function isMetaForm(as: string): as is MetaForm {
  return as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList';
}

/** `application/json;as=Table;v=v1;g=meta.k8s.io`, the Content-Type of a meta form response. */
export function metaContentType(as: MetaForm, version: MetaVersion = 'v1'): string {
  return `${JSON_TYPE};as=${as};v=${version};g=${META_GROUP}`;
}

/**
 * Picks the response form from an Accept header: the first range (by q, then client order) the
 * server can produce. A range naming a form or group/version we do not serve is skipped, as
 * Kubernetes skips it, so kubectl's trailing plain `application/json` is the fallback.
 */
export function negotiateObjectForm(accept: string | undefined, options: NegotiateOptions = {}): ObjectForm {
  if (accept === undefined || accept.trim() === '') return { as: 'Object', mediaType: JSON_TYPE };
  for (const m of parseAccept(accept)) {
    const jsonish = m.type === JSON_TYPE || m.type === 'application/*' || m.type === '*/*';
    const protobuf = m.type === PROTOBUF_TYPE && options.protobuf === true;
    if (!jsonish && !protobuf) continue;
    const as = m.params.get('as');
    if (as === undefined) {
      // A bare media type is the object itself, unless it pins some other group/version.
      if (m.params.has('g') || m.params.has('v')) continue;
      return { as: 'Object', mediaType: protobuf ? PROTOBUF_TYPE : JSON_TYPE };
    }
    if (!jsonish || !isMetaForm(as) || m.params.get('g') !== META_GROUP) continue;
    const v = m.params.get('v');
    if (v !== 'v1' && v !== 'v1beta1') continue;
    return { as, version: v, mediaType: JSON_TYPE, contentType: metaContentType(as, v) };
  }
  return { as: 'NotAcceptable' };
}

/** True when the Accept header's preferred servable form is a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return negotiateObjectForm(accept).as === 'Table';
}

/** True when the preferred servable form is PartialObjectMetadata or PartialObjectMetadataList. */
export function wantsPartialObjectMetadata(accept: string | undefined): boolean {
  const as = negotiateObjectForm(accept).as;
  return as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList';
}

/**
 * The `includeObject` query parameter (upstream TableOptions): Metadata when absent, undefined
 * when the value is not one of the three (the caller answers 400 BadRequest).
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObject | undefined {
  if (value === null || value === undefined || value === '') return 'Metadata';
  return value === 'None' || value === 'Metadata' || value === 'Object' ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Conversions

function metaApiVersion(version: MetaVersion | undefined): string {
  return `${META_GROUP}/${version ?? 'v1'}`;
}

function metadataOf(object: Record<string, unknown>): ObjectMeta {
  const m = object.metadata;
  // Stored objects always carry an ObjectMeta; anything else reads as empty metadata.
  return typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as ObjectMeta) : {};
}

function listMeta(meta: ListMeta | undefined): ListMeta {
  const out: ListMeta = {};
  if (meta?.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  if (meta?.continue) out.continue = meta.continue;
  if (meta?.remainingItemCount !== undefined) out.remainingItemCount = meta.remainingItemCount;
  return out;
}

/** The object reduced to its metadata, kind PartialObjectMetadata (managedFields included, as upstream). */
export function toPartialObjectMetadata(object: Record<string, unknown>, options: { version?: MetaVersion } = {}): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: metaApiVersion(options.version), metadata: metadataOf(object) };
}

/** A list reduced to metadata; `listMeta` carries the list's resourceVersion and continue token. */
export function toPartialObjectMetadataList(
  objects: readonly Record<string, unknown>[],
  options: { listMeta?: ListMeta; version?: MetaVersion } = {},
): PartialObjectMetadataList {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: metaApiVersion(options.version),
    metadata: listMeta(options.listMeta),
    items: objects.map((o) => toPartialObjectMetadata(o, options)),
  };
}

export interface TableOptions {
  /** What each row's `object` holds; upstream's default is Metadata. */
  includeObject?: IncludeObject;
  /** resourceVersion/continue of the list, or the object's resourceVersion for a single get. */
  listMeta?: ListMeta;
  /** "Now" for ages; defaults to the current time. */
  now?: Date;
  /** meta.k8s.io version of the Table (v1beta1 only for clients that ask for it). */
  version?: MetaVersion;
  /** Leave out columnDefinitions (rows only), as upstream does for TableOptions.NoHeaders. */
  noHeaders?: boolean;
}

// Kubernetes' default table for kinds without a printer: the creation time as RFC 3339, not an age.
const DEFAULT_COLUMNS: readonly ColumnSpec[] = [
  NAME_COLUMN,
  { name: 'Created At', type: 'date', description: { definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', field: 'creationTimestamp' } },
];

function rowObject(object: Record<string, unknown>, include: IncludeObject, version: MetaVersion | undefined): Record<string, unknown> | undefined {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return object;
    case 'Metadata':
      return { ...toPartialObjectMetadata(object, { version }) };
  }
}

/**
 * Renders objects of one resource as a Table, one row per object in the given order. For a get,
 * pass the single object and its resourceVersion as `listMeta.resourceVersion`.
 */
export function toTable(resource: ResourceInfo, objects: readonly Record<string, unknown>[], options: TableOptions = { includeObject: 'Metadata' }): Table {
  const printer = printerFor(resource);
  const ctx: PrintContext = { now: options.now ?? new Date(), resource };
  const include = options.includeObject ?? 'Metadata';
  const rows = objects.map((object): TableRow => {
    let cells: TableCell[];
    if (printer) {
      cells = printer.cells(object, ctx);
    } else {
      const meta = metadataOf(object);
      cells = [meta.name ?? '', rfc3339(meta.creationTimestamp)];
    }
    const row: TableRow = { cells };
    const conditions = printer?.conditions?.(object);
    if (conditions) row.conditions = conditions;
    const embedded = rowObject(object, include, options.version);
    if (embedded) row.object = embedded;
    return row;
  });
  // Copies, so a caller that edits its table cannot change the cached definitions.
  const columns = options.noHeaders ? undefined : columnDefinitions(printer ? printer.columns : DEFAULT_COLUMNS).map((c) => ({ ...c }));
  return {
    kind: 'Table',
    apiVersion: metaApiVersion(options.version),
    metadata: listMeta(options.listMeta),
    ...(columns ? { columnDefinitions: columns } : {}),
    rows,
  };
}
