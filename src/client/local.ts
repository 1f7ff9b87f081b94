// LocalClient: the ResourceClient interface in-process, without HTTP, for `capstan sim` (thousands
// of simulated kubelets in one process) and benchmarks that want to measure the control plane
// rather than JSON over sockets. It adapts a minimal LocalApi that the API server satisfies
// from its GenericStores; this file imports nothing of the apiserver (STYLE rule 5), so the
// scheduler, controllers and kubelet still depend only on client/ and api/.
//
// Semantics mirror the HTTP path: namespace defaulting from the object, patches computed inside
// the store's optimistic-concurrency retry, apply requiring a field manager, watch errors after
// the start delivered as ERROR events carrying a Status (so informers relist on 410), and
// objects copied on the way in and out (the store's watch cache shares decoded objects among
// watchers; over HTTP every client gets its own copy, so here too unless `clone: false`).
// What the HTTP path does and this does not: body decoding against the schema (pruning unknown
// fields), fieldValidation, protobuf, Table output and authorization.
import type { DeleteOptions as MetaDeleteOptions, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { ApiError, internalError, isApiError } from '../api/errors.js';
import type {
  ClientSource,
  DeleteOptions,
  KubeObject,
  ListOptions,
  ObjectList,
  PatchOptions,
  PatchType,
  ResourceClient,
  ResourceRef,
  SubresourceMethod,
  SubresourceOptions,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './resource_client.js';

/** An object as the store holds it (the same shape as the apiserver's KubeObject). */
export interface LocalObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface LocalWriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

/**
 * One resource's store, as the API server's GenericStore offers it (same method names, plain
 * objects). Errors are ApiErrors. `update` with a function computes the new object from the
 * current one (patches) inside the store's compare-and-swap retry loop.
 */
export interface LocalStore {
  get(ns: string, name: string): Promise<LocalObject>;
  list(
    ns: string,
    opts: { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string; resourceVersion?: string; resourceVersionMatch?: string },
  ): Promise<{ items: LocalObject[]; resourceVersion: string; continue?: string }>;
  /** Throws the 400 a watch with these options would meet, before it starts (optional). */
  checkWatchOptions?(opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; sendInitialEvents?: boolean }): void;
  watch(
    ns: string,
    opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; sendInitialEvents?: boolean },
    signal: AbortSignal,
  ): AsyncIterable<ReadonlyArray<{ type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: LocalObject }>>;
  create(ns: string, obj: LocalObject, opts: LocalWriteOptions): Promise<LocalObject>;
  update(
    ns: string,
    name: string,
    input: LocalObject | ((current: LocalObject) => LocalObject),
    opts: LocalWriteOptions & { subresource?: 'status' },
  ): Promise<{ object: LocalObject; created: boolean }>;
  apply(ns: string, name: string, applied: LocalObject, opts: LocalWriteOptions & { force: boolean; subresource?: 'status' }): Promise<{ object: LocalObject; created: boolean }>;
  delete(ns: string, name: string, options: MetaDeleteOptions, opts: { dryRun?: boolean }): Promise<{ object: LocalObject; deleted: boolean }>;
}

/** What LocalClient needs from the API server. */
export interface LocalApi {
  store(group: string, version: string, plural: string): LocalStore | undefined;
  /** The server's json / merge / strategic-merge patch function. */
  applyPatch(type: 'json' | 'merge' | 'strategic', current: unknown, patch: unknown): unknown;
  /** Subresources other than status (binding, eviction, scale), if the server offers them. */
  subresource?(req: { resource: ResourceRef; namespace: string; name: string; subresource: string; method: SubresourceMethod; body: unknown; options: SubresourceOptions }): Promise<unknown>;
}

export interface LocalClientOptions {
  /** Field manager of writes that name none (HTTP derives it from the User-Agent). */
  fieldManager?: string;
  /** Copy objects in and out (default true); false trades safety for speed in simulations. */
  clone?: boolean;
}

export class LocalClient implements ClientSource {
  constructor(
    private readonly api: LocalApi,
    private readonly options: LocalClientOptions = {},
  ) {}

  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new LocalResourceClient<T>(this.api, ref, this.options.fieldManager ?? 'capstan', this.options.clone ?? true);
  }
}

/** The 404 of a path that names no resource, as the server words it. */
function noSuchPath(): ApiError {
  return new ApiError({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource', details: {} });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

class LocalResourceClient<T extends KubeObject> implements ResourceClient<T> {
  constructor(
    private readonly api: LocalApi,
    readonly resource: ResourceRef,
    private readonly defaultManager: string,
    private readonly clone: boolean,
  ) {}

  private store(): LocalStore {
    const s = this.api.store(this.resource.group, this.resource.version, this.resource.plural);
    if (!s) throw noSuchPath();
    return s;
  }

  private ns(ns: string, obj?: KubeObject): string {
    if (!this.resource.namespaced) return '';
    return ns !== '' ? ns : (obj?.metadata?.namespace ?? '');
  }

  /** Store objects out as T: a copy unless cloning is off. */
  private out(obj: LocalObject): T {
    // The store's object is of the resource's kind: T is only its static name.
    const o: object = this.clone ? structuredClone(obj) : obj;
    return o as T;
  }

  /** Typed objects in as store objects (every API object is such a record; the interface just lacks the index signature). */
  private in(obj: KubeObject): LocalObject {
    return (this.clone ? structuredClone(obj) : obj) as LocalObject;
  }

  private write(opts: WriteOptions): LocalWriteOptions {
    return { dryRun: opts.dryRun, fieldManager: opts.fieldManager ?? this.defaultManager };
  }

  async get(ns: string, name: string): Promise<T> {
    return this.out(await this.store().get(this.ns(ns), name));
  }

  async list(ns: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { signal: _signal, ...rest } = opts;
    const l = await this.store().list(this.ns(ns), rest);
    const out: ObjectList<T> = { items: l.items.map((o) => this.out(o)), resourceVersion: l.resourceVersion };
    if (l.continue) out.continue = l.continue;
    return out;
  }

  async *watch(ns: string, opts: WatchOptions, signal: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const store = this.store();
    const wopts = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: opts.resourceVersion, sendInitialEvents: opts.sendInitialEvents };
    // Like an HTTP 400 before the stream starts.
    store.checkWatchOptions?.(wopts);
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    if (signal.aborted) return;
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutSeconds !== undefined ? setTimeout(() => ac.abort(), opts.timeoutSeconds * 1000) : undefined;
    try {
      try {
        for await (const batch of store.watch(this.ns(ns), wopts, ac.signal)) {
          for (const ev of batch) {
            if (ev.type === 'BOOKMARK') {
              if (opts.allowWatchBookmarks) yield { type: 'BOOKMARK', object: this.out(ev.object) };
            } else {
              yield { type: ev.type, object: this.out(ev.object) };
            }
          }
          if (ac.signal.aborted) return;
        }
      } catch (err) {
        if (ac.signal.aborted) return;
        // After the start, failures travel as an ERROR event, as over HTTP.
        yield { type: 'ERROR', object: (isApiError(err) ? err : internalError(err)).toStatus() };
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      ac.abort();
    }
  }

  async create(ns: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.out(await this.store().create(this.ns(ns, obj), this.in(obj), this.write(opts)));
  }

  async update(ns: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    const { object } = await this.store().update(this.ns(ns, obj), obj.metadata?.name ?? '', this.in(obj), this.write(opts));
    return this.out(object);
  }

  async updateStatus(ns: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    const { object } = await this.store().update(this.ns(ns, obj), obj.metadata?.name ?? '', this.in(obj), { ...this.write(opts), subresource: 'status' });
    return this.out(object);
  }

  patch(ns: string, name: string, type: PatchType, body: unknown, opts: PatchOptions = {}): Promise<T> {
    return this.patchAt(ns, name, type, body, opts, undefined);
  }

  private async patchAt(ns: string, name: string, type: PatchType, body: unknown, opts: PatchOptions, subresource: 'status' | undefined): Promise<T> {
    const store = this.store();
    if (type === 'apply') {
      if (!opts.fieldManager) {
        throw new ApiError({
          code: 422,
          reason: 'Invalid',
          message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          details: { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }] },
        });
      }
      if (!isRecord(body)) throw new ApiError({ code: 400, reason: 'BadRequest', message: 'the body of the request was in an unknown format' });
      const { object } = await store.apply(this.ns(ns), name, this.in(body), { dryRun: opts.dryRun, fieldManager: opts.fieldManager, force: opts.force ?? false, subresource });
      return this.out(object);
    }
    const patch = this.clone ? structuredClone(body) : body;
    const { object } = await store.update(
      this.ns(ns),
      name,
      (current) => {
        const patched = this.api.applyPatch(type, current, patch);
        if (!isRecord(patched)) throw new ApiError({ code: 400, reason: 'BadRequest', message: 'patch result is not an object' });
        return patched;
      },
      { ...this.write(opts), subresource },
    );
    return this.out(object);
  }

  async delete(ns: string, name: string, opts: DeleteOptions = {}): Promise<T | undefined> {
    const { dryRun, signal: _signal, ...options } = opts;
    const { object } = await this.store().delete(this.ns(ns), name, options, { dryRun });
    return this.out(object);
  }

  async subresource<R = unknown>(ns: string, name: string, sub: string, method: SubresourceMethod, body?: unknown, opts: SubresourceOptions = {}): Promise<R> {
    if (sub === 'status') {
      switch (method) {
        case 'GET':
          return (await this.get(ns, name)) as unknown as R;
        case 'PUT':
          if (!isRecord(body)) break;
          return (await this.updateStatus(ns, { ...body, metadata: { ...(isRecord(body.metadata) ? body.metadata : {}), name } } as T, opts)) as unknown as R;
        case 'PATCH':
          return (await this.patchAt(ns, name, opts.patchType ?? 'merge', body, opts, 'status')) as unknown as R;
        default:
          break;
      }
      throw new ApiError({ code: 405, reason: 'MethodNotAllowed', message: `${method} is not supported on the status subresource` });
    }
    if (!this.api.subresource) throw noSuchPath();
    const r = await this.api.subresource({ resource: this.resource, namespace: this.ns(ns), name, subresource: sub, method, body: this.clone ? structuredClone(body) : body, options: opts });
    return (this.clone ? structuredClone(r) : r) as R;
  }
}
