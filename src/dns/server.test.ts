// The cluster DNS server end to end: an in-process API server, objects created through the client,
// queries over 127.0.0.1 UDP and TCP with a dns-packet client, and a fake upstream resolver on
// loopback (tests never forward to a real resolver). No timing assertions: changes are awaited
// by polling.
// (Test-only imports of the server and store.)
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { RECURSION_AVAILABLE, RECURSION_DESIRED, decode, type DecodedPacket, type Packet } from 'dns-packet';
import type { Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { localApi } from '../apiserver/local_api.js';
import { startApiServer } from '../apiserver/server.js';
import { LocalClient } from '../client/local.js';
import { resourceRef } from '../client/resource_client.js';
import { until } from '../client/testing.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { ipToReverse } from './names.js';
import { startClusterDns, type ClusterDns } from './server.js';
import { TcpSession, exchangeUdp, queryMessage, queryTcp, queryUdp, rcodeOf, startFakeUpstream, ttlOf } from './testing.js';

const D = 'cluster.local';
const execFileAsync = promisify(execFile);

/** `RCODE data...` (data sorted) of an answer. */
function brief(p: DecodedPacket): string {
  const data = (p.answers ?? []).map((a) => {
    switch (a.type) {
      case 'SRV':
        return `SRV:${a.data.weight}/${a.data.port}/${a.data.target}`;
      case 'TXT':
        return `TXT:${(Array.isArray(a.data) ? a.data : [a.data]).map(String).join(',')}`;
      case 'OPT':
        return 'OPT';
      case 'SOA':
        return `SOA:${a.name}`;
      default:
        return `${a.type}:${String(a.data)}`;
    }
  });
  return [rcodeOf(p), ...data.sort()].join(' ');
}

function upstreamAnswer(q: DecodedPacket): Packet | undefined {
  const question = q.questions?.[0];
  if (!question) return undefined;
  const flags = RECURSION_DESIRED | RECURSION_AVAILABLE;
  switch (question.name.toLowerCase()) {
    case 'example.org':
      if (question.type === 'A') return { flags, answers: [{ type: 'A', name: question.name, ttl: 300, data: '93.184.216.34' }] };
      return { flags };
    case 'big.example':
      return { flags, answers: Array.from({ length: 40 }, (_, i) => ({ type: 'TXT' as const, name: question.name, ttl: 60, data: `record number ${i} with some padding text` })) };
    case 'nx.example':
      return { flags: flags | 3 };
    case 'silent.example':
      return undefined;
    case 'wrong.example':
      return { flags, questions: [{ type: 'A', name: 'other.example' }], answers: [{ type: 'A', name: 'other.example', ttl: 5, data: '192.0.2.66' }] };
    case ipToReverse('192.0.2.1'):
      return { flags, answers: [{ type: 'PTR', name: question.name, ttl: 60, data: 'host.upstream.test' }] };
    default:
      return { flags: flags | 3 };
  }
}

test('cluster DNS over UDP and TCP, from an in-process API server', { timeout: 120_000 }, async (t) => {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const client = new LocalClient(localApi(api.stores));
  const upstream = await startFakeUpstream(upstreamAnswer);
  const logs: string[] = [];
  const started: ClusterDns[] = [];
  const start = async (extra: Partial<Parameters<typeof startClusterDns>[0]> = {}): Promise<ClusterDns> => {
    const dns = await startClusterDns({
      client,
      listen: [{ host: '127.0.0.1', port: 0 }],
      upstream: [{ host: '127.0.0.1', port: upstream.port }],
      upstreamAttemptMs: 300,
      upstreamDeadlineMs: 800,
      log: (m) => logs.push(m),
      ...extra,
    });
    started.push(dns);
    return dns;
  };
  const namespaces = client.resource<Namespace>(resourceRef('', 'v1', 'namespaces'));
  const services = client.resource<Service>(resourceRef('', 'v1', 'services'));
  const slices = client.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  const pods = client.resource<Pod>(resourceRef('', 'v1', 'pods'));
  try {
    await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const web = await services.create('team', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'team' },
      spec: { clusterIP: '10.43.100.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] },
    });
    const webIp = web.spec?.clusterIP ?? '';
    assert.ok(webIp);
    await services.create('team', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: 'team' },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] },
    });
    await services.create('team', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'team' }, spec: { type: 'ExternalName', externalName: 'example.org' } });
    // The pod behind db-0 (hostname + subdomain = the Service), and the slice the controller would write.
    const pod = await pods.create('team', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'db-0', namespace: 'team', labels: { app: 'db' } },
      spec: { hostname: 'db-0', subdomain: 'db', containers: [{ name: 'pg', image: 'postgres' }] },
    });
    await pods.updateStatus('team', { ...pod, status: { ...pod.status, phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }] } });
    await slices.create('team', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-x1', namespace: 'team', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.1.5'], conditions: { ready: true }, hostname: 'db-0', targetRef: { kind: 'Pod', namespace: 'team', name: 'db-0' } },
        { addresses: ['10.244.1.6'], conditions: { ready: true } },
        { addresses: ['10.244.1.7'], conditions: { ready: false } },
      ],
    });

    const dns = await start();
    assert.ok(dns.hasSynced());
    const port = dns.ports[0]!.port;
    assert.ok(port > 0);
    const udp = (name: string, type: Parameters<typeof queryUdp>[2], opts = {}): Promise<DecodedPacket> => queryUdp(port, name, type, opts);
    await until('web answered', async () => rcodeOf(await udp(`web.team.svc.${D}`, 'A')) === 'NOERROR');
    await until('db slice seen', async () => (await udp(`db.team.svc.${D}`, 'A')).answers?.length === 2);

    await t.test('ClusterIP Service: A, SRV per named port, AAAA NODATA; authoritative, no RA', async () => {
      const a = await udp(`web.team.svc.${D}`, 'A', { id: 4242 });
      assert.equal(a.id, 4242);
      assert.equal(brief(a), `NOERROR A:${webIp}`);
      assert.ok(a.flag_aa);
      assert.ok(a.flag_rd);
      assert.ok(!a.flag_ra);
      assert.equal(ttlOf(a.answers?.[0]), 5);
      const srv = await udp(`_http._tcp.web.team.svc.${D}`, 'SRV');
      assert.equal(brief(srv), `NOERROR SRV:100/80/web.team.svc.${D}`);
      assert.deepEqual(srv.additionals?.map((x) => `${x.name} ${x.type}`), [`web.team.svc.${D} A`]);
      assert.equal(brief(await udp(`web.team.svc.${D}`, 'SRV')), `NOERROR SRV:50/80/web.team.svc.${D} SRV:50/9090/web.team.svc.${D}`);
      const aaaa = await udp(`web.team.svc.${D}`, 'AAAA');
      assert.equal(brief(aaaa), 'NOERROR');
      assert.deepEqual(aaaa.authorities?.map((x) => x.type), ['SOA']);
      // Case-insensitive, echoed as asked.
      const mixed = await udp(`Web.TEAM.svc.Cluster.Local`, 'A');
      assert.equal(brief(mixed), `NOERROR A:${webIp}`);
      assert.equal(mixed.answers?.[0]?.name, 'Web.TEAM.svc.Cluster.Local');
    });

    await t.test('TCP: several length-prefixed queries on one connection', async () => {
      const s = new TcpSession(port);
      try {
        assert.equal(brief(await s.query(`web.team.svc.${D}`, 'A')), `NOERROR A:${webIp}`);
        assert.equal(brief(await s.query(`nope.team.svc.${D}`, 'A')), 'NXDOMAIN');
        assert.equal(brief(await s.query(`_pg._tcp.db.team.svc.${D}`, 'SRV')), `NOERROR SRV:50/5432/10-244-1-6.db.team.svc.${D} SRV:50/5432/db-0.db.team.svc.${D}`);
        // Two at once: both answered, matched by id.
        s.send(queryMessage(`web.team.svc.${D}`, 'A', { id: 1 }));
        s.send(queryMessage(`db.team.svc.${D}`, 'A', { id: 2 }));
        const got = [decode(await s.next()), decode(await s.next())].sort((x, y) => (x.id ?? 0) - (y.id ?? 0));
        assert.deepEqual(got.map(brief), [`NOERROR A:${webIp}`, 'NOERROR A:10.244.1.5 A:10.244.1.6']);
      } finally {
        s.close();
      }
    });

    await t.test('headless Service: A per ready endpoint, hostname.subdomain, not-ready excluded, PTR', async () => {
      assert.equal(brief(await udp(`db.team.svc.${D}`, 'A')), 'NOERROR A:10.244.1.5 A:10.244.1.6');
      assert.equal(brief(await udp(`db-0.db.team.svc.${D}`, 'A')), 'NOERROR A:10.244.1.5');
      assert.equal(brief(await udp(`10-244-1-6.db.team.svc.${D}`, 'A')), 'NOERROR A:10.244.1.6');
      assert.equal(brief(await udp(`10-244-1-7.db.team.svc.${D}`, 'A')), 'NXDOMAIN');
      assert.equal(brief(await udp(ipToReverse('10.244.1.5'), 'PTR')), `NOERROR PTR:db-0.db.team.svc.${D}`);
      assert.equal(brief(await udp(ipToReverse('10.244.1.6'), 'PTR')), `NOERROR PTR:10-244-1-6.db.team.svc.${D}`);
      assert.equal(brief(await udp(ipToReverse(webIp), 'PTR')), `NOERROR PTR:web.team.svc.${D}`);
      // An address we do not know goes to the upstream.
      assert.equal(brief(await udp(ipToReverse('192.0.2.1'), 'PTR')), 'NOERROR PTR:host.upstream.test');
    });

    await t.test('ExternalName: CNAME, with the target resolved upstream', async () => {
      assert.equal(brief(await udp(`ext.team.svc.${D}`, 'CNAME')), 'NOERROR CNAME:example.org');
      const a = await udp(`ext.team.svc.${D}`, 'A');
      assert.equal(brief(a), 'NOERROR A:93.184.216.34 CNAME:example.org');
      assert.deepEqual(a.answers?.map((x) => x.type), ['CNAME', 'A']);
    });

    await t.test('NXDOMAIN versus NODATA, dns-version, search-path names', async () => {
      assert.equal(brief(await udp(`nope.team.svc.${D}`, 'A')), 'NXDOMAIN');
      assert.deepEqual((await udp(`nope.team.svc.${D}`, 'A')).authorities?.map((x) => `${x.type} ${x.name}`), [`SOA ${D}`]);
      assert.equal(brief(await udp(`team.svc.${D}`, 'A')), 'NOERROR');
      assert.equal(brief(await udp(`nothere.svc.${D}`, 'A')), 'NXDOMAIN');
      assert.equal(brief(await udp(`web.team.svc.${D}`, 'MX')), 'NOERROR');
      assert.equal(brief(await udp(`web.team.svc.${D}`, 'TXT')), 'NOERROR');
      assert.equal(brief(await udp(`dns-version.${D}`, 'TXT')), 'NOERROR TXT:1.1.0');
      assert.equal(brief(await udp(D, 'SOA')), `NOERROR SOA:${D}`);
      assert.equal(brief(await udp(`web.team.svc.${D}.team.svc.${D}`, 'A')), 'NXDOMAIN');
      assert.equal(brief(await udp(`example.com.team.svc.${D}`, 'AAAA')), 'NXDOMAIN');
    });

    await t.test('pod records: insecure for any address; verified needs the pod', async () => {
      assert.equal(brief(await udp(`10-244-9-9.team.pod.${D}`, 'A')), 'NOERROR A:10.244.9.9');
      assert.equal(brief(await udp(`10-244-9-9.nothere.pod.${D}`, 'A')), 'NXDOMAIN');
      const verified = await start({ pods: 'verified' });
      const vport = verified.ports[0]!.port;
      await until('pod seen', async () => rcodeOf(await queryUdp(vport, `10-244-1-5.team.pod.${D}`, 'A')) === 'NOERROR');
      assert.equal(brief(await queryUdp(vport, `10-244-1-5.team.pod.${D}`, 'A')), 'NOERROR A:10.244.1.5');
      assert.equal(brief(await queryUdp(vport, `10-244-9-9.team.pod.${D}`, 'A')), 'NXDOMAIN');
      await verified.stop();
    });

    await t.test('forwarding: answers pass back with the client id; NXDOMAIN too; TCP after truncation; failures are SERVFAIL', async () => {
      const a = await udp('example.org', 'A', { id: 777 });
      assert.equal(a.id, 777);
      assert.equal(brief(a), 'NOERROR A:93.184.216.34');
      assert.ok(a.flag_ra, 'the upstream flags pass through');
      const seen = upstream.received.find((r) => r.name === 'example.org' && r.transport === 'udp');
      assert.ok(seen);
      assert.equal(brief(await udp('nx.example', 'A')), 'NXDOMAIN');
      // Over 512 bytes: the upstream truncates over UDP, we ask it again over TCP…
      const big = await udp('big.example', 'TXT', { edns: 8192 });
      assert.equal(big.answers?.length, 40);
      assert.ok(!big.flag_tc);
      assert.ok(upstream.received.some((r) => r.name === 'big.example' && r.transport === 'tcp'));
      // …and a client without EDNS gets it truncated, then whole over TCP.
      const small = await udp('big.example', 'TXT');
      assert.ok(small.flag_tc);
      assert.ok((small.answers?.length ?? 0) < 40);
      assert.equal((await queryTcp(port, 'big.example', 'TXT')).answers?.length, 40);
      assert.equal(brief(await udp('silent.example', 'A')), 'SERVFAIL');
      // An answer for another question is not passed on.
      assert.equal(brief(await udp('wrong.example', 'A')), 'FORMERR');
      // No upstream at all; an upstream that is not there.
      const none = await start({ upstream: [] });
      assert.equal(brief(await queryUdp(none.ports[0]!.port, 'example.org', 'A')), 'SERVFAIL');
      assert.equal(brief(await queryUdp(none.ports[0]!.port, `web.team.svc.${D}`, 'A')), `NOERROR A:${webIp}`);
      const gone = createSocket('udp4');
      await new Promise<void>((r) => gone.bind(0, '127.0.0.1', () => r()));
      const deadPort = gone.address().port;
      await new Promise<void>((r) => gone.close(() => r()));
      const dead = await start({ upstream: [{ host: '127.0.0.1', port: deadPort }] });
      assert.equal(brief(await queryUdp(dead.ports[0]!.port, 'example.org', 'A')), 'SERVFAIL');
      await Promise.all([none.stop(), dead.stop()]);
    });

    await t.test('garbage gets FORMERR and the server keeps answering (UDP and TCP)', async () => {
      const junk = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x61, 0x62]);
      const r = decode(await exchangeUdp(port, junk));
      assert.equal(r.id, 0x1234);
      assert.equal(rcodeOf(r), 'FORMERR');
      const r2 = decode(await exchangeUdp(port, Buffer.from([0xbe, 0xef, 0x01])));
      assert.equal(r2.id, 0xbeef);
      assert.equal(rcodeOf(r2), 'FORMERR');
      assert.equal(brief(await udp(`web.team.svc.${D}`, 'A')), `NOERROR A:${webIp}`);
      const s = new TcpSession(port);
      try {
        s.send(junk);
        assert.equal(rcodeOf(decode(await s.next())), 'FORMERR');
        assert.equal(brief(await s.query(`web.team.svc.${D}`, 'A')), `NOERROR A:${webIp}`);
      } finally {
        s.close();
      }
    });

    await t.test('updates: a new endpoint appears, a deleted Service is NXDOMAIN soon after', async () => {
      await slices.create('team', {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'db-x2', namespace: 'team', labels: { 'kubernetes.io/service-name': 'db' } },
        addressType: 'IPv4',
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.2.9'], conditions: { ready: true } }],
      });
      await until('new endpoint', async () => (await udp(`db.team.svc.${D}`, 'A')).answers?.length === 3);
      await services.delete('team', 'web');
      await until('web gone', async () => rcodeOf(await udp(`web.team.svc.${D}`, 'A')) === 'NXDOMAIN');
      assert.equal(brief(await udp(ipToReverse(webIp), 'PTR')), 'NXDOMAIN');
    });

    await t.test('dig agrees', async (st) => {
      const probe = spawnSync('dig', ['-v'], { encoding: 'utf8' });
      if (probe.error) {
        const reason = 'dig is not installed (Debian: bind9-dnsutils)';
        console.log(`# skipping the dig test: ${reason}`);
        st.skip(reason);
        return;
      }
      // Asynchronously: the server answering dig runs in this process.
      const dig = async (...args: string[]): Promise<string> =>
        (await execFileAsync('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], { encoding: 'utf8' })).stdout;
      assert.match(await dig(`db.team.svc.${D}`, 'A', '+short'), /10\.244\.1\.5/);
      assert.match(await dig(`_pg._tcp.db.team.svc.${D}`, 'SRV', '+short', '+tcp'), /0 \d+ 5432 db-0\.db\.team\.svc\.cluster\.local\./);
      const nx = await dig(`nope.team.svc.${D}`, 'A');
      assert.match(nx, /status: NXDOMAIN/);
      assert.match(nx, /flags: qr aa rd;/);
      assert.match(await dig('-x', '10.244.1.5', '+short'), /db-0\.db\.team\.svc\.cluster\.local\./);
    });
  } finally {
    for (const d of started) await d.stop();
    await upstream.close();
    await api.close();
    await backend.close();
  }
  assert.deepEqual(
    logs.filter((l) => !/forwarding (silent|example)|upstream|resolving/.test(l)),
    [],
  );
});
