// `capstan server`: the API server over a store (sqlite by default), with the compactor; writes
// a kubeconfig and runs until SIGINT/SIGTERM, then shuts down in order.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiserverDefaults } from '../apiserver/defaults.js';
import { startApiServer, type ApiServerHandle } from '../apiserver/server.js';
import type { Backend } from '../storage/backend.js';
import { Compactor } from '../storage/compactor.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { openSqliteBackend } from '../storage/sqlite/sqlite_table.js';
import { writeKubeconfig } from './kubeconfig.js';
import { parseDuration, runUntilSignal } from './duration.js';

export { parseDuration };
import { hostname } from 'node:os';
import { EventRecorder } from '../client/events.js';
import { LocalClient } from '../client/local.js';
import { localApi } from '../apiserver/local_api.js';
import { runScheduler } from '../scheduler/run.js';
import { parseConfiguration } from '../scheduler/framework/config.js';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { runControllerManager } from '../controllers/manager.js';
import { CONTROLLERS, selectControllers } from '../controllers/registry.js';
import { parsePortRange, parseServiceCidr } from '../apiserver/registry/service_alloc.js';
import { parseIPv4Cidr } from '../api/ipv4.js';
import { kubeletDefaults } from '../kubelet/defaults.js';
import { startServerDns, type ServerDns } from './cluster_dns.js';

function track<T>(list: T[], item: T): T {
  list.push(item);
  return item;
}

const HOME = join(homedir(), '.capstan');

export const serverUsage = `Usage: capstan server [flags]

Flags:
  --port N             API server port (default ${apiserverDefaults.port}; 0 picks a free one)
  --bind-address IP    address to listen on (default ${apiserverDefaults.host})
  --data-dir DIR       where the sqlite store lives (default ${join(HOME, 'data')})
  --store SPEC         sqlite:PATH (default: sqlite in --data-dir) or memory
  --kubeconfig PATH    where to write the kubeconfig (default ${join(HOME, 'kubeconfig')})
  --disable-scheduler  do not run the scheduler in this process
  --scheduler-config PATH  scheduler profiles and plugin settings (KubeSchedulerConfiguration YAML)
  --controllers LIST   controllers to run: '*' all, 'name' one, '-name' not that one (default '*'; '' none)
  --node-monitor-grace-period DURATION  how long a node may go silent before it is Unknown (default 40s)
  --service-cidr CIDR  Services' cluster IPs; the kubernetes Service gets the first (default ${apiserverDefaults.serviceCidr})
  --service-node-port-range RANGE  node ports of NodePort and LoadBalancer Services (default ${apiserverDefaults.nodePortRange})
  --cluster-cidr CIDR  pod addresses; each node gets a /24 of it (default ${kubeletDefaults.clusterCidr})
  --cluster-domain D   the cluster DNS domain (default cluster.local)
  --cluster-dns-port N the cluster DNS on 127.0.0.1:N (default 10053; 0 picks one); pods reach it at the
                       kube-dns Service address (the 10th of --service-cidr), port 53, through the node proxy
  --dns-upstream LIST  resolvers for names outside the cluster, host[:port],... or 'none' (default: /etc/resolv.conf)
  --disable-dns        no cluster DNS in this process
  --lb-ip-range CIDR   LoadBalancer addresses come from this pool (default: the node's address)
  -h, --help           this text
`;

export interface ServerFlags {
  port: number;
  host: string;
  dataDir: string;
  store: string;
  kubeconfig: string;
  scheduler: boolean;
  schedulerConfig?: string;
  controllers: string[];
  nodeMonitorGracePeriodMs: number;
  serviceCidr: string;
  nodePortRange: string;
  clusterCidr: string;
  clusterDomain: string;
  dns: boolean;
  dnsPort: number;
  /** undefined: the host's resolvers; []: none. */
  dnsUpstream?: Array<{ host: string; port: number }>;
  lbIpRange?: string;
}

export function parseServerFlags(argv: string[]): ServerFlags | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'bind-address': { type: 'string' },
      'data-dir': { type: 'string' },
      store: { type: 'string' },
      kubeconfig: { type: 'string' },
      'disable-scheduler': { type: 'boolean' },
      'scheduler-config': { type: 'string' },
      controllers: { type: 'string' },
      'node-monitor-grace-period': { type: 'string' },
      'service-cidr': { type: 'string' },
      'service-node-port-range': { type: 'string' },
      'cluster-cidr': { type: 'string' },
      'cluster-domain': { type: 'string' },
      'cluster-dns-port': { type: 'string' },
      'dns-upstream': { type: 'string' },
      'disable-dns': { type: 'boolean' },
      'lb-ip-range': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const port = values.port === undefined ? apiserverDefaults.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: invalid port ${values.port}`);
  const dataDir = values['data-dir'] ?? join(HOME, 'data');
  // Bad ranges stop the start here, naming the flag.
  const serviceCidr = parseServiceCidr(values['service-cidr'] ?? apiserverDefaults.serviceCidr, '--service-cidr').text;
  const nodePortRange = parsePortRange(values['service-node-port-range'] ?? apiserverDefaults.nodePortRange, '--service-node-port-range').text;
  const clusterCidr = values['cluster-cidr'] ?? kubeletDefaults.clusterCidr;
  const pods = parseIPv4Cidr(clusterCidr);
  if (!pods || pods.bits > 24) throw new Error(`--cluster-cidr: expected an IPv4 CIDR of /24 or wider, such as 10.42.0.0/16, got "${clusterCidr}"`);
  const dnsPort = values['cluster-dns-port'] === undefined ? 10053 : Number(values['cluster-dns-port']);
  if (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort > 65535) throw new Error(`--cluster-dns-port: invalid port ${values['cluster-dns-port']}`);
  const upstreamText = values['dns-upstream'];
  const dnsUpstream =
    upstreamText === undefined
      ? undefined
      : upstreamText === 'none'
        ? []
        : upstreamText.split(',').map((hp) => {
            const m = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\])(?::(\d+))?$/.exec(hp.trim());
            if (!m) throw new Error(`--dns-upstream: expected host[:port],... or none, got "${hp}"`);
            return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 53 };
          });
  const lbIpRange = values['lb-ip-range'];
  if (lbIpRange !== undefined && !parseIPv4Cidr(lbIpRange)) throw new Error(`--lb-ip-range: expected an IPv4 CIDR such as 127.0.1.0/24, got "${lbIpRange}"`);
  return {
    port,
    host: values['bind-address'] ?? apiserverDefaults.host,
    dataDir,
    store: values.store ?? `sqlite:${join(dataDir, 'state.db')}`,
    kubeconfig: values.kubeconfig ?? join(HOME, 'kubeconfig'),
    scheduler: !values['disable-scheduler'],
    schedulerConfig: values['scheduler-config'],
    controllers: selectControllers(values.controllers ?? '*'),
    nodeMonitorGracePeriodMs: parseDuration(values['node-monitor-grace-period'] ?? '40s', '--node-monitor-grace-period'),
    serviceCidr,
    nodePortRange,
    clusterCidr,
    clusterDomain: values['cluster-domain'] ?? 'cluster.local',
    dns: !values['disable-dns'],
    dnsPort,
    dnsUpstream,
    lbIpRange,
  };
}

/**
 * One process per sqlite store: a second `capstan up` or `server` on the same data would
 * interleave writes with the first. `<db>.lock` holds the owner's pid; a dead owner's lock is
 * taken over.
 */
function lockStore(dbPath: string): void {
  const lock = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      process.once('exit', () => {
        try {
          if (readFileSync(lock, 'utf8') === String(process.pid)) unlinkSync(lock);
        } catch {
          // already gone
        }
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(lock, 'utf8'));
      let alive = false;
      try {
        process.kill(owner, 0);
        alive = owner !== process.pid;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw new Error(`the store ${dbPath} is in use by process ${owner} (another capstan server or up on the same --data-dir)`);
      unlinkSync(lock);
    }
  }
}

export function openStore(spec: string, dataDir: string): Backend {
  if (spec === 'memory') return openMemoryBackend();
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length) || join(dataDir, 'state.db');
    mkdirSync(join(path, '..'), { recursive: true });
    lockStore(path);
    return openSqliteBackend(path);
  }
  throw new Error(`--store: unsupported store "${spec}" (use sqlite:PATH or memory)`);
}

export interface RunningServer {
  api: ApiServerHandle;
  /** The cluster DNS (absent with --disable-dns). */
  dns?: ServerDns;
  backend: Backend;
  stop(): Promise<void>;
}

export async function startServer(flags: ServerFlags, log: (msg: string) => void): Promise<RunningServer> {
  // A bad configuration file stops the start before anything opens or listens.
  const schedulerConfig = flags.schedulerConfig ? parseConfiguration(readFileSync(flags.schedulerConfig, 'utf8')) : undefined;
  const backend = openStore(flags.store, flags.dataDir);
  log(`store ready (${flags.store})`);
  const compactor = new Compactor(backend, { onError: (err) => log(`compaction failed: ${String(err)}`) }).start();
  const api = await startApiServer({
    backend,
    garbageCollection: flags.controllers.includes('garbagecollector'),
    host: flags.host,
    port: flags.port,
    serviceCidr: flags.serviceCidr,
    nodePortRange: flags.nodePortRange,
    log,
    onInternalError: (err) => log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  log(`api ready at ${api.url}`);
  // Components in this process talk to the API in process (no HTTP), with the API's own rules.
  const source = new LocalClient(localApi(api.stores), { fieldManager: 'capstan-server' });
  const recorders: EventRecorder[] = [];
  const scheduler = flags.scheduler
    ? runScheduler({
        source,
        config: schedulerConfig,
        recorder: track(recorders, new EventRecorder({ baseUrl: api.url, component: 'default-scheduler', onError: (err) => log(`events: ${err.message}`) })),
        identity: `${hostname()}_${process.pid}`,
        onError: (err) => log(`scheduler: ${err instanceof Error ? err.message : String(err)}`),
      })
    : undefined;
  if (scheduler) log('scheduler started');
  const controllerManager =
    flags.controllers.length > 0
      ? runControllerManager({
          source,
          controllers: flags.controllers,
          registry: CONTROLLERS,
          recorder: (component) => track(recorders, new EventRecorder({ baseUrl: api.url, component, onError: (err) => log(`events: ${err.message}`) })),
          identity: `${hostname()}_${process.pid}`,
          options: { nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs, clusterCidr: flags.clusterCidr, ...(flags.lbIpRange ? { lbIpRange: flags.lbIpRange } : {}) },
          onError: (err) => log(`controller-manager: ${err instanceof Error ? err.message : String(err)}`),
        })
      : undefined;
  if (controllerManager) log(`controllers started: ${flags.controllers.join(', ')}`);
  let dns: ServerDns | undefined;
  try {
    dns = flags.dns ? await startServerDns({ client: source, serviceCidr: flags.serviceCidr, domain: flags.clusterDomain, port: flags.dnsPort, upstream: flags.dnsUpstream, log }) : undefined;
  } catch (err) {
    await controllerManager?.stop();
    await scheduler?.stop();
    await Promise.all(recorders.map((r) => r.close()));
    compactor.stop();
    await api.close();
    await backend.close();
    throw err;
  }
  writeKubeconfig(flags.kubeconfig, api.url);
  log(`kubeconfig written: ${flags.kubeconfig}`);
  log(`export KUBECONFIG=${flags.kubeconfig}`);
  return {
    api,
    backend,
    dns,
    stop: async () => {
      await dns?.stop();
      await controllerManager?.stop();
      await scheduler?.stop();
      await Promise.all(recorders.map((r) => r.close()));
      compactor.stop();
      await api.close();
      await backend.close();
    },
  };
}

/** Starts the server, then waits for SIGINT/SIGTERM and shuts down in order. */
export async function runServerUntilSignal(flags: ServerFlags, after?: string): Promise<number> {
  const log = (msg: string): void => {
    process.stdout.write(`${msg}\n`);
  };
  const running = await startServer(flags, log);
  if (after) log(after);
  return runUntilSignal(log, () => running.stop());
}

export async function serverCommand(argv: string[]): Promise<number> {
  const flags = parseServerFlags(argv);
  if (flags === 'help') {
    process.stdout.write(serverUsage);
    return 0;
  }
  return runServerUntilSignal(flags);
}
