// The service proxy of one node (kube-proxy's place): watches Services and EndpointSlices and
// keeps the node's forwarding in step with them, through one of two backends:
//
//  - nftables (root and the `nft` tool): DNAT of ClusterIP:port, NodePort (node IP, and 127/8
//    for the host's own connections) and load-balancer / external IP:port to ready endpoints,
//    ClientIP affinity, masquerading where answers would otherwise miss the way back, pods kept
//    inside the machine (nft_ruleset.ts, host_settings.ts).
//  - userspace (anyone): TCP/UDP listeners on NodePorts and local load-balancer addresses that
//    forward to endpoints, with failover on refused connects (userspace.ts). No ClusterIPs.
//
// `mode: 'auto'` takes nftables when it can (and it works: the first sync is the test), else
// userspace, and says why. Changes are level-triggered: handlers only mark Services dirty; a
// sync, at most one at a time, recomputes the dirty ones from the informer caches and hands the
// differences to the backend as one batch (so a burst of changes is one nft transaction). The
// first sync and any sync after a failure program everything.
//
// The agent starts it with startProxy() once per node and stops it with stop(), which removes
// the node's rules (or closes its listeners) and gives back shared host settings.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { SharedInformerFactory, type Informer } from '../client/informer.js';
import { objectKey, resourceRef, type ClientSource } from '../client/resource_client.js';
import type { ProxyBackend, ProxyMode } from './backend.js';
import { proxyDefaults } from './defaults.js';
import { findTool, isRoot, run } from './host.js';
import { NftablesBackend } from './nftables.js';
import { servicePortsOf, sliceServiceKey, type ServicePortInfo } from './service_ports.js';
import { UserspaceBackend } from './userspace.js';

export type { ProxyMode } from './backend.js';

type Widen<T> = T extends boolean ? boolean : T extends number ? number : string;
/** The tunables of defaults.ts, each overridable by an option of the same name. */
export type ProxyTunables = { -readonly [K in keyof typeof proxyDefaults]: Widen<(typeof proxyDefaults)[K]> };

export interface ProxyOptions extends Partial<ProxyTunables> {
  client: ClientSource;
  nodeName: string;
  /** The node's address: NodePorts listen (userspace) or are matched (nftables) on it. */
  nodeIp: string;
  mode: 'auto' | ProxyMode;
  log: (msg: string) => void;
  /** Called after every sync that programmed something (benchmarks, tests). */
  onSync?: (report: SyncReport) => void;
  /** Aborts a start that is still waiting for the API. */
  signal?: AbortSignal;
}

export interface SyncReport {
  full: boolean;
  /** Services (`ns/name`) this sync was about; every one for a full sync. */
  services: string[];
  /** Service ports handed to the backend. */
  ports: number;
  ms: number;
}

export interface Proxy {
  readonly mode: ProxyMode;
  /** Why this mode (for the agent's log). */
  readonly reason: string;
  /** Resolves once every change seen so far is programmed (or a sync failed and waits to retry). */
  settled(): Promise<void>;
  /** Removes the rules or listeners, stops watching; safe to call twice. */
  stop(): Promise<void>;
}

const SLICE_SERVICE_INDEX = 'byService';

interface ModeChoice {
  mode: ProxyMode;
  reason: string;
  nft?: string;
}

async function chooseMode(mode: ProxyOptions['mode']): Promise<ModeChoice> {
  if (mode === 'userspace') return { mode, reason: 'asked for' };
  const nft = findTool('nft');
  const root = isRoot();
  if (mode === 'nftables') {
    if (!root) throw new Error('proxy mode nftables needs root');
    if (!nft) throw new Error('proxy mode nftables needs the nft tool (Debian: apt-get install nftables)');
    return { mode, reason: 'asked for', nft };
  }
  if (!root) return { mode: 'userspace', reason: 'not root' };
  if (!nft) return { mode: 'userspace', reason: 'no nft tool (Debian package nftables)' };
  const probe = await run(nft, ['list', 'tables'], { allowFailure: true });
  if (probe.code !== 0) return { mode: 'userspace', reason: `nft does not work here: ${probe.stderr.trim().split('\n')[0] ?? ''}` };
  return { mode: 'nftables', reason: 'root and nft', nft };
}

/** Starts a node's proxy; resolves once the first sync is programmed. */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const o: Resolved = { ...proxyDefaults, ...tunables(options), client: options.client, nodeName: options.nodeName, nodeIp: options.nodeIp, onSync: options.onSync };
  const log = (msg: string): void => options.log(`proxy ${options.nodeName}: ${msg}`);
  const choice = await chooseMode(options.mode);
  const core = new ProxyCore(o, log);
  const makeUserspace = (): UserspaceBackend => {
    log('userspace mode: NodePorts and local load-balancer addresses are served; ClusterIPs are not (they need root and nftables)');
    return new UserspaceBackend({ nodeName: o.nodeName, nodeIp: o.nodeIp, connectTimeoutMs: o.connectTimeoutMs, udpIdleTimeoutMs: o.udpIdleTimeoutMs, bindRetryMs: o.bindRetryMs, log });
  };
  const startNftables = (): Promise<ProxyBackend> =>
    NftablesBackend.start({
      nft: choice.nft!,
      ip: findTool('ip'),
      nodeName: o.nodeName,
      nodeIp: o.nodeIp,
      serviceCidr: o.serviceCidr,
      clusterCidr: o.clusterCidr,
      bridgePrefix: o.bridgePrefix,
      blackhole: o.blackholeServiceCidr,
      enableForwarding: o.enableForwarding,
      routeTable: o.hostRouteTable,
      rulePriority: o.hostRulePriority,
      stateDir: o.stateDir,
      tableCheckPeriodMs: o.tableCheckPeriodMs,
      bridgePollMs: o.bridgePollMs,
      log,
      onLost: () => core.resyncAll(),
    });
  /** Starts the core on a backend; on failure closes that backend and rethrows. */
  const startOn = async (make: () => ProxyBackend | Promise<ProxyBackend>): Promise<ProxyBackend> => {
    const b = await make();
    try {
      await core.start(b, options.signal);
      return b;
    } catch (err) {
      await b.close().catch((e: unknown) => log(`closing the ${b.mode} backend: ${String(e)}`));
      throw err;
    }
  };
  let backend: ProxyBackend;
  let reason = choice.reason;
  try {
    backend = await startOn(choice.mode === 'nftables' ? startNftables : makeUserspace);
  } catch (err) {
    if (choice.mode !== 'nftables' || options.mode !== 'auto' || options.signal?.aborted) {
      await core.stop();
      throw err;
    }
    // auto: nftables is there but does not take our rules; userspace still serves NodePorts.
    reason = `nftables failed (${err instanceof Error ? err.message : String(err)})`;
    log(`${reason}; falling back to userspace`);
    try {
      backend = await startOn(makeUserspace);
    } catch (err2) {
      await core.stop();
      throw err2;
    }
  }
  log(`${backend.mode} mode (${reason})`);
  const mode = backend.mode;
  return {
    mode,
    reason,
    settled: () => core.settled(),
    stop: () => core.stop(),
  };
}

/** The tunables `options` sets (an explicit undefined keeps the default). */
function tunables(options: ProxyOptions): Partial<ProxyTunables> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(proxyDefaults) as (keyof ProxyTunables)[]) if (options[k] !== undefined) out[k] = options[k];
  return out as Partial<ProxyTunables>;
}

type Resolved = ProxyTunables & Pick<ProxyOptions, 'client' | 'nodeName' | 'nodeIp' | 'onSync'>;

class ProxyCore {
  private readonly factory: SharedInformerFactory;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private backend: ProxyBackend | undefined;
  /** Services changed since the last sync. */
  private readonly dirty = new Set<string>();
  /** Port keys each Service had at the last sync (to tell the backend which went). */
  private readonly portKeys = new Map<string, string[]>();
  private needFull = true;
  private started = false;
  /** The first sync of the current backend succeeded: later changes may be synced. */
  private ready = false;
  /** A failed sync waits for its retry timer. */
  private retryPending = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly o: Resolved,
    private readonly log: (msg: string) => void,
  ) {
    this.retryMs = o.retryInitialMs;
    this.factory = new SharedInformerFactory(o.client, { onError: (err) => log(`watch: ${err.message}`) });
    this.services = this.factory.informerFor<Service>(resourceRef('', 'v1', 'services'));
    this.slices = this.factory.informerFor<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'), {
      indexers: { [SLICE_SERVICE_INDEX]: (s) => { const k = sliceServiceKey(s); return k ? [k] : []; } },
    });
    this.services.addEventHandler({
      onAdd: (s) => this.mark(objectKey(s)),
      onUpdate: (_old, s) => this.mark(objectKey(s)),
      onDelete: (s) => this.mark(objectKey(s)),
    });
    const markSlice = (s: EndpointSlice): void => {
      const k = sliceServiceKey(s);
      if (k) this.mark(k);
    };
    this.slices.addEventHandler({
      onAdd: markSlice,
      onUpdate: (old, s) => {
        markSlice(old);
        markSlice(s);
      },
      onDelete: markSlice,
    });
  }

  /** Waits for the caches, then programs everything once (rejects if that fails). */
  async start(backend: ProxyBackend, signal?: AbortSignal): Promise<void> {
    this.backend = backend;
    this.ready = false;
    this.needFull = true;
    if (!this.started) {
      this.started = true;
      this.factory.start();
    }
    try {
      if (!(await this.factory.waitForSync(signal))) throw new Error('proxy: stopped before the Service and EndpointSlice caches synced');
      await this.syncOnce();
    } catch (err) {
      // The caller closes this backend (and may try another).
      this.backend = undefined;
      throw err;
    }
    this.ready = true;
    this.kick();
  }

  resyncAll(): void {
    this.needFull = true;
    this.kick();
  }

  private mark(key: string): void {
    this.dirty.add(key);
    this.kick();
  }

  private kick(): void {
    if (this.stopped || !this.ready || !this.backend || this.timer || this.running) return;
    if (!this.needFull && this.dirty.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.loop().finally(() => {
        this.running = undefined;
        if (this.retryPending) return;
        this.kick();
        if (!this.timer && !this.running) this.wake();
      });
    }, this.o.syncDelayMs);
  }

  private async loop(): Promise<void> {
    while (!this.stopped && (this.needFull || this.dirty.size > 0)) {
      try {
        await this.syncOnce();
        this.retryMs = this.o.retryInitialMs;
      } catch (err) {
        if (this.stopped) return;
        this.needFull = true;
        this.log(`sync failed (everything is resynced in ${this.retryMs} ms): ${err instanceof Error ? err.message : String(err)}`);
        this.retryPending = true;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.retryPending = false;
          this.kick();
        }, this.retryMs);
        this.retryMs = Math.min(this.o.retryMaxMs, this.retryMs * 2);
        this.wake();
        return;
      }
    }
  }

  private async syncOnce(): Promise<void> {
    const backend = this.backend!;
    const started = performance.now();
    if (this.needFull) {
      this.needFull = false;
      this.dirty.clear();
      this.portKeys.clear();
      const all: ServicePortInfo[] = [];
      const names: string[] = [];
      for (const svc of this.services.list()) {
        const key = objectKey(svc);
        const ports = servicePortsOf(svc, this.slices.byIndex(SLICE_SERVICE_INDEX, key));
        names.push(key);
        if (ports.length > 0) this.portKeys.set(key, ports.map((p) => p.key));
        for (const p of ports) all.push(p);
      }
      try {
        await backend.syncAll(all);
      } catch (err) {
        this.needFull = true;
        throw err;
      }
      const ms = performance.now() - started;
      this.log(`programmed ${all.length} service ports of ${names.length} Services in ${Math.round(ms)} ms`);
      this.o.onSync?.({ full: true, services: names, ports: all.length, ms });
      return;
    }
    const keys = [...this.dirty];
    this.dirty.clear();
    const changes = new Map<string, ServicePortInfo | undefined>();
    for (const key of keys) {
      const svc = this.services.getByKey(key);
      const ports = svc ? servicePortsOf(svc, this.slices.byIndex(SLICE_SERVICE_INDEX, key)) : [];
      const now = new Set<string>();
      for (const p of ports) {
        changes.set(p.key, p);
        now.add(p.key);
      }
      for (const k of this.portKeys.get(key) ?? []) if (!now.has(k)) changes.set(k, undefined);
      if (now.size > 0) this.portKeys.set(key, [...now]);
      else this.portKeys.delete(key);
    }
    await backend.syncChanges(changes);
    this.o.onSync?.({ full: false, services: keys, ports: changes.size, ms: performance.now() - started });
  }

  settled(): Promise<void> {
    if (this.stopped || (!this.running && !this.timer && this.dirty.size === 0 && !this.needFull) || this.retryPending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.factory.stop();
    await this.running?.catch(() => undefined);
    this.wake();
    const b = this.backend;
    this.backend = undefined;
    await b?.close();
  }
}
