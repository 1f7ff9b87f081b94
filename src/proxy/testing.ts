// Test-only helpers for the proxy's tests: Service and EndpointSlice objects, small HTTP and UDP
// backends that answer with their name, one-shot clients, and free ports. Free of apiserver and
// storage imports (the tests bring their own server).
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { request } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

export interface ServiceLite {
  name: string;
  namespace?: string;
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  clusterIP?: string;
  ports: (Partial<ServicePort> & { port: number })[];
  affinitySeconds?: number;
  loadBalancerClass?: string;
  externalTrafficPolicy?: 'Cluster' | 'Local';
}

export function service(s: ServiceLite): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace ?? 'default' },
    spec: {
      type: s.type ?? 'ClusterIP',
      ...(s.clusterIP ? { clusterIP: s.clusterIP } : {}),
      ports: s.ports.map((p) => ({ protocol: 'TCP', ...p })),
      ...(s.affinitySeconds ? { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: s.affinitySeconds } } } : {}),
      ...(s.loadBalancerClass ? { loadBalancerClass: s.loadBalancerClass } : {}),
      ...(s.externalTrafficPolicy ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
    },
  };
}

export interface EndpointLite {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  nodeName?: string;
}

export function slice(opts: { service: string; name: string; namespace?: string; port: { name?: string; port: number; protocol?: 'TCP' | 'UDP' }; endpoints: EndpointLite[] }): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: opts.name, namespace: opts.namespace ?? 'default', labels: { 'kubernetes.io/service-name': opts.service } },
    addressType: 'IPv4',
    ports: [{ name: opts.port.name ?? '', port: opts.port.port, protocol: opts.port.protocol ?? 'TCP' }],
    endpoints: opts.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    })),
  };
}

/** Where userspace-mode test backends listen: loopback (endpoints may be loopback addresses here). */
export function hostAddress(): string {
  return '127.0.0.1';
}

export interface Backend {
  name: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTP server on host:port (0: any) answering its name. */
export async function httpBackend(name: string, host: string, port = 0): Promise<Backend> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('connection', 'close');
    res.end(name);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, resolve);
  });
  const addr = server.address();
  return {
    name,
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A UDP server on host answering each datagram with `name:` + the datagram. */
export async function udpBackend(name: string, host: string): Promise<Backend> {
  const sock = createSocket('udp4');
  sock.on('message', (m, r) => sock.send(`${name}:${m.toString()}`, r.port, r.address));
  await new Promise<void>((resolve) => sock.bind({ address: host, port: 0 }, resolve));
  return { name, port: sock.address().port, close: () => new Promise((resolve) => sock.close(() => resolve())) };
}

/** GET http://host:port/ on a new connection; the body, or an Error's message prefixed with `error:`. */
export function httpGet(host: string, port: number, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(body));
      res.on('error', (err) => resolve(`error:${err.message}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code ?? err.message}`));
    req.end();
  });
}

/** `n` GETs one after another; their answers. */
export async function httpGets(host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await httpGet(host, port));
  return out;
}

/** One datagram to host:port from a fresh socket; the answer, or `error:…` after the timeout. */
export function udpAsk(host: string, port: number, text: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: string): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done('error:timeout'), timeoutMs);
    sock.on('message', (m) => done(m.toString()));
    sock.on('error', (err) => done(`error:${err.message}`));
    sock.send(text, port, host);
  });
}

/** A port in the NodePort range that is free on `host` for TCP and UDP right now. */
export async function freeNodePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 30000 + Math.floor(Math.random() * 2768);
    if ((await tcpFree(host, port)) && (await udpFree(host, port))) return port;
  }
  throw new Error('no free port in 30000-32767');
}

/** A TCP port on `host` that refuses connections (bound once, then closed). */
export async function refusingPort(host: string): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen({ host, port: 0 }, resolve));
  const addr = s.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createTcpServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}
