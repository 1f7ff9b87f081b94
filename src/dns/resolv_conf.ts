// The node's resolvers, from resolv.conf: the default upstream of the cluster DNS, as the default
// Corefile's `forward . /etc/resolv.conf`.
import { readFileSync } from 'node:fs';
import type { Upstream } from './forwarder.js';
import { ipFamily } from './names.js';

/** `nameserver` lines of resolv.conf text, each at `port`; entries that are not addresses are skipped. */
export function parseResolvConf(text: string, port: number): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, value] = line.split(/\s+/);
    if (key !== 'nameserver' || !value) continue;
    // A zone suffix (fe80::1%eth0) is kept for the socket; only the address part is checked.
    if (ipFamily(value.split('%')[0]!) === 0) continue;
    out.push({ host: value, port });
  }
  return out;
}

/** The nameservers of the file at `path`; [] (and a reason for the log) when it cannot be read. */
export function readResolvConf(path: string, port: number): { upstream: Upstream[]; error?: string } {
  try {
    return { upstream: parseResolvConf(readFileSync(path, 'utf8'), port) };
  } catch (err) {
    return { upstream: [], error: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
