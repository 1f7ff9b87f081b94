// Test helpers for controllers in this folder: a ControllerContext over a given ClientSource with
// a FakeClock, and a poll loop that can move the fake clock while it waits. Test-only (imported by
// *.test.ts files), but free of apiserver/storage imports so that it obeys the layering rule.
import { until as waitUntil } from '../../client/testing.js';
import type { Clock } from '../../client/clock.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformerFactory } from '../../client/informer.js';
import type { ClientSource } from '../../client/resource_client.js';
import type { Controller, ControllerContext } from '../controller.js';

export interface Harness {
  ctx: ControllerContext;
  factory: SharedInformerFactory;
  errors: unknown[];
  recorders: EventRecorder[];
  stop(): Promise<void>;
}

/** Sets up `controller` (or several), starts the informers, waits for sync and runs it. */
export async function startControllers(
  controllers: readonly Controller[],
  opts: { source: ClientSource; clock: Clock; apiUrl?: string; options?: Record<string, number | string | boolean> },
): Promise<Harness> {
  const factory = new SharedInformerFactory(opts.source, { onError: () => undefined });
  const errors: unknown[] = [];
  const recorders: EventRecorder[] = [];
  const ctx: ControllerContext = {
    source: opts.source,
    factory,
    clock: opts.clock,
    options: opts.options ?? {},
    recorder: (component) => {
      if (!opts.apiUrl) return undefined;
      const r = new EventRecorder({ baseUrl: opts.apiUrl, component, onError: () => undefined });
      recorders.push(r);
      return r;
    },
    onError: (err) => errors.push(err),
  };
  for (const c of controllers) c.setup(ctx);
  factory.start();
  await factory.waitForSync();
  const ac = new AbortController();
  const runs = controllers.map((c) => c.run(ctx, ac.signal));
  return {
    ctx,
    factory,
    errors,
    recorders,
    stop: async () => {
      ac.abort();
      await Promise.all(runs);
      await Promise.all(recorders.map((r) => r.close()));
      await factory.stop();
    },
  };
}

/** Polls `fn` (real time) until it returns something truthy; throws after `ms`. */
export function until<T>(fn: () => T | Promise<T>, ms = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  return waitUntil(what, fn, ms, 10) as Promise<NonNullable<T>>;
}
