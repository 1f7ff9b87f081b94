// The kubelet: one per node. It registers the Node and keeps its Lease and status fresh
// (node_status.ts), watches the pods bound to it and gives each a PodWorker (pod_worker.ts) that
// drives it through the runtime, and serves logs/exec/port-forward/stats over HTTPS (server.ts)
// for the API server to proxy to.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigMap, Pod, Secret, Taint } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/clock.js';
import { realClock } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import type { ClientSource } from '../client/resource_client.js';
import { isNotFound, resourceRef } from '../client/resource_client.js';
import type { ConfigSource } from './env.js';
import { podResolvConf, type DnsSettings } from './dns_config.js';
import { NodeAgent } from './node_status.js';
import { PodWorker, type EventSink, type ProbeStarter } from './pod_worker.js';
import type { Runtime } from './runtime/runtime.js';
import { startKubeletServer, type KubeletServer, type KubeletView } from './server.js';
import type { PodHandle } from './stats.js';

export interface KubeletOptions {
  client: ClientSource;
  nodeName: string;
  nodeIp: string;
  runtime: Runtime;
  /** This node's state: pod directories (volumes, logs). */
  rootDir: string;
  capacity: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** The node's pod range, written to spec.podCIDR at registration. */
  podCidr?: string;
  /** Where the kubelet's HTTPS server listens (default 127.0.0.1, port 10250; 0 picks one). */
  bindAddress?: string;
  port?: number;
  /** Skip the HTTPS server (simulated nodes). */
  serve?: boolean;
  events?: EventSink;
  probes?: ProbeStarter;
  clock?: Clock;
  simulated?: boolean;
  leaseRenewMs?: number;
  statusCheckMs?: number;
  log?: (msg: string) => void;
  /** Cluster DNS for pods' resolv.conf (absent: pods resolve like the node). */
  dns?: DnsSettings;
}

export interface Kubelet extends KubeletView {
  readonly nodeName: string;
  /** The HTTPS port, once serving (0 when not serving). */
  readonly port: number;
  /** The worker of a pod by namespace and name (for the server's lookups). */
  worker(namespace: string, name: string): PodWorker | undefined;
  readonly runtime: Runtime;
  stop(): Promise<void>;
}

const noEvents: EventSink = { event: () => undefined };

export async function startKubelet(o: KubeletOptions): Promise<Kubelet> {
  const clock = o.clock ?? realClock;
  const log = o.log ?? ((msg: string) => process.stderr.write(`kubelet ${o.nodeName}: ${msg}\n`));
  const podsDir = join(o.rootDir, 'pods');
  mkdirSync(podsDir, { recursive: true });
  const pods = o.client.resource<Pod>(resourceRef('', 'v1', 'pods'));
  const configMaps = o.client.resource<ConfigMap>(resourceRef('', 'v1', 'configmaps'));
  const secrets = o.client.resource<Secret>(resourceRef('', 'v1', 'secrets'));
  const getOrUndefined = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const config: ConfigSource = {
    configMap: (ns, name) => getOrUndefined(() => configMaps.get(ns, name)),
    secret: (ns, name) => getOrUndefined(() => secrets.get(ns, name)),
  };

  const workers = new Map<string, PodWorker>();
  const byName = new Map<string, string>();
  const done = new Set<string>();
  const nameKey = (p: Pod): string => `${p.metadata?.namespace}/${p.metadata?.name}`;

  let server: KubeletServer | undefined;
  const kubelet: Kubelet = {
    nodeName: o.nodeName,
    get port() {
      return server?.port ?? 0;
    },
    runtime: o.runtime,
    simulated: o.simulated ?? false,
    pods: () => [...workers.values()].map((w) => w.handle()).filter((h): h is PodHandle => h !== undefined),
    worker: (ns, name) => {
      const uid = byName.get(`${ns}/${name}`);
      return uid ? workers.get(uid) : undefined;
    },
    stop: async () => {
      await informer.stop();
      node.stop();
      for (const w of workers.values()) w.close();
      await server?.close();
      await o.runtime.close();
    },
  };
  if (o.serve !== false) server = await startKubeletServer({ kubelet, host: o.bindAddress ?? '127.0.0.1', port: o.port ?? 10250, log });

  const node = new NodeAgent({
    client: o.client,
    nodeName: o.nodeName,
    nodeIp: o.nodeIp,
    kubeletPort: server?.port ?? 0,
    capacity: o.capacity,
    labels: o.labels ?? {},
    taints: o.taints ?? [],
    podCidr: o.podCidr,
    runtime: o.runtime.info(),
    dataDir: o.rootDir,
    simulated: o.simulated,
    clock,
    leaseRenewMs: o.leaseRenewMs,
    statusCheckMs: o.statusCheckMs,
    log,
  });

  const deps = {
    runtime: o.runtime,
    pods,
    config,
    nodeName: o.nodeName,
    nodeIp: o.nodeIp,
    allocatable: () => node.allocatable(),
    podsDir,
    events: o.events ?? noEvents,
    probes: o.probes,
    clock,
    log,
    resolvConf: o.dns ? (pod: Pod) => podResolvConf(pod, o.dns!) : undefined,
    onDone: (uid: string) => {
      const w = workers.get(uid);
      workers.delete(uid);
      done.add(uid);
      if (done.size > 10_000) done.delete(done.values().next().value!);
      const p = w?.currentPod();
      if (p && byName.get(nameKey(p)) === uid) byName.delete(nameKey(p));
    },
  };
  const upsert = (pod: Pod): void => {
    const uid = pod.metadata?.uid ?? '';
    if (!uid || done.has(uid)) return;
    let w = workers.get(uid);
    if (!w) {
      w = new PodWorker(pod, deps);
      workers.set(uid, w);
    }
    byName.set(nameKey(pod), uid);
    w.update(pod);
  };
  const informer = new Informer<Pod>({
    client: pods,
    fieldSelector: `spec.nodeName=${o.nodeName}`,
    name: `pods on ${o.nodeName}`,
    onError: (err) => log(`pod watch: ${err.message}`),
  });
  informer.addEventHandler({
    onAdd: upsert,
    onUpdate: (_old, pod) => upsert(pod),
    onDelete: (pod) => workers.get(pod.metadata?.uid ?? '')?.update(undefined),
  });
  o.runtime.onExit((id) => {
    for (const w of workers.values()) if (w.owns(id)) w.kick();
  });

  await node.start();
  informer.start();
  return kubelet;
}
