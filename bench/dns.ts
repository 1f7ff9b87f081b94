// Cluster DNS benchmark: `npm run bench -- dns [seconds] [concurrency]`. Starts an in-process API
// server (memory store) with 1,000 ClusterIP Services and 50 headless ones (3 ready endpoints
// each), the DNS server on 127.0.0.1, and a load generator in a child process (so the server
// keeps its core) that keeps `concurrency` UDP queries in flight for a few seconds: 80% A of a
// Service, 10% SRV, 5% headless A, 5% NXDOMAIN. Prints qps, latency p50/p99 and the server's
// CPU share as JSON lines. Loopback only; nothing is forwarded (upstream []).
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { encode, RECURSION_DESIRED, type RecordType } from 'dns-packet';
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

const SERVICES = 1000;
const HEADLESS = 50;

const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ bench: 'dns', metric, value: Math.round(value * 100) / 100, unit, ...extra }));
};

/** The query mix, pre-encoded (the client patches the id). */
function queries(): Buffer[] {
  const out: Buffer[] = [];
  const q = (name: string, type: RecordType): Buffer => encode({ type: 'query', id: 0, flags: RECURSION_DESIRED, questions: [{ name, type }] });
  for (let i = 0; i < 2000; i++) {
    const r = i % 20;
    const svc = `svc-${(i * 7919) % SERVICES}.bench.svc.cluster.local`;
    if (r < 16) out.push(q(svc, 'A'));
    else if (r < 18) out.push(q(`_http._tcp.${svc}`, 'SRV'));
    else if (r < 19) out.push(q(`hl-${i % HEADLESS}.bench.svc.cluster.local`, 'A'));
    else out.push(q(`missing-${i}.bench.svc.cluster.local`, 'A'));
  }
  return out;
}

/** The load generator (child process): prints one JSON line with counts and latencies. */
async function client(port: number, seconds: number, concurrency: number): Promise<void> {
  const msgs = queries();
  const sock = createSocket('udp4');
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  // Slot s sends ids s, s + concurrency, s + 2·concurrency, ...: an answer's id names its slot,
  // and a late answer to an earlier query of the slot is ignored.
  const generations = Math.floor(65_536 / concurrency);
  const generation = new Array<number>(concurrency).fill(0);
  const expected = new Array<number>(concurrency).fill(-1);
  const sentAt = new Array<bigint>(concurrency).fill(0n);
  const latencies: number[] = [];
  let answered = 0;
  let lost = 0;
  let errors = 0;
  let measuring = false;
  let stop = false;
  let next = 0;
  const send = (slot: number): void => {
    if (stop) return;
    const m = msgs[next++ % msgs.length]!;
    generation[slot] = (generation[slot]! + 1) % generations;
    const id = generation[slot]! * concurrency + slot;
    expected[slot] = id;
    m.writeUInt16BE(id, 0);
    sentAt[slot] = process.hrtime.bigint();
    sock.send(m, port, '127.0.0.1');
  };
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    const slot = id % concurrency;
    if (expected[slot] !== id) return;
    expected[slot] = -1;
    const rcode = m[3]! & 0xf;
    if (rcode !== 0 && rcode !== 3) errors++;
    if (measuring) {
      answered++;
      latencies.push(Number(process.hrtime.bigint() - sentAt[slot]!) / 1e6);
    }
    send(slot);
  });
  // A slot whose answer was lost (UDP) is restarted after 1 s.
  const watchdog = setInterval(() => {
    const now = process.hrtime.bigint();
    for (let s = 0; s < concurrency; s++) {
      if (expected[s] !== -1 && now - sentAt[s]! > 1_000_000_000n) {
        lost++;
        send(s);
      }
    }
  }, 250);
  for (let s = 0; s < concurrency; s++) send(s);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  stop = true;
  clearInterval(watchdog);
  sock.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  process.stdout.write(`${JSON.stringify({ answered, ms, lost, errors, p50: pct(50), p99: pct(99) })}\n`);
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const concurrency = Number(process.argv[3] ?? 64);
  const { openMemoryBackend } = await import('../src/storage/memory/memory_table.js');
  const { startApiServer } = await import('../src/apiserver/server.js');
  const { localApi } = await import('../src/apiserver/local_api.js');
  const { LocalClient } = await import('../src/client/local.js');
  const { resourceRef } = await import('../src/client/resource_client.js');
  const { startClusterDns } = await import('../src/dns/server.js');
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const ns = source.resource<Namespace>(resourceRef('', 'v1', 'namespaces'));
  const svcs = source.resource<Service>(resourceRef('', 'v1', 'services'));
  const slices = source.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  await ns.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  const setup = Date.now();
  for (let i = 0; i < SERVICES; i++) {
    const ip = `10.43.${1 + ((i >> 8) & 255)}.${i & 255}`;
    await svcs.create('bench', { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { clusterIP: ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  }
  for (let i = 0; i < HEADLESS; i++) {
    await svcs.create('bench', { apiVersion: 'v1', kind: 'Service', metadata: { name: `hl-${i}`, namespace: 'bench' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    await slices.create('bench', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `hl-${i}-a`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `hl-${i}` } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.244.${i}.${k + 1}`], conditions: { ready: true } })),
    });
  }
  const setupMs = Date.now() - setup;
  const dns = await startClusterDns({ client: source, listen: [{ host: '127.0.0.1', port: 0 }], upstream: [], log: (m) => process.stderr.write(`dns: ${m}\n`) });
  const port = dns.ports[0]!.port;
  try {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--client', String(port), String(seconds), String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`load generator exited ${code}`);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { answered: number; ms: number; lost: number; errors: number; p50: number; p99: number };
    const qps = (r.answered / r.ms) * 1000;
    const extra = { services: SERVICES + HEADLESS, concurrency, seconds, answered: r.answered, lost: r.lost, errors: r.errors, setup_ms: setupMs };
    emit('qps', qps, 'queries/s', extra);
    emit('latency_p50_ms', r.p50, 'ms');
    emit('latency_p99_ms', r.p99, 'ms');
    // The server process's CPU over the whole run (warm-up and start of the child included).
    emit('server_cpu_pct', ((cpu.user + cpu.system) / 1000 / wallMs) * 100, '%');
    if (r.errors > 0) throw new Error(`${r.errors} answers were neither NOERROR nor NXDOMAIN`);
  } finally {
    await dns.stop();
    await api.close();
    await backend.close();
  }
}

const ci = process.argv.indexOf('--client');
if (ci >= 0) await client(Number(process.argv[ci + 1]), Number(process.argv[ci + 2]), Number(process.argv[ci + 3]));
else await main();
