// The Priority admission step, as upstream's: a new pod's spec.priority comes from its
// priorityClassName (or from the cluster's globalDefault class, else 0), and naming a class that
// does not exist is refused. The two system classes exist in every cluster.
import { ApiError, forbidden } from '../../api/errors.js';
import type { GenericStore } from '../registry/generic_store.js';
import type { KubeObject } from '../registry/strategy.js';

export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Sets spec.priority (and preemptionPolicy) on a pod being created. */
export async function admitPodPriority(pod: KubeObject, priorityClasses: GenericStore): Promise<void> {
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  if (!spec) return;
  const className = typeof spec.priorityClassName === 'string' && spec.priorityClassName !== '' ? spec.priorityClassName : undefined;
  let pc: KubeObject | undefined;
  if (className) {
    pc = await priorityClasses.get('', className).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 404) {
        throw forbidden({ group: '', resource: 'pods' }, pod.metadata?.name ?? '', `no PriorityClass with name ${className} was found`);
      }
      throw err;
    });
  } else {
    pc = (await priorityClasses.list('', {})).items.find((c) => c.globalDefault === true);
  }
  const value = pc && typeof pc.value === 'number' ? pc.value : 0;
  if (typeof spec.priority === 'number' && spec.priority !== value) {
    throw forbidden({ group: '', resource: 'pods' }, pod.metadata?.name ?? '', 'the integer value of priority must not be provided in pod spec; priority admission controller computed ' + `${value} from the given PriorityClass name`);
  }
  spec.priority = value;
  if (pc) {
    spec.priorityClassName = pc.metadata?.name;
    if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = typeof pc.preemptionPolicy === 'string' ? pc.preemptionPolicy : 'PreemptLowerPriority';
  }
}
