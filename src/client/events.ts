// EventRecorder: how controllers, the scheduler and the kubelet tell users what they did, as
// core/v1 Events that `kubectl describe` and `kubectl get events` show. The idea is client-go's
// record.EventRecorder, in our own small form:
//  - `event(obj, type, reason, message)` returns at once; writes go through one serial queue
//    (bounded, so a slow API server drops events instead of growing memory, as upstream's
//    broadcaster does), and `flush()` waits for the queue (tests, orderly shutdown).
//  - An identical event (same object, type, reason, message, source) repeated within ten minutes is
//    not written again: the existing Event gets `count` + 1 and a new `lastTimestamp` through a
//    merge patch. kubectl prints that as "2s (x2 over 5s)".
//  - The recorder never throws to its caller: failures go to `onError` (stderr by default).
// Events are best-effort by design; nothing may depend on one having been written.

import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { rfc3339 } from '../api/time.js';

export type EventType = 'Normal' | 'Warning';

/** An API object (anything with metadata) or a reference to one. */
export type InvolvedObject = ObjectReference | { apiVersion?: string; kind?: string; metadata?: ObjectMeta };

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface EventRecorderOptions {
  /** API server URL, e.g. `http://127.0.0.1:6443`. */
  baseUrl: string;
  /** `source.component` and `reportingComponent`, e.g. `deployment-controller` (a qualified name). */
  component: string;
  /** `source.host` and `reportingInstance` (the kubelet's node name, for example). */
  host?: string;
  fetch?: FetchLike;
  /** Extra request headers (an Authorization header, say). */
  headers?: Record<string, string>;
  /** Where failures go; the default writes one line to stderr. */
  onError?: (err: Error) => void;
  /** Clock in ms, for tests. */
  now?: () => number;
  cacheSize?: number;
  aggregationWindowMs?: number;
  maxPending?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  requestTimeoutMs?: number;
}

export const eventRecorderDefaults = {
  /** Distinct (object, type, reason, message) keys remembered for aggregation. */
  cacheSize: 4096,
  /** A repeat later than this after the last one starts a new Event. */
  aggregationWindowMs: 10 * 60 * 1000,
  /** Events queued but not yet written; beyond this new events are dropped (client-go: 1000). */
  maxPending: 1000,
  /** Tries per write when the server is unreachable, answers 5xx or 429. */
  maxAttempts: 3,
  retryDelayMs: 250,
  requestTimeoutMs: 10_000,
} as const;

/** A failed event write, with the HTTP status when there was an answer. */
export class EventRecordError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'EventRecordError';
  }
}

interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  lastMs: number;
}

/** A Map kept in recency order; the oldest key is evicted past `max`. */
class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
}

const MAX_NAME = 253;
const SUFFIX_LEN = 17; // "." + 16 hex digits

function isReference(o: InvolvedObject): o is ObjectReference {
  return !('metadata' in o) || o.metadata === undefined;
}

/** The ObjectReference an Event points at (client-go's reference.GetReference). */
export function referenceTo(o: InvolvedObject): ObjectReference {
  if (isReference(o)) {
    return dropEmpty({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.namespace, name: o.name, uid: o.uid, resourceVersion: o.resourceVersion, fieldPath: o.fieldPath });
  }
  const m = o.metadata ?? {};
  return dropEmpty({ apiVersion: o.apiVersion, kind: o.kind, namespace: m.namespace, name: m.name, uid: m.uid, resourceVersion: m.resourceVersion });
}

function dropEmpty(r: ObjectReference): ObjectReference {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out as ObjectReference;
}


function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class EventRecorder {
  private readonly opts: Required<Omit<EventRecorderOptions, 'host' | 'headers'>> & Pick<EventRecorderOptions, 'host' | 'headers'>;
  private readonly cache: LruCache<Aggregate>;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private closed = false;
  private lastNanos = 0n;

  constructor(options: EventRecorderOptions) {
    const d = eventRecorderDefaults;
    this.opts = {
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      component: options.component,
      host: options.host,
      headers: options.headers,
      fetch: options.fetch ?? ((url, init) => fetch(url, init)),
      onError:
        options.onError ??
        ((err) => {
          process.stderr.write(`event recorder (${options.component}): ${err.message}\n`);
        }),
      now: options.now ?? (() => Date.now()),
      cacheSize: options.cacheSize ?? d.cacheSize,
      aggregationWindowMs: options.aggregationWindowMs ?? d.aggregationWindowMs,
      maxPending: options.maxPending ?? d.maxPending,
      maxAttempts: options.maxAttempts ?? d.maxAttempts,
      retryDelayMs: options.retryDelayMs ?? d.retryDelayMs,
      requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    };
    this.cache = new LruCache(this.opts.cacheSize);
  }

  /** Records an event about `obj`. Returns at once and never throws. */
  event(obj: InvolvedObject, type: EventType, reason: string, message: string): void {
    try {
      if (this.closed) throw new EventRecordError(`recorder closed; dropped ${reason} event`);
      const ref = referenceTo(obj);
      if (!ref.name) throw new EventRecordError(`cannot record ${reason} event: the involved object has no name`);
      if (this.pending >= this.opts.maxPending) {
        throw new EventRecordError(`${this.pending} events pending; dropped ${reason} event for ${ref.kind ?? 'object'} ${ref.namespace ?? ''}/${ref.name}`);
      }
      const at = this.opts.now();
      this.pending++;
      this.tail = this.tail
        .then(() => this.record(ref, type, reason, message, at))
        .catch((err: unknown) => this.report(err))
        .finally(() => {
          this.pending--;
        });
    } catch (err) {
      this.report(err);
    }
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    return this.tail;
  }

  /** Stops accepting events and waits for the queue to drain. */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  /** Number of distinct events remembered for aggregation (for tests). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  private report(err: unknown): void {
    try {
      this.opts.onError(errorOf(err));
    } catch {
      // onError itself failed; there is nowhere left to report to, and we promised not to throw.
    }
  }

  private async record(ref: ObjectReference, type: EventType, reason: string, message: string, at: number): Promise<void> {
    // Cluster-scoped objects' events live in "default", as in client-go.
    const namespace = ref.namespace || 'default';
    const key = JSON.stringify([this.opts.component, this.opts.host ?? '', ref.apiVersion, ref.kind, namespace, ref.name, ref.uid, ref.fieldPath, type, reason, message]);
    const prev = this.cache.get(key);
    if (prev && at - prev.lastMs < this.opts.aggregationWindowMs) {
      const count = prev.count + 1;
      const res = await this.send('PATCH', `/api/v1/namespaces/${encodeURIComponent(prev.namespace)}/events/${encodeURIComponent(prev.name)}`, 'application/merge-patch+json', {
        count,
        lastTimestamp: rfc3339(at),
      });
      if (res.ok) {
        this.cache.set(key, { ...prev, count, lastMs: at });
        return;
      }
      if (res.status !== 404) throw await failure(res, `patch event ${prev.namespace}/${prev.name}`);
      // The event expired (TTL) or was deleted: start a new one below.
      this.cache.delete(key);
    }
    const name = `${ref.name!.slice(0, MAX_NAME - SUFFIX_LEN)}.${this.suffix(at)}`;
    const ts = rfc3339(at);
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: this.opts.host ? { component: this.opts.component, host: this.opts.host } : { component: this.opts.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
    const res = await this.send('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, 'application/json', event);
    // 409: an event of that name exists already; names carry a nanosecond clock, so it is ours.
    if (!res.ok && res.status !== 409) throw await failure(res, `create event ${namespace}/${name}`);
    this.cache.set(key, { namespace, name, count: 1, lastMs: at });
  }

  /** 16 hex digits of a strictly increasing nanosecond clock (client-go uses `%x` of UnixNano). */
  private suffix(atMs: number): string {
    let n = BigInt(Math.floor(atMs)) * 1_000_000n;
    if (n <= this.lastNanos) n = this.lastNanos + 1n;
    this.lastNanos = n;
    return n.toString(16).padStart(16, '0').slice(-16);
  }

  /** One write with bounded retries on transport errors, 5xx and 429. */
  private async send(method: string, path: string, contentType: string, body: unknown): Promise<Response> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, this.opts.retryDelayMs * (attempt - 1)));
      try {
        const res = await this.opts.fetch(`${this.opts.baseUrl}${path}`, {
          method,
          headers: { 'Content-Type': contentType, Accept: 'application/json', ...this.opts.headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
        });
        if ((res.status >= 500 || res.status === 429) && attempt < this.opts.maxAttempts) {
          lastErr = await failure(res, `${method} ${path}`);
          continue;
        }
        return res;
      } catch (err) {
        lastErr = err;
      }
    }
    throw new EventRecordError(`${method} ${path} failed after ${this.opts.maxAttempts} attempts: ${errorOf(lastErr).message}`);
  }
}

async function failure(res: Response, what: string): Promise<EventRecordError> {
  let detail = '';
  let reason: string | undefined;
  try {
    const text = await res.text();
    detail = text.slice(0, 500);
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const s = parsed as { message?: unknown; reason?: unknown };
      if (typeof s.message === 'string') detail = s.message;
      if (typeof s.reason === 'string') reason = s.reason;
    }
  } catch {
    // the body was not a Status; keep the raw text
  }
  return new EventRecordError(`${what}: HTTP ${res.status}${detail ? `: ${detail}` : ''}`, res.status, reason);
}
