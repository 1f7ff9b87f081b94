// The controller seam: a controller is a named thing that, given shared informers and a client,
// registers its event handlers and then runs reconcile workers until its signal aborts. The
// controller manager (manager.ts) starts the enabled ones under leader election, with one
// SharedInformerFactory for all of them, so each resource is watched once.
//
// Reconcilers are level-triggered (STYLE.md rule 4): `reconcile(key)` reads the informer caches,
// compares desired with actual, writes through the client, and is always safe to run again.
import type { EventRecorder } from '../client/events.js';
import type { Clock } from '../client/clock.js';
import type { SharedInformerFactory } from '../client/informer.js';
import type { ClientSource } from '../client/resource_client.js';

export interface ControllerContext {
  /** API access (in process in `capstan server`, HTTP elsewhere). */
  source: ClientSource;
  /** Shared informers: ask with `factory.informerFor(ref)` inside `setup`, before the factory starts. */
  factory: SharedInformerFactory;
  /** An Event recorder with the given component name (e.g. `deployment-controller`). */
  recorder(component: string): EventRecorder | undefined;
  clock: Clock;
  /** Per-controller options from flags (e.g. nodeMonitorGracePeriodMs), by name. */
  options: Readonly<Record<string, number | string | boolean>>;
  onError(err: unknown): void;
}

export interface Controller {
  /** As upstream names it in --controllers (`replicaset`, `deployment`, `garbagecollector`, ...). */
  readonly name: string;
  /** Registers informers and handlers. Called before the factory starts; must not block. */
  setup(ctx: ControllerContext): void;
  /** Runs workers after the caches have synced, until `signal` aborts. */
  run(ctx: ControllerContext, signal: AbortSignal): Promise<void>;
}

export type ControllerFactory = () => Controller;

/**
 * A Controller from a class whose constructor registers informers and handlers (setup) and whose
 * `run(signal)` runs the workers: the common shape, written once.
 */
export function controllerFrom(name: string, make: (ctx: ControllerContext) => { run(signal: AbortSignal): Promise<void> }): Controller {
  let impl: { run(signal: AbortSignal): Promise<void> } | undefined;
  return {
    name,
    setup(ctx) {
      impl = make(ctx);
    },
    async run(ctx, signal) {
      impl ??= make(ctx);
      await impl.run(signal);
    },
  };
}

/**
 * A numeric option from `ctx.options`, or `dflt` when it is absent or not a finite number at
 * least 0 (above 0 with `positive`, for counts such as workers).
 */
export function numberOption(ctx: ControllerContext, name: string, dflt: number, opts: { positive?: boolean } = {}): number {
  const v = ctx.options[name];
  return typeof v === 'number' && Number.isFinite(v) && (opts.positive ? v > 0 : v >= 0) ? v : dflt;
}
