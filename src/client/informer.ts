// Informer: client-go's reflector + indexer + shared informer in one class. It lists a resource
// (paginated, 500 a page), then watches from the list's resourceVersion, keeping a local cache
// (a Map by `ns/name`) and secondary indexes, and tells event handlers what changed.
//
// The loop never throws: a failed list or watch is reported to `onError` and retried with
// back-off. A watch that ends normally (server timeout) is resumed from the last resourceVersion
// seen (events and bookmarks advance it). A 410 (the resourceVersion was compacted away, or
// the server dropped a slow watcher) forces a relist; the relist is diffed against the cache so
// that handlers see adds, updates and deletes for whatever happened during the gap and stay
// consistent. Controllers are level-triggered, so handlers should only enqueue keys.
//
// Handlers run synchronously in the informer's loop, in order; one that throws is reported and
// skipped. Cached objects are shared with handlers and listers: never mutate them (copy first).
//
// SharedInformerFactory hands out one informer per (resource, namespace, selectors), so the
// scheduler's and every controller's interest in pods costs one list and one watch.
import { informerDefaults } from './defaults.js';
import { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
import {
  isGone,
  objectKey,
  watchError,
  type ClientSource,
  type KubeObject,
  type ResourceClient,
  type ResourceRef,
} from './resource_client.js';

export interface EventHandler<T> {
  /** `initialList` is true for objects delivered by the first list (and for replays to late handlers). */
  onAdd?(obj: T, initialList: boolean): void;
  /** Also called with old === new on periodic resync. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** After a relist this is the last state the cache knew (the final state was not observed). */
  onDelete?(obj: T): void;
}

/** Values an object is indexed under (e.g. its node name); [] for none. */
export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'byNamespace';

/** Ready-made index functions. */
export const indexers = {
  byNamespace: (obj: KubeObject): string[] => [obj.metadata?.namespace ?? ''],
  /** Pods by spec.nodeName ('' is not indexed: unscheduled pods). */
  byNodeName: (obj: KubeObject): string[] => {
    const n = (obj as { spec?: { nodeName?: string } }).spec?.nodeName;
    return n ? [n] : [];
  },
  /** Objects by the uid of each owner reference (ReplicaSet → Pods, Deployment → ReplicaSets). */
  byOwnerUid: (obj: KubeObject): string[] => (obj.metadata?.ownerReferences ?? []).map((r) => r.uid),
};

export interface InformerOptions<T extends KubeObject> {
  client: ResourceClient<T>;
  /** '' (default): all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Additional indexes; byNamespace always exists. */
  indexers?: Record<string, IndexFunc<T>>;
  /** Every period, onUpdate(obj, obj) for every cached object (0/absent: never). */
  resyncPeriodMs?: number;
  pageSize?: number;
  /** Errors of the list/watch loop and of handlers; default: one line to stderr. */
  onError?: (err: Error) => void;
  clock?: Clock;
  watchTimeoutSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** For error messages: e.g. `pods`. */
  name?: string;
}

interface Registration<T> {
  handler: EventHandler<T>;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly name: string;
  private readonly client: ResourceClient<T>;
  private readonly namespace: string;
  private readonly clock: Clock;
  private readonly opts: {
    labelSelector?: string;
    fieldSelector?: string;
    resyncPeriodMs: number;
    pageSize: number;
    watchTimeoutSeconds: number;
    backoffInitialMs: number;
    backoffMaxMs: number;
    onError: (err: Error) => void;
  };
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /** key → index name → values it is indexed under (to unindex the old version). */
  private readonly indexed = new Map<string, Map<string, string[]>>();
  private readonly handlers: Registration<T>[] = [];
  private synced = false;
  private readonly syncWaiters = new Set<() => void>();
  private started = false;
  private readonly ac = new AbortController();
  private loop: Promise<void> | undefined;
  private resyncTimer: TimerHandle | undefined;
  private rv = '';
  private needList = true;
  /** Relists (after the first list), for tests and metrics. */
  relists = 0;

  constructor(options: InformerOptions<T>) {
    this.client = options.client;
    this.namespace = options.namespace ?? '';
    this.clock = options.clock ?? realClock;
    this.name = options.name ?? `${options.client.resource.plural}${options.client.resource.group ? `.${options.client.resource.group}` : ''}`;
    this.opts = {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resyncPeriodMs: options.resyncPeriodMs ?? 0,
      pageSize: options.pageSize ?? informerDefaults.pageSize,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? informerDefaults.watchTimeoutSeconds,
      backoffInitialMs: options.backoffInitialMs ?? informerDefaults.backoffInitialMs,
      backoffMaxMs: options.backoffMaxMs ?? informerDefaults.backoffMaxMs,
      onError: options.onError ?? ((err) => process.stderr.write(`informer ${this.name}: ${err.message}\n`)),
    };
    this.addIndexer(NAMESPACE_INDEX, indexers.byNamespace);
    for (const [n, f] of Object.entries(options.indexers ?? {})) this.addIndexer(n, f);
  }

  // ---- lifecycle ----

  /** Starts the list/watch loop (once). */
  start(): void {
    if (this.started || this.ac.signal.aborted) return;
    this.started = true;
    this.loop = this.run();
    this.scheduleResync();
  }

  /** Stops the loop and its watch; resolves when it has ended. The cache stays readable. */
  async stop(): Promise<void> {
    this.ac.abort();
    this.resyncTimer?.cancel();
    for (const w of this.syncWaiters) w();
    this.syncWaiters.clear();
    await this.loop;
  }

  get isStopped(): boolean {
    return this.ac.signal.aborted;
  }

  /** True once the first list has been delivered to the cache and handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted || this.ac.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        this.syncWaiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve(this.synced);
      };
      this.syncWaiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** The resourceVersion the cache is at (the last list, event or bookmark). */
  get lastSyncResourceVersion(): string {
    return this.rv;
  }

  // ---- handlers and indexes ----

  /**
   * Registers a handler. Objects already cached are replayed to it as adds (initialList true), as
   * client-go does, so a late handler sees the same world as an early one. dispose() removes it.
   */
  addEventHandler(handler: EventHandler<T>): { dispose(): void } {
    const reg: Registration<T> = { handler };
    this.handlers.push(reg);
    if (handler.onAdd) for (const obj of this.items.values()) this.call(() => handler.onAdd?.(obj, true));
    return {
      dispose: () => {
        const i = this.handlers.indexOf(reg);
        if (i >= 0) this.handlers.splice(i, 1);
      },
    };
  }

  /** Adds (or replaces) an index; existing cache entries are indexed at once. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(name)) for (const key of this.items.keys()) this.unindexOne(name, key);
    this.indexFuncs.set(name, fn);
    this.indices.set(name, new Map());
    for (const [key, obj] of this.items) this.indexOne(name, fn, key, obj);
  }

  hasIndexer(name: string): boolean {
    return this.indexFuncs.has(name);
  }

  // ---- reads (the lister) ----

  /** By cache key: `ns/name`, or `name` for cluster-scoped objects. */
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Every cached object, or those in one namespace. */
  list(namespace?: string): T[] {
    if (namespace === undefined || namespace === '') return [...this.items.values()];
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects indexed under `value` by index `indexName` (throws for an unknown index). */
  byIndex(indexName: string, value: string): T[] {
    const keys = this.indexKeys(indexName, value);
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  indexKeys(indexName: string, value: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`informer ${this.name}: no index named ${JSON.stringify(indexName)}`);
    return [...(idx.get(value) ?? [])];
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    let backoff = this.opts.backoffInitialMs;
    while (!signal.aborted) {
      try {
        if (this.needList) {
          await this.relist(signal);
          this.needList = false;
        }
        const { events, elapsedMs } = await this.watchOnce(signal);
        if (events > 0 || elapsedMs >= informerDefaults.minWatchMs) {
          backoff = this.opts.backoffInitialMs;
          continue;
        }
        // A watch that closes at once without a word: do not spin; wait as after an error.
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          // Our resourceVersion is compacted away: relist at once, as client-go does.
          this.needList = true;
          continue;
        }
        this.report(err);
      }
      try {
        await sleep(this.clock, backoff, signal);
      } catch {
        break;
      }
      backoff = Math.min(this.opts.backoffMaxMs, backoff * 2);
    }
  }

  /** Lists everything (in pages), replaces the cache and tells handlers the difference. */
  private async relist(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.listAll(signal);
    if (signal.aborted) return;
    this.replace(items, resourceVersion);
  }

  private async listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const base = { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, signal };
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    try {
      do {
        const page = await this.client.list(this.namespace, { ...base, limit: this.opts.pageSize, continue: cont });
        for (const o of page.items) items.push(o);
        rv = page.resourceVersion;
        cont = page.continue;
      } while (cont);
      return { items, resourceVersion: rv };
    } catch (err) {
      // The continue token expired mid-way (compaction): one consistent list without paging,
      // as client-go's pager falls back to.
      if (!isGone(err) || cont === undefined) throw err;
      const all = await this.client.list(this.namespace, base);
      return { items: all.items, resourceVersion: all.resourceVersion };
    }
  }

  /** Makes the cache equal `items`, telling handlers the differences (client-go's Replace). */
  private replace(items: readonly T[], resourceVersion: string): void {
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.items.get(key);
      this.store(key, obj);
      if (!old) this.emit((h) => h.onAdd?.(obj, initial));
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit((h) => h.onUpdate?.(old, obj));
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.remove(key);
      this.emit((h) => h.onDelete?.(old));
    }
    this.rv = resourceVersion;
    if (!initial) this.relists++;
    if (!this.synced) {
      this.synced = true;
      for (const w of [...this.syncWaiters]) w();
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<{ events: number; elapsedMs: number }> {
    const started = this.clock.now();
    let events = 0;
    if (signal.aborted) return { events, elapsedMs: 0 };
    // Our own controller, so the watch also ends when we leave the loop on an ERROR event.
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // A random timeout in [t, 2t) spreads re-watches of many clients, as client-go does.
      const timeoutSeconds = Math.floor(this.opts.watchTimeoutSeconds * (1 + Math.random()));
      const stream = this.client.watch(
        this.namespace,
        { resourceVersion: this.rv, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, allowWatchBookmarks: true, timeoutSeconds },
        ac.signal,
      );
      for await (const ev of stream) {
        if (signal.aborted) break;
        events++;
        switch (ev.type) {
          case 'ADDED':
          case 'MODIFIED': {
            const obj = ev.object;
            const key = objectKey(obj);
            const old = this.items.get(key);
            this.store(key, obj);
            if (old) this.emit((h) => h.onUpdate?.(old, obj));
            else this.emit((h) => h.onAdd?.(obj, false));
            break;
          }
          case 'DELETED': {
            const key = objectKey(ev.object);
            const old = this.items.get(key);
            this.remove(key);
            // The server's copy is the final state; the cached one is at most as new.
            const last = ev.object ?? old;
            this.emit((h) => h.onDelete?.(last));
            break;
          }
          case 'BOOKMARK':
            break;
          case 'ERROR':
            throw watchError(ev.object);
        }
        const rv = ev.object.metadata?.resourceVersion;
        if (rv) this.rv = rv;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      ac.abort();
    }
    return { events, elapsedMs: this.clock.now() - started };
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs;
    if (period <= 0 || this.ac.signal.aborted) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.ac.signal.aborted) return;
      if (this.synced) for (const obj of this.items.values()) this.emit((h) => h.onUpdate?.(obj, obj));
      this.scheduleResync();
    }, period);
  }

  // ---- cache internals ----

  private store(key: string, obj: T): void {
    if (this.items.has(key)) for (const name of this.indexFuncs.keys()) this.unindexOne(name, key);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFuncs) this.indexOne(name, fn, key, obj);
  }

  private remove(key: string): void {
    if (!this.items.has(key)) return;
    for (const name of this.indexFuncs.keys()) this.unindexOne(name, key);
    this.items.delete(key);
    this.indexed.delete(key);
  }

  private indexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    let values: string[];
    try {
      values = fn(obj);
    } catch (err) {
      this.report(err);
      values = [];
    }
    const idx = this.indices.get(name)!;
    for (const v of values) {
      let set = idx.get(v);
      if (!set) idx.set(v, (set = new Set()));
      set.add(key);
    }
    let perKey = this.indexed.get(key);
    if (!perKey) this.indexed.set(key, (perKey = new Map()));
    perKey.set(name, values);
  }

  private unindexOne(name: string, key: string): void {
    const values = this.indexed.get(key)?.get(name);
    if (!values) return;
    const idx = this.indices.get(name)!;
    for (const v of values) {
      const set = idx.get(v);
      if (!set) continue;
      set.delete(key);
      if (set.size === 0) idx.delete(v);
    }
    this.indexed.get(key)!.delete(name);
  }

  private emit(fn: (h: EventHandler<T>) => void): void {
    for (const reg of this.handlers) this.call(() => fn(reg.handler));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.opts.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // the error hook failed; nothing more we can do without throwing out of the loop
    }
  }
}

// ---- SharedInformerFactory ------------------------------------------------------------------------

export interface InformerScope<T extends KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Indexes this user needs; added to the shared informer if missing. */
  indexers?: Record<string, IndexFunc<T>>;
}

export interface SharedInformerFactoryOptions {
  resyncPeriodMs?: number;
  onError?: (err: Error) => void;
  clock?: Clock;
  pageSize?: number;
  watchTimeoutSeconds?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly source: ClientSource,
    private readonly options: SharedInformerFactoryOptions = {},
  ) {}

  /**
   * The one informer for this resource and scope. After start(), a new informer starts at once
   * (client-go would need another Start call; forgetting it is a classic bug).
   */
  informerFor<T extends KubeObject = KubeObject>(ref: ResourceRef, scope: InformerScope<T> = {}): Informer<T> {
    const key = [ref.group, ref.version, ref.plural, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      const o = this.options;
      inf = new Informer<T>({
        client: this.source.resource<T>(ref),
        namespace: scope.namespace,
        labelSelector: scope.labelSelector,
        fieldSelector: scope.fieldSelector,
        resyncPeriodMs: o.resyncPeriodMs,
        onError: o.onError,
        clock: o.clock,
        pageSize: o.pageSize,
        watchTimeoutSeconds: o.watchTimeoutSeconds,
        backoffInitialMs: o.backoffInitialMs,
        backoffMaxMs: o.backoffMaxMs,
      });
      this.informers.set(key, inf as unknown as Informer<KubeObject>);
      if (this.started) inf.start();
    }
    for (const [name, fn] of Object.entries(scope.indexers ?? {})) if (!inf.hasIndexer(name)) inf.addIndexer(name, fn);
    return inf;
  }

  /** Starts every informer created so far (and, from now on, each new one). */
  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves true when every informer has synced; false if `signal` aborts first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  get size(): number {
    return this.informers.size;
  }
}
