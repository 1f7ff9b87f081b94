// The machine-wide settings the nftables proxy needs, shared by every proxy on the machine
// (several nodes in one process, and several capstan processes, e.g. tests running side by side):
// the first holder changes them, remembering the values it found, and the last one to let go puts
// those values back. Holders and original values live in one JSON file under a lock file in
// `stateDir`; a holder whose process died no longer counts, so a crash does not pin anything.
//
//  - net.ipv4.ip_forward: pod → ClusterIP → pod is routed by the host (in on the bridge, DNAT,
//    out on a bridge). Turned on only if off; the tables' filter-forward chain then keeps the
//    machine from routing anything else (nftables.ts passes dropOtherForwarding).
//  - route_localnet on each pod bridge (`<bridgePrefix>*`): host connections to a NodePort on
//    127.0.0.1 or to a load-balancer address in 127/8 keep their 127/8 source through DNAT
//    to a pod, which Linux refuses on a non-loopback interface unless route_localnet is on for
//    it; the masquerade after routing fixes the source, but routing comes first. Unavoidable for
//    loopback NodePorts, so it is set on the pod bridges only (never `all`), and the tables drop
//    what it would otherwise let pods send to the host's loopback (nft_ruleset.ts filter-input).
//    Bridges appear when their node's first pod starts: refreshBridges() runs at every sync and
//    on a short poll. It also turns on hairpin mode on the bridges' ports (see hairpin()).
//  - a blackhole route for the service CIDR, so a packet to a ClusterIP that no rule translated
//    never leaves the machine. A blackhole in the main table would also make the host's own
//    connect() to any ClusterIP fail before the output hook could DNAT it, so host-originated
//    packets (`iif lo`) to the service CIDR are sent by a policy rule to a table of their own
//    where the CIDR goes to `lo`: DNAT'd ones go to their pod, untranslated ones die on lo (and
//    the filter-output chain refuses them first).
//  - a plain blackhole route for the cluster (pod) CIDR: the node bridges' /24 routes are more
//    specific and win, so a packet to a pod address no node of this machine holds is dropped here
//    instead of following the default route off the machine. No host rule: the host must still
//    reach its own pods.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './host.js';

export interface HostSettingsOptions {
  /** Path of the `ip` tool (blackhole route and rule); absent: no blackhole. */
  ip?: string;
  serviceCidr: string;
  /** The pod CIDR: a plain blackhole route under the bridges' routes (when `blackhole`). */
  clusterCidr?: string;
  blackhole: boolean;
  enableForwarding: boolean;
  bridgePrefix: string;
  routeTable: number;
  rulePriority: number;
  stateDir: string;
  log: (msg: string) => void;
  /** For tests: where sysctls live (default /proc/sys) and network interfaces are listed. */
  procSys?: string;
  sysClassNet?: string;
}

interface SharedState {
  holders: Record<string, { pid: number; serviceCidr: string; clusterCidr?: string; since: string }>;
  /** Values found before the first capstan proxy changed them. */
  original: { ipForward?: string; routeLocalnet: Record<string, string> };
  /** Service CIDRs with a blackhole route and a host rule installed. */
  blackholes: string[];
  /** Cluster CIDRs with a plain blackhole route. */
  podBlackholes?: string[];
}

const LOCK_WAIT_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let nextId = 0;

/** One holder at a time in this process (the lock file's pid cannot tell our own holders apart). */
let inProcess: Promise<unknown> = Promise.resolve();

export class HostSettings {
  private readonly id = `${process.pid}-${Date.now().toString(36)}-${nextId++}`;
  private readonly file: string;
  private readonly lockFile: string;
  private readonly procSys: string;
  private readonly sysClassNet: string;
  private released = false;
  /** Capstan found ip_forward off and turned it on. */
  forwardingTurnedOn = false;

  private constructor(private readonly o: HostSettingsOptions) {
    this.file = join(o.stateDir, 'state.json');
    this.lockFile = join(o.stateDir, 'lock');
    this.procSys = o.procSys ?? '/proc/sys';
    this.sysClassNet = o.sysClassNet ?? '/sys/class/net';
  }

  static async acquire(o: HostSettingsOptions): Promise<HostSettings> {
    const h = new HostSettings(o);
    mkdirSync(o.stateDir, { recursive: true });
    await h.locked(async (st) => {
      if (o.enableForwarding) {
        const cur = h.readSysctl('net/ipv4/ip_forward');
        if (cur !== '1') {
          st.original.ipForward ??= cur;
          h.writeSysctl('net/ipv4/ip_forward', '1');
          o.log(`turned on net.ipv4.ip_forward (was ${cur}); only traffic of pod bridges is forwarded`);
        }
      }
      h.forwardingTurnedOn = st.original.ipForward === '0';
      if (o.blackhole && o.ip) {
        await h.installBlackhole(o.serviceCidr);
        if (!st.blackholes.includes(o.serviceCidr)) st.blackholes.push(o.serviceCidr);
        if (o.clusterCidr) {
          await run(o.ip, ['route', 'replace', 'blackhole', o.clusterCidr]);
          st.podBlackholes = [...new Set([...(st.podBlackholes ?? []), o.clusterCidr])];
        }
      } else if (o.blackhole) {
        o.log(`no blackhole route for ${o.serviceCidr}: the ip tool is missing`);
      }
      st.holders[h.id] = { pid: process.pid, serviceCidr: o.serviceCidr, clusterCidr: o.clusterCidr, since: new Date().toISOString() };
    });
    return h;
  }

  /**
   * route_localnet=1 on every pod bridge that lacks it (remembering the old value), and hairpin
   * mode on every port of those bridges.
   */
  async refreshBridges(): Promise<void> {
    if (this.released) return;
    const bridges = this.bridges();
    for (const b of bridges) this.hairpin(b);
    const todo = bridges.filter((b) => this.readSysctl(`net/ipv4/conf/${b}/route_localnet`) === '0');
    if (todo.length === 0) return;
    await this.locked(async (st) => {
      for (const b of todo) {
        st.original.routeLocalnet[b] ??= '0';
        try {
          this.writeSysctl(`net/ipv4/conf/${b}/route_localnet`, '1');
        } catch (err) {
          // The bridge went away meanwhile.
          if (existsSync(join(this.sysClassNet, b))) throw err;
        }
      }
    });
  }

  /** Gives the settings back; the last holder on the machine restores what it found. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.locked(async (st) => {
      delete st.holders[this.id];
      const others = Object.values(st.holders);
      for (const cidr of [...st.blackholes]) {
        if (others.some((h) => h.serviceCidr === cidr)) continue;
        await this.removeBlackhole(cidr);
        st.blackholes = st.blackholes.filter((c) => c !== cidr);
      }
      for (const cidr of [...(st.podBlackholes ?? [])]) {
        if (others.some((h) => h.clusterCidr === cidr)) continue;
        if (this.o.ip) await run(this.o.ip, ['route', 'del', 'blackhole', cidr], { allowFailure: true });
        st.podBlackholes = (st.podBlackholes ?? []).filter((c) => c !== cidr);
      }
      if (others.length > 0) return;
      if (st.original.ipForward !== undefined) {
        this.writeSysctl('net/ipv4/ip_forward', st.original.ipForward);
        this.o.log(`restored net.ipv4.ip_forward to ${st.original.ipForward}`);
        delete st.original.ipForward;
      }
      for (const [b, v] of Object.entries(st.original.routeLocalnet)) {
        if (existsSync(join(this.sysClassNet, b))) {
          try {
            this.writeSysctl(`net/ipv4/conf/${b}/route_localnet`, v);
          } catch (err) {
            this.o.log(`restoring route_localnet of ${b}: ${String(err)}`);
          }
        }
      }
      st.original.routeLocalnet = {};
    });
  }

  /**
   * With br_netfilter loaded (bridge-nf-call-iptables), a DNAT to a pod on the same bridge is
   * bridged rather than routed, so a pod that reaches itself through its Service needs its
   * bridge port to send frames back out where they came in (kubelet's hairpin-veth mode). Pod
   * veths die with their pods, so there is nothing to restore.
   */
  private hairpin(bridge: string): void {
    const dir = join(this.sysClassNet, bridge, 'brif');
    let ports: string[];
    try {
      ports = readdirSync(dir);
    } catch {
      return;
    }
    for (const p of ports) {
      const f = join(dir, p, 'hairpin_mode');
      try {
        if (readFileSync(f, 'utf8').trim() === '0') writeFileSync(f, '1\n');
      } catch {
        // the pod went away meanwhile
      }
    }
  }

  private bridges(): string[] {
    try {
      return readdirSync(this.sysClassNet).filter((n) => n.startsWith(this.o.bridgePrefix));
    } catch {
      return [];
    }
  }

  private readSysctl(path: string): string {
    return readFileSync(join(this.procSys, path), 'utf8').trim();
  }

  private writeSysctl(path: string, value: string): void {
    writeFileSync(join(this.procSys, path), `${value}\n`);
  }

  private async installBlackhole(cidr: string): Promise<void> {
    const ip = this.o.ip!;
    const table = String(this.o.routeTable);
    await run(ip, ['route', 'replace', 'blackhole', cidr]);
    await run(ip, ['route', 'replace', cidr, 'dev', 'lo', 'table', table]);
    // `ip rule add` does not deduplicate: remove earlier copies (a crash) first.
    await this.deleteRules(cidr);
    await run(ip, ['rule', 'add', 'pref', String(this.o.rulePriority), 'iif', 'lo', 'to', cidr, 'lookup', table]);
  }

  private async deleteRules(cidr: string): Promise<void> {
    const ip = this.o.ip!;
    for (let i = 0; i < 16; i++) {
      const r = await run(ip, ['rule', 'del', 'pref', String(this.o.rulePriority), 'iif', 'lo', 'to', cidr, 'lookup', String(this.o.routeTable)], { allowFailure: true });
      if (r.code !== 0) return;
    }
  }

  private async removeBlackhole(cidr: string): Promise<void> {
    const ip = this.o.ip;
    if (!ip) return;
    await this.deleteRules(cidr);
    await run(ip, ['route', 'del', cidr, 'dev', 'lo', 'table', String(this.o.routeTable)], { allowFailure: true });
    await run(ip, ['route', 'del', 'blackhole', cidr], { allowFailure: true });
  }

  /** Runs `fn` on the shared state under the machine-wide lock, then saves it (or removes it when empty). */
  private locked(fn: (st: SharedState) => Promise<void>): Promise<void> {
    const next = inProcess.then(() => this.lockedNow(fn));
    inProcess = next.catch(() => undefined);
    return next;
  }

  private async lockedNow(fn: (st: SharedState) => Promise<void>): Promise<void> {
    await this.lock();
    try {
      const st = this.read();
      for (const [id, h] of Object.entries(st.holders)) if (!alive(h.pid)) delete st.holders[id];
      try {
        await fn(st);
      } finally {
        // Saved even when a step failed: what was changed before it must stay on record.
        this.save(st);
      }
    } finally {
      this.unlock();
    }
  }

  /** Writes the state (atomically), or removes the file when nothing is held or remembered. */
  private save(st: SharedState): void {
    const empty = Object.keys(st.holders).length === 0 && st.original.ipForward === undefined && Object.keys(st.original.routeLocalnet).length === 0 && st.blackholes.length === 0 && (st.podBlackholes ?? []).length === 0;
    if (empty) {
      if (existsSync(this.file)) unlinkSync(this.file);
      return;
    }
    const tmp = `${this.file}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(st, null, 2));
    renameSync(tmp, this.file);
  }

  private read(): SharedState {
    const empty: SharedState = { holders: {}, original: { routeLocalnet: {} }, blackholes: [] };
    try {
      const raw: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      if (typeof raw !== 'object' || raw === null) return empty;
      const r = raw as Partial<SharedState>;
      return {
        holders: r.holders ?? {},
        original: { ipForward: r.original?.ipForward, routeLocalnet: r.original?.routeLocalnet ?? {} },
        blackholes: Array.isArray(r.blackholes) ? r.blackholes : [],
        podBlackholes: Array.isArray(r.podBlackholes) ? r.podBlackholes : [],
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.log(`proxy state ${this.file} unreadable (${String(err)}); starting afresh`);
      return empty;
    }
  }

  /** The machine-wide lock: a file created exclusively, holding our pid (stale if that died). */
  private async lock(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        const fd = openSync(this.lockFile, 'wx');
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder = 0;
      try {
        holder = Number(readFileSync(this.lockFile, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      if (holder > 0 && !alive(holder)) {
        try {
          unlinkSync(this.lockFile);
        } catch {
          // someone else took it over first
        }
        continue;
      }
      if (Date.now() > deadline) throw new Error(`proxy state lock ${this.lockFile} held by pid ${holder} for ${LOCK_WAIT_MS / 1000}s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private unlock(): void {
    try {
      unlinkSync(this.lockFile);
    } catch {
      // already gone
    }
  }
}
