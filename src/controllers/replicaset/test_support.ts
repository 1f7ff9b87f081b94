// Helpers for controller tests (not used by the controllers themselves): run controllers over a
// ClientSource the way the controller manager does, capture their Events, play the kubelet's part
// in making pods ready, and wrap a source to delay or fail calls. The API server itself is started
// by the test files, so this file, like the controllers, depends only on client/ and api/.
import { until as waitUntil, type Truthy } from '../../client/testing.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../api/errors.js';
import { realClock, type Clock } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import type { ClientSource, KubeObject, ResourceClient, ResourceRef, WatchEvent } from '../../client/resource_client.js';
import type { Controller, ControllerContext } from '../controller.js';


export function until<T>(fn: () => T | Promise<T>, what = 'condition', ms = 15_000): Promise<Truthy<T>> {
  return waitUntil(what, fn, ms, 10);
}

export interface RecordedEvent {
  component: string;
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
}

export interface RunningControllers {
  events: RecordedEvent[];
  errors: unknown[];
  factory: SharedInformerFactory;
  stop(): Promise<void>;
}

/** Sets up, starts and runs `controllers` as the manager would; stop() ends them and their informers. */
export async function runControllers(source: ClientSource, controllers: Controller[], opts: { clock?: Clock } = {}): Promise<RunningControllers> {
  const events: RecordedEvent[] = [];
  const errors: unknown[] = [];
  const factory = new SharedInformerFactory(source, { onError: (e) => errors.push(e) });
  const recorder = (component: string): EventRecorder =>
    new EventRecorder({
      baseUrl: 'http://events.invalid',
      component,
      fetch: async (_url, init) => {
        const body = JSON.parse(String(init.body)) as { involvedObject?: { kind?: string; name?: string }; type?: string; reason?: string; message?: string };
        if (body.reason) {
          events.push({ component, kind: body.involvedObject?.kind ?? '', name: body.involvedObject?.name ?? '', type: body.type ?? '', reason: body.reason, message: body.message ?? '' });
        }
        return new Response('{}', { status: 201 });
      },
    });
  const ctx: ControllerContext = {
    source,
    factory,
    recorder,
    clock: opts.clock ?? realClock,
    options: {},
    onError: (e) => errors.push(e),
  };
  for (const c of controllers) c.setup(ctx);
  factory.start();
  const ac = new AbortController();
  await factory.waitForSync(ac.signal);
  const runs = controllers.map((c) => c.run(ctx, ac.signal));
  return {
    events,
    errors,
    factory,
    stop: async () => {
      ac.abort();
      await Promise.all(runs);
      await factory.stop();
    },
  };
}

/** What a kubelet would report for a started, ready pod (readiness `sinceMs` ago). */
export async function markReady(pods: ResourceClient<Pod>, pod: Pod, sinceMs = 0): Promise<Pod> {
  const fresh = await pods.get(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
  const t = new Date(Date.now() - sinceMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const status = { ...(fresh.status ?? {}), phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] };
  return pods.updateStatus(fresh.metadata?.namespace ?? '', { ...fresh, status });
}

export function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** A 409 Conflict as the server words it. */
export function conflictError(name: string): ApiError {
  return new ApiError({ code: 409, reason: 'Conflict', message: `Operation cannot be fulfilled on ${name}: the object has been modified; please apply your changes to the latest version and try again` });
}

type Hook = (ref: ResourceRef, verb: string, args: unknown[]) => void | Promise<void>;

/**
 * A ClientSource that passes everything to `inner`, except that `before` runs ahead of every call
 * (it may throw to fail the call, or wait), and pod watch events wait while `holdPodWatch` is set.
 */
export class InterceptingSource implements ClientSource {
  holdPodWatch = false;
  private waiters: Array<() => void> = [];
  before: Hook | undefined;

  constructor(private readonly inner: ClientSource) {}

  /** Lets held pod watch events through (and keeps them flowing). */
  release(): void {
    this.holdPodWatch = false;
    for (const w of this.waiters.splice(0)) w();
  }

  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    const c = this.inner.resource<T>(ref);
    const hook = async (verb: string, args: unknown[]): Promise<void> => {
      await this.before?.(ref, verb, args);
    };
    const self = this;
    return {
      resource: c.resource,
      get: async (ns, name, o) => (await hook('get', [ns, name]), c.get(ns, name, o)),
      list: async (ns, o) => (await hook('list', [ns, o]), c.list(ns, o)),
      async *watch(ns, o, signal): AsyncGenerator<WatchEvent<T>> {
        for await (const ev of c.watch(ns, o, signal)) {
          while (ref.plural === 'pods' && self.holdPodWatch && !signal.aborted) await new Promise<void>((r) => {
            self.waiters.push(r);
            signal.addEventListener('abort', () => r(), { once: true });
          });
          yield ev;
        }
      },
      create: async (ns, obj, o) => (await hook('create', [ns, obj]), c.create(ns, obj, o)),
      update: async (ns, obj, o) => (await hook('update', [ns, obj]), c.update(ns, obj, o)),
      updateStatus: async (ns, obj, o) => (await hook('updateStatus', [ns, obj]), c.updateStatus(ns, obj, o)),
      patch: async (ns, name, type, body, o) => (await hook('patch', [ns, name, type, body]), c.patch(ns, name, type, body, o)),
      delete: async (ns, name, o) => (await hook('delete', [ns, name]), c.delete(ns, name, o)),
      subresource: async (ns, name, sub, method, body, o) => (await hook('subresource', [ns, name, sub, method, body]), c.subresource(ns, name, sub, method, body, o)),
    };
  }
}
