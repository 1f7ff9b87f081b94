// The cluster DNS server: what CoreDNS with the default kubeadm Corefile is to a cluster
// (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough in-addr.arpa
// ip6.arpa; ttl 5 }` then `forward . /etc/resolv.conf`), in process. It serves UDP and TCP on
// each listen address; TCP carries length-prefixed messages, several per connection, answered as
// they complete.
//
// The cluster side comes from informers (cluster_watch.ts → ClusterIndex) and is answered from
// memory by the resolver (resolver.ts); everything else goes to the upstream (forwarder.ts).
// Queries that cannot be read get FORMERR (when they carry an id) and the server carries on.
//
// startClusterDns waits for the informers (up to syncTimeoutMs, as CoreDNS waits 5 s) and then
// serves; until they have synced, cluster names that would be NXDOMAIN are SERVFAIL.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { SharedInformerFactory } from '../client/informer.js';
import type { ClientSource } from '../client/resource_client.js';
import { ClusterIndex } from './cluster_index.js';
import { watchCluster } from './cluster_watch.js';
import { dnsDefaults, type PodMode } from './defaults.js';
import { Forwarder, type Upstream } from './forwarder.js';
import { decodeMessage, fit, lookupQuery, parseQuery, reply, replyLimit, sameQuestion, type Query } from './message.js';
import { canonicalIp, ipFamily, withoutDot } from './names.js';
import { readResolvConf } from './resolv_conf.js';
import { ClusterResolver, type ExternalLookup } from './resolver.js';

export interface ListenAddress {
  host: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  port: number;
}

export interface ClusterDnsOptions {
  client: ClientSource;
  /** UDP and TCP are served on each. */
  listen: ListenAddress[];
  /** Default cluster.local. */
  domain?: string;
  /** Default: the nameservers of /etc/resolv.conf on port 53; [] turns forwarding off (SERVFAIL). */
  upstream?: Upstream[];
  /** Of every cluster record; default 5 s. */
  ttl?: number;
  /** Default: one line to stderr. */
  log?: (msg: string) => void;
  /** Pod records (`a-b-c-d.<ns>.pod.<domain>`): default insecure, as kubeadm's Corefile. */
  pods?: PodMode;
  /** Share the caller's informers (started here if not yet; the caller stops them); default: our own. */
  informers?: SharedInformerFactory;
  /** How long start waits for the informers before serving anyway; default 5 s. */
  syncTimeoutMs?: number;
  upstreamAttemptMs?: number;
  upstreamDeadlineMs?: number;
}

export interface ClusterDns {
  /** The bound addresses, in the order of `listen`; UDP and TCP share each port. */
  readonly ports: ReadonlyArray<{ host: string; port: number }>;
  readonly domain: string;
  /** The upstream in use (after dropping any that is this server itself). */
  readonly upstream: readonly Upstream[];
  hasSynced(): boolean;
  /** Closes the sockets, ends TCP connections and pending forwards, and stops our informers. */
  stop(): Promise<void>;
}

interface Listener {
  host: string;
  port: number;
  udp: UdpSocket;
  tcp: Server;
}

/** Binds UDP and TCP on one port (trying again when port 0 gave UDP a port TCP cannot have). */
async function bindPair(l: ListenAddress, onUdp: (sock: UdpSocket) => void, onTcp: (sock: Socket) => void): Promise<Listener> {
  const type = ipFamily(l.host) === 6 ? 'udp6' : 'udp4';
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(type);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(l.port, l.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const tcp = createServer(onTcp);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, l.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (l.port === 0 && attempt < 10) continue;
      throw err;
    }
    onUdp(udp);
    return { host: l.host, port, udp, tcp };
  }
}

export async function startClusterDns(options: ClusterDnsOptions): Promise<ClusterDns> {
  const log = options.log ?? ((msg: string) => process.stderr.write(`dns: ${msg}\n`));
  const domain = withoutDot(options.domain ?? dnsDefaults.domain).toLowerCase();
  const ttl = options.ttl ?? dnsDefaults.ttl;
  const minUdp = dnsDefaults.minUdpSize;
  let upstream: Upstream[];
  if (options.upstream) upstream = [...options.upstream];
  else {
    const rc = readResolvConf(dnsDefaults.resolvConf, dnsDefaults.upstreamPort);
    if (rc.error) log(`no upstream resolvers: ${rc.error}`);
    upstream = rc.upstream;
  }

  // ---- the cluster view ----
  const index = new ClusterIndex();
  const ownFactory = !options.informers;
  const factory = options.informers ?? new SharedInformerFactory(options.client, { onError: (err) => log(`informer: ${err.message}`) });
  const watch = watchCluster({ factory, index, podMode: options.pods ?? dnsDefaults.podMode });
  factory.start();
  const syncAbort = AbortSignal.timeout(options.syncTimeoutMs ?? dnsDefaults.syncTimeoutMs);
  if (!(await watch.waitForSync(syncAbort))) log('informers not synced yet: serving; cluster name errors answer SERVFAIL until they are');

  // ---- the wire ----
  let stopped = false;
  const listeners: Listener[] = [];
  const connections = new Set<Socket>();
  // Replaced once the listeners are bound (the upstream list then drops this server itself);
  // until then an outside name is SERVFAIL.
  let forwarder = new Forwarder({ upstream: [], attemptMs: 0, deadlineMs: 0 });

  const lastLogged = new Map<string, number>();
  /** Per-query failures, at most once a second per kind, so a dead upstream does not flood the log. */
  const logThrottled = (kind: string, msg: string): void => {
    const now = Date.now();
    if ((lastLogged.get(kind) ?? 0) + 1000 > now) return;
    lastLogged.set(kind, now);
    log(msg);
  };

  const lookup: ExternalLookup = async (name, type) => {
    if (forwarder.upstream.length === 0) return { answers: [], truncated: false };
    try {
      const answer = decodeMessage(await forwarder.exchange(lookupQuery(name, type), { tcp: false }));
      return { answers: answer.answers ?? [], truncated: answer.flag_tc };
    } catch (err) {
      logThrottled('lookup', `resolving ${name} ${type}: ${err instanceof Error ? err.message : String(err)}`);
      return { answers: [], truncated: false };
    }
  };

  // The zone's NS when there is no nameserver Service: our concrete listen addresses (filled
  // in once bound), as CoreDNS falls back to its own addresses.
  const localIps: string[] = [];
  const resolver = new ClusterResolver({
    index,
    domain,
    ttl,
    podMode: options.pods ?? dnsDefaults.podMode,
    hasSynced: () => watch.hasSynced(),
    lookup,
    localIps,
    nameserverService: dnsDefaults.nameserverService,
  });

  const forward = async (q: Query, raw: Buffer, transport: 'udp' | 'tcp', limit: number): Promise<Buffer> => {
    if (forwarder.upstream.length === 0) return reply(q, { rcode: 'SERVFAIL' }, limit);
    let answer: Buffer;
    try {
      answer = await forwarder.exchange(raw, { tcp: transport === 'tcp' });
    } catch (err) {
      logThrottled('forward', `forwarding ${q.question.name} ${q.question.type}: ${err instanceof Error ? err.message : String(err)}`);
      return reply(q, { rcode: 'SERVFAIL' }, limit);
    }
    try {
      const decoded = decodeMessage(answer);
      // An answer to another question is not passed on (the forward plugin answers FORMERR).
      if (!sameQuestion(decoded, q)) return reply(q, { rcode: 'FORMERR' }, limit);
      if (answer.length <= limit) return answer;
      return fit(decoded, limit);
    } catch (err) {
      logThrottled('forward-decode', `upstream answer for ${q.question.name} unreadable: ${err instanceof Error ? err.message : String(err)}`);
      return reply(q, { rcode: 'SERVFAIL' }, limit);
    }
  };

  const handle = async (raw: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> => {
    const parsed = parseQuery(raw);
    if (parsed.kind === 'drop') return undefined;
    if (parsed.kind === 'reply') return parsed.reply;
    const q = parsed.query;
    const limit = replyLimit(q, transport, minUdp);
    try {
      const res = await resolver.resolve(withoutDot(q.question.name), q.question.type);
      switch (res.kind) {
        case 'answer':
          return reply(
            q,
            { rcode: res.rcode, authoritative: true, truncated: res.truncated, answers: res.answers, authorities: res.authorities, additionals: res.additionals },
            limit,
          );
        case 'refused':
          return reply(q, { rcode: 'REFUSED' }, limit);
        case 'forward':
          return await forward(q, raw, transport, limit);
      }
    } catch (err) {
      logThrottled('resolve', `answering ${q.question.name} ${q.question.type}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      return reply(q, { rcode: 'SERVFAIL' }, limit);
    }
  };

  const onUdp = (sock: UdpSocket): void => {
    sock.on('message', (msg, rinfo) => {
      handle(msg, 'udp').then(
        (out) => {
          if (!out || stopped) return;
          sock.send(out, rinfo.port, rinfo.address, (err) => {
            if (err && !stopped) logThrottled('udp-send', `udp send to ${rinfo.address}:${rinfo.port}: ${err.message}`);
          });
        },
        (err: unknown) => logThrottled('udp', `udp: ${err instanceof Error ? err.message : String(err)}`),
      );
    });
    sock.on('error', (err) => log(`udp socket: ${err.message}`));
  };

  const onTcp = (sock: Socket): void => {
    if (stopped) {
      sock.destroy();
      return;
    }
    connections.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(dnsDefaults.tcpIdleMs, () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        handle(msg, 'tcp').then(
          (out) => {
            if (!out || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length, 0);
            sock.write(Buffer.concat([len, out]));
          },
          (err: unknown) => logThrottled('tcp', `tcp: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => connections.delete(sock));
  };

  try {
    for (const l of options.listen) listeners.push(await bindPair(l, onUdp, onTcp));
  } catch (err) {
    stopped = true;
    await closeAll(listeners, connections);
    watch.dispose();
    if (ownFactory) await factory.stop();
    throw err;
  }

  for (const l of listeners) {
    const ip = canonicalIp(l.host);
    if (ip && ip !== '0.0.0.0' && ip !== '::' && !localIps.includes(ip)) localIps.push(ip);
  }

  // Never forward to ourselves: a resolv.conf naming this server would loop every query.
  const self = new Set(listeners.map((l) => `${canonicalIp(l.host) ?? l.host}|${l.port}`));
  const wildcardPorts = new Set(listeners.filter((l) => l.host === '0.0.0.0' || l.host === '::').map((l) => l.port));
  const usable = upstream.filter((u) => {
    const host = canonicalIp(u.host) ?? u.host;
    const loops = self.has(`${host}|${u.port}`) || (wildcardPorts.has(u.port) && (host.startsWith('127.') || host === '::1'));
    if (loops) log(`upstream ${u.host}:${u.port} is this server; not forwarding to it`);
    return !loops;
  });
  forwarder = new Forwarder({
    upstream: usable,
    attemptMs: options.upstreamAttemptMs ?? dnsDefaults.upstreamAttemptMs,
    deadlineMs: options.upstreamDeadlineMs ?? dnsDefaults.upstreamDeadlineMs,
  });

  let stopping: Promise<void> | undefined;
  return {
    ports: listeners.map((l) => ({ host: l.host, port: l.port })),
    domain,
    upstream: usable,
    hasSynced: () => watch.hasSynced(),
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        await closeAll(listeners, connections);
        await forwarder.close();
        watch.dispose();
        if (ownFactory) await factory.stop();
      })();
      return stopping;
    },
  };
}

async function closeAll(listeners: readonly Listener[], connections: Set<Socket>): Promise<void> {
  for (const c of connections) c.destroy();
  connections.clear();
  await Promise.all(
    listeners.flatMap((l) => [
      new Promise<void>((resolve) => l.udp.close(() => resolve())),
      new Promise<void>((resolve) => l.tcp.close(() => resolve())),
    ]),
  );
}
