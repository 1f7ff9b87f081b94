// Names and addresses as the cluster DNS reads and writes them: IP parsing into one canonical
// text form (so that a reverse query, an EndpointSlice address and a Service's clusterIPs meet in
// one map key), reverse names (in-addr.arpa / ip6.arpa) to addresses, and the label forms the
// kubernetes plugin derives from addresses (`10-1-2-3` for endpoints without a hostname, pod
// names `a-b-c-d`). Names here are lower case without the trailing dot.
import { isIP } from 'node:net';

export const IP4_ARPA = 'in-addr.arpa';
export const IP6_ARPA = 'ip6.arpa';

/** The eight 16-bit groups of an IPv6 address, or undefined if `s` is not one. */
function ipv6Groups(s: string): number[] | undefined {
  if (isIP(s) !== 6 || s.includes('%')) return undefined;
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4).
    const v4 = last.split('.').map(Number);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    text = text.slice(0, lastColon + 1);
    // Keep a `::` before the tail; drop the single `:` that only separated it.
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const head = parse(halves[0]!);
  const rest = halves.length > 1 ? parse(halves[1]!) : [];
  const total = 8 - tail.length;
  const zeros = halves.length > 1 ? total - head.length - rest.length : 0;
  const groups = [...head, ...new Array<number>(Math.max(0, zeros)).fill(0), ...rest, ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** RFC 5952 text of eight groups: lower case, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * One text form per address: dotted quad for IPv4 (and, as Go prints them, IPv4-mapped IPv6),
 * RFC 5952 for IPv6. Undefined for anything else (including '', 'None' and zoned addresses).
 */
export function canonicalIp(s: string): string | undefined {
  const fam = isIP(s);
  if (fam === 4) return s;
  if (fam !== 6) return undefined;
  const g = ipv6Groups(s);
  if (!g) return undefined;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  return formatIpv6(g);
}

/** 4 or 6 for a canonical address (see canonicalIp), 0 otherwise. */
export function ipFamily(ip: string): 0 | 4 | 6 {
  const f = isIP(ip);
  return f === 4 ? 4 : f === 6 ? 6 : 0;
}

/**
 * The address a reverse name stands for (`4.3.2.1.in-addr.arpa` → 1.2.3.4; 32 nibbles under
 * ip6.arpa), or undefined when the name is not a complete one (a partial tree such as
 * `2.1.in-addr.arpa`, or the apex).
 */
export function reverseToIp(name: string): string | undefined {
  if (name.endsWith(`.${IP4_ARPA}`)) {
    const labels = name.slice(0, -(IP4_ARPA.length + 1)).split('.');
    if (labels.length !== 4) return undefined;
    const ip = labels.reverse().join('.');
    return isIP(ip) === 4 ? ip : undefined;
  }
  if (name.endsWith(`.${IP6_ARPA}`)) {
    const labels = name.slice(0, -(IP6_ARPA.length + 1)).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    const nibbles = labels.reverse();
    const groups: number[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(nibbles.slice(i, i + 4).join(''), 16));
    return canonicalIp(formatIpv6(groups));
  }
  return undefined;
}

/** The reverse name of an address (for tests and tools): 1.2.3.4 → 4.3.2.1.in-addr.arpa. */
export function ipToReverse(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.${IP4_ARPA}`;
  const g = ipv6Groups(ip);
  if (!g) throw new Error(`not an IP address: ${ip}`);
  const nibbles = g.map((x) => x.toString(16).padStart(4, '0')).join('').split('');
  return `${nibbles.reverse().join('.')}.${IP6_ARPA}`;
}

/**
 * The label an endpoint without a hostname is known by: its address with `.` or `:` as `-`
 * (10.1.2.3 → 10-1-2-3, fd00::1 → fd00--1). An IPv6 text ending in `::` gets a final 0, as
 * a label may not end with `-`.
 */
export function dashedIp(ip: string): string {
  if (ip.includes('.') && !ip.includes(':')) return ip.replaceAll('.', '-');
  const d = ip.replaceAll(':', '-');
  return d.endsWith('-') ? `${d}0` : d;
}

/**
 * The address a pod label spells (`10-1-2-3` → 10.1.2.3, `fd00--1` → fd00::1), as the
 * kubernetes plugin reads it: exactly three dashes and no `--` is IPv4, anything else IPv6.
 * Undefined when the result is not an address.
 */
export function podLabelToIp(label: string): string | undefined {
  let dashes = 0;
  for (let i = 0; i < label.length; i++) if (label.charCodeAt(i) === 45) dashes++;
  const text = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return isIP(text) !== 0 ? text : undefined;
}

/** Whether `name` is `zone` or below it (both lower case, no trailing dot; '' is the root). */
export function isSubdomain(name: string, zone: string): boolean {
  if (zone === '') return true;
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

/** Strips a trailing dot (names from the wire and from objects may carry one). */
export function withoutDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
