// The answers of the cluster zones, as CoreDNS's kubernetes plugin gives them, computed from the
// ClusterIndex alone (no API call per query). The server (server.ts) handles the wire; this file
// maps one question to records, an rcode, or "not ours: forward".
//
// What we reproduce, with the plugin's quirks (the Kubernetes DNS specification 1.1.0 plus
// CoreDNS's reading of it):
// - Zones: the cluster domain, in-addr.arpa and ip6.arpa. A name-error in a reverse zone falls
//   through to the upstream (the default Corefile's `fallthrough in-addr.arpa ip6.arpa`).
// - Names parse right to left: svc|pod, namespace, service, then either one endpoint label or
//   `_port._proto`; more labels (a search-path expansion such as
//   `web.ns.svc.cluster.local.ns.svc.cluster.local`) are a name error at once.
// - `<ns>.svc.<domain>`, `<domain>`, `svc.<domain>`, `pod.<domain>` are NODATA when the
//   namespace exists (or none is named); a missing namespace or Service is NXDOMAIN.
// - An existing name asked for another type is NODATA (SOA in authority) — except TXT, which is
//   NODATA only where some record exists (so TXT on `<ns>.svc.<domain>` is NXDOMAIN, as CoreDNS
//   answers), and SOA, which is NODATA for every name but the apex.
// - ClusterIP Services: A/AAAA per clusterIP. Headless: one address per ready endpoint, deduped.
//   Any Service: `<hostname-or-dashed-ip>.<svc>...` for each ready endpoint.
// - SRV: every (port × address) entry counts for the weight, floor(100 / entries) (min 1), even
//   entries later dropped as duplicates or port-less; priority 0; the target is the Service name
//   (ClusterIP) or the endpoint name (headless), with its address in the additional section.
// - ExternalName: a CNAME; for A/AAAA the target is resolved too (in-zone through us, other
//   names through the upstream), and the CNAME is kept even when that resolution finds nothing.
// - PTR: a ClusterIP names its Service (the first one); otherwise every Service endpoint with
//   that address names `<label>.<svc>.<ns>.svc.<domain>`.
// - Pods (`pods insecure`): `a-b-c-d.<ns>.pod.<domain>` → a.b.c.d for any existing namespace;
//   `verified` also requires a pod with that address in that namespace.
// - `dns-version.<domain>` TXT "1.1.0" (TTL 28800). AXFR/IXFR: REFUSED. Before the informers
//   have synced, a name error is SERVFAIL rather than NXDOMAIN.
import type { Answer } from 'dns-packet';
import type { ClusterIndex } from './cluster_index.js';
import { dnsDefaults, type PodMode } from './defaults.js';
import { IP4_ARPA, IP6_ARPA, canonicalIp, ipFamily, isSubdomain, podLabelToIp, reverseToIp } from './names.js';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL';

export type Resolution =
  | {
      kind: 'answer';
      rcode: Rcode;
      answers: Answer[];
      authorities: Answer[];
      additionals: Answer[];
      /** Some records of an upstream answer (an ExternalName's target) were cut. */
      truncated: boolean;
    }
  | { kind: 'refused' }
  /** Not a name of ours (or a reverse name we do not know): the upstream's to answer. */
  | { kind: 'forward' };

/**
 * Resolves a name outside our zones (an ExternalName's target) through the upstream. A failure
 * is an empty answer: CoreDNS keeps the CNAME when the lookup finds nothing.
 */
export type ExternalLookup = (name: string, type: 'A' | 'AAAA') => Promise<{ answers: Answer[]; truncated: boolean }>;

export interface ResolverOptions {
  index: ClusterIndex;
  /** Lower case, without the trailing dot. */
  domain: string;
  ttl: number;
  podMode: PodMode;
  hasSynced(): boolean;
  lookup: ExternalLookup;
  /** Addresses of the zone's NS when the nameserver Service does not exist (CoreDNS: its own). */
  localIps: readonly string[];
  nameserverService?: { namespace: string; name: string };
}

/** One record source, as the plugin's msg.Service: an address or name, a port, the owner name. */
interface Item {
  host: string;
  port: number;
  /** The name this entry lives at (SRV target, NS name). */
  key: string;
  ttl: number;
  text?: string;
}

interface Found {
  items: readonly Item[];
  /** A name error (NXDOMAIN), as opposed to an empty answer. */
  nx: boolean;
}

interface Request {
  podOrSvc: string;
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

/** The question being answered: the name as sent (for owner names), lower-cased, and its zone. */
interface Ctx {
  qname: string;
  lname: string;
  /** The zone with the query's case (SOA, targets under the zone keep the client's spelling). */
  zone: string;
  zoneLower: string;
}

const NOT_FOUND: Found = { items: [], nx: true };
const EMPTY: Found = { items: [], nx: false };
const INVALID = 'invalid';

function hostType(item: Item): 'A' | 'AAAA' | 'CNAME' | 'TXT' {
  if (item.text !== undefined) return 'TXT';
  const f = ipFamily(item.host);
  return f === 4 ? 'A' : f === 6 ? 'AAAA' : 'CNAME';
}

function stripUnderscore(s: string): string {
  return s.charCodeAt(0) === 95 ? s.slice(1) : s;
}

/** The labels below the zone, right to left, as the plugin's parseRequest reads them. */
function parseRequest(lname: string, zoneLower: string): Request | typeof INVALID {
  const r: Request = { podOrSvc: '', namespace: '', service: '', endpoint: '', port: '', protocol: '' };
  const base = lname === zoneLower ? '' : lname.slice(0, lname.length - zoneLower.length - 1);
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  r.podOrSvc = segs[last]!;
  if (r.podOrSvc !== 'svc' && r.podOrSvc !== 'pod') return INVALID;
  if (--last < 0) return r;
  r.namespace = segs[last]!;
  if (--last < 0) return r;
  r.service = segs[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0]!;
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]!);
    r.port = stripUnderscore(segs[0]!);
  } else return INVALID;
  return r;
}

function matchPortAndProtocol(want: Request, name: string, protocol: string): boolean {
  return (want.port === '' || want.port === name) && (want.protocol === '' || want.protocol === protocol);
}

export class ClusterResolver {
  private readonly zones: string[];
  private readonly maxChain = dnsDefaults.maxCnameChain;

  constructor(private readonly o: ResolverOptions) {
    // Longest first: the most specific zone wins.
    this.zones = [o.domain, IP4_ARPA, IP6_ARPA].sort((a, b) => b.length - a.length);
  }

  /** The zone (lower case) a lower-case name is in, if any of ours. */
  zoneOf(lname: string): string | undefined {
    for (const z of this.zones) if (isSubdomain(lname, z)) return z;
    return undefined;
  }

  /** Answers one question (`qname` as sent, without the trailing dot; `qtype` as dns-packet names it). */
  async resolve(qname: string, qtype: string): Promise<Resolution> {
    const lname = qname.toLowerCase();
    const zoneLower = this.zoneOf(lname);
    if (zoneLower === undefined) return { kind: 'forward' };
    const ctx: Ctx = { qname, lname, zone: qname.slice(qname.length - zoneLower.length), zoneLower };
    let records: Answer[] = [];
    let extra: Answer[] = [];
    let truncated = false;
    let nx = false;
    switch (qtype) {
      case 'A':
      case 'AAAA': {
        const r = await this.address(ctx, qtype, []);
        ({ records, truncated, nx } = r);
        break;
      }
      case 'TXT': {
        const found = this.services(ctx, 'TXT');
        nx = found.nx;
        for (const it of found.items) records.push({ type: 'TXT', name: qname, ttl: it.ttl, data: it.text ?? '' });
        break;
      }
      case 'CNAME': {
        const found = this.services(ctx, 'CNAME');
        nx = found.nx;
        const first = found.items[0];
        if (first && hostType(first) === 'CNAME') records.push({ type: 'CNAME', name: qname, ttl: first.ttl, data: first.host });
        break;
      }
      case 'PTR':
        ({ records, nx } = this.ptr(ctx));
        break;
      case 'SRV':
        ({ records, extra, nx } = this.srv(ctx));
        break;
      case 'SOA':
        if (lname === zoneLower) records.push(this.soa(ctx.zone));
        break;
      case 'AXFR':
      case 'IXFR':
        return { kind: 'refused' };
      case 'NS':
        if (lname === zoneLower) {
          ({ records, extra } = this.ns(ctx));
          break;
        }
        nx = this.services(ctx, 'A').nx;
        break;
      default:
        // MX, ANY, HTTPS, ...: no such records here; only whether the name exists matters.
        nx = this.services(ctx, 'A').nx;
    }
    if (nx) {
      if (zoneLower !== this.o.domain) return { kind: 'forward' };
      return this.negative(this.o.hasSynced() ? 'NXDOMAIN' : 'SERVFAIL', ctx.zone);
    }
    if (records.length === 0) return this.negative('NOERROR', ctx.zone);
    return { kind: 'answer', rcode: 'NOERROR', answers: records, authorities: [], additionals: extra, truncated };
  }

  private negative(rcode: Rcode, zone: string): Resolution {
    return { kind: 'answer', rcode, answers: [], authorities: [this.soa(zone)], additionals: [], truncated: false };
  }

  private soa(zone: string): Answer {
    const ttl = this.o.ttl;
    return {
      type: 'SOA',
      name: zone,
      ttl: Math.min(ttl, dnsDefaults.soaMaxTtl),
      data: {
        mname: `ns.dns.${zone}`,
        rname: `hostmaster.${zone}`,
        serial: this.o.index.modified >>> 0,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: ttl,
      },
    };
  }

  // ---- the plugin's Services / Records / find* ----

  private services(ctx: Ctx, qtype: string): Found {
    if (qtype === 'TXT') {
      const base = ctx.lname === ctx.zoneLower ? '' : ctx.lname.slice(0, ctx.lname.length - ctx.zoneLower.length - 1);
      if (base === 'dns-version') {
        return { items: [{ host: '', port: 0, key: ctx.qname, ttl: dnsDefaults.versionTtl, text: dnsDefaults.schemaVersion }], nx: false };
      }
      const found = this.records(ctx);
      return found.items.length > 0 ? EMPTY : NOT_FOUND;
    }
    if (qtype === 'NS') return { items: this.nameservers(ctx.zone), nx: false };
    // `ns.dns.<zone>`: the nameserver's own addresses.
    if (ctx.lname.startsWith('ns.dns.') && ctx.lname.indexOf(ctx.zoneLower) === 7) {
      const fam = qtype === 'A' ? 4 : qtype === 'AAAA' ? 6 : 0;
      return { items: this.nameservers(ctx.zone).filter((it) => ipFamily(it.host) === fam), nx: false };
    }
    const found = this.records(ctx);
    if (qtype !== 'SRV' || found.nx) return found;
    // SRV for ExternalName Services is not offered: drop the CNAME entries.
    return { items: found.items.filter((it) => hostType(it) !== 'CNAME'), nx: false };
  }

  private records(ctx: Ctx): Found {
    const r = parseRequest(ctx.lname, ctx.zoneLower);
    if (r === INVALID) return NOT_FOUND;
    if (r.podOrSvc === '') return EMPTY;
    if (ctx.zoneLower !== this.o.domain) return NOT_FOUND;
    if (!this.o.index.namespaceExists(r.namespace)) return NOT_FOUND;
    return r.podOrSvc === 'pod' ? this.findPods(r, ctx.zone) : this.findServices(r, ctx.zone);
  }

  private findPods(r: Request, zone: string): Found {
    if (this.o.podMode === 'disabled') return NOT_FOUND;
    if (r.service === '') return EMPTY;
    const ip = podLabelToIp(r.service);
    if (ip === undefined) return NOT_FOUND;
    const item: Item = { host: ip, port: 0, key: `${r.service}.${r.namespace}.pod.${zone}`, ttl: this.o.ttl };
    if (this.o.podMode === 'insecure') return { items: [item], nx: false };
    const c = canonicalIp(ip);
    const items: Item[] = [];
    for (const ns of c ? this.o.index.podNamespacesByIp(c) : []) if (ns === r.namespace) items.push(item);
    return items.length > 0 ? { items, nx: false } : NOT_FOUND;
  }

  private findServices(r: Request, zone: string): Found {
    if (r.service === '') return EMPTY;
    const svc = this.o.index.service(r.namespace, r.service);
    if (!svc) return NOT_FOUND;
    const ttl = this.o.ttl;
    const owner = `${svc.name}.${svc.namespace}.svc.${zone}`;
    const items: Item[] = [];
    let nx = true;
    if (svc.type === 'ExternalName') {
      // No endpoints, and no `_port._proto` names, under an ExternalName.
      if (r.endpoint !== '' || r.port !== '' || r.protocol !== '') return NOT_FOUND;
      // An IP address as externalName makes no CNAME, and so no name.
      if (svc.externalName === '' || ipFamily(svc.externalName) !== 0) return NOT_FOUND;
      return { items: [{ host: svc.externalName, port: 0, key: owner, ttl }], nx: false };
    }
    if (svc.headless || r.endpoint !== '') {
      for (const g of this.o.index.endpoints(svc.namespace, svc.name)) {
        for (const a of g.addresses) {
          if (r.endpoint !== '' && r.endpoint !== a.label) continue;
          for (const p of g.ports) {
            if (!matchPortAndProtocol(r, p.name, p.protocol)) continue;
            items.push({ host: a.ip, port: p.port, key: `${a.label}.${owner}`, ttl });
            nx = false;
          }
        }
      }
      return { items, nx };
    }
    for (const p of svc.ports) {
      if (!matchPortAndProtocol(r, p.name, p.protocol)) continue;
      nx = false;
      for (const ip of svc.clusterIPs) items.push({ host: ip, port: p.port, key: owner, ttl });
    }
    return { items, nx };
  }

  /** The zone's nameservers: the nameserver Service's addresses, else our own. */
  private nameservers(zone: string): Item[] {
    const ttl = this.o.ttl;
    const ref = this.o.nameserverService;
    const svc = ref ? this.o.index.service(ref.namespace, ref.name) : undefined;
    if (svc && svc.type !== 'ExternalName') {
      const owner = `${svc.name}.${svc.namespace}.svc.${zone}`;
      if (!svc.headless) return svc.clusterIPs.map((ip) => ({ host: ip, port: 0, key: owner, ttl }));
      const items: Item[] = [];
      for (const g of this.o.index.endpoints(svc.namespace, svc.name)) for (const a of g.addresses) items.push({ host: a.ip, port: 0, key: `${a.label}.${owner}`, ttl });
      if (items.length > 0) return items;
    }
    return this.o.localIps.map((ip) => ({ host: ip, port: 0, key: `ns.dns.${zone}`, ttl }));
  }

  // ---- the record makers (plugin.A, SRV, PTR, NS) ----

  private async address(ctx: Ctx, qtype: 'A' | 'AAAA', previous: Answer[]): Promise<{ records: Answer[]; truncated: boolean; nx: boolean }> {
    const found = this.services(ctx, qtype);
    if (found.nx) return { records: [], truncated: false, nx: true };
    const records: Answer[] = [];
    let truncated = false;
    const seen = new Set<string>();
    for (const it of found.items) {
      const t = hostType(it);
      if (t === qtype) {
        if (!seen.has(it.host)) {
          seen.add(it.host);
          records.push({ type: qtype, name: ctx.qname, ttl: it.ttl, data: it.host });
        }
        continue;
      }
      if (t !== 'CNAME') continue;
      const targetLower = it.host.toLowerCase();
      // x CNAME x would be a loop.
      if (targetLower === ctx.lname) continue;
      if (previous.length > this.maxChain) continue;
      const cname: Answer = { type: 'CNAME', name: ctx.qname, ttl: it.ttl, data: it.host };
      if (previous.some((p) => p.type === 'CNAME' && p.data.toLowerCase() === targetLower)) continue;
      if (isSubdomain(targetLower, ctx.zoneLower)) {
        const next = await this.address({ qname: it.host, lname: targetLower, zone: ctx.zone, zoneLower: ctx.zoneLower }, qtype, [...previous, cname]);
        if (!next.nx && next.records.length > 0) records.push(cname, ...next.records);
        truncated ||= next.truncated;
        continue;
      }
      // Outside the zone: through the upstream. The CNAME stands even if that finds nothing.
      const ext = await this.o.lookup(it.host, qtype);
      truncated ||= ext.truncated;
      records.push(cname, ...ext.answers);
    }
    return { records, truncated, nx: false };
  }

  private srv(ctx: Ctx): { records: Answer[]; extra: Answer[]; nx: boolean } {
    const found = this.services(ctx, 'SRV');
    if (found.nx) return { records: [], extra: [], nx: true };
    const records: Answer[] = [];
    const extra: Answer[] = [];
    const seen = new Set<string>();
    // Every entry weighs 100 at priority 0; each gets its share of 100, as CoreDNS computes it.
    const total = 100 * found.items.length;
    for (const it of found.items) {
      if (it.port === -1) continue;
      let weight = Math.floor((100 / total) * 100);
      if (weight === 0) weight = 1;
      const t = hostType(it);
      if (t !== 'A' && t !== 'AAAA') continue;
      const srvKey = `${it.key}\u0000\u0000${it.port}`;
      if (!seen.has(srvKey)) {
        seen.add(srvKey);
        records.push({ type: 'SRV', name: ctx.qname, ttl: it.ttl, data: { priority: 0, weight, port: it.port, target: it.key } });
      }
      const addrKey = `${it.key}\u0000${it.host}\u00000`;
      if (!seen.has(addrKey)) {
        seen.add(addrKey);
        extra.push({ type: t, name: it.key, ttl: it.ttl, data: it.host });
      }
    }
    return { records, extra, nx: false };
  }

  private ptr(ctx: Ctx): { records: Answer[]; nx: boolean } {
    const ip = reverseToIp(ctx.lname);
    if (ip === undefined) return { records: [], nx: this.records(ctx).nx };
    const hosts: string[] = [];
    const svc = this.o.index.servicesByIp(ip)[0];
    if (svc) hosts.push(`${svc.name}.${svc.namespace}.svc.${this.o.domain}`);
    else for (const ref of this.o.index.endpointsByIp(ip)) hosts.push(`${ref.address.label}.${ref.service}.${ref.namespace}.svc.${this.o.domain}`);
    if (hosts.length === 0) return { records: [], nx: true };
    const records: Answer[] = [];
    for (const h of new Set(hosts)) records.push({ type: 'PTR', name: ctx.qname, ttl: this.o.ttl, data: h });
    return { records, nx: false };
  }

  private ns(ctx: Ctx): { records: Answer[]; extra: Answer[] } {
    const records: Answer[] = [];
    const extra: Answer[] = [];
    const seen = new Set<string>();
    for (const it of this.services(ctx, 'NS').items) {
      const t = hostType(it);
      if (t !== 'A' && t !== 'AAAA') continue;
      extra.push({ type: t, name: it.key, ttl: it.ttl, data: it.host });
      if (seen.has(it.key)) continue;
      seen.add(it.key);
      records.push({ type: 'NS', name: ctx.qname, ttl: it.ttl, data: it.key });
    }
    return { records, extra };
  }
}
