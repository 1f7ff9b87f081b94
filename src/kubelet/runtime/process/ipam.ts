// Pod IP allocation from the node's pod CIDR (IPv4). The first address is the bridge's (the pods'
// gateway); the network and broadcast addresses are never handed out. Allocations are persisted
// in a JSON file under the runtime's rootDir, written atomically, so a restarted runtime does not
// give a live pod's address to another. Addresses are handed out round-robin from the last one,
// so a just-freed address is not reused at once (stale ARP entries, lingering connections).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Serial } from './serial.js';
import { numberToIpv4 as numberToIp, parseIPv4Cidr } from '../../../api/ipv4.js';

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

/** Parses `a.b.c.d/p`; the host bits are cleared. Undefined when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string): Ipv4Cidr | undefined {
  const c = parseIPv4Cidr(cidr);
  return c && { network: c.base, prefix: c.bits };
}

interface IpamFile {
  cidr: string;
  /** Offset of the last address handed out. */
  last: number;
  allocated: Record<string, string>;
}

export interface IpamOptions {
  file: string;
  cidr: string;
  log?: (msg: string) => void;
}

export class Ipam {
  readonly gateway: string;
  readonly prefixLength: number;
  private readonly net: Ipv4Cidr;
  private readonly size: number;
  private readonly serial = new Serial();
  private state: IpamFile | undefined;

  constructor(private readonly options: IpamOptions) {
    const net = parseCidr(options.cidr);
    if (!net) throw new Error(`pod CIDR "${options.cidr}" is not an IPv4 CIDR (like 10.42.0.0/24)`);
    if (net.prefix > 30) throw new Error(`pod CIDR "${options.cidr}" is too small: it needs at least a /30`);
    this.net = net;
    this.size = 2 ** (32 - net.prefix);
    this.prefixLength = net.prefix;
    this.gateway = numberToIp(net.network + 1);
  }

  /** Hands out a free address for `owner` (a sandbox id); throws when the range is used up. */
  allocate(owner: string): Promise<string> {
    return this.serial.run(async () => {
      const st = await this.load();
      const first = 2;
      const last = this.size - 2;
      const span = last - first + 1;
      for (let i = 1; i <= span; i++) {
        const offset = first + ((st.last - first + i) % span + span) % span;
        const ip = numberToIp(this.net.network + offset);
        if (st.allocated[ip] !== undefined) continue;
        st.allocated[ip] = owner;
        st.last = offset;
        await this.save(st);
        return ip;
      }
      throw new Error(`no free pod IP left in ${this.options.cidr} (${span} addresses in use)`);
    });
  }

  /** Frees an address (no-op when it is not allocated). */
  release(ip: string): Promise<void> {
    return this.serial.run(async () => {
      const st = await this.load();
      if (st.allocated[ip] === undefined) return;
      delete st.allocated[ip];
      await this.save(st);
    });
  }

  /** Drops every allocation `keep` says no to (cleanup after a previous run). */
  retain(keep: (ip: string, owner: string) => boolean): Promise<void> {
    return this.serial.run(async () => {
      const st = await this.load();
      let changed = false;
      for (const [ip, owner] of Object.entries(st.allocated)) {
        if (!keep(ip, owner)) {
          delete st.allocated[ip];
          changed = true;
        }
      }
      if (changed) await this.save(st);
    });
  }

  allocations(): Promise<Record<string, string>> {
    return this.serial.run(async () => ({ ...(await this.load()).allocated }));
  }

  private async load(): Promise<IpamFile> {
    if (this.state) return this.state;
    let st: IpamFile = { cidr: this.options.cidr, last: 1, allocated: {} };
    try {
      const parsed: unknown = JSON.parse(await readFile(this.options.file, 'utf8'));
      if (isIpamFile(parsed)) {
        if (parsed.cidr === this.options.cidr) st = parsed;
        else this.options.log?.(`ipam: pod CIDR changed from ${parsed.cidr} to ${this.options.cidr}; forgetting old allocations`);
      } else {
        this.options.log?.(`ipam: ${this.options.file} is not an allocation file; starting empty`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.options.log?.(`ipam: cannot read ${this.options.file}: ${String(err)}; starting empty`);
    }
    this.state = st;
    return st;
  }

  private async save(st: IpamFile): Promise<void> {
    await mkdir(dirname(this.options.file), { recursive: true });
    const tmp = `${this.options.file}.tmp`;
    await writeFile(tmp, JSON.stringify(st));
    await rename(tmp, this.options.file);
  }
}

function isIpamFile(v: unknown): v is IpamFile {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.cidr === 'string' && typeof o.last === 'number' && typeof o.allocated === 'object' && o.allocated !== null;
}
