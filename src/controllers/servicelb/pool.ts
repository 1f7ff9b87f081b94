// The address pool of the ServiceLB controller's `lbIpRange` option: an IPv4 CIDR whose
// addresses are handed out one per LoadBalancer Service, lowest free first. Network and
// broadcast addresses are left out of pools larger than a /31 (they are not hosts).

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function toNumber(ip: string): number | undefined {
  const m = IPV4.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function toIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class IpPool {
  /** First and last handed-out address, as numbers. */
  private readonly first: number;
  private readonly last: number;

  constructor(readonly cidr: string) {
    const [addr = '', len = ''] = cidr.split('/');
    const base = toNumber(addr);
    const bits = Number(len);
    if (base === undefined || len === '' || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`lbIpRange: "${cidr}" is not an IPv4 CIDR`);
    const size = 2 ** (32 - bits);
    const start = bits === 0 ? 0 : (base & ~(size - 1)) >>> 0;
    const hostsOnly = size > 2;
    this.first = start + (hostsOnly ? 1 : 0);
    this.last = start + size - 1 - (hostsOnly ? 1 : 0);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  contains(ip: string | undefined): boolean {
    const n = ip === undefined ? undefined : toNumber(ip);
    return n !== undefined && n >= this.first && n <= this.last;
  }

  /** The lowest address of the pool not in `used`, or undefined when all are taken. */
  allocate(used: ReadonlySet<string>): string | undefined {
    // Linear, but pools are small (a /24 in practice) and allocations rare.
    for (let n = this.first; n <= this.last; n++) {
      const ip = toIp(n);
      if (!used.has(ip)) return ip;
    }
    return undefined;
  }
}
