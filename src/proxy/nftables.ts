// The nftables backend: renders the node's table (nft_ruleset.ts) and applies it with
// `nft -f -`, one transaction per batch of changes, so the kernel never sees half a change. The
// first sync replaces the whole table; a failed batch makes the proxy resync everything (the
// table is rebuilt atomically from the caches). Host settings (ip_forward, route_localnet on pod
// bridges, the service CIDR's blackhole route) are held while the backend runs and given back
// by close(), which also deletes the table.
import type { ProxyBackend } from './backend.js';
import { HostSettings } from './host_settings.js';
import { run } from './host.js';
import { NftRuleset, tableName, type NftPlan } from './nft_ruleset.js';
import type { ServicePortInfo } from './service_ports.js';

export interface NftablesBackendOptions {
  nft: string;
  ip?: string;
  nodeName: string;
  nodeIp: string;
  serviceCidr: string;
  clusterCidr: string;
  bridgePrefix: string;
  blackhole: boolean;
  enableForwarding: boolean;
  routeTable: number;
  rulePriority: number;
  stateDir: string;
  tableCheckPeriodMs: number;
  bridgePollMs: number;
  log: (msg: string) => void;
  /** The table vanished (someone flushed the ruleset): the proxy should resync everything. */
  onLost: () => void;
}

export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  readonly ruleset: NftRuleset;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private applied = false;

  private constructor(
    private readonly o: NftablesBackendOptions,
    private readonly settings: HostSettings,
  ) {
    this.ruleset = new NftRuleset({
      table: tableName(o.nodeName),
      nodeName: o.nodeName,
      nodeIp: o.nodeIp,
      serviceCidr: o.serviceCidr,
      clusterCidr: o.clusterCidr,
      bridgePrefix: o.bridgePrefix,
      dropOtherForwarding: settings.forwardingTurnedOn,
    });
  }

  static async start(o: NftablesBackendOptions): Promise<NftablesBackend> {
    const settings = await HostSettings.acquire({
      clusterCidr: o.clusterCidr,
      ip: o.ip,
      serviceCidr: o.serviceCidr,
      blackhole: o.blackhole,
      enableForwarding: o.enableForwarding,
      bridgePrefix: o.bridgePrefix,
      routeTable: o.routeTable,
      rulePriority: o.rulePriority,
      stateDir: o.stateDir,
      log: o.log,
    });
    const b = new NftablesBackend(o, settings);
    b.every(o.bridgePollMs, () => b.settings.refreshBridges());
    b.every(o.tableCheckPeriodMs, async () => {
      if (!b.applied) return;
      const r = await run(o.nft, ['list', 'tables', 'ip']);
      if (!r.stdout.split('\n').some((l) => l.trim() === `table ip ${b.ruleset.table}`)) {
        b.applied = false;
        o.log(`table ip ${b.ruleset.table} is gone; resyncing`);
        o.onLost();
      }
    });
    return b;
  }

  get table(): string {
    return this.ruleset.table;
  }

  async syncAll(ports: readonly ServicePortInfo[]): Promise<void> {
    await this.settings.refreshBridges();
    await this.apply(this.ruleset.full(ports));
    this.applied = true;
  }

  async syncChanges(changes: ReadonlyMap<string, ServicePortInfo | undefined>): Promise<void> {
    await this.settings.refreshBridges();
    await this.apply(this.ruleset.update(changes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    try {
      await run(this.o.nft, ['-f', '-'], { input: this.ruleset.deleteText() });
    } finally {
      await this.settings.release();
    }
  }

  private async apply(plan: NftPlan): Promise<void> {
    for (const c of plan.conflicts) this.o.log(`conflict: ${c}`);
    if (plan.text === '' || this.closed) return;
    await run(this.o.nft, ['-f', '-'], { input: plan.text });
  }

  private every(ms: number, fn: () => Promise<void>): void {
    if (ms <= 0) return;
    let busy = false;
    const t = setInterval(() => {
      if (busy || this.closed) return;
      busy = true;
      fn()
        .catch((err: unknown) => this.o.log(`nftables: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    this.timers.push(t);
  }
}
