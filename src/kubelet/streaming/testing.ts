// Test support for the streaming endpoints: a tiny fake API server that answers what kubectl
// asks before it upgrades (discovery, then GET of the pod) and hands the upgrade requests for
// pods/<name>/{exec,attach,portforward} to the test; a runner for the real kubectl binary; and
// an ExecSession backed by a local process. Tests only (kept out of the kubelet's imports).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ExecSession } from '../runtime/runtime.js';
import { headerValues, isSpdyUpgrade, isWebSocketUpgrade, type StreamingHandle, type UpgradeRequest } from './upgrade.js';

export const KUBECTL = process.env['CAPSTAN_TEST_KUBECTL'] ?? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32';

export function haveKubectl(): boolean {
  return existsSync(KUBECTL);
}

export interface UpgradeRoute {
  pod: string;
  subresource: 'exec' | 'attach' | 'portforward';
  query: URLSearchParams;
  upgrade: UpgradeRequest;
}

export interface SeenUpgrade {
  subresource: string;
  transport: 'websocket' | 'spdy' | 'other';
  /** Sec-WebSocket-Protocol or X-Stream-Protocol-Version values offered. */
  offered: string[];
}

export interface KubectlResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface KubectlRun {
  input?: Buffer | string;
  env?: Record<string, string>;
}

export interface FakeApiServer {
  readonly url: string;
  readonly upgrades: SeenUpgrade[];
  /** Runs kubectl to completion (global flags are added in front of `args`). */
  kubectl(args: string[], run?: KubectlRun): Promise<KubectlResult>;
  /** Starts kubectl and leaves it running (killed by close()). */
  spawnKubectl(args: string[], run?: KubectlRun): ChildProcess;
  /** Kills every kubectl still running and waits for them to exit. */
  killKubectl(): Promise<void>;
  /** Resolves once every streaming session served so far has ended on the server side. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

function podJson(name: string): unknown {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1' },
    spec: { containers: [{ name: 'c', image: 'busybox', stdin: true }], nodeName: 'n1' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }],
    },
  };
}

const RESOURCES = {
  kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'v1',
  resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
    { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
    { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  ],
};

export async function startFakeApiServer(options: { onUpgrade: (route: UpgradeRoute) => StreamingHandle | undefined }): Promise<FakeApiServer> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-streaming-'));
  const handles = new Set<StreamingHandle>();
  const sockets = new Set<Socket | Duplex>();
  const children = new Set<ChildProcess>();
  const upgrades: SeenUpgrade[] = [];

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (path === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') return send(200, RESOURCES);
    const m = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)$/.exec(path);
    if (m && req.method === 'GET') return send(200, podJson(m[1] ?? ''));
    send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
    const transport = isWebSocketUpgrade(req) ? 'websocket' : isSpdyUpgrade(req) ? 'spdy' : 'other';
    const offered = transport === 'websocket' ? headerValues(req, 'sec-websocket-protocol') : headerValues(req, 'x-stream-protocol-version');
    upgrades.push({ subresource: m?.[2] ?? url.pathname, transport, offered });
    socket.on('error', () => socket.destroy());
    if (!m) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const subresource = m[2] === 'exec' ? 'exec' : m[2] === 'attach' ? 'attach' : 'portforward';
    const handle = options.onUpgrade({ pod: m[1] ?? '', subresource, query: url.searchParams, upgrade: { req, socket, head } });
    if (handle) {
      handles.add(handle);
      void handle.closed.then(() => handles.delete(handle));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: t',
    'clusters:', '- name: t', '  cluster:', `    server: ${url}`,
    'contexts:', '- name: t', '  context:', '    cluster: t', '    user: t', '    namespace: default',
    'users:', '- name: t', '  user: {}', '',
  ].join('\n'));

  const spawnKubectl = (args: string[], run: KubectlRun = {}): ChildProcess => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, ...run.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stdin?.on('error', () => {});
    if (run.input !== undefined) child.stdin?.end(run.input);
    else child.stdin?.end();
    return child;
  };

  const kubectl = async (args: string[], run: KubectlRun = {}): Promise<KubectlResult> => {
    const child = spawnKubectl(args, run);
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => { err += c.toString(); });
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stdout: Buffer.concat(out), stderr: err };
  };

  return {
    url,
    upgrades,
    kubectl,
    spawnKubectl,
    killKubectl: async () => {
      await Promise.all([...children].map(async (c) => {
        const exited = once(c, 'exit');
        c.kill('SIGKILL');
        await exited;
      }));
    },
    settled: async () => {
      await Promise.all([...handles].map((h) => h.closed));
    },
    close: async () => {
      for (const c of children) c.kill('SIGKILL');
      for (const h of handles) h.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An ExecSession running `argv` as a local process (the "container" is this machine). */
export async function processSession(argv: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<ExecSession> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty command');
  const child = spawn(file, args, { env: options.env ?? { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code) => resolve(code ?? -1));
  });
  // A command that cannot start rejects here, as a runtime's exec does.
  await once(child, 'spawn');
  const { stdin, stdout, stderr } = child;
  if (!stdin || !stdout || !stderr) throw new Error('missing stdio pipes');
  return {
    stdin,
    stdout,
    stderr,
    resize: () => {},
    exited,
    kill: () => { child.kill('SIGKILL'); },
  };
}
