// The kubelet-backed subresources (pods/log, exec, attach, portforward; nodes/proxy) against the
// real in-process API server (memory store) and a fake kubelet: an HTTPS server on loopback with a
// throwaway self-signed certificate that records what it receives, serves logs (one of them a
// slow follow) and answers upgrades with 101 and an echo. One test drives real kubectl 1.32.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import type { ApiServerHandle } from './server.js';
import { startApiServer } from './server.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';

const KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** Runs a program without blocking the event loop (the in-process server must keep answering). */
function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// ---- the fake kubelet ----------------------------------------------------------------------------

class FakeKubelet {
  readonly requests: Recorded[] = [];
  readonly upgrades: Recorded[] = [];
  server!: HttpsServer;
  port = 0;
  private readonly sockets = new Set<Duplex>();
  /** Resolves the pending follow's second line. */
  private releaseFollow: (() => void) | undefined;
  /** Resolves when the kubelet sees a follow's response closed (the client went away). */
  followClosed: Promise<void> = Promise.resolve();

  async start(dir: string): Promise<void> {
    const key = join(dir, 'k');
    const cert = join(dir, 'c');
    const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=test', '-days', '1', '-keyout', key, '-out', cert]);
    assert.equal(made.code, 0, made.stderr);
    this.server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  release(): void {
    this.releaseFollow?.();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const pod = m[2]!;
      if (pod === 'p500') return void res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom');
      if (pod === 'p404') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such container');
      if (pod === 'p400') return void res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`container "c" in pod "p400" is waiting to start: ContainerCreating`);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      if (url.searchParams.get('follow') === 'true') {
        res.write('first line\n');
        this.followClosed = new Promise<void>((resolve) => res.on('close', () => resolve()));
        this.releaseFollow = () => res.end('second line\n');
        return;
      }
      res.end(`log of ${pod}/${m[3]}\n`);
      return;
    }
    // Anything else: the node proxy, echoing what it was asked.
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Kubelet': 'fake' }).end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgrades.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').startsWith('/refuse')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nno way!');
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  }
}

// ---- a raw client for upgrades ----------------------------------------------------------------------

interface RawResponse {
  socket: Socket;
  status: number;
  head: string;
  /** Bytes received after the head. */
  rest: Buffer;
}

function rawRequest(port: number, lines: string[], extra: Buffer = Buffer.alloc(0)): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const head = buf.subarray(0, end).toString('latin1');
      resolve({ socket, status: Number(head.slice(9, 12)), head, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), extra]));
  });
}

function upgradeRequest(port: number, path: string, o: { method?: string; protocol?: string; extra?: Buffer; headers?: string[] } = {}): Promise<RawResponse> {
  return rawRequest(
    port,
    [
      `${o.method ?? 'GET'} ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Sec-WebSocket-Protocol: ${o.protocol ?? 'v5.channel.k8s.io, v4.channel.k8s.io'}`,
      'Authorization: Bearer secret-token',
      ...(o.headers ?? []),
    ],
    o.extra,
  );
}

/** The rest of a response after its head, until the server closes. */
function readToEnd(r: RawResponse): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [r.rest];
    r.socket.on('data', (c: Buffer) => chunks.push(c));
    r.socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    r.socket.resume();
  });
}

function readBytes(socket: Socket, n: number, already: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let buf = already;
    if (buf.length >= n) return resolve(buf.toString());
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= n) {
        socket.off('data', onData);
        resolve(buf.toString());
      }
    };
    socket.on('data', onData);
    socket.resume();
  });
}

// ---- the cluster under test ---------------------------------------------------------------------------

let api: ApiServerHandle;
let kubelet: FakeKubelet;
let dir: string;
/** A loopback port nothing listens on. */
let deadPort: number;

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function createNode(name: string, status: Record<string, unknown>): Promise<void> {
  const nodes = api.stores.get('/v1/nodes')!;
  await nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  await nodes.update('', name, (cur) => ({ ...cur, status }), { subresource: 'status' });
}

async function createPod(name: string, o: { nodeName?: string; containers?: string[]; init?: string[]; phase?: string } = {}): Promise<void> {
  const pods = api.stores.get('/v1/pods')!;
  const c = (n: string): Record<string, string> => ({ name: n, image: 'busybox' });
  await pods.create('default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: o.nodeName,
      containers: (o.containers ?? ['c']).map(c),
      ...(o.init ? { initContainers: o.init.map(c) } : {}),
    },
  });
  if (o.phase) await pods.update('default', name, (cur) => ({ ...cur, status: { ...(cur.status as object), phase: o.phase } }), { subresource: 'status' });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-kubelet-proxy-'));
  kubelet = new FakeKubelet();
  await kubelet.start(dir);
  deadPort = await freePort();
  api = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  const endpoint = (port: number): Record<string, unknown> => ({ kubeletEndpoint: { Port: port } });
  await createNode('n1', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: endpoint(kubelet.port) });
  await createNode('down', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: endpoint(deadPort) });
  await createNode('noaddr', { daemonEndpoints: endpoint(kubelet.port) });
  for (const name of ['p', 'p500', 'p404', 'p400', 'follow', 'gone']) await createPod(name, { nodeName: 'n1' });
  await createPod('multi', { nodeName: 'n1', containers: ['a', 'b'], init: ['i1'] });
  await createPod('unscheduled');
  await createPod('done', { nodeName: 'n1', phase: 'Succeeded' });
  await createPod('ondown', { nodeName: 'down' });
  await createPod('onghost', { nodeName: 'ghost' });
  await createPod('onnoaddr', { nodeName: 'noaddr' });
});

after(async () => {
  await api.close();
  await kubelet.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function getText(path: string): Promise<{ status: number; type: string | null; body: string }> {
  const r = await fetch(`${api.url}${path}`);
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

/** A request expected to fail: its code and metav1.Status. */
async function getStatus(path: string, init?: RequestInit): Promise<{ status: number; body: { kind: string; code: number; reason?: string; message: string; details?: unknown } }> {
  const r = await fetch(`${api.url}${path}`, init);
  return { status: r.status, body: (await r.json()) as { kind: string; code: number; reason?: string; message: string } };
}

function lastKubeletRequest(): Recorded {
  const r = kubelet.requests[kubelet.requests.length - 1];
  assert.ok(r, 'the kubelet was called');
  return r;
}

// ---- logs -------------------------------------------------------------------------------------------------

test('log: proxied to the kubelet path with the query rebuilt as upstream does', async () => {
  const plain = await getText('/api/v1/namespaces/default/pods/p/log');
  assert.equal(plain.status, 200);
  assert.equal(plain.type, 'text/plain');
  assert.equal(plain.body, 'log of p/c\n');
  assert.equal(lastKubeletRequest().url, '/containerLogs/default/p/c');

  const q = '?container=c&tailLines=10&timestamps=true&sinceSeconds=5&limitBytes=100&previous=false&insecureSkipTLSVerifyBackend=true&bogus=1';
  assert.equal((await getText(`/api/v1/namespaces/default/pods/p/log${q}`)).status, 200);
  assert.equal(lastKubeletRequest().url, '/containerLogs/default/p/c?limitBytes=100&sinceSeconds=5&tailLines=10&timestamps=true');
  assert.equal(lastKubeletRequest().headers.authorization, undefined);

  // sinceTime is re-formatted (UTC, whole seconds); an empty boolean is true, as upstream decodes it.
  await getText('/api/v1/namespaces/default/pods/p/log?sinceTime=2024-01-02T03:04:05.123%2B01:00&previous=');
  assert.equal(lastKubeletRequest().url, '/containerLogs/default/p/c?previous=true&sinceTime=2024-01-02T02%3A04%3A05Z');

  // Init containers are valid log targets.
  assert.equal((await getText('/api/v1/namespaces/default/pods/multi/log?container=i1')).body, 'log of multi/i1\n');
});

test('log: a follow is streamed chunk by chunk and ends when the kubelet ends', async () => {
  const res = await new Promise<IncomingMessage>((resolve, reject) => httpGet(`${api.url}/api/v1/namespaces/default/pods/follow/log?follow=true`, resolve).on('error', reject));
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  const first = await new Promise<string>((resolve) => res.once('data', (c: Buffer) => resolve(c.toString())));
  assert.equal(first, 'first line\n', 'the first chunk arrives while the kubelet still holds the stream open');
  assert.equal(lastKubeletRequest().url, '/containerLogs/default/follow/c?follow=true');
  let rest = '';
  res.on('data', (c: Buffer) => (rest += c.toString()));
  const ended = new Promise<void>((resolve) => res.on('end', resolve));
  kubelet.release();
  await ended;
  assert.equal(rest, 'second line\n');
});

test('log: a client that goes away ends the kubelet request too', async () => {
  const req = httpGet(`${api.url}/api/v1/namespaces/default/pods/follow/log?follow=true`);
  const res = await new Promise<IncomingMessage>((resolve) => req.on('response', resolve));
  await new Promise<void>((resolve) => res.once('data', () => resolve()));
  const closed = kubelet.followClosed;
  req.on('error', () => undefined);
  req.destroy();
  await closed; // the fake kubelet saw its response closed
});

test('log: errors as upstream gives them', async () => {
  const cases: Array<[string, number, string, string | undefined]> = [
    ['ghost/log', 404, 'pods "ghost" not found', 'NotFound'],
    ['multi/log', 400, 'a container name must be specified for pod multi, choose one of: [i1 a b]', 'BadRequest'],
    ['p/log?container=nope', 400, 'container nope is not valid for pod p', 'BadRequest'],
    ['p/log?tailLines=-1', 422, 'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0', 'Invalid'],
    ['p/log?limitBytes=0', 422, 'PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0', 'Invalid'],
    ['p/log?sinceSeconds=0', 422, 'PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0', 'Invalid'],
    ['p/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z', 422, 'PodLogOptions "p" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', 'Invalid'],
    ['p/log?tailLines=abc', 400, 'strconv.ParseInt: parsing "abc": invalid syntax', 'BadRequest'],
    ['p/log?limitBytes=99999999999999999999', 400, 'strconv.ParseInt: parsing "99999999999999999999": value out of range', 'BadRequest'],
    ['p/log?sinceTime=yesterday', 400, 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"', 'BadRequest'],
    ['p/log?sinceTime=2024-13-01T00:00:00Z', 400, 'parsing time "2024-13-01T00:00:00Z": month out of range', 'BadRequest'],
    ['p/log?sinceTime=2024-01-01', 400, 'parsing time "2024-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"', 'BadRequest'],
    ['onghost/log', 404, 'nodes "ghost" not found', 'NotFound'],
    ['onnoaddr/log', 500, 'no preferred addresses found; known addresses: []', undefined],
    ['p500/log', 500, 'Internal error occurred: boom', 'InternalError'],
    ['p400/log', 400, 'container "c" in pod "p400" is waiting to start: ContainerCreating', 'BadRequest'],
    ['p404/log', 404, 'the server could not find the requested resource ( pods/log p404)', 'NotFound'],
    ['ondown/log', 500, `Get "https://127.0.0.1:${deadPort}/containerLogs/default/ondown/c": dial tcp 127.0.0.1:${deadPort}: connect: connection refused`, undefined],
  ];
  for (const [path, code, message, reason] of cases) {
    const { status, body } = await getStatus(`/api/v1/namespaces/default/pods/${path}`);
    assert.equal(status, code, path);
    assert.equal(body.kind, 'Status', path);
    assert.equal(body.code, code, path);
    assert.equal(body.message, message, path);
    assert.equal(body.reason, reason, path);
  }
  const p404 = await getStatus('/api/v1/namespaces/default/pods/p404/log');
  assert.deepEqual(p404.body.details, { name: 'p404', kind: 'pods/log' });

  // A pod without a node has no logs yet: upstream answers 204.
  const unscheduled = await fetch(`${api.url}/api/v1/namespaces/default/pods/unscheduled/log`);
  assert.equal(unscheduled.status, 204);

  const post = await getStatus('/api/v1/namespaces/default/pods/p/log', { method: 'POST' });
  assert.equal(post.status, 405);
});

// ---- exec / attach / portforward --------------------------------------------------------------------------

test('exec: the upgrade is tunnelled to the kubelet with its headers, and bytes flow both ways', async () => {
  const path = '/api/v1/namespaces/default/pods/p/exec?command=ls&command=-l%20a&container=c&stdin=true&stdout=true&stderr=false&tty=false';
  const r = await upgradeRequest(api.port, path, { extra: Buffer.from('early') });
  assert.equal(r.status, 101, r.head);
  assert.match(r.head, /\r\nUpgrade: websocket/i);
  const up = kubelet.upgrades[kubelet.upgrades.length - 1]!;
  assert.equal(up.method, 'GET');
  assert.equal(up.url, '/exec/default/p/c?command=ls&command=-l+a&input=1&output=1&stdin=1&stdout=1');
  assert.equal(up.headers.upgrade, 'websocket');
  assert.equal(up.headers['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');
  assert.equal(up.headers['sec-websocket-protocol'], 'v5.channel.k8s.io, v4.channel.k8s.io');
  assert.equal(up.headers['sec-websocket-version'], '13');
  assert.equal(up.headers.authorization, undefined, 'the client credentials stay with the API server');
  assert.equal(up.headers['x-forwarded-for'], '127.0.0.1');
  // The bytes the client sent with its request head, then bytes after the 101, are echoed back.
  assert.equal(await readBytes(r.socket, 5, r.rest), 'early');
  r.socket.write('ping');
  assert.equal(await readBytes(r.socket, 4, Buffer.alloc(0)), 'ping');
  const closed = new Promise<void>((resolve) => r.socket.on('close', () => resolve()));
  r.socket.end();
  await closed;
});

test('attach and portforward (SPDY, POST) are tunnelled too', async () => {
  const attach = await rawRequest(api.port, [
    'POST /api/v1/namespaces/default/pods/multi/attach?container=a&stdin=1&stdout=true&tty=true HTTP/1.1',
    'Host: x',
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    'X-Stream-Protocol-Version: v4.channel.k8s.io',
    'X-Stream-Protocol-Version: v3.channel.k8s.io',
    'Content-Length: 0',
  ]);
  assert.equal(attach.status, 101, attach.head);
  let up = kubelet.upgrades[kubelet.upgrades.length - 1]!;
  assert.equal(up.method, 'POST');
  assert.equal(up.url, '/attach/default/multi/a?input=1&output=1&stdin=1&stdout=1&tty=1');
  assert.equal(up.headers['x-stream-protocol-version'], 'v4.channel.k8s.io, v3.channel.k8s.io');
  attach.socket.destroy();

  const pf = await upgradeRequest(api.port, '/api/v1/namespaces/default/pods/p/portforward?ports=8080,9090', { protocol: 'SPDY/3.1+portforward.k8s.io' });
  assert.equal(pf.status, 101, pf.head);
  up = kubelet.upgrades[kubelet.upgrades.length - 1]!;
  assert.equal(up.url, '/portForward/default/p?port=8080%2C9090');
  assert.equal(up.headers['sec-websocket-protocol'], 'SPDY/3.1+portforward.k8s.io');
  pf.socket.write('x');
  assert.equal(await readBytes(pf.socket, 1, pf.rest), 'x');
  pf.socket.destroy();
});

test('exec/attach/portforward: errors are answered on the socket as a Status', async () => {
  const cases: Array<[string, number, string]> = [
    ['ghost/exec?command=ls', 404, 'pods "ghost" not found'],
    ['p/exec?command=ls&container=nope', 400, 'container nope is not valid for pod p'],
    ['multi/exec?command=ls', 400, 'a container name must be specified for pod multi, choose one of: [i1 a b]'],
    ['p/exec', 400, 'you must specify at least one command for the container'],
    ['unscheduled/exec?command=ls', 400, 'pod unscheduled does not have a host assigned'],
    ['unscheduled/portforward?ports=80', 400, 'pod unscheduled does not have a host assigned'],
    ['done/exec?command=ls', 400, 'cannot exec into a container in a completed pod; current phase is Succeeded'],
    ['done/attach', 400, 'cannot attach a container in a completed pod; current phase is Succeeded'],
    ['p/portforward?ports=http', 400, 'cannot convert to []int32: strconv.ParseUint: parsing "http": invalid syntax'],
    ['onghost/exec?command=ls', 404, 'nodes "ghost" not found'],
    ['ondown/exec?command=ls', 500, `error dialing backend: dial tcp 127.0.0.1:${deadPort}: connect: connection refused`],
  ];
  for (const [path, code, message] of cases) {
    const r = await upgradeRequest(api.port, `/api/v1/namespaces/default/pods/${path}`);
    assert.equal(r.status, code, path);
    assert.match(r.head, /\r\nContent-Type: application\/json/, path);
    const status = JSON.parse(await readToEnd(r)) as { kind: string; code: number; message: string };
    assert.equal(status.kind, 'Status', path);
    assert.equal(status.code, code, path);
    assert.equal(status.message, message, path);
  }

  // The same request without an upgrade is validated, then refused.
  const plain = await getStatus('/api/v1/namespaces/default/pods/p/exec?command=ls', { method: 'POST' });
  assert.equal(plain.status, 400);
  assert.equal(plain.body.message, 'Upgrade request required');
  assert.equal((await getStatus('/api/v1/namespaces/default/pods/ghost/exec?command=ls')).status, 404);

  // Upgrades anywhere else are refused; unknown paths are 404.
  const watch = await upgradeRequest(api.port, '/api/v1/namespaces/default/pods?watch=true');
  assert.equal(watch.status, 400);
  await readToEnd(watch);
  const nowhere = await upgradeRequest(api.port, '/nowhere');
  assert.equal(nowhere.status, 404);
  assert.equal((JSON.parse(await readToEnd(nowhere)) as { message: string }).message, 'the server could not find the requested resource');
});

// ---- nodes/proxy --------------------------------------------------------------------------------------------

test('nodes/proxy: any method and path reaches the kubelet; upgrades are tunnelled', async () => {
  const r = await fetch(`${api.url}/api/v1/nodes/n1/proxy/stats/summary?only_cpu_and_memory=true`, { headers: { Authorization: 'Bearer secret-token' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-kubelet'), 'fake');
  assert.deepEqual(await r.json(), { method: 'GET', url: '/stats/summary?only_cpu_and_memory=true', body: '' });
  assert.equal(lastKubeletRequest().headers.authorization, undefined);

  const post = await fetch(`${api.url}/api/v1/nodes/n1/proxy/configz`, { method: 'POST', body: 'hello' });
  assert.deepEqual(await post.json(), { method: 'POST', url: '/configz', body: 'hello' });
  const root = await fetch(`${api.url}/api/v1/nodes/n1:${kubelet.port}/proxy`);
  assert.deepEqual(await root.json(), { method: 'GET', url: '/', body: '' });

  assert.equal((await getStatus('/api/v1/nodes/ghost/proxy/healthz')).body.message, 'nodes "ghost" not found');
  const down = await getStatus('/api/v1/nodes/down/proxy/healthz');
  assert.equal(down.status, 500);
  assert.equal(down.body.message, `dial tcp 127.0.0.1:${deadPort}: connect: connection refused`);
  assert.equal((await getStatus('/api/v1/nodes/a:b:c:d/proxy/healthz')).body.message, 'invalid node request "a:b:c:d"');

  const up = await upgradeRequest(api.port, '/api/v1/nodes/n1/proxy/some/stream?x=1');
  assert.equal(up.status, 101);
  assert.equal(kubelet.upgrades[kubelet.upgrades.length - 1]!.url, '/some/stream?x=1');
  up.socket.write('hi');
  assert.equal(await readBytes(up.socket, 2, up.rest), 'hi');
  up.socket.destroy();

  // A kubelet that refuses the upgrade: its answer reaches the client as it is.
  const refused = await upgradeRequest(api.port, '/api/v1/nodes/n1/proxy/refuse');
  assert.equal(refused.status, 403);
  assert.equal(await readToEnd(refused), 'no way!');
});

// ---- real kubectl ---------------------------------------------------------------------------------------------

test('real kubectl 1.32: logs through the API server, and an exec error from it', async (t) => {
  if (!existsSync(KUBECTL)) {
    t.skip(`${KUBECTL} not installed`);
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'capstan-kubectl-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'none') };
  const base = ['--server', api.url, '--cache-dir', join(home, 'cache')];

  const logs = await run(KUBECTL, [...base, 'logs', 'pod/p'], env);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, 'log of p/c\n');

  // kubectl picks the first container itself and says so.
  const multi = await run(KUBECTL, [...base, 'logs', 'multi'], env);
  assert.equal(multi.code, 0, multi.stderr);
  assert.equal(multi.stdout, 'log of multi/a\n');
  assert.match(multi.stderr, /Defaulted container "a" out of: a, b, i1 \(init\)/);

  const missing = await run(KUBECTL, [...base, 'logs', 'p', '-c', 'nope'], env);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /container nope is not valid for pod p/);

  // exec tries WebSocket, then SPDY; both are answered with the Status, which kubectl prints.
  const exec = await run(KUBECTL, [...base, 'exec', 'p', '-c', 'nope', '--', 'ls'], env);
  assert.notEqual(exec.code, 0);
  assert.match(exec.stderr, /container nope is not valid for pod p/);
});
