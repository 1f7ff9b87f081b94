// The kubelet's side of its Node: registration (create, or adopt the existing object after a
// restart), the Lease in kube-node-lease renewed every 10 s (what the node lifecycle controller
// watches), and the status (capacity, conditions, addresses, kubelet port, node info) written when
// it changes and at least every minute.
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, release, totalmem } from 'node:os';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import { isApiError } from '../api/errors.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import type { ClientSource, ResourceClient } from '../client/resource_client.js';
import { isConflict, isNotFound, resourceRef } from '../client/resource_client.js';
import { kubeletDefaults } from './defaults.js';
import type { RuntimeInfo } from './runtime/runtime.js';
import { microTime, rfc3339 } from '../api/time.js';

export const KUBELET_VERSION = 'v1.32.0+capstan';


const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** The machine's resources: cpu count, memory and the data directory's disk, with pods: 110. */
export function machineCapacity(dataDir: string): Record<string, string> {
  let disk = 0;
  try {
    const s = statfsSync(dataDir);
    disk = s.blocks * s.bsize;
  } catch {
    disk = 0;
  }
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor(disk / 1024)}Ki`,
    pods: String(kubeletDefaults.maxPods),
  };
}

/** Memory the kernel could give out now (MemAvailable), or undefined where /proc is missing. */
function memAvailableBytes(): number | undefined {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function diskFreeRatio(dataDir: string): number | undefined {
  try {
    const s = statfsSync(dataDir);
    return s.blocks > 0 ? s.bavail / s.blocks : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeAgentOptions {
  client: ClientSource;
  nodeName: string;
  nodeIp: string;
  /** The kubelet's HTTPS port, published in status.daemonEndpoints. */
  kubeletPort: number;
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: Taint[];
  /** This node's pod range, set at registration (a podCIDR is immutable once set). */
  podCidr?: string;
  runtime: RuntimeInfo;
  dataDir: string;
  /** Simulated nodes report no pressure (their machine is not theirs). */
  simulated?: boolean;
  clock: Clock;
  leaseRenewMs?: number;
  statusCheckMs?: number;
  statusReportMs?: number;
  log: (msg: string) => void;
  onReady?: () => void;
}

export class NodeAgent {
  private readonly nodes: ResourceClient<Node>;
  private readonly leases: ResourceClient<Lease>;
  private leaseTimer: TimerHandle | undefined;
  private statusTimer: TimerHandle | undefined;
  private lastReport = 0;
  private lastConditions = '';
  private stopped = false;
  private nodeUid = '';

  constructor(private readonly o: NodeAgentOptions) {
    this.nodes = o.client.resource<Node>(resourceRef('', 'v1', 'nodes'));
    this.leases = o.client.resource<Lease>(resourceRef('coordination.k8s.io', 'v1', 'leases'));
  }

  allocatable(): Record<string, string> {
    return { ...this.o.capacity };
  }

  private conditions(now: number): NodeCondition[] {
    const memAvail = this.o.simulated ? undefined : memAvailableBytes();
    const diskFree = this.o.simulated ? undefined : diskFreeRatio(this.o.dataDir);
    const memPressure = memAvail !== undefined && memAvail < 100 * 1024 * 1024;
    const diskPressure = diskFree !== undefined && diskFree < 0.1;
    const ts = rfc3339(now);
    const c = (type: string, status: boolean, reason: string, message: string): NodeCondition => ({
      type,
      status: status ? 'True' : 'False',
      reason,
      message,
      lastHeartbeatTime: ts,
      lastTransitionTime: ts,
    });
    const out = [
      memPressure
        ? c('MemoryPressure', true, 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
        : c('MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      diskPressure ? c('DiskPressure', true, 'KubeletHasDiskPressure', 'kubelet has disk pressure') : c('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      c('PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      c('Ready', true, 'KubeletReady', 'kubelet is posting ready status'),
    ];
    // What this runtime cannot enforce is said where `kubectl describe node` shows it.
    if (this.o.runtime.limitations) out.push(c('PodIsolation', false, 'RuntimeWithoutIsolation', this.o.runtime.limitations));
    return out;
  }

  private status(now: number, previous: NodeStatus | undefined): NodeStatus {
    const conditions = this.conditions(now).map((c) => {
      const prev = previous?.conditions?.find((p) => p.type === c.type);
      return prev && prev.status === c.status ? { ...c, lastTransitionTime: prev.lastTransitionTime } : c;
    });
    const osRelease = (() => {
      try {
        return /PRETTY_NAME="?([^"\n]*)"?/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
      } catch {
        return 'Linux';
      }
    })();
    const readId = (p: string): string => {
      try {
        return readFileSync(p, 'utf8').trim();
      } catch {
        return '';
      }
    };
    return {
      capacity: { ...this.o.capacity },
      allocatable: this.allocatable(),
      conditions,
      addresses: [
        { type: 'InternalIP', address: this.o.nodeIp },
        { type: 'Hostname', address: this.o.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.o.kubeletPort } },
      nodeInfo: {
        machineID: readId('/etc/machine-id'),
        systemUUID: this.o.simulated ? this.nodeUid : readId('/sys/class/dmi/id/product_uuid') || this.nodeUid,
        bootID: readId('/proc/sys/kernel/random/boot_id'),
        kernelVersion: release(),
        osImage: osRelease,
        containerRuntimeVersion: `${this.o.runtime.name}://${KUBELET_VERSION.slice(1)}`,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: GOARCH[arch()] ?? arch(),
      },
    };
  }

  /** Creates or adopts the Node, writes its status and the Lease, then keeps both fresh. */
  async start(): Promise<void> {
    const now = this.o.clock.now();
    const labels = {
      'kubernetes.io/hostname': this.o.nodeName,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': GOARCH[arch()] ?? arch(),
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': GOARCH[arch()] ?? arch(),
      ...this.o.labels,
    };
    let node: Node;
    try {
      const spec: Node['spec'] = {};
      if (this.o.taints.length) spec.taints = this.o.taints;
      if (this.o.podCidr) {
        spec.podCIDR = this.o.podCidr;
        spec.podCIDRs = [this.o.podCidr];
      }
      node = await this.nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name: this.o.nodeName, labels }, spec });
    } catch (err) {
      if (!(isApiError(err) && err.code === 409)) throw err;
      // Registered before (an agent restart): keep the object, refresh our labels.
      node = await this.nodes.patch('', this.o.nodeName, 'merge', { metadata: { labels } });
    }
    this.nodeUid = node.metadata?.uid ?? '';
    await this.writeStatus(now, node.status);
    await this.renewLease();
    this.o.onReady?.();
    this.scheduleLease();
    this.scheduleStatus();
  }

  private async writeStatus(now: number, previous: NodeStatus | undefined): Promise<void> {
    const status = this.status(now, previous);
    await this.nodes.subresource('', this.o.nodeName, 'status', 'PATCH', { status }, { patchType: 'merge' });
    this.lastReport = now;
    this.lastConditions = JSON.stringify(status.conditions?.map((c) => [c.type, c.status]));
  }

  private async renewLease(): Promise<void> {
    const ns = 'kube-node-lease';
    const spec = { holderIdentity: this.o.nodeName, leaseDurationSeconds: kubeletDefaults.leaseDurationSeconds, renewTime: microTime(this.o.clock.now()) };
    for (let attempt = 0; attempt < 3; attempt++) {
      let lease: Lease | undefined;
      try {
        lease = await this.leases.get(ns, this.o.nodeName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      try {
        if (!lease) {
          await this.leases.create(ns, {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.nodeName, namespace: ns, ownerReferences: this.nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.nodeUid }] : undefined },
            spec,
          });
        } else {
          await this.leases.update(ns, { ...lease, spec: { ...lease.spec, ...spec } });
        }
        return;
      } catch (err) {
        if (!isConflict(err) && !(isApiError(err) && err.code === 409)) throw err;
      }
    }
  }

  private scheduleLease(): void {
    if (this.stopped) return;
    this.leaseTimer = this.o.clock.setTimeout(() => {
      this.renewLease()
        .catch((err: unknown) => this.o.log(`node lease: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.scheduleLease());
    }, this.o.leaseRenewMs ?? kubeletDefaults.leaseRenewMs);
  }

  private scheduleStatus(): void {
    if (this.stopped) return;
    this.statusTimer = this.o.clock.setTimeout(() => {
      this.checkStatus()
        .catch((err: unknown) => this.o.log(`node status: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.scheduleStatus());
    }, this.o.statusCheckMs ?? kubeletDefaults.statusCheckMs);
  }

  private async checkStatus(): Promise<void> {
    const now = this.o.clock.now();
    const fresh = JSON.stringify(this.conditions(now).map((c) => [c.type, c.status]));
    if (fresh === this.lastConditions && now - this.lastReport < (this.o.statusReportMs ?? kubeletDefaults.statusReportMs)) return;
    const node = await this.nodes.get('', this.o.nodeName);
    await this.writeStatus(now, node.status);
  }

  stop(): void {
    this.stopped = true;
    if (this.leaseTimer) this.leaseTimer.cancel();
    if (this.statusTimer) this.statusTimer.cancel();
  }
}
