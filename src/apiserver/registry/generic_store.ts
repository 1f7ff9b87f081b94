// The generic REST store: create, get, list, watch, update, patch, delete and deletecollection
// for any resource, over the storage Backend. Per-resource behaviour comes from its Strategy;
// this file owns what Kubernetes does for every object: metadata (uid, creationTimestamp,
// generation, resourceVersion, generateName), optimistic concurrency, finalizers and graceful
// deletion, label/field selectors, pagination and resourceVersion semantics.
//
// Objects are stored as JSON without metadata.resourceVersion; the store revision of the row is
// the resourceVersion, set on the way out (as the Kubernetes etcd3 store does).
import { randomUUID } from 'node:crypto';
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  field,
  fieldPath,
  internalError,
  invalid,
  notFound,
  resourceExpired,
  tooOldResourceVersion,
  type FieldError,
} from '../../api/errors.js';
import { type ResourceInfo, groupVersionString } from '../../api/resources.js';
import { validateObjectMeta, validateObjectMetaUpdate, nameIsDnsSubdomain, type NameValidator } from '../../api/validation.js';
import {
  CompactedError,
  ConflictError,
  KeyExistsError,
  NotFoundError,
  StorageError,
  type Backend,
  type KeyValue,
  type WatchEvent,
} from '../../storage/backend.js';
import { apiserverDefaults } from '../defaults.js';
import { type ObjectFilter, filterFor, type ListSelectors } from './filter.js';
import type { KubeObject, MutableMeta, Strategy, StrategyContext } from './strategy.js';
import { WatchCache } from './watch_cache.js';
import { computeUpdateManagedFields, serverSideApply } from '../apply/index.js';
import { rfc3339 } from '../../api/time.js';

export interface ListOptions extends ListSelectors {
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface KubeObjectList {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * The field manager of this write (`?fieldManager=`, or named from the User-Agent). When set,
   * the object's managedFields record what this manager changed, as upstream.
   */
  fieldManager?: string;
  /** The subresource the write came through, for managedFields (`status`, `scale`). */
  managedSubresource?: string;
  /** managedFields were computed by the caller already (server-side apply). */
  managedFieldsDone?: boolean;
  /**
   * A system write that changes what the strategy would otherwise guard (binding sets a pod's
   * spec.nodeName and status together): skip the strategy's update hooks and status carry-over.
   * On create, the strategy's validation is skipped (the API server's own `kubernetes` Endpoints
   * may name a loopback address, which no user write may).
   */
  bypassStrategy?: boolean;
}

/** Called once a write guarded by WriteHooks is settled: `written` says whether the object was stored. */
export type FinishWrite = (written: boolean) => Promise<void>;

/**
 * Side effects that commit or roll back with a write, as upstream's BeginCreate/BeginUpdate and
 * AfterDelete store hooks (Services allocate cluster IPs and node ports this way). The begin hooks
 * run after defaulting and admission and before validation, may fill fields of `obj`, and throw
 * to refuse the write; the function they answer must not throw. `afterDelete` runs once the
 * object is gone from storage (dry runs call nothing after the begin hooks' own dry run).
 */
export interface WriteHooks {
  beginCreate?(obj: KubeObject, opts: { dryRun: boolean }): Promise<FinishWrite>;
  beginUpdate?(obj: KubeObject, old: KubeObject, opts: { dryRun: boolean }): Promise<FinishWrite>;
  afterDelete?(obj: KubeObject): Promise<void>;
}

export interface WatchOptions extends ListSelectors {
  resourceVersion?: string;
  resourceVersionMatch?: string;
  sendInitialEvents?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
export interface ObjectEvent {
  type: WatchEventType;
  object: KubeObject;
  /** The serialized `{"type":...,"object":...}`, when a shared encoding exists (watch cache). */
  line?: string;
}

/** How the store reaches other resources it depends on (namespaces for namespaced creates). */
export interface StoreContext {
  backend: Backend;
  now?: () => Date;
  /** Throws NotFound / Forbidden when a namespaced object may not be created in `ns`. */
  checkNamespace?: (ns: string, resource: ResourceInfo, name: string) => Promise<void>;
  /** Name validation for metadata.name, by resource (most use DNS-1123 subdomain). */
  nameValidator?: NameValidator;
  /** Mutating admission on create, after defaulting and before validation (pod priority, ...). */
  admitCreate?: (obj: KubeObject, ns: string) => Promise<void>;
  /**
   * Whether a garbage collector runs: then propagationPolicy Foreground and Orphan hold the
   * object with the `foregroundDeletion` / `orphan` finalizer for the collector to finish, as
   * upstream. Without one, the policy is validated and the object deleted at once.
   */
  garbageCollection?: () => boolean;
  /** Side effects of writes to this resource (service IP and port allocation). */
  writeHooks?: WriteHooks;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATE_SUFFIX = 5;
const MAX_GENERATE_ATTEMPTS = 8;

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < GENERATE_SUFFIX; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}


function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function metaOf(obj: KubeObject): MutableMeta {
  if (!isRecord(obj.metadata)) obj.metadata = {};
  return obj.metadata;
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** Everything except metadata and status: what a generation bump is about. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start } satisfies ContinueToken)).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed) && parsed.v === 'meta.k8s.io/v1' && typeof parsed.rv === 'number' && typeof parsed.start === 'string') {
      return { v: parsed.v, rv: parsed.rv, start: parsed.start };
    }
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** Parses a resourceVersion parameter: '' and '0' are special; anything else must be a revision. */
export function parseResourceVersion(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: strconv.ParseUint: parsing "${rv}": invalid syntax`);
  return Number(rv);
}

export class GenericStore {
  readonly resource: ResourceInfo;
  readonly prefix: string;
  private readonly backend: Backend;
  private readonly now: () => Date;
  private readonly apiVersion: string;
  private cache: WatchCache | undefined;

  constructor(
    readonly strategy: Strategy,
    private readonly ctx: StoreContext,
  ) {
    this.resource = strategy.resource;
    this.backend = ctx.backend;
    this.now = ctx.now ?? (() => new Date());
    this.apiVersion = groupVersionString(this.resource.group, this.resource.version);
    this.prefix = `/registry/${this.resource.group || 'core'}/${this.resource.plural}/`;
  }

  get groupResource(): { group: string; resource: string } {
    return { group: this.resource.group, resource: this.resource.plural };
  }

  key(ns: string, name: string): string {
    return this.resource.namespaced ? `${this.prefix}${ns}/${name}` : `${this.prefix}${name}`;
  }

  /** Prefix for a list: all namespaces when `ns` is '' (or the resource is cluster-scoped). */
  listPrefix(ns: string): string {
    return this.resource.namespaced && ns !== '' ? `${this.prefix}${ns}/` : this.prefix;
  }

  private context(ns: string): StrategyContext {
    return { namespace: ns, now: this.now() };
  }

  /** Stored JSON + revision -> API object with resourceVersion. */
  decode(kv: KeyValue): KubeObject {
    const obj = JSON.parse(kv.value) as KubeObject;
    metaOf(obj).resourceVersion = String(kv.modRevision);
    return obj;
  }

  private encode(obj: KubeObject): string {
    const meta = metaOf(obj);
    const rv = meta.resourceVersion;
    delete meta.resourceVersion;
    try {
      return JSON.stringify(obj);
    } finally {
      if (rv !== undefined) meta.resourceVersion = rv;
    }
  }

  private fail(errs: FieldError[], name: string): void {
    if (errs.length > 0) throw invalid({ group: this.resource.group, kind: this.resource.kind }, name, errs);
  }

  /** Maps storage errors to API errors for object `name`. */
  private storageError(err: unknown, name: string): never {
    if (err instanceof ApiError) throw err;
    if (err instanceof KeyExistsError) throw alreadyExists(this.groupResource, name);
    if (err instanceof NotFoundError) throw notFound(this.groupResource, name);
    if (err instanceof ConflictError) throw conflict(this.groupResource, name);
    if (err instanceof CompactedError) throw tooOldResourceVersion(err.requested, err.compactRevision);
    // Storage refuses malformed input (a crafted continue token, say): the client's fault, not ours.
    if (err instanceof StorageError && err.kind === 'InvalidInput') throw badRequest(err.message);
    if (err instanceof StorageError) throw internalError(err);
    throw err;
  }

  // ---------------------------------------------------------------------------------- reads

  async get(ns: string, name: string): Promise<KubeObject> {
    const { kv } = await this.backend.get(this.key(ns, name)).catch((e: unknown) => this.storageError(e, name));
    if (!kv) throw notFound(this.groupResource, name);
    return this.decode(kv);
  }

  async list(ns: string, opts: ListOptions = {}): Promise<KubeObjectList> {
    const filter = filterFor(this.strategy, opts);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const prefix = this.listPrefix(ns);
    let revision: number | undefined;
    let startKey: string | undefined;
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      revision = token.rv;
      startKey = prefix + token.start;
      if (opts.resourceVersion) throw badRequest('specifying resource version is not allowed when using continue');
    } else {
      revision = await this.readRevision(opts.resourceVersion, opts.resourceVersionMatch);
    }
    const items: KubeObject[] = [];
    let more = false;
    let lastKey = '';
    let readRevision = revision ?? 0;
    // Selectors filter after reading, so keep reading pages until the limit is filled.
    for (;;) {
      const pageSize = limit > 0 ? Math.max(limit - items.length, filter ? 100 : 0) : 0;
      const page = await this.backend
        .list(prefix, { startKey, limit: pageSize, revision: readRevision })
        .catch((e: unknown) => {
          if (e instanceof CompactedError && opts.continue) throw continueExpired();
          return this.storageError(e, '');
        });
      readRevision = page.revision;
      let i = 0;
      for (; i < page.kvs.length; i++) {
        if (limit > 0 && items.length >= limit) break;
        const kv = page.kvs[i]!;
        lastKey = kv.key;
        const obj = this.decode(kv);
        if (!filter || filter(obj)) items.push(obj);
      }
      if (limit > 0 && items.length >= limit) {
        more = i < page.kvs.length || page.more;
        break;
      }
      if (!page.more) break;
      startKey = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
    const result: KubeObjectList = { items, resourceVersion: String(readRevision) };
    // remainingItemCount is optional upstream too; it is left out because the Backend has no
    // cheap count of a key range, and reading the rest of the list per page would be quadratic.
    if (more) result.continue = encodeContinue(readRevision, `${lastKey.slice(prefix.length)}\0`);
    return result;
  }

  /** The revision a list should read at, from resourceVersion + resourceVersionMatch. */
  private async readRevision(rvParam: string | undefined, match: string | undefined): Promise<number | undefined> {
    const rv = parseResourceVersion(rvParam);
    if (match !== undefined && match !== '' && match !== 'Exact' && match !== 'NotOlderThan') {
      throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
    }
    if (match && rvParam === undefined) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (rv === undefined || rv === 0) {
      if (match === 'Exact') throw badRequest('resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
      return undefined;
    }
    const { revision, compactRevision } = await this.backend.status();
    if (match === 'Exact') {
      if (rv < compactRevision) throw tooOldResourceVersion(rv, compactRevision);
      if (rv > revision) throw tooLarge(rv, revision);
      return rv;
    }
    if (rv > revision) throw tooLarge(rv, revision);
    return undefined;
  }

  // --------------------------------------------------------------------------------- create

  async create(ns: string, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const meta = this.checkTypeAndNamespace(obj, ns);
    const ctx = this.context(ns);
    this.strategy.defaults?.(obj);
    // System fields are the server's to set.
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(ctx.now);
    if (this.strategy.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    this.strategy.prepareForCreate?.(obj, ctx);
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = `${meta.generateName}${randomSuffix()}`;
    await this.ctx.admitCreate?.(obj, ns);
    const finish = await this.ctx.writeHooks?.beginCreate?.(obj, { dryRun: opts.dryRun === true });
    return settle(finish, async () => {
      const errs = [
        ...validateObjectMeta(meta, { namespaced: this.resource.namespaced, nameValidator: this.ctx.nameValidator ?? nameIsDnsSubdomain }),
        ...(opts.bypassStrategy ? [] : (this.strategy.validate?.(obj, ctx) ?? [])),
      ];
      this.fail(errs, meta.name ?? '');
      this.recordManagedFields(undefined, obj, opts);
      if (this.resource.namespaced) await this.ctx.checkNamespace?.(ns, this.resource, meta.name!);
      if (opts.dryRun) {
        if ((await this.backend.get(this.key(ns, meta.name!))).kv) throw alreadyExists(this.groupResource, meta.name!);
        return obj;
      }
      for (let attempt = 0; ; attempt++) {
        try {
          const { revision } = await this.backend.create(this.key(ns, meta.name!), this.encode(obj), this.strategy.ttlSeconds);
          meta.resourceVersion = String(revision);
          return obj;
        } catch (err) {
          // A generated name that collides is retried with a new suffix, as upstream does.
          if (err instanceof KeyExistsError && generated && attempt < MAX_GENERATE_ATTEMPTS) {
            meta.name = `${meta.generateName}${randomSuffix()}`;
            continue;
          }
          this.storageError(err, meta.name!);
        }
      }
    });
  }

  /** Sets apiVersion/kind, checks them and the namespace against the request. */
  private checkTypeAndNamespace(obj: KubeObject, ns: string): MutableMeta {
    if (!isRecord(obj)) throw badRequest('the body of the request was in an unknown format');
    if (obj.kind !== undefined && obj.kind !== this.resource.kind) {
      throw badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${this.resource.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== this.apiVersion) {
      throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${this.apiVersion})`);
    }
    obj.apiVersion = this.apiVersion;
    obj.kind = this.resource.kind;
    if (obj.metadata !== undefined && !isRecord(obj.metadata)) throw badRequest('metadata must be an object');
    const meta = metaOf(obj);
    if (this.resource.namespaced) {
      if (meta.namespace && meta.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns;
    } else if (meta.namespace) {
      // Cluster-scoped objects carry no namespace; upstream clears it silently.
      delete meta.namespace;
    }
    return meta;
  }

  // --------------------------------------------------------------------------------- update

  /**
   * Replaces an object (PUT). With `subresource: 'status'` only the status changes; otherwise,
   * for resources with a status subresource, the status is kept from the stored object.
   * `mutate` (for patches) computes the new object from the current one inside the retry loop.
   */
  async update(
    ns: string,
    name: string,
    input: KubeObject | ((current: KubeObject) => KubeObject),
    opts: WriteOptions & { subresource?: 'status'; forceAllowCreate?: boolean } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const ctx = this.context(ns);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.backend.get(this.key(ns, name));
      if (!kv) {
        if (typeof input === 'function' || !(this.strategy.allowCreateOnUpdate || opts.forceAllowCreate) || opts.subresource) {
          throw notFound(this.groupResource, name);
        }
        const m = metaOf(input);
        if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${m.name}) does not match the name on the URL (${name})`);
        m.name = name;
        return { object: await this.create(ns, input, opts), created: true };
      }
      const old = this.decode(kv);
      const obj = typeof input === 'function' ? input(structuredClone(old)) : structuredClone(input);
      const meta = this.checkTypeAndNamespace(obj, ns);
      if (meta.name !== undefined && meta.name !== name) {
        throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
      }
      meta.name = name;
      // Optimistic concurrency: an update that names a resourceVersion must name the current one.
      const rv = meta.resourceVersion;
      if (rv !== undefined && rv !== '' && rv !== String(kv.modRevision)) {
        if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${rv}`);
        throw conflict(this.groupResource, name);
      }
      const oldMeta = metaOf(old);
      // An unconditional update (no resourceVersion) is allowed, as upstream: it applies to the
      // current version, and the compare-and-swap below still guards against a racing write.
      meta.resourceVersion = oldMeta.resourceVersion;
      // Hooks' side effects (service allocations) settle with this attempt: kept when it is stored,
      // undone when it fails or is retried.
      let finish: FinishWrite | undefined;
      let written = false;
      try {
        if (opts.subresource === 'status') {
          // Only status moves; everything else stays as stored.
          const status = obj.status;
          for (const k of Object.keys(obj)) delete obj[k];
          Object.assign(obj, structuredClone(old), { status });
          const errs = this.strategy.validateStatusUpdate?.(obj, old, ctx) ?? [];
          this.fail(errs, name);
        } else if (opts.bypassStrategy) {
          meta.uid = oldMeta.uid;
          meta.creationTimestamp = oldMeta.creationTimestamp;
          meta.deletionTimestamp = oldMeta.deletionTimestamp;
          meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
          if (this.strategy.hasGeneration) meta.generation = oldMeta.generation;
        } else {
          this.strategy.defaults?.(obj);
          // Server-owned metadata is kept from the stored object.
          meta.uid = oldMeta.uid;
          meta.creationTimestamp = oldMeta.creationTimestamp;
          meta.deletionTimestamp = oldMeta.deletionTimestamp;
          meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
          if (this.strategy.hasStatus) obj.status = structuredClone(old.status);
          this.strategy.prepareForUpdate?.(obj, old, ctx);
          finish = await this.ctx.writeHooks?.beginUpdate?.(obj, old, { dryRun: opts.dryRun === true });
          if (this.strategy.hasGeneration) {
            meta.generation = (oldMeta.generation ?? 1) + (jsonEqual(specPart(obj), specPart(old)) ? 0 : 1);
          } else delete meta.generation;
          const errs = [
            ...validateObjectMetaUpdate(meta, oldMeta),
            ...validateObjectMeta(meta, { namespaced: this.resource.namespaced, nameValidator: this.ctx.nameValidator ?? nameIsDnsSubdomain }),
            ...(this.strategy.validateUpdate?.(obj, old, ctx) ?? this.strategy.validate?.(obj, ctx) ?? []),
          ];
          this.fail(errs, name);
        }
        for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) if (meta[k] === undefined) delete meta[k];
        this.recordManagedFields(old, obj, { ...opts, managedSubresource: opts.managedSubresource ?? opts.subresource });
        // A no-op update writes nothing and keeps the resourceVersion, as upstream.
        written = true;
        if (jsonEqual(obj, old)) return { object: old, created: false };
        if (opts.dryRun) return { object: obj, created: false };
        written = false;
        // The last finalizer removed from an object being deleted completes the deletion.
        if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0 && !(meta.deletionGracePeriodSeconds ?? 0) && !this.heldByNamespaceFinalizers(obj)) {
          try {
            const { revision } = await this.backend.delete(this.key(ns, name), kv.modRevision);
            meta.resourceVersion = String(revision);
            written = true;
            await this.ctx.writeHooks?.afterDelete?.(obj);
            return { object: obj, created: false };
          } catch (err) {
            if (err instanceof ConflictError && typeof input === 'function' && attempt < 5) continue;
            this.storageError(err, name);
          }
        }
        try {
          const { revision } = await this.backend.update(this.key(ns, name), this.encode(obj), kv.modRevision);
          meta.resourceVersion = String(revision);
          written = true;
          return { object: obj, created: false };
        } catch (err) {
          // Patches are recomputed from the current object, so a storage conflict here is a race
          // with another writer: retry, as upstream does. (A patch that names a stale
          // resourceVersion was refused before the write.) A PUT reports the conflict.
          if (err instanceof ConflictError && typeof input === 'function' && attempt < 5) continue;
          this.storageError(err, name);
        }
      } finally {
        await finish?.(written);
      }
    }
  }

  /** Sets metadata.managedFields for a create/update by `opts.fieldManager` (no-op without one). */
  private recordManagedFields(old: KubeObject | undefined, obj: KubeObject, opts: WriteOptions): void {
    if (!opts.fieldManager || opts.managedFieldsDone) return;
    const sub = opts.managedSubresource;
    const entries = computeUpdateManagedFields({
      old,
      updated: obj,
      manager: opts.fieldManager,
      operation: 'Update',
      apiVersion: this.apiVersion,
      subresource: sub,
      now: this.now(),
      resetFields: this.resetFields(sub),
    });
    const meta = metaOf(obj);
    if (entries.length > 0) meta.managedFields = entries;
    else delete meta.managedFields;
  }

  /** Top-level fields an endpoint resets, so nobody owns them through it. */
  private resetFields(subresource: string | undefined): string[][] | undefined {
    if (!this.strategy.hasStatus) return undefined;
    return subresource === 'status' ? [['spec']] : subresource ? undefined : [['status']];
  }

  /**
   * Server-side apply (`application/apply-patch+yaml`): merges `applied` into the stored object
   * (or creates it), with ownership and conflicts tracked per field manager.
   */
  async apply(ns: string, name: string, applied: KubeObject, opts: WriteOptions & { force: boolean; subresource?: 'status' }): Promise<{ object: KubeObject; created: boolean }> {
    const manager = opts.fieldManager ?? '';
    const run = (current: KubeObject | undefined): KubeObject =>
      serverSideApply({
        current,
        applied,
        manager,
        force: opts.force,
        apiVersion: this.apiVersion,
        kind: this.resource.kind,
        subresource: opts.subresource,
        now: this.now(),
        resetFields: this.resetFields(opts.subresource),
      }).object as KubeObject;
    const { kv } = await this.backend.get(this.key(ns, name));
    if (!kv) {
      if (opts.subresource) throw notFound(this.groupResource, name);
      const obj = run(undefined);
      const meta = metaOf(obj);
      if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
      meta.name = name;
      try {
        return { object: await this.create(ns, obj, { ...opts, managedFieldsDone: true }), created: true };
      } catch (err) {
        // Someone created it meanwhile: apply to theirs.
        if (!(err instanceof ApiError && err.code === 409)) throw err;
      }
    }
    return this.update(ns, name, (current) => run(current), { ...opts, managedFieldsDone: true });
  }

  /** Namespaces stay while spec.finalizers is non-empty (the namespace controller empties it). */
  private heldByNamespaceFinalizers(obj: KubeObject): boolean {
    if (this.resource.kind !== 'Namespace' || this.resource.group !== '') return false;
    const spec = obj.spec;
    return isRecord(spec) && Array.isArray(spec.finalizers) && spec.finalizers.length > 0;
  }

  // --------------------------------------------------------------------------------- delete

  /**
   * Deletes an object, or marks it (deletionTimestamp) when finalizers or a grace period hold it.
   * Answers the object and whether it is gone already.
   */
  async delete(ns: string, name: string, options: DeleteOptions = {}, opts: WriteOptions = {}): Promise<{ object: KubeObject; deleted: boolean }> {
    validateDeleteOptions(options);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.backend.get(this.key(ns, name));
      if (!kv) throw notFound(this.groupResource, name);
      const obj = this.decode(kv);
      const meta = metaOf(obj);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw conflict(this.groupResource, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw conflict(
          this.groupResource,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`,
        );
      }
      const grace = this.strategy.gracePeriodSeconds?.(obj, options.gracePeriodSeconds ?? undefined) ?? 0;
      const policy = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : undefined);
      if (this.ctx.garbageCollection?.() && policy !== undefined) {
        // The named policy decides: its GC finalizer is set and the other one dropped
        // (Background drops both), as upstream's deletion strategy does.
        const want = policy === 'Foreground' ? 'foregroundDeletion' : policy === 'Orphan' ? 'orphan' : undefined;
        const kept = (meta.finalizers ?? []).filter((f) => f !== 'foregroundDeletion' && f !== 'orphan');
        const next = want ? [...kept, want] : kept;
        if (next.length > 0) meta.finalizers = next;
        else delete meta.finalizers;
      }
      const finalizers = [...(meta.finalizers ?? [])];
      const held = finalizers.length > 0 || grace > 0 || this.heldByNamespaceFinalizers(obj);
      if (held) {
        // Mark for deletion; a finalizer's owner (or the kubelet, for a graceful pod) finishes it.
        if (meta.deletionTimestamp) {
          const current = meta.deletionGracePeriodSeconds ?? 0;
          if (!(grace < current)) return { object: obj, deleted: false };
        }
        const now = this.now();
        meta.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
        if (this.resource.kind === 'Namespace' && this.resource.group === '' && isRecord(obj.status)) obj.status.phase = 'Terminating';
        if (opts.dryRun) return { object: obj, deleted: false };
        try {
          const { revision } = await this.backend.update(this.key(ns, name), this.encode(obj), kv.modRevision);
          meta.resourceVersion = String(revision);
          return { object: obj, deleted: false };
        } catch (err) {
          if (err instanceof ConflictError && attempt < 5) continue;
          this.storageError(err, name);
        }
      }
      if (opts.dryRun) return { object: obj, deleted: true };
      try {
        await this.backend.delete(this.key(ns, name), kv.modRevision);
        await this.ctx.writeHooks?.afterDelete?.(obj);
        return { object: obj, deleted: true };
      } catch (err) {
        if (err instanceof ConflictError && attempt < 5) continue;
        this.storageError(err, name);
      }
    }
  }

  async deleteCollection(ns: string, listOpts: ListOptions, options: DeleteOptions = {}, opts: WriteOptions = {}): Promise<KubeObjectList> {
    const list = await this.list(ns, { ...listOpts, limit: undefined, continue: undefined });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      const m = metaOf(item);
      try {
        deleted.push((await this.delete(m.namespace ?? '', m.name!, options, opts)).object);
      } catch (err) {
        // Already gone is fine: someone else deleted it meanwhile.
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return { items: deleted, resourceVersion: list.resourceVersion };
  }

  // ---------------------------------------------------------------------------------- watch

  /**
   * Watches objects as Kubernetes does: with no resourceVersion (or "0"), first the current
   * objects as ADDED, then changes; with a resourceVersion, the changes after it. Selectors turn
   * an object moving out of (into) the selection into DELETED (ADDED).
   */
  /** Throws the 400 a watch with these parameters would meet, before any stream starts. */
  checkWatchOptions(opts: WatchOptions): void {
    filterFor(this.strategy, opts);
    parseResourceVersion(opts.resourceVersion);
  }

  async *watch(ns: string, opts: WatchOptions, signal: AbortSignal): AsyncGenerator<ObjectEvent[]> {
    const filter = filterFor(this.strategy, opts);
    const rv = parseResourceVersion(opts.resourceVersion);
    const prefix = this.listPrefix(ns);
    let from: number;
    const initial = opts.sendInitialEvents ?? (rv === undefined || rv === 0);
    if (initial) {
      const page = await this.list(ns, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector });
      if (page.items.length > 0) yield page.items.map((obj): ObjectEvent => ({ type: 'ADDED', object: obj }));
      from = Number(page.resourceVersion);
      if (opts.sendInitialEvents) {
        yield [{
          type: 'BOOKMARK',
          object: {
            apiVersion: this.apiVersion, kind: this.resource.kind,
            metadata: { resourceVersion: page.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
          },
        }];
      }
    } else {
      from = rv!;
    }
    try {
      // Served from the shared watch cache when `from` is recent; otherwise straight from storage.
      const cached = await this.watchCache().subscribe(from, signal);
      if (cached) {
        for await (const batch of cached) {
          const out: ObjectEvent[] = [];
          for (const ce of batch) {
            if (!ce.event.kv.key.startsWith(prefix)) continue;
            const type = this.eventType(ce.event.type, () => ce.object(), () => ce.previous(), filter);
            if (type) out.push({ type, object: ce.object(), line: ce.line(type) });
          }
          if (out.length > 0) yield out;
        }
        return;
      }
      for await (const batch of this.backend.watch(prefix, from, signal)) {
        const out: ObjectEvent[] = [];
        for (const ev of batch) {
          const obj = this.decode(ev.kv);
          const type = this.eventType(ev.type, () => obj, () => (ev.prevKv ? this.decode(ev.prevKv) : undefined), filter);
          if (type) out.push({ type, object: obj });
        }
        if (out.length > 0) yield out;
      }
    } catch (err) {
      if (err instanceof CompactedError) throw tooOldResourceVersion(err.requested, err.compactRevision);
      if (err instanceof StorageError && err.kind === 'WatchOverflow') throw tooOldResourceVersion(from, from);
      throw err;
    }
  }

  private watchCache(): WatchCache {
    return (this.cache ??= new WatchCache(this.backend, this.prefix, (kv) => this.decode(kv), {
      window: apiserverDefaults.watchCacheWindow,
      subscriberBuffer: apiserverDefaults.watchSubscriberBuffer,
    }));
  }

  /** Stops the watch cache (open watchers end). */
  close(): void {
    this.cache?.close();
    this.cache = undefined;
  }

  /**
   * The event type a watcher with `filter` sees: selectors turn an object moving out of (into)
   * the selection into DELETED (ADDED), and hide events of objects it never matched.
   */
  private eventType(
    type: WatchEvent['type'],
    obj: () => KubeObject,
    prev: () => KubeObject | undefined,
    filter: ObjectFilter | undefined,
  ): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
    if (type === 'DELETE') return !filter || filter(obj()) ? 'DELETED' : undefined;
    const before = prev();
    if (!filter) return before ? 'MODIFIED' : 'ADDED';
    const now = filter(obj());
    const was = before ? filter(before) : false;
    if (now && was) return 'MODIFIED';
    if (now) return 'ADDED';
    if (was) return 'DELETED';
    return undefined;
  }
}

/** Runs a write guarded by a hook's FinishWrite: settled as stored when `write` returns, undone when it throws. */
async function settle<T>(finish: FinishWrite | undefined, write: () => Promise<T>): Promise<T> {
  if (!finish) return write();
  let result: T;
  try {
    result = await write();
  } catch (err) {
    await finish(false);
    throw err;
  }
  await finish(true);
  return result;
}

function tooLarge(requested: number, current: number): ApiError {
  return new ApiError({
    code: 504,
    reason: 'Timeout',
    message: `Too large resource version: ${requested}, current: ${current}`,
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  });
}

function continueExpired(): ApiError {
  return resourceExpired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
}

function validateDeleteOptions(o: DeleteOptions): void {
  const errs: FieldError[] = [];
  if (o.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    errs.push(field.notSupported(fieldPath('propagationPolicy'), o.propagationPolicy, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    errs.push(field.invalid(fieldPath('propagationPolicy'), o.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (o.gracePeriodSeconds !== undefined && o.gracePeriodSeconds !== null && (o.gracePeriodSeconds < 0 || !Number.isInteger(o.gracePeriodSeconds))) {
    errs.push(field.invalid(fieldPath('gracePeriodSeconds'), o.gracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  if (errs.length > 0) throw invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errs);
}
