// Names of the host objects the process runtime makes (network namespaces, veth links, the
// bridge, cgroups). Several nodes can run in one process (`capstan up --nodes 3`), so every name
// carries a short hash of the node name, and cleaning up after a crash only ever touches names
// with this node's key. Linux caps interface names at 15 characters.
import { createHash } from 'node:crypto';

export const IFNAMSIZ_MAX = 15;

function hex(input: string, length: number): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/** 8 hex characters identifying a node in host object names. */
export function nodeKey(nodeName: string): string {
  return hex(`node/${nodeName}`, 8);
}

/** The pod sandbox id: a hash of node, pod uid and a nonce (a pod may get a new sandbox). */
export function sandboxId(nodeName: string, podUid: string, nonce: string): string {
  return hex(`sandbox/${nodeName}/${podUid}/${nonce}`, 16);
}

export interface SandboxNames {
  /** `ip netns` name: `cap-<node key>-<sandbox>`; the prefix is what stale cleanup looks for. */
  netns: string;
  /** Host end of the pod's veth pair (the pod end is `eth0` inside the netns). */
  hostVeth: string;
}

export function netnsPrefix(nodeName: string): string {
  return `cap-${nodeKey(nodeName)}-`;
}

export function sandboxNames(nodeName: string, id: string): SandboxNames {
  return { netns: `${netnsPrefix(nodeName)}${id.slice(0, 12)}`, hostVeth: `cv${id.slice(0, 12)}` };
}

/** The node's bridge: `cbr` + node key (11 characters). */
export function defaultBridgeName(nodeName: string): string {
  return `cbr${nodeKey(nodeName)}`;
}

/** The cgroup directory (relative to a hierarchy's parent) holding this node's containers. */
export function nodeCgroupDir(nodeName: string): string {
  return `capstan/node-${nodeKey(nodeName)}`;
}

/** Whether `name` can name a network interface. */
export function validInterfaceName(name: string): boolean {
  return name.length > 0 && name.length <= IFNAMSIZ_MAX && /^[A-Za-z0-9_.-]+$/.test(name) && name !== '.' && name !== '..';
}
