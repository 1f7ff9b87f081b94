// Pod phase and conditions from the states of its containers, with upstream's rules: init
// containers gate Initialized; the phase follows the restart policy once containers stop (a pod
// that restarts its containers stays Running, one that does not ends Succeeded or Failed);
// Ready needs ContainersReady and every readiness gate.
import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';

export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PhaseInput {
  restartPolicy: string;
  /** Every init container finished with exit 0 (true when there are none). */
  initialized: boolean;
  /** An init container failed and will not be restarted (restartPolicy Never). */
  initFailed: boolean;
  containers: ContainerStatus[];
}

export function podPhase(input: PhaseInput): Phase {
  if (input.initFailed) return 'Failed';
  if (!input.initialized) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of input.containers) {
    if (c.state?.running) running++;
    else if (c.state?.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.state?.waiting) {
      // A container waiting to be restarted has run before: it counts as stopped.
      if (c.lastState?.terminated) {
        stopped++;
        if (c.lastState.terminated.exitCode === 0) succeeded++;
      } else waiting++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (input.restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (input.restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  const c: PodCondition = { type, status: ok ? 'True' : 'False' };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export interface ConditionsInput {
  pod: Pod;
  phase: Phase;
  sandboxReady: boolean;
  initialized: boolean;
  /** Names of init containers that have not completed. */
  pendingInit: string[];
  containers: ContainerStatus[];
}

/**
 * The kubelet's conditions (PodReadyToStartContainers, Initialized, ContainersReady, Ready), with
 * the others (PodScheduled, DisruptionTarget, readiness gates) kept as they are; a condition's
 * lastTransitionTime changes only when its status does.
 */
export function podConditions(input: ConditionsInput, now: string): PodCondition[] {
  const { pod, phase } = input;
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const unready = input.containers.filter((c) => !c.ready).map((c) => c.name);
  const mine: PodCondition[] = [condition('PodReadyToStartContainers', input.sandboxReady && !completed)];
  mine.push(
    input.initialized
      ? condition('Initialized', true)
      : condition('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${input.pendingInit.join(' ')}]`),
  );
  let containersReady: PodCondition;
  if (completed) containersReady = condition('ContainersReady', false, 'PodCompleted');
  else if (unready.length > 0) containersReady = condition('ContainersReady', false, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`);
  else containersReady = condition('ContainersReady', true);
  mine.push(containersReady);

  const existing = pod.status?.conditions ?? [];
  const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const unmetGates = gates.filter((g) => existing.find((c) => c.type === g)?.status !== 'True');
  let ready: PodCondition;
  if (containersReady.status !== 'True') ready = { ...containersReady, type: 'Ready' };
  else if (unmetGates.length > 0) ready = condition('Ready', false, 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${unmetGates[0]}" does not exist.`);
  else ready = condition('Ready', true);
  mine.push(ready);

  const ours = new Set(mine.map((c) => c.type));
  const out: PodCondition[] = [];
  for (const c of mine) {
    const prev = existing.find((e) => e.type === c.type);
    out.push({ ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now });
  }
  for (const c of existing) if (!ours.has(c.type)) out.push(c);
  // Upstream's order: PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled.
  const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  const rank = (t: string): number => (order.includes(t) ? order.indexOf(t) : order.length);
  return out.sort((a, b) => rank(a.type) - rank(b.type));
}
