// A pod's /etc/resolv.conf by its dnsPolicy, as the kubelet writes it: ClusterFirst (the default)
// points at the cluster DNS with the search path `<ns>.svc.<domain> svc.<domain> <domain>` and
// ndots:5; Default copies the node's resolver; None uses only spec.dnsConfig, which the other
// policies merge in (extra nameservers, searches and options). A hostNetwork pod resolves like
// the node unless its policy is ClusterFirstWithHostNet.
import { readFileSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface DnsSettings {
  /** Cluster DNS servers (e.g. 10.43.0.10); empty: ClusterFirst behaves as Default. */
  clusterDns: string[];
  clusterDomain: string;
  /** The node's resolv.conf text (default: /etc/resolv.conf). */
  hostResolvConf?: string;
}

interface Resolv {
  nameservers: string[];
  searches: string[];
  options: string[];
}

function parseResolv(text: string): Resolv {
  const r: Resolv = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.searches = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

function hostResolv(s: DnsSettings): Resolv {
  try {
    return parseResolv(s.hostResolvConf ?? readFileSync('/etc/resolv.conf', 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

/** The resolv.conf content for the pod. */
export function podResolvConf(pod: Pod, s: DnsSettings): string {
  const spec = pod.spec ?? { containers: [] };
  const ns = pod.metadata?.namespace ?? 'default';
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (spec.hostNetwork && policy === 'ClusterFirst') policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && s.clusterDns.length === 0) policy = 'Default';
  let r: Resolv;
  if (policy === 'None') r = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') r = hostResolv(s);
  else {
    const d = s.clusterDomain;
    r = { nameservers: [...s.clusterDns], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...hostResolv(s).searches], options: ['ndots:5'] };
  }
  const cfg = spec.dnsConfig;
  if (cfg) {
    r.nameservers = [...new Set([...r.nameservers, ...(cfg.nameservers ?? [])])];
    r.searches = [...new Set([...r.searches, ...(cfg.searches ?? [])])];
    // A dnsConfig option replaces one of the same name.
    const opts = new Map(r.options.map((o) => [o.split(':')[0]!, o]));
    for (const o of cfg.options ?? []) opts.set(o.name ?? '', o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? ''));
    r.options = [...opts.values()].filter(Boolean);
  }
  // The resolver's limits: 3 nameservers, 32 search domains (upstream trims the same way).
  const lines = [...r.nameservers.slice(0, 3).map((n) => `nameserver ${n}`)];
  if (r.searches.length) lines.push(`search ${r.searches.slice(0, 32).join(' ')}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
