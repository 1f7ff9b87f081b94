// `capstan up`: a whole cluster in one process: the server (store, API, scheduler, controllers)
// and one or more node agents, on loopback unless told otherwise, with the kubeconfig written.
// It prints `store ready`, `api ready`, `node ready` as each part comes up. `startUp` is the same
// thing for tests, which can stop one agent to see its node fail.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalClient } from '../client/local.js';
import { localApi } from '../apiserver/local_api.js';
import { parseIPv4Cidr } from '../api/ipv4.js';
import { nodeRanges } from '../controllers/nodeipam/controller.js';
import { parseList, proxyModeFlag, startAgent, type RunningAgent } from './agent.js';
import { parseDuration, runUntilSignal } from './duration.js';
import { parseServerFlags, serverUsage, startServer, type RunningServer, type ServerFlags } from './server.js';

const UP_FLAGS = `  --nodes N            node agents to run in this process (default 1)
  --node-ip IP         the nodes' address (default 127.0.0.1: a laptop cluster exposes nothing)
  --runtime R          process | sim | auto (default auto: containerd if its socket exists, else process)
  --capacity LIST      extra or overriding node capacity, e.g. nvidia.com/gpu=1
  --sim-start-delay DURATION  sim runtime: time from start to running (default 0)
  --proxy-mode M       auto | nftables | userspace | none (default auto: nftables with root and nft)
`;

export const upUsage = serverUsage.replace('capstan server', 'capstan up').replace('  -h, --help', `${UP_FLAGS}  -h, --help`);

export interface UpFlags {
  server: ServerFlags;
  nodes: number;
  nodeIp: string;
  runtime: string;
  capacity: Record<string, string>;
  simStartDelayMs?: number;
  proxyMode: 'auto' | 'nftables' | 'userspace' | 'none';
}

// --cluster-cidr is the server's (its nodeipam controller reads it); node i gets its i-th /24.
const OWN = ['nodes', 'node-ip', 'runtime', 'capacity', 'sim-start-delay', 'proxy-mode'];

export function parseUpFlags(argv: string[]): UpFlags | 'help' {
  // Our own flags first; the rest are the server's.
  const mine: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (OWN.includes(name)) {
      mine.push(a);
      if (!a.includes('=') && i + 1 < argv.length) mine.push(argv[++i]!);
    } else rest.push(a);
  }
  const server = parseServerFlags(rest);
  if (server === 'help') return 'help';
  const { values } = parseArgs({
    args: mine,
    options: { nodes: { type: 'string' }, 'node-ip': { type: 'string' }, runtime: { type: 'string' }, capacity: { type: 'string' }, 'sim-start-delay': { type: 'string' }, 'proxy-mode': { type: 'string' } },
    strict: true,
  });
  const nodes = values.nodes === undefined ? 1 : Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 1000) throw new Error(`--nodes: expected a whole number from 0 to 1000, got ${values.nodes}`);
  return {
    server,
    nodes,
    nodeIp: values['node-ip'] ?? '127.0.0.1',
    runtime: values.runtime ?? 'auto',
    capacity: parseList(values.capacity, '--capacity'),
    simStartDelayMs: values['sim-start-delay'] ? parseDuration(values['sim-start-delay'], '--sim-start-delay') : undefined,
    proxyMode: proxyModeFlag(values['proxy-mode']),
  };
}

export interface RunningUp {
  server: RunningServer;
  agents: RunningAgent[];
  stop(): Promise<void>;
}

/** The i-th /24 of an IPv4 CIDR no longer than /24 (10.42.0.0/16, 2 → 10.42.2.0/24). */
export function nodePodCidr(clusterCidr: string, i: number): string {
  // The same ranges, in the same order, as the nodeipam controller hands out.
  const c = parseIPv4Cidr(clusterCidr);
  if (!c || c.bits > 24 || c.bits < 8) throw new Error(`--cluster-cidr: expected an IPv4 CIDR of /8 to /24, got "${clusterCidr}"`);
  const ranges = nodeRanges(clusterCidr);
  if (i >= ranges.count) throw new Error(`--cluster-cidr ${clusterCidr} has room for ${ranges.count} nodes`);
  return ranges.at(i);
}

export function nodeNames(count: number): string[] {
  const base = hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'capstan';
  return count === 1 ? [base] : Array.from({ length: count }, (_, i) => `${base}-${i + 1}`);
}

export async function startUp(flags: UpFlags, log: (msg: string) => void): Promise<RunningUp> {
  const server = await startServer(flags.server, log);
  const client = new LocalClient(localApi(server.api.stores), { fieldManager: 'kubelet' });
  const agents: RunningAgent[] = [];
  try {
    const names = nodeNames(flags.nodes);
    // Nodes come up together; each gets its own slice of the pod network.
    const started = await Promise.all(
      names.map((nodeName, i) =>
        startAgent({
          client,
          apiUrl: server.api.url,
          nodeName,
          nodeIp: flags.nodeIp,
          bindAddress: flags.server.host,
          port: 0,
          runtime: flags.runtime,
          dataDir: join(flags.server.dataDir, 'nodes', nodeName),
          podCidr: nodePodCidr(flags.server.clusterCidr, i),
          capacity: flags.capacity,
          labels: i === 0 ? { 'node-role.kubernetes.io/control-plane': 'true' } : {},
          taints: [],
          simStartDelayMs: flags.simStartDelayMs,
          clusterDns: server.dns ? [server.dns.clusterIp] : [],
          clusterDomain: flags.server.clusterDomain,
          proxyMode: flags.proxyMode,
          serviceCidr: flags.server.serviceCidr,
          clusterCidr: flags.server.clusterCidr,
          log,
        }),
      ),
    );
    agents.push(...started);
  } catch (err) {
    await Promise.all(agents.map((a) => a.stop()));
    await server.stop();
    throw err;
  }
  return {
    server,
    agents,
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await server.stop();
    },
  };
}

export async function upCommand(argv: string[]): Promise<number> {
  const flags = parseUpFlags(argv);
  if (flags === 'help') {
    process.stdout.write(upUsage);
    return 0;
  }
  const log = (msg: string): void => {
    process.stdout.write(`${msg}\n`);
  };
  const running = await startUp(flags, log);
  log(`cluster ready: ${running.agents.length} node(s); try: KUBECONFIG=${flags.server.kubeconfig} kubectl get nodes`);
  return runUntilSignal(log, () => running.stop());
}
