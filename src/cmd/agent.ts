// `capstan agent`: the kubelet of one node, joined to a server over HTTP(S). `startAgent` is also
// what `capstan up` runs in process (with an in-process client instead of HTTP).
import { mkdirSync } from 'node:fs';
import { homedir, hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, resourceRef } from '../client/resource_client.js';
import { EventRecorder } from '../client/events.js';
import type { ClientSource } from '../client/resource_client.js';
import { RestClient, loadKubeconfig, type RestConfig } from '../client/rest.js';
import { kubeletDefaults } from '../kubelet/defaults.js';
import { startKubelet, type Kubelet } from '../kubelet/kubelet.js';
import { machineCapacity } from '../kubelet/node_status.js';
import { startContainerProbes } from '../kubelet/probes.js';
import { chooseRuntime, RUNTIMES } from '../kubelet/runtime/registry.js';
import { parseDuration, runUntilSignal } from './duration.js';
import { startProxy, type Proxy } from '../proxy/proxy.js';

export const agentDefaults = {
  /** How long an agent without --pod-cidr waits for the nodeipam controller. */
  podCidrWaitMs: 60_000,
} as const;

export const agentUsage = `Usage: capstan agent --server URL [flags]

Flags:
  --server URL            the API server (e.g. https://10.0.0.1:6443)
  --token T               bearer token for the API server
  --kubeconfig PATH       take server and credentials from a kubeconfig instead
  --name N                node name (default: this host's name)
  --node-ip IP            the node's address (default: the primary interface's IPv4 address)
  --bind-address IP       where the kubelet serves logs/exec/port-forward (default: the node IP)
  --port N                the kubelet's HTTPS port (default ${kubeletDefaults.port}; 0 picks one)
  --runtime R             process | sim | auto (default auto: containerd if its socket exists, else process)
  --data-dir DIR          this node's state (default ~/.capstan/nodes/<name>)
  --pod-cidr CIDR         addresses for this node's pods (default: the Node's spec.podCIDR, from the server's nodeipam controller)
  --capacity LIST         extra or overriding capacity, e.g. nvidia.com/gpu=1,cpu=8 (sim: the whole capacity)
  --node-labels LIST      extra labels, e.g. zone=a,disk=ssd
  --register-with-taints LIST  e.g. dedicated=gpu:NoSchedule
  --sim-start-delay DURATION   sim runtime: time from start to running (default 0)
  --cluster-dns IP        the cluster DNS for pods' resolv.conf (default 10.43.0.10; 'none': the node's resolvers)
  --cluster-domain D      the cluster DNS domain (default cluster.local)
  --proxy-mode M          auto | nftables | userspace | none (default auto: nftables with root and nft)
  --service-cidr CIDR     the cluster's service range, as the server's (default 10.43.0.0/16)
  --cluster-cidr CIDR     the cluster's pod range, as the server's (default 10.42.0.0/16)
  -h, --help              this text
`;

export interface AgentOptions {
  client: ClientSource;
  /** Where Events go (the API server's URL) and the headers to reach it. */
  apiUrl: string;
  apiHeaders?: Record<string, string>;
  nodeName: string;
  nodeIp: string;
  bindAddress: string;
  port: number;
  runtime: string;
  dataDir: string;
  /** Absent: wait for the nodeipam controller to give the Node a spec.podCIDR. */
  podCidr?: string;
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: Taint[];
  simStartDelayMs?: number;
  /** Cluster DNS servers for pods' resolv.conf ([]: pods resolve like the node). */
  clusterDns: string[];
  clusterDomain: string;
  /** The node's service proxy: auto (nftables with root and nft, else userspace), or none. */
  proxyMode: 'auto' | 'nftables' | 'userspace' | 'none';
  serviceCidr: string;
  clusterCidr: string;
  log: (msg: string) => void;
}

export interface RunningAgent {
  kubelet: Kubelet;
  proxy?: Proxy;
  runtimeName: string;
  stop(): Promise<void>;
}

export function parseList(text: string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`${flag}: expected key=value, got "${part}"`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

export function parseTaints(text: string | undefined): Taint[] {
  return (text ?? '')
    .split(',')
    .filter(Boolean)
    .map((t) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
      if (!m) throw new Error(`--register-with-taints: invalid taint "${t}" (key[=value]:NoSchedule|PreferNoSchedule|NoExecute)`);
      return m[2] === undefined ? { key: m[1]!, effect: m[3]! } : { key: m[1]!, value: m[2], effect: m[3]! };
    });
}

/** The first non-internal IPv4 address of this machine, or 127.0.0.1 if it has none. */
export function primaryAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * The node's pod range: the one asked for, else the Node's spec.podCIDR, which the nodeipam
 * controller sets (the Node is created bare first if it does not exist yet, as a kubelet
 * without --pod-cidr does).
 */
async function resolvePodCidr(o: AgentOptions): Promise<string> {
  if (o.podCidr) return o.podCidr;
  const nodes = o.client.resource<Node>(resourceRef('', 'v1', 'nodes'));
  try {
    await nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name: o.nodeName, labels: { 'kubernetes.io/hostname': o.nodeName } } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const deadline = Date.now() + agentDefaults.podCidrWaitMs;
  let said = false;
  for (;;) {
    const node = await nodes.get('', o.nodeName);
    if (node.spec?.podCIDR) return node.spec.podCIDR;
    if (Date.now() > deadline) throw new Error(`node ${o.nodeName} got no spec.podCIDR within ${agentDefaults.podCidrWaitMs / 1000}s: is the nodeipam controller running on the server? (or give --pod-cidr)`);
    if (!said) o.log(`waiting for a pod CIDR for node ${o.nodeName} from the nodeipam controller`);
    said = true;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts a node's kubelet with the chosen runtime; logs which runtime and why. */
export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const choice = chooseRuntime(o.runtime);
  mkdirSync(o.dataDir, { recursive: true });
  const podCidr = await resolvePodCidr(o);
  const runtime = await RUNTIMES[choice.name]!({ nodeName: o.nodeName, nodeIp: o.nodeIp, rootDir: join(o.dataDir, 'runtime'), podCidr, simStartDelayMs: o.simStartDelayMs, log: o.log });
  const simulated = choice.name === 'sim';
  const capacity = simulated ? { cpu: '4', memory: '16Gi', 'ephemeral-storage': '100Gi', pods: String(kubeletDefaults.maxPods), ...o.capacity } : { ...machineCapacity(o.dataDir), ...o.capacity };
  const recorder = new EventRecorder({ baseUrl: o.apiUrl, headers: o.apiHeaders, component: 'kubelet', host: o.nodeName, onError: (err) => o.log(`events: ${err.message}`) });
  const kubelet = await startKubelet({
    client: o.client,
    nodeName: o.nodeName,
    nodeIp: o.nodeIp,
    runtime,
    rootDir: o.dataDir,
    capacity,
    labels: o.labels,
    taints: o.taints,
    podCidr: o.podCidr,
    bindAddress: o.bindAddress,
    port: o.port,
    events: recorder,
    probes: simulated ? undefined : startContainerProbes,
    dns: { clusterDns: o.clusterDns, clusterDomain: o.clusterDomain },
    simulated,
    log: (msg) => o.log(`kubelet ${o.nodeName}: ${msg}`),
  });
  let proxy: Proxy | undefined;
  if (o.proxyMode !== 'none') {
    try {
      proxy = await startProxy({ client: o.client, nodeName: o.nodeName, nodeIp: o.nodeIp, mode: o.proxyMode, serviceCidr: o.serviceCidr, clusterCidr: o.clusterCidr, log: o.log });
    } catch (err) {
      await kubelet.stop();
      await recorder.close();
      throw err;
    }
  }
  const info = runtime.info();
  o.log(`node ready: ${o.nodeName} (runtime ${choice.name}: ${choice.why}${info.limitations ? `; ${info.limitations}` : ''})`);
  return {
    kubelet,
    runtimeName: choice.name,
    proxy,
    stop: async () => {
      await proxy?.stop();
      await kubelet.stop();
      await recorder.close();
    },
  };
}

export function proxyModeFlag(v: string | undefined): AgentOptions['proxyMode'] {
  const m = v ?? 'auto';
  if (m === 'auto' || m === 'nftables' || m === 'userspace' || m === 'none') return m;
  throw new Error(`--proxy-mode: expected auto, nftables, userspace or none, got "${m}"`);
}

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      'node-ip': { type: 'string' },
      'bind-address': { type: 'string' },
      port: { type: 'string' },
      runtime: { type: 'string' },
      'data-dir': { type: 'string' },
      'pod-cidr': { type: 'string' },
      capacity: { type: 'string' },
      'node-labels': { type: 'string' },
      'register-with-taints': { type: 'string' },
      'sim-start-delay': { type: 'string' },
      'cluster-dns': { type: 'string' },
      'cluster-domain': { type: 'string' },
      'proxy-mode': { type: 'string' },
      'service-cidr': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(agentUsage);
    return 0;
  }
  let config: RestConfig;
  if (values.kubeconfig) config = loadKubeconfig(values.kubeconfig);
  else if (values.server) config = { baseUrl: values.server, token: values.token, insecureSkipTlsVerify: true };
  else throw new Error('--server URL (or --kubeconfig PATH) is required');
  const nodeName = (values.name ?? hostname()).toLowerCase();
  const nodeIp = values['node-ip'] ?? primaryAddress();
  const port = values.port === undefined ? kubeletDefaults.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: invalid port ${values.port}`);
  const log = (msg: string): void => {
    process.stdout.write(`${msg}\n`);
  };
  const client = new RestClient({ ...config, component: 'kubelet' });
  const agent = await startAgent({
    client,
    apiUrl: config.baseUrl,
    apiHeaders: config.token ? { Authorization: `Bearer ${config.token}` } : undefined,
    nodeName,
    nodeIp,
    bindAddress: values['bind-address'] ?? nodeIp,
    port,
    runtime: values.runtime ?? 'auto',
    dataDir: values['data-dir'] ?? join(homedir(), '.capstan', 'nodes', nodeName),
    podCidr: values['pod-cidr'],
    capacity: parseList(values.capacity, '--capacity'),
    labels: parseList(values['node-labels'], '--node-labels'),
    taints: parseTaints(values['register-with-taints']),
    simStartDelayMs: values['sim-start-delay'] ? parseDuration(values['sim-start-delay'], '--sim-start-delay') : undefined,
    clusterDns: values['cluster-dns'] === 'none' ? [] : (values['cluster-dns'] ?? '10.43.0.10').split(','),
    clusterDomain: values['cluster-domain'] ?? 'cluster.local',
    proxyMode: proxyModeFlag(values['proxy-mode']),
    serviceCidr: values['service-cidr'] ?? '10.43.0.0/16',
    clusterCidr: values['cluster-cidr'] ?? kubeletDefaults.clusterCidr,
    log,
  });
  return runUntilSignal(log, () => agent.stop());
}
