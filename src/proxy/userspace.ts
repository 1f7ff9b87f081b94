// The userspace backend, for when the proxy cannot program the kernel (not root, or no nft): a
// TCP or UDP listener per NodePort on the node IP, and per load-balancer ingress or external IP
// that is an address of this machine (all of 127/8 is), forwarding to the Service's endpoints.
// ClusterIPs are not served: they are not addresses of this machine, and making them so needs
// root. Pods in this mode share the host network, so the endpoints are host addresses.
//
// TCP: an endpoint is picked per connection (at random; with sessionAffinity ClientIP the
// client's last one while its timeout runs), and when the connect is refused or times out the
// next one is tried, so a dead endpoint costs a retry, not a failed request. The client is held
// paused until an endpoint answers. Endpoints that stop being ready get no new connections from
// the moment the change is synced; established ones run on.
// UDP: a flow per client address and port, with its own socket connected to the endpoint, ends
// after an idle timeout, on an ICMP refusal (the next datagram picks again), or when its
// endpoint leaves the Service.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ProxyBackend } from './backend.js';
import { isLocalAddress, localIPv4Addresses } from './host.js';
import { externalTargets, type Endpoint, type Protocol, type ServicePortInfo } from './service_ports.js';

export interface UserspaceBackendOptions {
  nodeName: string;
  nodeIp: string;
  connectTimeoutMs: number;
  udpIdleTimeoutMs: number;
  bindRetryMs: number;
  log: (msg: string) => void;
}

interface Route {
  protocol: Protocol;
  targets: Endpoint[];
  affinityMs: number;
  /** client IP → endpoint `ip:port` and until when it sticks. */
  sticky: Map<string, { ep: string; until: number }>;
}

interface Address {
  protocol: Protocol;
  ip: string;
  port: number;
  /** Port key of the service port that wants it. */
  owner: string;
}

interface Flow {
  ep: string;
  upstream: UdpSocket;
  last: number;
  connected: boolean;
  queue: Buffer[];
}

interface Listener {
  close(): void;
  /** UDP: flows by client `ip:port`. */
  flows?: Map<string, Flow>;
}

const epKey = (e: Endpoint): string => `${e.ip}:${e.port}`;
const addrId = (a: { protocol: Protocol; ip: string; port: number }): string => `${a.protocol.toLowerCase()}/${a.ip}/${a.port}`;

function clientIp(addr: string | undefined): string {
  const a = addr ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export class UserspaceBackend implements ProxyBackend {
  readonly mode = 'userspace' as const;
  private readonly routes = new Map<string, Route>();
  /** Addresses wanted, by listener id (first claimant wins). */
  private readonly wanted = new Map<string, Address>();
  private readonly listeners = new Map<string, Listener>();
  /** Listener ids that failed to bind, with the reason last logged. */
  private readonly failed = new Map<string, string>();
  private readonly sockets = new Set<Socket>();
  private retryTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: UserspaceBackendOptions) {}

  async syncAll(ports: readonly ServicePortInfo[]): Promise<void> {
    const changes = new Map<string, ServicePortInfo | undefined>();
    for (const k of this.routes.keys()) changes.set(k, undefined);
    for (const p of ports) changes.set(p.key, p);
    await this.syncChanges(changes);
  }

  async syncChanges(changes: ReadonlyMap<string, ServicePortInfo | undefined>): Promise<void> {
    if (this.closed) return;
    const local = localIPv4Addresses();
    for (const [key, p] of changes) {
      if (!p) {
        this.routes.delete(key);
        this.setAddresses(key, []);
        continue;
      }
      if (p.protocol === 'SCTP') {
        this.routes.delete(key);
        this.setAddresses(key, []);
        continue;
      }
      let route = this.routes.get(key);
      if (!route) this.routes.set(key, (route = { protocol: p.protocol, targets: [], affinityMs: 0, sticky: new Map() }));
      // The route object is what listeners look up per connection: replacing its targets is
      // what makes a not-ready endpoint stop getting connections.
      route.protocol = p.protocol;
      route.targets = externalTargets(p, this.o.nodeName);
      route.affinityMs = p.affinitySeconds * 1000;
      if (route.affinityMs === 0) route.sticky.clear();
      const addrs: Address[] = [];
      if (p.nodePort) addrs.push({ protocol: p.protocol, ip: this.o.nodeIp, port: p.nodePort, owner: key });
      for (const ip of [...p.loadBalancerIPs, ...p.externalIPs]) {
        if (isLocalAddress(ip, local)) addrs.push({ protocol: p.protocol, ip, port: p.port, owner: key });
      }
      this.setAddresses(key, addrs);
      this.dropStaleFlows(key, route);
    }
    await this.bindMissing();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.sweepTimer);
    for (const l of this.listeners.values()) l.close();
    this.listeners.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Listener ids bound now (for tests). */
  get bound(): string[] {
    return [...this.listeners.keys()];
  }

  private setAddresses(owner: string, addrs: readonly Address[]): void {
    const ids = new Set(addrs.map(addrId));
    for (const [id, a] of this.wanted) {
      if (a.owner !== owner || ids.has(id)) continue;
      this.wanted.delete(id);
      this.failed.delete(id);
      this.listeners.get(id)?.close();
      this.listeners.delete(id);
      this.o.log(`closed ${id} (${owner})`);
    }
    for (const a of addrs) {
      const id = addrId(a);
      const cur = this.wanted.get(id);
      if (cur && cur.owner !== owner) {
        this.o.log(`conflict: ${id} is wanted by ${cur.owner} and ${owner}; ${cur.owner} has it`);
        continue;
      }
      this.wanted.set(id, a);
    }
  }

  private async bindMissing(): Promise<void> {
    const todo = [...this.wanted].filter(([id]) => !this.listeners.has(id));
    await Promise.all(
      todo.map(async ([id, a]) => {
        try {
          const l = a.protocol === 'UDP' ? await this.listenUdp(a) : await this.listenTcp(a);
          // The address may have been given up while we bound it.
          if (this.closed || this.wanted.get(id) !== a) {
            l.close();
            return;
          }
          this.listeners.set(id, l);
          if (this.failed.delete(id)) this.o.log(`listening on ${id} (${a.owner}) after all`);
          else this.o.log(`listening on ${id} (${a.owner})`);
        } catch (err) {
          const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
          if (this.failed.get(id) !== why) this.o.log(`cannot listen on ${id} (${a.owner}): ${why}; retrying every ${this.o.bindRetryMs / 1000}s`);
          this.failed.set(id, why);
        }
      }),
    );
    if (this.failed.size > 0 && !this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.bindMissing();
      }, this.o.bindRetryMs);
      this.retryTimer.unref();
    }
  }

  // ---- TCP ----

  private listenTcp(a: Address): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (sock) => this.onConnection(a.owner, sock));
      server.once('error', reject);
      server.listen({ host: a.ip, port: a.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.o.log(`${addrId(a)}: ${err.message}`));
        resolve({ close: () => server.close() });
      });
    });
  }

  private onConnection(owner: string, client: Socket): void {
    this.track(client);
    client.on('error', () => undefined);
    const route = this.routes.get(owner);
    const ip = clientIp(client.remoteAddress);
    const order = route ? this.candidates(route, ip) : [];
    const attempt = (i: number): void => {
      if (i >= order.length || client.destroyed || this.closed) {
        client.destroy();
        return;
      }
      const ep = order[i]!;
      const up = connect({ host: ep.ip, port: ep.port, allowHalfOpen: true });
      this.track(up);
      let settled = false;
      const fail = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        up.destroy();
        attempt(i + 1);
      };
      const timer = setTimeout(fail, this.o.connectTimeoutMs);
      up.once('error', fail);
      up.once('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        up.off('error', fail);
        if (route && route.affinityMs > 0) route.sticky.set(ip, { ep: epKey(ep), until: Date.now() + route.affinityMs });
        splice(client, up);
      });
    };
    attempt(0);
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  /** Endpoints to try in order: the client's sticky one first, then the rest at random. */
  private candidates(route: Route, ip: string): Endpoint[] {
    const eps = shuffle([...route.targets]);
    if (route.affinityMs <= 0) return eps;
    const now = Date.now();
    if (route.sticky.size > 10_000) for (const [k, v] of route.sticky) if (v.until <= now) route.sticky.delete(k);
    const s = route.sticky.get(ip);
    if (!s || s.until <= now) return eps;
    const i = eps.findIndex((e) => epKey(e) === s.ep);
    if (i > 0) eps.unshift(...eps.splice(i, 1));
    return eps;
  }

  // ---- UDP ----

  private listenUdp(a: Address): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: 'udp4' });
      const flows = new Map<string, Flow>();
      sock.once('error', reject);
      sock.bind({ address: a.ip, port: a.port, exclusive: true }, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.o.log(`${addrId(a)}: ${err.message}`));
        sock.on('message', (msg, rinfo) => this.onDatagram(a.owner, sock, flows, msg, rinfo));
        this.startSweep();
        resolve({
          flows,
          close: () => {
            for (const f of flows.values()) closeUdp(f.upstream);
            flows.clear();
            closeUdp(sock);
          },
        });
      });
    });
  }

  private onDatagram(owner: string, sock: UdpSocket, flows: Map<string, Flow>, msg: Buffer, rinfo: RemoteInfo): void {
    const route = this.routes.get(owner);
    if (!route) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const ep = this.candidates(route, rinfo.address)[0];
      if (!ep) return; // no endpoint: dropped, as the kernel drops what nothing listens for
      const upstream = createSocket({ type: 'udp4' });
      const f: Flow = { ep: epKey(ep), upstream, last: Date.now(), connected: false, queue: [] };
      flow = f;
      flows.set(key, f);
      const end = (): void => {
        if (flows.get(key) === f) flows.delete(key);
        closeUdp(upstream);
      };
      // An ICMP refusal arrives as an error on the connected socket: forget the flow.
      upstream.on('error', end);
      upstream.on('message', (m) => {
        f.last = Date.now();
        sock.send(m, rinfo.port, rinfo.address, (err) => {
          if (err) end();
        });
      });
      upstream.connect(ep.port, ep.ip, () => {
        f.connected = true;
        for (const m of f.queue) upstream.send(m);
        f.queue = [];
      });
      if (route.affinityMs > 0) route.sticky.set(rinfo.address, { ep: f.ep, until: Date.now() + route.affinityMs });
    }
    flow.last = Date.now();
    if (flow.connected) flow.upstream.send(msg);
    else flow.queue.push(msg);
  }

  /** Flows of `owner`'s UDP listeners whose endpoint is no longer a target. */
  private dropStaleFlows(owner: string, route: Route): void {
    const eps = new Set(route.targets.map(epKey));
    for (const [id, a] of this.wanted) {
      if (a.owner !== owner) continue;
      const flows = this.listeners.get(id)?.flows;
      if (!flows) continue;
      for (const [k, f] of flows) {
        if (eps.has(f.ep)) continue;
        flows.delete(k);
        closeUdp(f.upstream);
      }
    }
  }

  private startSweep(): void {
    if (this.sweepTimer) return;
    this.sweepTimer = setInterval(() => {
      const cutoff = Date.now() - this.o.udpIdleTimeoutMs;
      for (const l of this.listeners.values()) {
        for (const [k, f] of l.flows ?? []) {
          if (f.last > cutoff) continue;
          l.flows!.delete(k);
          closeUdp(f.upstream);
        }
      }
    }, Math.max(100, Math.min(5_000, this.o.udpIdleTimeoutMs / 2)));
    this.sweepTimer.unref();
  }
}

/** Both ways, half-closes passed on; either side failing or closing ends the other. */
function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.once('close', end);
  b.once('close', end);
  a.resume();
}

function closeUdp(s: UdpSocket): void {
  try {
    s.close();
  } catch {
    // closed already (an error ended it first)
  }
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
