// Binding a pod to a node: POST pods/<name>/binding (and the older POST bindings), as the
// scheduler does. Sets spec.nodeName once (a second binding is a 409, as upstream) and marks
// the PodScheduled condition True; everything else about the pod stays as it is.
import { badRequest, conflict, field, fieldPath, invalid } from '../../api/errors.js';
import type { GenericStore, WriteOptions } from './generic_store.js';
import { rfc3339 } from '../../api/time.js';
import type { KubeObject } from './strategy.js';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

interface Condition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** Validates a Binding body and answers the node it targets. */
function targetOf(binding: unknown, podName: string): string {
  if (!isRecord(binding)) throw badRequest('the body of the request was not a Binding object');
  if (binding.kind !== undefined && binding.kind !== 'Binding') throw badRequest(`the kind in the data (${String(binding.kind)}) does not match the expected kind (Binding)`);
  const meta = isRecord(binding.metadata) ? binding.metadata : {};
  if (meta.name !== undefined && meta.name !== podName) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${podName})`);
  const target = isRecord(binding.target) ? binding.target : {};
  const node = target.name;
  if (typeof node !== 'string' || node === '') {
    throw invalid({ group: '', kind: 'Binding' }, podName, [field.required(fieldPath('target', 'name'))]);
  }
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
    throw invalid({ group: '', kind: 'Binding' }, podName, [field.notSupported(fieldPath('target', 'kind'), target.kind, ['Node', '<empty>'])]);
  }
  return node;
}

export async function bindPod(pods: GenericStore, ns: string, podName: string, binding: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
  const node = targetOf(binding, podName);
  const { object } = await pods.update(
    ns,
    podName,
    (pod) => {
      const spec = isRecord(pod.spec) ? pod.spec : {};
      const meta = pod.metadata ?? {};
      if (meta.deletionTimestamp) throw conflict({ group: '', resource: 'pods' }, podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
      if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
        throw conflict({ group: '', resource: 'pods' }, podName, `pod ${podName} is already assigned to node "${spec.nodeName}"`);
      }
      const status = isRecord(pod.status) ? pod.status : {};
      const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c): c is Condition => isRecord(c) && c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(new Date()) });
      return { ...pod, spec: { ...spec, nodeName: node }, status: { ...status, conditions } };
    },
    // Binding writes spec and status together, which neither a plain update nor /status may.
    { ...opts, bypassStrategy: true, managedSubresource: 'binding' },
  );
  return object;
}

/** The Status a successful binding answers with (upstream: 201 with a Success Status). */
export function bindingCreated(): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
