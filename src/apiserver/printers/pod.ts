// Pods: NAME READY STATUS RESTARTS AGE, wide IP NODE NOMINATED NODE READINESS GATES.
//
// STATUS is not the phase but the most telling reason kubectl users expect: an init container's
// progress (`Init:0/2`, `Init:CrashLoopBackOff`), a container's waiting or terminated reason
// (`ContainerCreating`, `CrashLoopBackOff`, `Completed`, `Error`, `ExitCode:3`), `Terminating`
// once deletion started, `SchedulingGated`, and so on, derived in the same order as Kubernetes'
// printer so the same pod reads the same. READY counts sidecars (restartable init containers).

import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { TableRowCondition } from '../table.js';
import { humanDuration, NONE, parseTime, since } from './format.js';
import { AGE_COLUMN, col, CORE, definePrinter, doc, NAME_COLUMN } from './printer.js';

/** The reason a pod evicted from an unreachable node carries; such pods print `Unknown`. */
const NODE_LOST = 'NodeLost';

function conditionTrue(conditions: readonly PodCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** Tracks the latest `lastState.terminated.finishedAt` seen; undefined is Go's zero time. */
function later(current: number | undefined, status: ContainerStatus): number | undefined {
  const finished = parseTime(status.lastState?.terminated?.finishedAt);
  if (finished === undefined) return current;
  return current === undefined || finished > current ? finished : current;
}

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  lastRestart: number | undefined;
}

function summarize(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initSpecs = spec?.initContainers ?? [];
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const total = (spec?.containers?.length ?? 0) + sidecars.size;
  let ready = 0;
  let reason = status.reason ? status.reason : status.phase ?? '';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let sidecarLastRestart: number | undefined;
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    lastRestart = later(lastRestart, c);
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      sidecarLastRestart = later(sidecarLastRestart, c);
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue; // finished fine: look at the next
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    // This init container is where initialization stands (failed, waiting or running).
    initializing = true;
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else if (terminated.signal) reason = `Init:Signal:${terminated.signal}`;
      else reason = `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    // Only sidecar restarts count alongside the regular containers once the pod is initialized.
    restarts = sidecarRestarts;
    lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walk backwards so that the first container's state wins the STATUS column.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      lastRestart = later(lastRestart, c);
      const terminated = c.state?.terminated;
      const waiting = c.state?.waiting;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // Some containers completed while others still run: the pod is not "Completed".
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === NODE_LOST) reason = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  }
  return { ready, total, reason, restarts, lastRestart };
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return NONE;
  const conditions = pod.status?.conditions ?? [];
  let passing = 0;
  for (const g of gates) {
    if (conditions.find((c) => c.type === g.conditionType)?.status === 'True') passing++;
  }
  return `${passing}/${gates.length}`;
}

export const podPrinter = definePrinter<Pod>({
  columns: [
    NAME_COLUMN,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    col('IP', 'string', doc(CORE + 'PodStatus', 'podIP'), 1),
    col('Node', 'string', doc(CORE + 'PodSpec', 'nodeName'), 1),
    col('Nominated Node', 'string', doc(CORE + 'PodStatus', 'nominatedNodeName'), 1),
    col('Readiness Gates', 'string', doc(CORE + 'PodSpec', 'readinessGates'), 1),
  ],
  cells(pod, { now }) {
    const s = summarize(pod);
    const restarts = s.restarts !== 0 && s.lastRestart !== undefined
      ? `${s.restarts} (${humanDuration(now.getTime() - s.lastRestart)} ago)`
      : String(s.restarts);
    // podIP and podIPs[0] are kept in sync by the API's conversion; older writers set only podIP.
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || NONE;
    return [
      pod.metadata?.name ?? '',
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      since(pod.metadata?.creationTimestamp, now),
      ip,
      pod.spec?.nodeName || NONE,
      pod.status?.nominatedNodeName || NONE,
      readinessGates(pod),
    ];
  },
  conditions(pod): TableRowCondition[] | undefined {
    // Lets clients tell finished pods apart without parsing STATUS.
    switch (pod.status?.phase) {
      case 'Succeeded':
        return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
      case 'Failed':
        return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
      default:
        return undefined;
    }
  },
});
