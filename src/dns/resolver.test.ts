// The resolver over a hand-fed ClusterIndex: CoreDNS's answers, record by record, without sockets
// or an API server (server.test.ts covers those).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Answer } from 'dns-packet';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ClusterIndex, endpointGroup, podAddresses, serviceInfo } from './cluster_index.js';
import type { PodMode } from './defaults.js';
import { ipToReverse } from './names.js';
import { ClusterResolver, type ExternalLookup, type Resolution } from './resolver.js';
import { ttlOf } from './testing.js';

function svc(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec };
}

function slice(ns: string, name: string, service: string, s: Partial<EndpointSlice>): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: [],
    ...s,
  };
}

interface World {
  index: ClusterIndex;
  resolver: ClusterResolver;
  lookups: string[];
  synced: { value: boolean };
}

function world(opts: { podMode?: PodMode; lookup?: ExternalLookup } = {}): World {
  const index = new ClusterIndex();
  const lookups: string[] = [];
  const synced = { value: true };
  const resolver = new ClusterResolver({
    index,
    domain: 'cluster.local',
    ttl: 5,
    podMode: opts.podMode ?? 'insecure',
    hasSynced: () => synced.value,
    lookup:
      opts.lookup ??
      (async (name, type) => {
        lookups.push(`${name} ${type}`);
        return { answers: [], truncated: false };
      }),
    localIps: ['10.0.0.53'],
    nameserverService: { namespace: 'kube-system', name: 'kube-dns' },
  });
  for (const ns of ['default', 'team', 'kube-system']) index.setNamespace(ns, true);
  const add = (s: Service): void => index.setService(`${s.metadata!.namespace}/${s.metadata!.name}`, serviceInfo(s));
  add(svc('team', 'web', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
  add(svc('team', 'dual', { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11', 'fd00:10:96::11'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
  add(svc('team', 'db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
  add(svc('team', 'empty', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
  add(svc('team', 'bare', { clusterIP: 'None', clusterIPs: ['None'] }));
  add(svc('team', 'ext', { type: 'ExternalName', externalName: 'example.org.' }));
  add(svc('team', 'alias', { type: 'ExternalName', externalName: 'web.team.svc.cluster.local' }));
  add(svc('team', 'ipname', { type: 'ExternalName', externalName: '1.2.3.4' }));
  add(svc('kube-system', 'kube-dns', { clusterIP: '10.96.0.53', clusterIPs: ['10.96.0.53'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
  const dbSlices = [
    slice('team', 'db-a', 'db', {
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.1.5'], conditions: { ready: true }, hostname: 'db-0' },
        { addresses: ['10.244.1.6'], conditions: {} },
        { addresses: ['10.244.1.7'], conditions: { ready: false }, hostname: 'db-2' },
      ],
    }),
    slice('team', 'db-b', 'db', {
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.244.2.8'], conditions: { ready: true } }],
    }),
  ];
  index.setEndpoints('team/db', dbSlices.map((s) => endpointGroup(s)!));
  index.setEndpoints('team/empty', [endpointGroup(slice('team', 'empty-a', 'empty', { ports: [{ name: 'pg', port: 5432 }], endpoints: [{ addresses: ['10.244.3.1'], conditions: { ready: false } }] }))!]);
  index.setEndpoints('team/bare', [endpointGroup(slice('team', 'bare-a', 'bare', { endpoints: [{ addresses: ['10.244.4.1'] }] }))!]);
  index.setEndpoints('team/web', [endpointGroup(slice('team', 'web-a', 'web', { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: ['10.244.5.1'] }] }))!]);
  return { index, resolver, lookups, synced };
}

function answer(r: Resolution): Extract<Resolution, { kind: 'answer' }> {
  assert.equal(r.kind, 'answer', `expected an answer, got ${JSON.stringify(r)}`);
  if (r.kind !== 'answer') throw new Error('unreachable');
  return r;
}

/** `rcode data...` of an answer, data sorted, for compact assertions. */
function brief(r: Resolution): string {
  const a = answer(r);
  const data = a.answers.map(show).sort();
  return [a.rcode, ...data].join(' ');
}

function show(rr: Answer): string {
  switch (rr.type) {
    case 'SRV':
      return `SRV:${rr.data.priority}/${rr.data.weight}/${rr.data.port}/${rr.data.target}`;
    case 'TXT':
      return `TXT:${JSON.stringify(rr.data)}`;
    case 'SOA':
      return `SOA:${rr.name}`;
    case 'OPT':
      return 'OPT';
    default:
      return `${rr.type}:${String(rr.data)}`;
  }
}

test('ClusterIP Services: A per clusterIP, AAAA NODATA, dual-stack both; names are case-insensitive and echoed', async () => {
  const { resolver } = world();
  assert.equal(brief(await resolver.resolve('web.team.svc.cluster.local', 'A')), 'NOERROR A:10.96.0.10');
  const nodata = answer(await resolver.resolve('web.team.svc.cluster.local', 'AAAA'));
  assert.equal(nodata.rcode, 'NOERROR');
  assert.deepEqual(nodata.answers, []);
  assert.deepEqual(nodata.authorities.map(show), ['SOA:cluster.local']);
  assert.equal(brief(await resolver.resolve('dual.team.svc.cluster.local', 'AAAA')), 'NOERROR AAAA:fd00:10:96::11');
  assert.equal(brief(await resolver.resolve('dual.team.svc.cluster.local', 'A')), 'NOERROR A:10.96.0.11');
  const mixed = answer(await resolver.resolve('WEB.Team.SVC.Cluster.Local', 'A'));
  assert.equal(mixed.answers[0]?.name, 'WEB.Team.SVC.Cluster.Local');
  assert.equal(ttlOf(mixed.answers[0]), 5);
  // Any endpoint of a ClusterIP Service is reachable by its dashed address.
  assert.equal(brief(await resolver.resolve('10-244-5-1.web.team.svc.cluster.local', 'A')), 'NOERROR A:10.244.5.1');
});

test('headless Services: one A per ready endpoint; hostnames and dashed addresses; no ready endpoint is NXDOMAIN', async () => {
  const { resolver } = world();
  assert.equal(brief(await resolver.resolve('db.team.svc.cluster.local', 'A')), 'NOERROR A:10.244.1.5 A:10.244.1.6 A:10.244.2.8');
  assert.equal(brief(await resolver.resolve('db-0.db.team.svc.cluster.local', 'A')), 'NOERROR A:10.244.1.5');
  assert.equal(brief(await resolver.resolve('10-244-1-6.db.team.svc.cluster.local', 'A')), 'NOERROR A:10.244.1.6');
  // Not ready: not published, under any name.
  assert.equal(answer(await resolver.resolve('db-2.db.team.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  assert.equal(answer(await resolver.resolve('empty.team.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  // A slice without ports still gives A records (and no SRV).
  assert.equal(brief(await resolver.resolve('bare.team.svc.cluster.local', 'A')), 'NOERROR A:10.244.4.1');
  assert.equal(brief(await resolver.resolve('bare.team.svc.cluster.local', 'SRV')), 'NOERROR');
});

test('SRV: named ports, weights as CoreDNS divides them, targets and additional addresses', async () => {
  const { resolver } = world();
  const web = answer(await resolver.resolve('_http._tcp.web.team.svc.cluster.local', 'SRV'));
  assert.deepEqual(web.answers.map(show), ['SRV:0/100/80/web.team.svc.cluster.local']);
  assert.deepEqual(web.additionals.map(show), ['A:10.96.0.10']);
  assert.equal(web.additionals[0]?.name, 'web.team.svc.cluster.local');
  // Protocol must match; port names too.
  assert.equal(answer(await resolver.resolve('_http._udp.web.team.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
  assert.equal(brief(await resolver.resolve('_dns._udp.web.team.svc.cluster.local', 'SRV')), 'NOERROR SRV:0/100/53/web.team.svc.cluster.local');
  // The bare Service name: every port, each weighing 100/2.
  assert.equal(brief(await resolver.resolve('web.team.svc.cluster.local', 'SRV')), 'NOERROR SRV:0/50/53/web.team.svc.cluster.local SRV:0/50/80/web.team.svc.cluster.local');
  // Headless: one per ready endpoint, named by hostname or dashed address, 100/3 each.
  const db = answer(await resolver.resolve('_pg._tcp.db.team.svc.cluster.local', 'SRV'));
  assert.deepEqual(db.answers.map(show).sort(), [
    'SRV:0/33/5432/10-244-1-6.db.team.svc.cluster.local',
    'SRV:0/33/5432/10-244-2-8.db.team.svc.cluster.local',
    'SRV:0/33/5432/db-0.db.team.svc.cluster.local',
  ]);
  assert.deepEqual(db.additionals.map((a) => `${a.name}=${show(a)}`).sort(), [
    '10-244-1-6.db.team.svc.cluster.local=A:10.244.1.6',
    '10-244-2-8.db.team.svc.cluster.local=A:10.244.2.8',
    'db-0.db.team.svc.cluster.local=A:10.244.1.5',
  ]);
  // Dual-stack: two entries (weight 50), one SRV record, both addresses in additional.
  const dual = answer(await resolver.resolve('_http._tcp.dual.team.svc.cluster.local', 'SRV'));
  assert.deepEqual(dual.answers.map(show), ['SRV:0/50/80/dual.team.svc.cluster.local']);
  assert.deepEqual(dual.additionals.map(show).sort(), ['A:10.96.0.11', 'AAAA:fd00:10:96::11']);
  // ExternalName offers no SRV: NODATA, and `_port._proto` under it is NXDOMAIN.
  assert.equal(brief(await resolver.resolve('ext.team.svc.cluster.local', 'SRV')), 'NOERROR');
  assert.equal(answer(await resolver.resolve('_http._tcp.ext.team.svc.cluster.local', 'SRV')).rcode, 'NXDOMAIN');
});

test('ExternalName: CNAME, followed in the zone, resolved upstream outside it', async () => {
  const { resolver, lookups } = world();
  assert.equal(brief(await resolver.resolve('ext.team.svc.cluster.local', 'CNAME')), 'NOERROR CNAME:example.org');
  assert.equal(brief(await resolver.resolve('ext.team.svc.cluster.local', 'A')), 'NOERROR CNAME:example.org');
  assert.deepEqual(lookups, ['example.org A']);
  const alias = answer(await resolver.resolve('alias.team.svc.cluster.local', 'A'));
  assert.deepEqual(alias.answers.map((a) => `${a.name} ${show(a)}`), ['alias.team.svc.cluster.local CNAME:web.team.svc.cluster.local', 'web.team.svc.cluster.local A:10.96.0.10']);
  // An address as externalName is no CNAME: the name does not exist.
  assert.equal(answer(await resolver.resolve('ipname.team.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  // CNAME asked of a ClusterIP Service: NODATA.
  assert.equal(brief(await resolver.resolve('web.team.svc.cluster.local', 'CNAME')), 'NOERROR');
  const withUpstream = world({ lookup: async () => ({ answers: [{ type: 'A', name: 'example.org', ttl: 60, data: '93.184.216.34' }], truncated: false }) });
  assert.equal(brief(await withUpstream.resolver.resolve('ext.team.svc.cluster.local', 'A')), 'NOERROR A:93.184.216.34 CNAME:example.org');
});

test('NXDOMAIN versus NODATA, as CoreDNS answers them', async () => {
  const { resolver, synced } = world();
  const rc = async (name: string, type: string): Promise<string> => brief(await resolver.resolve(name, type));
  assert.equal(await rc('nope.team.svc.cluster.local', 'A'), 'NXDOMAIN');
  assert.equal(await rc('web.nons.svc.cluster.local', 'A'), 'NXDOMAIN');
  assert.equal(await rc('team.svc.cluster.local', 'A'), 'NOERROR');
  assert.equal(await rc('nons.svc.cluster.local', 'A'), 'NXDOMAIN');
  assert.equal(await rc('svc.cluster.local', 'A'), 'NOERROR');
  assert.equal(await rc('pod.cluster.local', 'A'), 'NOERROR');
  assert.equal(await rc('cluster.local', 'A'), 'NOERROR');
  assert.equal(await rc('foo.cluster.local', 'A'), 'NXDOMAIN');
  // Other types on an existing name: NODATA; on a missing one: NXDOMAIN.
  assert.equal(await rc('web.team.svc.cluster.local', 'MX'), 'NOERROR');
  assert.equal(await rc('web.team.svc.cluster.local', 'UNKNOWN_65'), 'NOERROR');
  assert.equal(await rc('nope.team.svc.cluster.local', 'MX'), 'NXDOMAIN');
  // TXT is NODATA only where records exist; SOA is NODATA for every name but the apex.
  assert.equal(await rc('web.team.svc.cluster.local', 'TXT'), 'NOERROR');
  assert.equal(await rc('team.svc.cluster.local', 'TXT'), 'NXDOMAIN');
  assert.equal(await rc('nope.team.svc.cluster.local', 'SOA'), 'NOERROR');
  assert.equal(await rc('Cluster.Local', 'SOA'), 'NOERROR SOA:Cluster.Local');
  assert.equal(await rc('dns-version.cluster.local', 'TXT'), 'NOERROR TXT:"1.1.0"');
  assert.equal(ttlOf(answer(await resolver.resolve('dns-version.cluster.local', 'TXT')).answers[0]), 28800);
  // Search-path expansions are too long to be names: NXDOMAIN without any lookup.
  assert.equal(await rc('web.team.svc.cluster.local.team.svc.cluster.local', 'A'), 'NXDOMAIN');
  assert.equal(await rc('example.com.team.svc.cluster.local', 'A'), 'NXDOMAIN');
  assert.deepEqual(await resolver.resolve('web.team.svc.cluster.local', 'AXFR'), { kind: 'refused' });
  // SOA in authority of negative answers, TTL min(ttl, 300), minimum = ttl.
  const nx = answer(await resolver.resolve('nope.team.svc.cluster.local', 'A'));
  const soa = nx.authorities[0];
  assert.ok(soa && soa.type === 'SOA');
  assert.equal(soa.ttl, 5);
  assert.equal(soa.data.mname, 'ns.dns.cluster.local');
  assert.equal(soa.data.rname, 'hostmaster.cluster.local');
  assert.equal(soa.data.minimum, 5);
  // Before the informers have synced a name error is SERVFAIL.
  synced.value = false;
  assert.equal(await rc('nope.team.svc.cluster.local', 'A'), 'SERVFAIL');
  assert.equal(await rc('web.team.svc.cluster.local', 'A'), 'NOERROR A:10.96.0.10');
});

test('PTR: ClusterIPs name their Service, endpoint addresses their endpoint; unknown addresses go upstream', async () => {
  const { resolver } = world();
  assert.equal(brief(await resolver.resolve(ipToReverse('10.96.0.10'), 'PTR')), 'NOERROR PTR:web.team.svc.cluster.local');
  assert.equal(brief(await resolver.resolve(ipToReverse('fd00:10:96::11'), 'PTR')), 'NOERROR PTR:dual.team.svc.cluster.local');
  assert.equal(brief(await resolver.resolve(ipToReverse('10.244.1.5'), 'PTR')), 'NOERROR PTR:db-0.db.team.svc.cluster.local');
  assert.equal(brief(await resolver.resolve(ipToReverse('10.244.2.8'), 'PTR')), 'NOERROR PTR:10-244-2-8.db.team.svc.cluster.local');
  assert.deepEqual(await resolver.resolve(ipToReverse('10.244.1.7'), 'PTR'), { kind: 'forward' });
  assert.deepEqual(await resolver.resolve(ipToReverse('192.0.2.1'), 'PTR'), { kind: 'forward' });
  // The reverse apex is ours, and empty.
  assert.deepEqual(answer(await resolver.resolve('in-addr.arpa', 'PTR')).authorities.map(show), ['SOA:in-addr.arpa']);
  assert.deepEqual(await resolver.resolve('example.com', 'A'), { kind: 'forward' });
  // PTR asked of a forward name: NODATA (or NXDOMAIN when it does not exist).
  assert.equal(brief(await resolver.resolve('web.team.svc.cluster.local', 'PTR')), 'NOERROR');
  assert.equal(brief(await resolver.resolve('nope.team.svc.cluster.local', 'PTR')), 'NXDOMAIN');
});

test('pod records: insecure answers any address in an existing namespace; verified needs the pod', async () => {
  const { resolver } = world();
  assert.equal(brief(await resolver.resolve('10-244-9-9.team.pod.cluster.local', 'A')), 'NOERROR A:10.244.9.9');
  assert.equal(brief(await resolver.resolve('fd00--9.team.pod.cluster.local', 'AAAA')), 'NOERROR AAAA:fd00::9');
  assert.equal(brief(await resolver.resolve('10-244-9-9.team.pod.cluster.local', 'AAAA')), 'NOERROR');
  assert.equal(brief(await resolver.resolve('10-244-9-9.nons.pod.cluster.local', 'A')), 'NXDOMAIN');
  assert.equal(brief(await resolver.resolve('not-an-ip.team.pod.cluster.local', 'A')), 'NXDOMAIN');
  assert.equal(brief(await resolver.resolve('team.pod.cluster.local', 'A')), 'NOERROR');
  const v = world({ podMode: 'verified' });
  v.index.setPod('team/p', podAddresses({ metadata: { namespace: 'team', name: 'p' }, status: { podIP: '10.244.9.9', podIPs: [{ ip: '10.244.9.9' }] } }));
  assert.equal(brief(await v.resolver.resolve('10-244-9-9.team.pod.cluster.local', 'A')), 'NOERROR A:10.244.9.9');
  assert.equal(brief(await v.resolver.resolve('10-244-9-9.default.pod.cluster.local', 'A')), 'NXDOMAIN');
  assert.equal(brief(await v.resolver.resolve('10-244-9-8.team.pod.cluster.local', 'A')), 'NXDOMAIN');
  v.index.setPod('team/p', undefined);
  assert.equal(brief(await v.resolver.resolve('10-244-9-9.team.pod.cluster.local', 'A')), 'NXDOMAIN');
  const off = world({ podMode: 'disabled' });
  assert.equal(brief(await off.resolver.resolve('10-244-9-9.team.pod.cluster.local', 'A')), 'NXDOMAIN');
});

test('NS of the zone: the nameserver Service, else our own addresses', async () => {
  const { resolver, index } = world();
  const ns = answer(await resolver.resolve('cluster.local', 'NS'));
  assert.deepEqual(ns.answers.map(show), ['NS:kube-dns.kube-system.svc.cluster.local']);
  assert.deepEqual(ns.additionals.map((a) => `${a.name} ${show(a)}`), ['kube-dns.kube-system.svc.cluster.local A:10.96.0.53']);
  assert.equal(brief(await resolver.resolve('ns.dns.cluster.local', 'A')), 'NOERROR A:10.96.0.53');
  index.setService('kube-system/kube-dns', undefined);
  assert.equal(brief(await resolver.resolve('cluster.local', 'NS')), 'NOERROR NS:ns.dns.cluster.local');
  assert.equal(brief(await resolver.resolve('ns.dns.cluster.local', 'A')), 'NOERROR A:10.0.0.53');
});

test('updates: a Service removed is NXDOMAIN, its reverse entry gone', async () => {
  const { resolver, index } = world();
  index.setService('team/web', undefined);
  assert.equal(brief(await resolver.resolve('web.team.svc.cluster.local', 'A')), 'NXDOMAIN');
  assert.deepEqual(await resolver.resolve(ipToReverse('10.96.0.10'), 'PTR'), { kind: 'forward' });
  index.setEndpoints('team/db', []);
  assert.equal(brief(await resolver.resolve('db.team.svc.cluster.local', 'A')), 'NXDOMAIN');
  index.setNamespace('team', false);
  assert.equal(brief(await resolver.resolve('team.svc.cluster.local', 'A')), 'NXDOMAIN');
});
