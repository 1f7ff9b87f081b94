// Service proxy benchmark: `npm run bench -- proxy [--sizes 1000,10000] [--endpoints 10] [--updates 200] [--mode auto|nftables|userspace]`.
// In one process: the API server on the memory store and one node's proxy over the in-process
// client, in nftables mode when root and nft are here (rules really applied with `nft -f`;
// endpoints are addresses nothing uses, and no packet is sent), userspace otherwise. For each
// size, N Services (a tenth of them also NodePorts, at most 2,000) with one EndpointSlice of
// `--endpoints` ready endpoints each are created first; then:
//   sync_<n>k_ms     startProxy() until it resolves: list and watch of 2N objects, rendering, and
//                    programming everything (one nft transaction)
//   sync_<n>k_program_ms  of which the render-and-program part
//   update_p50_ms / update_p99_ms  at the largest size: one endpoint's readiness flipped through
//                    the API, until the proxy has programmed it (watch → batch → nft), one at a time
// Prints JSON lines with the mode used.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startApiServer } from '../src/apiserver/server.js';
import { localApi } from '../src/apiserver/local_api.js';
import { LocalClient } from '../src/client/local.js';
import { resourceRef } from '../src/client/resource_client.js';
import { startProxy, type SyncReport } from '../src/proxy/proxy.js';
import { openMemoryBackend } from '../src/storage/memory/memory_table.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
};
const SIZES = arg('sizes', '1000,10000').split(',').map(Number);
const ENDPOINTS = Number(arg('endpoints', '10'));
const UPDATES = Number(arg('updates', '200'));
const MODE = arg('mode', 'auto') as 'auto' | 'nftables' | 'userspace';

const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ bench: 'proxy', metric, value: Math.round(value * 100) / 100, unit, ...extra }));
};

const ip = (base: [number, number], i: number): string => `${base[0]}.${base[1] + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

function makeService(i: number, n: number): Service {
  const nodePort = i < Math.min(2000, Math.floor(n / 10)) ? 30000 + i : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: {
      type: nodePort ? 'NodePort' : 'ClusterIP',
      clusterIP: ip([10, 43], i + 256),
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', ...(nodePort ? { nodePort } : {}) }],
    },
  };
}

function makeSlice(i: number, readyMask: boolean[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `svc-${i}-a`, namespace: 'default', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: readyMask.map((ready, e) => ({ addresses: [ip([10, 42], i * ENDPOINTS + e + 256)], conditions: { ready, serving: ready, terminating: false } })),
  };
}

async function inBatches(n: number, fn: (i: number) => Promise<unknown>, width = 200): Promise<void> {
  for (let i = 0; i < n; i += width) await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => fn(i + k)));
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

for (const [idx, n] of SIZES.entries()) {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores), { fieldManager: 'bench' });
  const services = source.resource<Service>(resourceRef('', 'v1', 'services'));
  const slices = source.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  const allReady = Array.from({ length: ENDPOINTS }, () => true);
  await inBatches(n, (i) => services.create('default', makeService(i, n)));
  await inBatches(n, (i) => slices.create('default', makeSlice(i, allReady)));

  const waiters = new Map<string, () => void>();
  let fullMs = 0;
  const onSync = (r: SyncReport): void => {
    if (r.full) fullMs = r.ms;
    for (const s of r.services) {
      const w = waiters.get(s);
      if (w) {
        waiters.delete(s);
        w();
      }
    }
  };
  const logs: string[] = [];
  const t0 = performance.now();
  const proxy = await startProxy({ client: source, nodeName: 'bench-proxy', nodeIp: '127.0.0.1', mode: MODE, log: (m) => logs.push(m), onSync });
  const syncMs = performance.now() - t0;
  const label = n % 1000 === 0 ? `${n / 1000}k` : String(n);
  emit(`sync_${label}_ms`, syncMs, 'ms', { mode: proxy.mode, services: n, endpoints: ENDPOINTS });
  emit(`sync_${label}_program_ms`, fullMs, 'ms', { mode: proxy.mode, services: n, endpoints: ENDPOINTS });

  if (idx === SIZES.length - 1 && UPDATES > 0) {
    const current = new Map<number, EndpointSlice>();
    const lat: number[] = [];
    for (let u = 0; u < UPDATES; u++) {
      const i = Math.floor(Math.random() * n);
      const prev = current.get(i) ?? (await slices.get('default', `svc-${i}-a`));
      const mask = (prev.endpoints ?? []).map((e) => e.conditions?.ready ?? true);
      const e = Math.floor(Math.random() * ENDPOINTS);
      mask[e] = !mask[e];
      const fresh = makeSlice(i, mask);
      const next = { ...fresh, metadata: { ...fresh.metadata, resourceVersion: prev.metadata?.resourceVersion } };
      const programmed = new Promise<void>((resolve) => waiters.set(`default/svc-${i}`, resolve));
      const start = performance.now();
      current.set(i, await slices.update('default', next));
      await programmed;
      lat.push(performance.now() - start);
    }
    emit('update_p50_ms', quantile(lat, 0.5), 'ms', { mode: proxy.mode, services: n, updates: UPDATES });
    emit('update_p99_ms', quantile(lat, 0.99), 'ms', { mode: proxy.mode, services: n, updates: UPDATES });
  }
  const s0 = performance.now();
  await proxy.stop();
  emit(`stop_${label}_ms`, performance.now() - s0, 'ms', { mode: proxy.mode });
  const failures = logs.filter((l) => /failed|cannot/.test(l));
  if (failures.length > 0) console.error(failures.slice(0, 5).join('\n'));
  await api.close();
  await backend.close();
}
