// Nodes: NAME STATUS ROLES AGE VERSION, wide INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION
// CONTAINER-RUNTIME. STATUS is `Ready`/`NotReady`/`Unknown` from the Ready condition, with
// `,SchedulingDisabled` for a cordoned node; ROLES come from `node-role.kubernetes.io/<role>`
// label keys and the older `kubernetes.io/role=<role>` label.

import type { Node } from 'kubernetes-types/core/v1.js';
import { NONE, since, UNKNOWN } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

function roles(node: Node): string {
  const found = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role !== '') found.add(role);
    } else if (k === ROLE_LABEL && v !== '') {
      found.add(v);
    }
  }
  return found.size === 0 ? NONE : [...found].sort().join(',');
}

function status(node: Node): string {
  const parts: string[] = [];
  // The last condition of a type wins, as a map keyed by type would keep it.
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').pop();
  if (ready) parts.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? NONE;
}

const INFO = CORE + 'NodeSystemInfo';

export const nodePrinter = definePrinter<Node>({
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    col('Version', 'string', doc(INFO, 'kubeletVersion')),
    col('Internal-IP', 'string', doc(CORE + 'NodeStatus', 'addresses'), 1),
    col('External-IP', 'string', doc(CORE + 'NodeStatus', 'addresses'), 1),
    col('OS-Image', 'string', doc(INFO, 'osImage'), 1),
    col('Kernel-Version', 'string', doc(INFO, 'kernelVersion'), 1),
    col('Container-Runtime', 'string', doc(INFO, 'containerRuntimeVersion'), 1),
  ],
  cells(node, { now }) {
    const info = node.status?.nodeInfo;
    return [
      node.metadata?.name ?? '',
      status(node),
      roles(node),
      since(node.metadata?.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      info?.osImage || UNKNOWN,
      info?.kernelVersion || UNKNOWN,
      info?.containerRuntimeVersion || UNKNOWN,
    ];
  },
});
