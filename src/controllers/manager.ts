// The controller manager: runs the enabled controllers with one shared informer factory, under
// leader election on the Lease kube-system/capstan-controller-manager, so that several managers
// can run and only one acts. When leadership is lost, every controller stops; a new term starts
// fresh informers (level-triggered controllers need nothing else to resume).
import { setMaxListeners } from 'node:events';
import type { EventRecorder } from '../client/events.js';
import { realClock, type Clock } from '../client/clock.js';
import { SharedInformerFactory } from '../client/informer.js';
import { LEASES, LeaderElector } from '../client/leader_election.js';
import type { ClientSource } from '../client/resource_client.js';
import type { ControllerContext, ControllerFactory } from './controller.js';

export interface ControllerManagerOptions {
  source: ClientSource;
  /** Controller names to run (see selectControllers). */
  controllers: readonly string[];
  registry: Readonly<Record<string, ControllerFactory>>;
  recorder: (component: string) => EventRecorder | undefined;
  identity: string;
  options?: Readonly<Record<string, number | string | boolean>>;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  clock?: Clock;
  onError?: (err: unknown) => void;
}

export interface ControllerManagerHandle {
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function runControllerManager(opts: ControllerManagerOptions): ControllerManagerHandle {
  const onError = opts.onError ?? ((err: unknown) => process.stderr.write(`controller-manager: ${String(err)}\n`));
  const lead = async (signal: AbortSignal): Promise<void> => {
    // Every controller, its workers and informers listen on this one signal: many listeners by design.
    setMaxListeners(1000, signal);
    const factory = new SharedInformerFactory(opts.source, { onError });
    const ctx: ControllerContext = {
      source: opts.source,
      factory,
      recorder: opts.recorder,
      clock: opts.clock ?? realClock,
      options: opts.options ?? {},
      onError,
    };
    const controllers = opts.controllers.map((name) => opts.registry[name]!());
    for (const c of controllers) c.setup(ctx);
    factory.start();
    try {
      if (!(await factory.waitForSync(signal))) return;
      await Promise.all(
        controllers.map((c) =>
          c.run(ctx, signal).catch((err: unknown) => onError(new Error(`${c.name}: ${err instanceof Error ? err.message : String(err)}`))),
        ),
      );
    } finally {
      await factory.stop();
    }
  };
  const elector = new LeaderElector({
    client: opts.source.resource(LEASES),
    name: 'capstan-controller-manager',
    identity: opts.identity,
    leaseDurationSeconds: opts.leaseDurationSeconds,
    renewDeadlineSeconds: opts.renewDeadlineSeconds,
    retryPeriodSeconds: opts.retryPeriodSeconds,
    onStartedLeading: (signal) => {
      lead(signal).catch(onError);
    },
    onError,
  });
  elector.start();
  return { isLeader: () => elector.isLeader(), stop: () => elector.stop() };
}
