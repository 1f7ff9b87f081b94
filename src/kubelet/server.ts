// The kubelet's HTTPS server, which the API server proxies to: container logs, exec, attach,
// port-forward (the upgrade protocols live in streaming/), stats and health. Paths are
// upstream's kubelet paths, so `kubectl get --raw /api/v1/nodes/<n>/proxy/stats/summary` and
// metrics-server work as they do against a real kubelet.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { readLog } from './runtime/logs.js';
import type { Runtime } from './runtime/runtime.js';
import { selfSignedServingCert } from './serving_cert.js';
import { StatsProvider, type PodHandle } from './stats.js';
import type { PodWorker } from './pod_worker.js';

/** What the server needs of the kubelet. */
export interface KubeletView {
  readonly nodeName: string;
  readonly runtime: Runtime;
  worker(namespace: string, name: string): PodWorker | undefined;
  pods(): PodHandle[];
  readonly simulated: boolean;
}

export interface KubeletServerOptions {
  kubelet: KubeletView;
  host: string;
  port: number;
  /** Extra names for the serving certificate. */
  names?: string[];
  log: (msg: string) => void;
}

export interface KubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A plain-text error with the status the API server passes on to the client. */
class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** The container's current or previous log file, or the reason there is none. */
export function logLocation(kubelet: KubeletView, ns: string, podName: string, container: string, previous: boolean): { path: string; running: () => boolean } {
  const w = kubelet.worker(ns, podName);
  if (!w) throw new HttpError(404, `pod "${podName}" in namespace "${ns}" not found on node ${kubelet.nodeName}`);
  const pod = w.currentPod();
  const known = [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].some((c) => c.name === container);
  if (!known) throw new HttpError(404, `container "${container}" in pod "${podName}" is not valid`);
  const a = w.attempts(container);
  if (previous) {
    if (a.previous === undefined) throw new HttpError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
    return { path: w.logPath(container, a.previous), running: () => false };
  }
  const id = w.containerId(container);
  if (a.current === undefined || !id) {
    const status = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])].find((s) => s.name === container);
    const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
    throw new HttpError(400, `container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  return { path: w.logPath(container, a.current), running: () => kubelet.runtime.containerStatus(id)?.state !== 'exited' && w.containerId(container) === id };
}

async function containerLogs(kubelet: KubeletView, parts: string[], q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [ns, podName, container] = parts;
  if (!ns || !podName || !container) throw new HttpError(400, 'expected /containerLogs/{namespace}/{pod}/{container}');
  const loc = logLocation(kubelet, ns, podName, container, boolParam(q, 'previous'));
  const follow = boolParam(q, 'follow');
  const num = (name: string): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new HttpError(400, `invalid ${name} "${v}"`);
    return n;
  };
  const sinceSeconds = num('sinceSeconds');
  const sinceTimeText = q.get('sinceTime');
  const sinceTime = sinceTimeText ? new Date(sinceTimeText) : sinceSeconds !== undefined ? new Date(Date.now() - sinceSeconds * 1000) : undefined;
  if (sinceTime && Number.isNaN(sinceTime.getTime())) throw new HttpError(400, `invalid sinceTime "${sinceTimeText}"`);
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  req.on('close', () => {
    if (!res.writableEnded) ac.abort();
  });
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  if (follow) res.flushHeaders();
  try {
    await readLog(loc.path, { follow, tailLines: num('tailLines'), limitBytes: num('limitBytes'), timestamps: boolParam(q, 'timestamps'), sinceTime, signal: ac.signal, stopWhen: () => !loc.running() }, res);
  } catch (err) {
    // The file is gone (the container was removed): what was written is all there is.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  res.end();
}

export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const { key, cert } = selfSignedServingCert(o.kubelet.nodeName, [o.kubelet.nodeName, o.host, '127.0.0.1', 'localhost', ...(o.names ?? [])]);
  const stats = new StatsProvider(o.kubelet.nodeName, o.kubelet.runtime, o.kubelet.simulated);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      switch (parts[0]) {
        case 'healthz':
          send(res, 200, 'ok');
          return;
        case 'containerLogs':
          await containerLogs(o.kubelet, parts.slice(1), url.searchParams, req, res);
          return;
        case 'stats':
          if (parts[1] === 'summary' || parts.length === 1) {
            send(res, 200, JSON.stringify(await stats.summary(o.kubelet.pods())), 'application/json');
            return;
          }
          break;
        case 'metrics':
          if (parts[1] === 'resource') {
            send(res, 200, await stats.resourceMetrics(o.kubelet.pods()), 'text/plain; version=0.0.4; charset=utf-8');
            return;
          }
          break;
        case 'pods': {
          const items: Pod[] = o.kubelet.pods().map((p) => p.pod);
          send(res, 200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items }), 'application/json');
          return;
        }
        case 'exec':
        case 'attach':
        case 'portForward':
          throw new HttpError(400, `${parts[0]} needs an Upgrade request (WebSocket or SPDY)`);
        default:
          break;
      }
      send(res, 404, `404 page not found\n`);
    } catch (err) {
      if (res.headersSent) {
        o.log(`${req.method} ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
        res.destroy();
        return;
      }
      if (err instanceof HttpError) send(res, err.code, err.message);
      else {
        o.log(`${req.method} ${url.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        send(res, 500, err instanceof Error ? err.message : String(err));
      }
    }
  };
  const server: Server = createServer({ key, cert }, (req, res) => void handle(req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    socket.on('error', () => socket.destroy());
    if (parts[0] !== 'exec' && parts[0] !== 'attach' && parts[0] !== 'portForward') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n404 page not found\n');
      return;
    }
    // The streaming protocols (and the WebSocket library, ~13 MB resident) load on first use:
    // an idle agent never pays for them.
    void import('./streaming_routes.js').then(
      (routes) => {
        const route = { kubelet: o.kubelet, parts: parts.slice(1), query: url.searchParams, req, socket, head, log: o.log };
        if (parts[0] === 'portForward') routes.servePortForwardUpgrade(route);
        else routes.serveExecLike({ ...route, kind: parts[0] as 'exec' | 'attach' });
      },
      (err: unknown) => {
        o.log(`streaming: ${String(err)}`);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
