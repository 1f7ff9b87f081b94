// API benchmark: `npm run bench -- api`. Starts `capstan server` (built in dist/, sqlite store)
// as a child process on a loopback port, so the server and this load generator each get a core,
// then measures GET of one object, LIST of 1k pods, CREATE, and watch fan-out (100 watchers,
// 1k events/s for 5 s). Prints one JSON line per figure. Requests are bounded in count and time
// and go to 127.0.0.1 only.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const emit = (metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  console.log(JSON.stringify({ bench: 'api', metric, value: Math.round(value * 100) / 100, unit, ...extra }));
};
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-api-'));
const child = spawn(process.execPath, ['dist/cmd/main.js', 'server', '--port', '0', '--disable-dns', '--data-dir', join(dir, 'data'), '--kubeconfig', join(dir, 'kc')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /api ready at (\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.once('exit', (code) => reject(new Error(`server exited ${code} (is dist/ built? npm run build)`)));
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** A cheap POST for the watch phase's writer (status checked, body not parsed). */
function postFast(path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(`${url}${path}`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`POST ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function post(path: string, body: unknown): Promise<unknown> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const pod = (name: string): unknown => ({
  metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
});

try {
  await post('/api/v1/namespaces', { metadata: { name: 'bench' } });
  await post('/api/v1/namespaces/bench/configmaps', { metadata: { name: 'one' }, data: { k: 'v' } });

  // GET of one object.
  const get = await autocannon({ url: `${url}/api/v1/namespaces/bench/configmaps/one`, connections: 50, duration: 8 });
  if (get.non2xx > 0) throw new Error(`GET had ${get.non2xx} non-2xx answers`);
  emit('get_per_s', get.requests.average, 'req/s');
  emit('get_p99_ms', get.latency.p99, 'ms');

  // CREATE with generateName, so every request makes a new object.
  const create = await autocannon({
    url: `${url}/api/v1/namespaces/bench/configmaps`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ metadata: { generateName: 'cm-' }, data: { k: 'v' } }),
    connections: 50,
    duration: 8,
  });
  if (create.non2xx > 0) throw new Error(`CREATE had ${create.non2xx} non-2xx answers`);
  emit('create_per_s', create.requests.average, 'req/s');
  emit('create_p99_ms', create.latency.p99, 'ms');

  // LIST of 1k pods.
  for (let i = 0; i < 1000; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => post('/api/v1/namespaces/bench/pods', pod(`p${i + j}`))));
  const listTimes: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/v1/namespaces/bench/pods`);
    const body = (await res.json()) as { items: unknown[] };
    if (body.items.length !== 1000) throw new Error(`listed ${body.items.length} pods`);
    listTimes.push(performance.now() - t);
  }
  emit('list_1k_ms', percentile(listTimes, 50), 'ms', { p99: Math.round(percentile(listTimes, 99) * 100) / 100 });

  // Watch fan-out: 100 watchers, a writer at 1k creates/s for 5 s; latency from send to receipt.
  await post('/api/v1/namespaces', { metadata: { name: 'watch' } });
  const startRv = ((await (await fetch(`${url}/api/v1/namespaces/watch/configmaps`)).json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const ac = new AbortController();
  const latencies: number[] = [];
  let received = 0;
  // node:http rather than fetch for the watchers: web streams cost the client more per event
  // than the server spends producing it.
  const watchers = Array.from(
    { length: 100 },
    () =>
      new Promise<void>((resolve) => {
        const req = http.get(`${url}/api/v1/namespaces/watch/configmaps?watch=true&resourceVersion=${startRv}`, { signal: ac.signal }, (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buf += d;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              // The send time is the only field read; a full JSON.parse of 100k events/s would
              // make this client, not the server, the bottleneck being measured.
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              const at = line.indexOf('"sent":"') + 8;
              latencies.push(Date.now() - Number(line.slice(at, line.indexOf('"', at))));
              received++;
            }
          });
          res.on('close', () => resolve());
        });
        req.on('error', () => resolve());
      }),
  );
  await new Promise((r) => setTimeout(r, 500));
  const rate = 1000;
  const seconds = 5;
  const start = Date.now();
  let sent = 0;
  const writes: Promise<unknown>[] = [];
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    while (sent < due) writes.push(postFast('/api/v1/namespaces/watch/configmaps', { metadata: { name: `w${sent++}` }, data: { sent: String(Date.now()) } }));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(writes);
  const deadline = Date.now() + 30_000;
  while (received < sent * 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  ac.abort();
  await Promise.allSettled(watchers);
  emit('watch_fanout_p99_ms', percentile(latencies, 99), 'ms', { p50: percentile(latencies, 50), events: sent, watchers: 100, delivered: received });
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
