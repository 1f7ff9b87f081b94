// IPv4 addresses and CIDRs as numbers, for the allocators and the node side (service IPs, node
// pod ranges, pod IPs, proxy rules). Dotted quads are read strictly: four decimal octets, no
// leading zeros (as Go's net.ParseIP reads them).

/** Dotted-quad IPv4 as a number, strictly; undefined otherwise. */
export function ipv4ToNumber(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (const part of m.slice(1, 5)) {
    if ((part.length > 1 && part.startsWith('0')) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return `${Math.floor(n / 2 ** 24) % 256}.${Math.floor(n / 2 ** 16) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

export interface Ipv4Cidr {
  /** The network address (host bits cleared), as a number. */
  base: number;
  bits: number;
  /** Addresses in the range. */
  size: number;
  /** `a.b.c.d/bits` with the host bits cleared. */
  text: string;
}

/** An IPv4 CIDR, masked to its network address (10.43.5.0/16 → 10.43.0.0/16); undefined if malformed. */
export function parseIPv4Cidr(s: string): Ipv4Cidr | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m) return undefined;
  const addr = ipv4ToNumber(m[1]!);
  const bits = Number(m[2]);
  if (addr === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  const base = addr - (addr % size);
  return { base, bits, size, text: `${numberToIpv4(base)}/${bits}` };
}
