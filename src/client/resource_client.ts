// The seam between Capstan's components and the API: one ResourceClient per resource (pods,
// deployments.apps, leases.coordination.k8s.io, ...), with the verbs of the Kubernetes REST API.
// Two implementations: RestClient (rest.ts, HTTP, what a separate process uses) and LocalClient
// (local.ts, in-process over the API server's stores, for `capstan sim` and benchmarks). The
// scheduler, controllers and kubelet see only this interface, so they run unchanged over either.
//
// Failures are ApiError values rebuilt from the server's metav1.Status (errors.ts), so a caller
// tests `err.code === 409` or `hasReason(err, 'NotFound')` the same way on both implementations.
import type { DeleteOptions as MetaDeleteOptions, ObjectMeta, Status } from 'kubernetes-types/meta/v1.js';
import { ApiError, isApiError } from '../api/errors.js';
import { lookupResource } from '../api/resources.js';

/** Any API object. Concrete kinds from kubernetes-types (Pod, Lease, ...) are assignable to it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** Which resource a client talks to. `group` is '' for the core group. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the answer's `continue` fetches the next page. */
  limit?: number;
  continue?: string;
  /** '' or absent: the latest (a quorum read); '0': any (the watch cache); else at least/exactly that. */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  signal?: AbortSignal;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions {
  /** Events after this resourceVersion; absent or '0' starts with ADDED for every object. */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long (the client then re-watches). */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  /** Only `metadata.resourceVersion` (and annotations) are meaningful on a bookmark. */
  | { type: 'BOOKMARK'; object: KubeObject }
  /** The watch failed after it started (410 Expired: relist); the stream ends after this. */
  | { type: 'ERROR'; object: Status };

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  signal?: AbortSignal;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions extends Pick<MetaDeleteOptions, 'gracePeriodSeconds' | 'propagationPolicy' | 'preconditions' | 'orphanDependents'> {
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type SubresourceMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SubresourceOptions extends PatchOptions {
  /** For method PATCH: how `body` is to be applied (default merge). */
  patchType?: PatchType;
}

/**
 * The verbs on one resource. `ns` is the namespace for namespaced resources ('' in list/watch
 * means all namespaces; in create/update it defaults to the object's metadata.namespace) and is
 * ignored for cluster-scoped ones. Every method rejects with an ApiError on a Status answer.
 */
export interface ResourceClient<T extends KubeObject = KubeObject> {
  readonly resource: ResourceRef;
  get(ns: string, name: string, opts?: { signal?: AbortSignal }): Promise<T>;
  list(ns: string, opts?: ListOptions): Promise<ObjectList<T>>;
  /** Events until the server ends the watch, the iteration is left, or `signal` aborts. */
  watch(ns: string, opts: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
  create(ns: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT: optimistic concurrency when obj.metadata.resourceVersion is set (409 Conflict if stale). */
  update(ns: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT of the status subresource: only the status changes. */
  updateStatus(ns: string, obj: T, opts?: WriteOptions): Promise<T>;
  patch(ns: string, name: string, type: PatchType, body: unknown, opts?: PatchOptions): Promise<T>;
  /** The object as the server answered (with deletionTimestamp while finalizers remain), if it sent one. */
  delete(ns: string, name: string, opts?: DeleteOptions): Promise<T | undefined>;
  /** A subresource such as `binding`, `eviction`, `scale`, `status`; answers the decoded body. */
  subresource<R = unknown>(ns: string, name: string, sub: string, method: SubresourceMethod, body?: unknown, opts?: SubresourceOptions): Promise<R>;
}

/**
 * The ResourceRef of a served resource, from the API's resource table
 * (`resourceRef('apps', 'v1', 'deployments')`). Throws for one the API does not serve.
 */
export function resourceRef(group: string, version: string, plural: string): ResourceRef {
  const r = lookupResource(group, version, plural);
  if (!r) throw new Error(`unknown resource ${plural}${group ? `.${group}` : ''}/${version}`);
  return { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced };
}

/** Anything that hands out ResourceClients: RestClient, LocalClient, or a test fake. */
export interface ClientSource {
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T>;
}

/** The cache key client-go uses (MetaNamespaceKeyFunc): `ns/name`, or `name` when cluster-scoped. */
export function objectKey(obj: KubeObject): string {
  const m = obj.metadata;
  const name = m?.name ?? '';
  return m?.namespace ? `${m.namespace}/${name}` : name;
}

/** Splits an objectKey back into namespace ('' if none) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export function isNotFound(err: unknown): boolean {
  return isApiError(err) && err.code === 404;
}

/** 409 with reason Conflict (a stale resourceVersion), not AlreadyExists. */
export function isConflict(err: unknown): boolean {
  return isApiError(err) && err.code === 409 && err.reason === 'Conflict';
}

export function isAlreadyExists(err: unknown): boolean {
  return isApiError(err) && err.code === 409 && err.reason === 'AlreadyExists';
}

/** 410 Gone/Expired: the resourceVersion asked for is compacted away; the caller must relist. */
export function isGone(err: unknown): boolean {
  return isApiError(err) && err.code === 410;
}

/** A Status-shaped value (the body of an error answer, or an ERROR watch event's object). */
export function isStatus(x: unknown): x is Status {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'Status';
}

/** The ApiError an ERROR watch event carries. */
export function watchError(status: Status): ApiError {
  return ApiError.fromStatus({ ...status, code: status.code ?? 500 });
}
