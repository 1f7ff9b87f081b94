// Runtime drivers, one line each, and the choice `capstan up`/`capstan agent` make when none is
// named: containerd where its socket exists (once that driver is built), the process runtime
// otherwise. Adding a driver is one file and one line here.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Runtime } from './runtime.js';
import { createProcessRuntime } from './process/process_runtime.js';
import { SimRuntime } from './sim/sim_runtime.js';

export interface RuntimeFactoryOptions {
  nodeName: string;
  nodeIp: string;
  /** This node's state directory. */
  rootDir: string;
  podCidr: string;
  simStartDelayMs?: number;
  log: (msg: string) => void;
}

export const RUNTIMES: Record<string, ((o: RuntimeFactoryOptions) => Runtime | Promise<Runtime>) | undefined> = {
  // The runtime names its netns, links and cgroups after this key, and cleans up leftovers that
  // carry it. Node name plus state directory: two clusters on one machine whose nodes share a
  // name (the host name, say) never touch each other's pods; a restart on the same data finds its own.
  process: (o) => createProcessRuntime({ rootDir: o.rootDir, nodeName: `${o.nodeName}@${resolve(o.rootDir)}`, nodeIp: o.nodeIp, podCidr: o.podCidr, log: o.log }),
  sim: (o) => new SimRuntime({ startDelayMs: o.simStartDelayMs, podNetPrefix: o.podCidr.split('.').slice(0, 3).join('.') }),
  // containerd (CRI over gRPC) is a later issue; `auto` already looks for its socket.
  containerd: undefined,
};

export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';

/** The driver to use for `requested` ('auto' or a name), and a sentence saying why. */
export function chooseRuntime(requested: string): { name: string; why: string } {
  if (requested !== 'auto') {
    if (!(requested in RUNTIMES)) throw new Error(`--runtime: unknown runtime "${requested}" (known: ${Object.keys(RUNTIMES).join(', ')})`);
    if (!RUNTIMES[requested]) throw new Error(`--runtime: the ${requested} runtime is not built yet; use process or sim`);
    return { name: requested, why: 'as asked' };
  }
  if (existsSync(CONTAINERD_SOCKET)) {
    if (RUNTIMES.containerd) return { name: 'containerd', why: `containerd socket found at ${CONTAINERD_SOCKET}` };
    return { name: 'process', why: `containerd socket found at ${CONTAINERD_SOCKET}, but the containerd driver is not built yet` };
  }
  return { name: 'process', why: 'no containerd socket; containers run as host processes (their image is not used)' };
}
