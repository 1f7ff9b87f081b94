// The nftables ruleset of one node's proxy, as text for `nft -f -`: the whole table (first sync,
// resync) or one transaction with just the changes of a batch of service ports. Pure: it keeps
// what it last rendered and diffs against it; nftables.ts runs nft and host_settings.ts owns the
// sysctls and routes. One table `ip capstan-<node key>` per node, so several nodes can run in
// one process (the key is the kubelet's hash of the node name, so the node's bridge is
// `cbr<key>`).
//
//   map service-ips        ClusterIP / LB ingress IP / external IP . proto . port → goto chain
//   map service-nodeports  proto . nodePort → goto chain (on the node IP; on 127/8 from the host)
//   chain svc-<ns>/<name>/<port>   ClusterIP traffic: pick a ready endpoint and DNAT to it
//   chain ext-<ns>/<name>/<port>   NodePort/LB traffic, only when externalTrafficPolicy differs
//   chain sep-<port key>/<ip>/<port> + set aff-…   per endpoint, for sessionAffinity ClientIP only
//   nat-prerouting / nat-output     DNAT of pod and external traffic / of host traffic
//   nat-postrouting                 masquerade DNAT'd traffic from pods and from the host
//   filter-*                        reject untranslated service traffic; keep pods in the machine
//
// The random pick is a cascade `numgen random mod (N-i) 0 → endpoint i` (each rule draws anew;
// every endpoint gets exactly 1/N), not a `numgen random mod N` map. Measured on kernel 6.18,
// 10k Services × 10 endpoints: anonymous maps take 33 s to load (the kernel names each anonymous
// set by scanning all of them), per-service named maps 6.7 s (set lookups by name are linear),
// one shared map with per-service offsets 17-140 s (binding a map walks its elements, once per
// rule), the cascade 3.5 s; an incremental change is ~60 ms either way.
//
// Session affinity follows kube-proxy: a dynamic set of client addresses per endpoint, with the
// Service's timeout; a client found in one goes to that endpoint, otherwise the random pick does
// and records it. The sets survive endpoint changes (only a departed endpoint's set goes).
import { createHash } from 'node:crypto';
import { clusterTargets, cidrContains, externalTargets, type Endpoint, type ServicePortInfo } from './service_ports.js';

export interface NftConfig {
  table: string;
  nodeName: string;
  nodeIp: string;
  serviceCidr: string;
  clusterCidr: string;
  /** Pod bridges are the interfaces whose name starts with this. */
  bridgePrefix: string;
  /** Capstan turned ip_forward on: forwarding not to or from a pod bridge is dropped (the machine did not route before). */
  dropOtherForwarding: boolean;
}

export const MAP_IPS = 'service-ips';
export const MAP_NODEPORTS = 'service-nodeports';

/** The table of a node: `capstan-` + the kubelet's node key (sha256 of `node/<name>`, 8 hex). */
export function tableName(nodeName: string): string {
  return `capstan-${createHash('sha256').update(`node/${nodeName}`).digest('hex').slice(0, 8)}`;
}

/** What one service port puts in the table. */
interface PortRules {
  chains: Map<string, string[]>;
  /** set name → its body (inside the braces). */
  sets: Map<string, string>;
  ips: Map<string, string>;
  nodePorts: Map<string, string>;
}

function nameOf(key: string): string {
  // Keys are `ns/name/port` of DNS labels; anything else is made safe for an nft identifier.
  const [ns = '', name = '', port = ''] = key.split('/');
  return `${ns}/${name}/${port || '_'}`.replace(/[^A-Za-z0-9_./-]/g, '_');
}

function lower(p: ServicePortInfo): string {
  return p.protocol.toLowerCase();
}

/** The rules, sets and map elements of one service port. */
export function renderPort(p: ServicePortInfo, nodeName: string): PortRules {
  const r: PortRules = { chains: new Map(), sets: new Map(), ips: new Map(), nodePorts: new Map() };
  const id = nameOf(p.key);
  const proto = lower(p);
  const dispatch = (targets: readonly Endpoint[]): string[] => {
    const rules: string[] = [];
    const dnat = (e: Endpoint): string => `meta l4proto ${proto} dnat ip to ${e.ip}:${e.port}`;
    if (p.affinitySeconds > 0) {
      const sep = (e: Endpoint): string => `sep-${id}/${e.ip}/${e.port}`;
      const aff = (e: Endpoint): string => `aff-${id}/${e.ip}/${e.port}`;
      for (const e of targets) {
        r.sets.set(aff(e), `type ipv4_addr; flags dynamic,timeout; timeout ${p.affinitySeconds}s;`);
        // The set update is a rule of its own: a full set must not stop the DNAT.
        r.chains.set(sep(e), [`update @${aff(e)} { ip saddr }`, dnat(e)]);
        rules.push(`ip saddr @${aff(e)} goto ${sep(e)}`);
      }
      targets.forEach((e, i) => rules.push(`${i < targets.length - 1 ? `numgen random mod ${targets.length - i} 0 ` : ''}goto ${sep(e)}`));
    } else {
      targets.forEach((e, i) => rules.push(`${i < targets.length - 1 ? `numgen random mod ${targets.length - i} 0 ` : ''}${dnat(e)}`));
    }
    return rules;
  };
  const cluster = clusterTargets(p, nodeName);
  const svcChain = `svc-${id}`;
  if (p.clusterIP) {
    r.chains.set(svcChain, dispatch(cluster));
    r.ips.set(`${p.clusterIP} . ${proto} . ${p.port}`, `goto ${svcChain}`);
  }
  const externalIps = [...p.loadBalancerIPs, ...p.externalIPs];
  if (p.nodePort || externalIps.length > 0) {
    const external = externalTargets(p, nodeName);
    let extChain = svcChain;
    if (!p.clusterIP || !sameEndpoints(cluster, external)) {
      extChain = `ext-${id}`;
      r.chains.set(extChain, dispatch(external));
    }
    if (p.nodePort) r.nodePorts.set(`${proto} . ${p.nodePort}`, `goto ${extChain}`);
    for (const ip of externalIps) r.ips.set(`${ip} . ${proto} . ${p.port}`, `goto ${extChain}`);
  }
  return r;
}

function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a.length === b.length && a.every((e, i) => e.ip === b[i]!.ip && e.port === b[i]!.port);
}

function sameRules(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Map elements wanted by possibly several ports: the first claimant's verdict is programmed. */
class Claims {
  /** element key → (port key → verdict), in claim order. */
  private readonly owners = new Map<string, Map<string, string>>();
  /** What the kernel has. */
  readonly applied = new Map<string, string>();

  claim(elem: string, port: string, verdict: string): void {
    let m = this.owners.get(elem);
    if (!m) this.owners.set(elem, (m = new Map()));
    m.set(port, verdict);
  }

  release(elem: string, port: string): void {
    const m = this.owners.get(elem);
    if (!m) return;
    m.delete(port);
    if (m.size === 0) this.owners.delete(elem);
  }

  desired(elem: string): string | undefined {
    const m = this.owners.get(elem);
    if (!m) return undefined;
    for (const v of m.values()) return v;
    return undefined;
  }

  /** Other ports that claim `elem` besides its winner (for a log line). */
  conflict(elem: string): string[] {
    const m = this.owners.get(elem);
    return m && m.size > 1 ? [...m.keys()] : [];
  }

  clear(): void {
    this.owners.clear();
    this.applied.clear();
  }
}

export interface NftPlan {
  /** The transaction for `nft -f -`; '' when nothing changed. */
  text: string;
  /** Map elements several ports claim (the first keeps it), for the log. */
  conflicts: string[];
}

export class NftRuleset {
  private readonly ports = new Map<string, PortRules>();
  private readonly ipClaims = new Claims();
  private readonly nodePortClaims = new Claims();

  constructor(readonly config: NftConfig) {}

  get table(): string {
    return this.config.table;
  }

  /** Service ports currently rendered. */
  get size(): number {
    return this.ports.size;
  }

  /**
   * The whole table, replacing whatever is there in one transaction (`add` makes the delete
   * safe when the table does not exist yet). Resets what this object believes is applied.
   */
  full(all: Iterable<ServicePortInfo>): NftPlan {
    this.ports.clear();
    this.ipClaims.clear();
    this.nodePortClaims.clear();
    const t = this.config.table;
    const body: string[] = [];
    for (const p of all) {
      if (this.ports.has(p.key)) continue;
      const r = renderPort(p, this.config.nodeName);
      this.ports.set(p.key, r);
      for (const [k, v] of r.ips) this.ipClaims.claim(k, p.key, v);
      for (const [k, v] of r.nodePorts) this.nodePortClaims.claim(k, p.key, v);
      for (const [name, spec] of r.sets) body.push(`  set ${name} { ${spec} }`);
      for (const [name, rules] of r.chains) {
        body.push(`  chain ${name} {`);
        for (const rule of rules) body.push(`    ${rule}`);
        body.push('  }');
      }
    }
    const lines = [`add table ip ${t}`, `delete table ip ${t}`, `table ip ${t} {`, ...this.baseChains(), ...body, '}'];
    const conflicts: string[] = [];
    for (const [map, claims] of [[MAP_IPS, this.ipClaims], [MAP_NODEPORTS, this.nodePortClaims]] as const) {
      const elems: string[] = [];
      for (const port of this.ports.values()) {
        for (const k of (map === MAP_IPS ? port.ips : port.nodePorts).keys()) {
          if (claims.applied.has(k)) continue;
          const v = claims.desired(k)!;
          claims.applied.set(k, v);
          elems.push(`${k} : ${v}`);
          const c = claims.conflict(k);
          if (c.length > 0) conflicts.push(`${k} is wanted by ${c.join(', ')}; ${c[0]} has it`);
        }
      }
      if (elems.length > 0) lines.push(`add element ip ${t} ${map} { ${elems.join(', ')} }`);
    }
    return { text: lines.join('\n') + '\n', conflicts };
  }

  /**
   * One transaction for a batch of changes (port key → new state, undefined = gone). Order
   * matters inside it: map elements that point at chains go first, chains are flushed before
   * they or their sets are deleted, new chains exist before elements point at them.
   */
  update(changes: ReadonlyMap<string, ServicePortInfo | undefined>): NftPlan {
    const t = this.config.table;
    const delElems: string[] = [];
    const flush: string[] = [];
    const delChains: string[] = [];
    const delSets: string[] = [];
    const addSets: string[] = [];
    const addChains: string[] = [];
    const addRules: string[] = [];
    const touchedIps = new Set<string>();
    const touchedNodePorts = new Set<string>();
    for (const [key, info] of changes) {
      const old = this.ports.get(key);
      const next = info ? renderPort(info, this.config.nodeName) : undefined;
      if (old) {
        for (const k of old.ips.keys()) this.ipClaims.release(k, key);
        for (const k of old.nodePorts.keys()) this.nodePortClaims.release(k, key);
        for (const k of old.ips.keys()) touchedIps.add(k);
        for (const k of old.nodePorts.keys()) touchedNodePorts.add(k);
      }
      if (next) {
        for (const [k, v] of next.ips) this.ipClaims.claim(k, key, v);
        for (const [k, v] of next.nodePorts) this.nodePortClaims.claim(k, key, v);
        for (const k of next.ips.keys()) touchedIps.add(k);
        for (const k of next.nodePorts.keys()) touchedNodePorts.add(k);
        this.ports.set(key, next);
      } else {
        this.ports.delete(key);
      }
      const oldSets = old?.sets ?? new Map<string, string>();
      const newSets = next?.sets ?? new Map<string, string>();
      // A set re-made under its old name (its timeout changed) must first lose its references,
      // though the rules that name it read the same: then every chain of the port is redone.
      let remade = false;
      for (const [name, spec] of oldSets) {
        if (newSets.get(name) === spec) continue;
        delSets.push(name);
        if (newSets.has(name)) remade = true;
      }
      for (const [name, spec] of newSets) {
        if (oldSets.get(name) !== spec) addSets.push(`add set ip ${t} ${name} { ${spec} }`);
      }
      const oldChains = old?.chains ?? new Map<string, string[]>();
      const newChains = next?.chains ?? new Map<string, string[]>();
      for (const [name, rules] of oldChains) {
        const now = newChains.get(name);
        if (!now || remade || !sameRules(rules, now)) flush.push(name);
        if (!now) delChains.push(name);
      }
      for (const [name, rules] of newChains) {
        const before = oldChains.get(name);
        if (!before) addChains.push(name);
        if (!before || remade || !sameRules(before, rules)) for (const rule of rules) addRules.push(`add rule ip ${t} ${name} ${rule}`);
      }
    }
    const addElems: string[] = [];
    const conflicts: string[] = [];
    const elemDiff = (map: string, claims: Claims, touched: Set<string>): void => {
      const dels: string[] = [];
      const adds: string[] = [];
      for (const k of touched) {
        const want = claims.desired(k);
        const have = claims.applied.get(k);
        if (want === have) continue;
        if (have !== undefined) dels.push(k);
        if (want !== undefined) adds.push(`${k} : ${want}`);
        if (want === undefined) claims.applied.delete(k);
        else claims.applied.set(k, want);
        const c = claims.conflict(k);
        if (c.length > 0) conflicts.push(`${k} is wanted by ${c.join(', ')}; ${c[0]} has it`);
      }
      if (dels.length > 0) delElems.push(`delete element ip ${t} ${map} { ${dels.join(', ')} }`);
      if (adds.length > 0) addElems.push(`add element ip ${t} ${map} { ${adds.join(', ')} }`);
    };
    elemDiff(MAP_IPS, this.ipClaims, touchedIps);
    elemDiff(MAP_NODEPORTS, this.nodePortClaims, touchedNodePorts);
    const lines = [
      ...delElems,
      ...flush.map((c) => `flush chain ip ${t} ${c}`),
      ...delChains.map((c) => `delete chain ip ${t} ${c}`),
      ...delSets.map((s) => `delete set ip ${t} ${s}`),
      ...addSets,
      ...addChains.map((c) => `add chain ip ${t} ${c}`),
      ...addRules,
      ...addElems,
    ];
    return { text: lines.length > 0 ? lines.join('\n') + '\n' : '', conflicts };
  }

  /** Removes the table (absent is fine: `add` first). */
  deleteText(): string {
    return `add table ip ${this.config.table}\ndelete table ip ${this.config.table}\n`;
  }

  private baseChains(): string[] {
    const c = this.config;
    const bridges = `"${c.bridgePrefix}*"`;
    const loopbackNode = cidrContains('127.0.0.0/8', c.nodeIp);
    const hostNodePorts = loopbackNode ? '127.0.0.0/8' : `{ ${c.nodeIp}, 127.0.0.0/8 }`;
    // Only what no rule translated: replies to a connection made from an address inside the CIDR
    // (the cluster DNS's service address sits on this host) and DNAT to such an address pass.
    const reject = [`ip daddr ${c.serviceCidr} ct status ! dnat meta l4proto tcp reject with tcp reset`, `ip daddr ${c.serviceCidr} ct status ! dnat reject`];
    return [
      `  map ${MAP_IPS} { type ipv4_addr . inet_proto . inet_service : verdict; }`,
      `  map ${MAP_NODEPORTS} { type inet_proto . inet_service : verdict; }`,
      '  chain services {',
      `    ip daddr . meta l4proto . th dport vmap @${MAP_IPS}`,
      '  }',
      // Pods and the outside world: ClusterIPs, LB/external IPs, NodePorts on the node IP.
      '  chain nat-prerouting {',
      '    type nat hook prerouting priority -100; policy accept;',
      '    jump services',
      ...(loopbackNode ? [] : [`    ip daddr ${c.nodeIp} meta l4proto . th dport vmap @${MAP_NODEPORTS}`]),
      '  }',
      // This host's own connections, NodePorts on loopback included. Those leave with a 127/8
      // source towards a pod bridge, which the kernel allows only with route_localnet on that
      // bridge (host_settings.ts sets it; filter-input below closes what it would open).
      '  chain nat-output {',
      '    type nat hook output priority -100; policy accept;',
      '    jump services',
      `    ip daddr ${hostNodePorts} meta l4proto . th dport vmap @${MAP_NODEPORTS}`,
      '  }',
      // Pods answer whoever asked directly, over the bridge, unless the question came from the
      // host (the bridge address is the way back) or from a pod on a bridge (same bridge: the
      // answer would skip the DNAT's reverse and be dropped).
      '  chain nat-postrouting {',
      '    type nat hook postrouting priority 100; policy accept;',
      `    ct status dnat oifname ${bridges} ip saddr ${c.clusterCidr} masquerade`,
      `    ct status dnat oifname ${bridges} fib saddr type local masquerade`,
      '  }',
      // After every table's DNAT (-100): what is still addressed to the service CIDR has no
      // endpoint; refuse it at once instead of letting the blackhole route swallow it.
      '  chain filter-prerouting {',
      '    type filter hook prerouting priority -90; policy accept;',
      `    iifname ${bridges} ip saddr 127.0.0.0/8 drop`,
      ...reject.map((r) => `    ${r}`),
      '  }',
      // route_localnet on a bridge must not give pods the host's loopback services (CVE-2020-8558).
      '  chain filter-input {',
      '    type filter hook input priority 0; policy accept;',
      `    iifname ${bridges} ip daddr 127.0.0.0/8 ct status & dnat == 0 drop`,
      '  }',
      // Pod ↔ pod across bridges, and DNAT'd traffic to pods with its answers; nothing else a pod
      // sends is forwarded, so it cannot leave the machine.
      '  chain filter-forward {',
      '    type filter hook forward priority 0; policy accept;',
      `    iifname ${bridges} oifname ${bridges} accept`,
      `    iifname ${bridges} ct direction reply ct status dnat accept`,
      `    oifname ${bridges} ct direction original ct status dnat accept`,
      `    iifname ${bridges} drop`,
      `    oifname ${bridges} drop`,
      ...(c.dropOtherForwarding ? ['    drop'] : []),
      '  }',
      '  chain filter-output {',
      '    type filter hook output priority 0; policy accept;',
      ...reject.map((r) => `    ${r}`),
      '  }',
    ];
  }
}
