// Pod networking of the process runtime (root only): one network namespace per pod, joined to a
// Linux bridge of this node by a veth pair. The bridge holds the pod CIDR's first address, which
// is every pod's default gateway; the host reaches pods through the bridge's connected route.
//
// Deliberately absent: IP forwarding, masquerading, any route out of the machine. Traffic only
// flows between the host and the pods of this node (the service proxy and DNS live on the host).
// Everything goes through the `ip` tool; a failure carries its words.
import { existsSync } from 'node:fs';
import type { Ipam } from './ipam.js';
import { CommandError, run } from './host.js';
import { Serial } from './serial.js';
import type { SandboxNames } from './names.js';

export const NETNS_DIR = '/var/run/netns';

export interface PodNetworkOptions {
  /** Path of the `ip` tool. */
  ip: string;
  bridge: string;
  /** Needed to make the bridge and pod interfaces; cleanup works without. */
  ipam?: Ipam;
  log: (msg: string) => void;
}

export class PodNetwork {
  private readonly serial = new Serial();
  private bridgeReady = false;
  /** Whether this runtime made the bridge (only then is it removed on close). */
  bridgeCreated = false;

  constructor(private readonly options: PodNetworkOptions) {}

  get bridge(): string {
    return this.options.bridge;
  }

  private requireIpam(): Ipam {
    if (!this.options.ipam) throw new Error('pod network: no pod CIDR');
    return this.options.ipam;
  }

  private ip(args: string[], input?: string): Promise<unknown> {
    return run(this.options.ip, args, { input });
  }

  /** Makes the bridge once (many pods start at once; only the first creates it). */
  ensureBridge(): Promise<void> {
    return this.serial.run(async () => {
      if (this.bridgeReady && linkExists(this.bridge)) return;
      const ipam = this.requireIpam();
      if (!linkExists(this.bridge)) {
        await this.ip(['link', 'add', 'name', this.bridge, 'type', 'bridge']);
        this.bridgeCreated = true;
        this.options.log(`created bridge ${this.bridge} (${ipam.gateway}/${ipam.prefixLength})`);
      }
      await this.ip(['addr', 'replace', `${ipam.gateway}/${ipam.prefixLength}`, 'dev', this.bridge]);
      await this.ip(['link', 'set', this.bridge, 'up']);
      this.bridgeReady = true;
    });
  }

  /**
   * Namespace, veth (pod end `eth0`), address and default route; undone when a step fails.
   * One small shell runs the `ip` commands: each spawn from the agent costs ~9 ms of its main
   * thread (fork of a large process), a fork from sh a fraction of that, which is what lets 100
   * pods start at once without queueing behind their own network setup.
   */
  async setup(names: SandboxNames, podIp: string): Promise<void> {
    const ipam = this.requireIpam();
    const script = 'set -e; "$1" netns add "$2"; "$1" link add "$3" type veth peer name eth0 netns "$2"; "$1" link set "$3" master "$4" up; exec "$1" -n "$2" -batch -';
    const batch = [`addr add ${podIp}/${ipam.prefixLength} dev eth0`, 'link set eth0 up', 'link set lo up', `route add default via ${ipam.gateway} dev eth0`];
    try {
      await run('/bin/sh', ['-c', script, 'sh', this.options.ip, names.netns, names.hostVeth, this.bridge], { input: batch.join('\n') + '\n' });
    } catch (err) {
      await this.teardown(names).catch((e: unknown) => this.options.log(`undoing pod network ${names.netns}: ${String(e)}`));
      throw err;
    }
  }

  /** Removes the pod's veth and namespace; absent pieces are fine. Processes must be gone first. */
  async teardown(names: SandboxNames): Promise<void> {
    if (names.hostVeth && linkExists(names.hostVeth)) await this.ip(['link', 'del', names.hostVeth]).catch(ignoreMissing);
    if (existsSync(`${NETNS_DIR}/${names.netns}`)) await this.ip(['netns', 'del', names.netns]).catch(ignoreMissing);
  }

  /** Pids of processes in a namespace (to kill them before it is removed). */
  async pids(netns: string): Promise<number[]> {
    const r = await run(this.options.ip, ['netns', 'pids', netns], { allowFailure: true });
    return r.stdout.split('\n').filter((l) => l.trim()).map(Number);
  }

  /** Namespaces whose name starts with `prefix`. */
  async list(prefix: string): Promise<string[]> {
    const r = await run(this.options.ip, ['netns', 'list'], { allowFailure: true });
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split(' ')[0])
      .filter((n) => n && n.startsWith(prefix));
  }

  async removeBridge(): Promise<void> {
    await this.serial.run(async () => {
      this.bridgeReady = false;
      if (linkExists(this.bridge)) await this.ip(['link', 'del', this.bridge]).catch(ignoreMissing);
    });
  }

  async deleteLink(name: string): Promise<void> {
    if (name && linkExists(name)) await this.ip(['link', 'del', name]).catch(ignoreMissing);
  }
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

function ignoreMissing(err: unknown): void {
  // Deleting something that went away meanwhile is what we wanted.
  if (err instanceof CommandError && /Cannot find device|No such file|does not exist/i.test(err.message)) return;
  throw err;
}

