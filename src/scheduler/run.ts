// Runs the scheduler against an API server: informers for pods, nodes and PodDisruptionBudgets
// feed the Scheduler; binding, the PodScheduled condition, preemption and Events go back through
// the client. Leader election on the Lease kube-system/capstan-scheduler means that several
// schedulers can run and only one acts.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { EventRecorder } from '../client/events.js';
import { SharedInformerFactory } from '../client/informer.js';
import { LEASES, LeaderElector } from '../client/leader_election.js';
import { isConflict, isNotFound, resourceRef, type ClientSource } from '../client/resource_client.js';
import { Scheduler } from './scheduler.js';
import type { SchedulerConfiguration } from './framework/config.js';
import { rfc3339 } from '../api/time.js';

export interface RunSchedulerOptions {
  source: ClientSource;
  recorder?: EventRecorder;
  /** This instance's identity in leader election. */
  identity: string;
  /** Lease timings (tests shorten them). */
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  onError?: (err: unknown) => void;
  /** Profiles and plugin settings (parseConfiguration of a KubeSchedulerConfiguration-like YAML). */
  config?: SchedulerConfiguration;
}

const PODS = resourceRef('', 'v1', 'pods');
const NODES = resourceRef('', 'v1', 'nodes');
const PDBS = resourceRef('policy', 'v1', 'poddisruptionbudgets');

function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export interface SchedulerHandle {
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function runScheduler(options: RunSchedulerOptions): SchedulerHandle {
  const { source, recorder } = options;
  const onError = options.onError ?? ((err: unknown) => process.stderr.write(`scheduler: ${String(err)}\n`));
  const pods = source.resource<Pod>(PODS);

  /** One leadership term: informers and a scheduling loop that end when `signal` aborts. */
  const lead = async (signal: AbortSignal): Promise<void> => {
    const factory = new SharedInformerFactory(source, { onError });
    const podInformer = factory.informerFor<Pod>(PODS);
    const nodeInformer = factory.informerFor<Node>(NODES);
    const pdbInformer = factory.informerFor<PodDisruptionBudget>(PDBS);
    const scheduler = new Scheduler({
      config: options.config,
      pdbs: () => pdbInformer.list(),
      bind: async (pod, nodeName) => {
        await pods.subresource(pod.metadata?.namespace ?? '', pod.metadata!.name!, 'binding', 'POST', {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod.metadata!.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        });
      },
      onScheduled: (pod, nodeName) => {
        recorder?.event(involved(pod), 'Normal', 'Scheduled', `Successfully assigned ${podKey(pod)} to ${nodeName}`);
      },
      recordFailure: async (pod, info) => {
        recorder?.event(involved(pod), 'Warning', 'FailedScheduling', info.message);
        await setUnschedulable(pod, info.reason, info.message, info.nominatedNodeName).catch((err: unknown) => {
          // The pod went away or changed meanwhile: its next event requeues it anyway.
          if (!isNotFound(err) && !isConflict(err)) onError(err);
        });
      },
      preempt: async (victims, preemptor, nominatedNodeName) => {
        for (const v of victims) {
          recorder?.event(involved(v), 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata?.uid ?? ''} on node ${nominatedNodeName}`);
          await pods.delete(v.metadata?.namespace ?? '', v.metadata!.name!).catch((err: unknown) => {
            if (!isNotFound(err)) onError(err);
          });
        }
      },
      onInvalidNode: (node, err) => {
        recorder?.event(involved(node), 'Warning', 'InvalidNode', `node ignored by the scheduler: ${err.message}`);
      },
      logger: { info: () => undefined, error: (obj, msg) => onError(`${msg} ${JSON.stringify(obj)}`) },
    });
    podInformer.addEventHandler({
      onAdd: (p) => scheduler.addPod(p),
      onUpdate: (o, n) => scheduler.updatePod(o, n),
      onDelete: (p) => scheduler.deletePod(p),
    });
    nodeInformer.addEventHandler({
      onAdd: (n) => scheduler.addNode(n),
      onUpdate: (o, n) => scheduler.updateNode(o, n),
      onDelete: (n) => scheduler.deleteNode(n),
    });
    factory.start();
    try {
      if (await factory.waitForSync(signal)) await scheduler.run(signal);
    } finally {
      await factory.stop();
    }
  };

  /** PodScheduled=False with the scheduler's reason and message (and the nominated node, when preempting). */
  const setUnschedulable = async (pod: Pod, reason: string, message: string, nominatedNodeName: string | undefined): Promise<void> => {
    const ns = pod.metadata?.namespace ?? '';
    const current = await pods.get(ns, pod.metadata!.name!);
    if (current.spec?.nodeName) return;
    const conditions = (current.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    const previous = current.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const changed = !previous || previous.status !== 'False' || previous.reason !== reason || previous.message !== message;
    if (!changed && (nominatedNodeName === undefined || current.status?.nominatedNodeName === nominatedNodeName)) return;
    conditions.push({
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastProbeTime: null as unknown as string,
      lastTransitionTime: previous?.status === 'False' && previous.lastTransitionTime ? previous.lastTransitionTime : rfc3339(Date.now()),
    });
    const status = { ...current.status, conditions, ...(nominatedNodeName ? { nominatedNodeName } : {}) };
    await pods.updateStatus(ns, { ...current, status });
  };

  const elector = new LeaderElector({
    client: source.resource(LEASES),
    name: 'capstan-scheduler',
    identity: options.identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    renewDeadlineSeconds: options.renewDeadlineSeconds,
    retryPeriodSeconds: options.retryPeriodSeconds,
    onStartedLeading: (signal) => {
      lead(signal).catch(onError);
    },
    onError,
  });
  elector.start();
  return {
    isLeader: () => elector.isLeader(),
    stop: () => elector.stop(),
  };
}

function involved(obj: Pod | Node): { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string; resourceVersion?: string } {
  return {
    apiVersion: 'v1',
    kind: 'spec' in obj && obj.spec && 'containers' in obj.spec ? 'Pod' : 'Node',
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace,
    uid: obj.metadata?.uid,
    resourceVersion: obj.metadata?.resourceVersion,
  };
}
