// DefaultBinder (Bind): binds through the injected `bind(pod, nodeName)` (the lead wires it to
// POST pods/binding).

import type { BindPlugin, Handle } from '../framework/interfaces.js';
import type { CycleState } from '../framework/cycle_state.js';
import type { PodInfo } from '../framework/pod_info.js';
import { Status } from '../framework/status.js';

export const NAME = 'DefaultBinder';

export class DefaultBinder implements BindPlugin {
  readonly name = NAME;
  constructor(private readonly handle: Handle) {}
  async bind(_s: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    try {
      await this.handle.bindPod(pod.pod, nodeName);
      return undefined;
    } catch (e) {
      return Status.error(e instanceof Error ? e : new Error(String(e)), NAME);
    }
  }
}

export const factory = (_args: unknown, handle: Handle): DefaultBinder => new DefaultBinder(handle);
