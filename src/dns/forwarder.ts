// Forwarding to upstream resolvers, as CoreDNS's forward plugin does for names outside the cluster
// zones: the client's query bytes go out unchanged but for a fresh random id, over UDP (TCP when
// the client came over TCP, or when the UDP answer is truncated); upstreams are tried from a
// random one onwards until one answers or the deadline (5 s) passes. The caller gets the raw
// answer with the client's id restored and decides what the client sees (SERVFAIL on failure).
//
// One UDP socket per address family serves all forwarded queries; answers are matched by id
// and by the address they came from (an answer from elsewhere is ignored, not trusted).
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { isTruncated } from './message.js';
import { canonicalIp, ipFamily } from './names.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwarderOptions {
  upstream: readonly Upstream[];
  /** One attempt (UDP, or TCP after truncation). */
  attemptMs: number;
  /** All attempts of one query. */
  deadlineMs: number;
}

interface Pending {
  host: string;
  port: number;
  done(answer: Buffer): void;
  fail(err: Error): void;
}

/** A UDP socket with the queries waiting on it, by id. */
interface UdpChannel {
  socket: UdpSocket;
  pending: Map<number, Pending>;
}

export class ForwardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardError';
  }
}

export class Forwarder {
  private readonly channels = new Map<4 | 6, UdpChannel>();
  private readonly tcpSockets = new Set<Socket>();
  private closed = false;

  constructor(private readonly o: ForwarderOptions) {}

  get upstream(): readonly Upstream[] {
    return this.o.upstream;
  }

  /** The upstream's answer to `query` (with `query`'s id); rejects with a ForwardError when none answered. */
  async exchange(query: Buffer, opts: { tcp: boolean }): Promise<Buffer> {
    const list = this.o.upstream;
    if (list.length === 0) throw new ForwardError('no upstream resolvers');
    const deadline = Date.now() + this.o.deadlineMs;
    const start = list.length > 1 ? randomInt(list.length) : 0;
    const errors: string[] = [];
    for (let i = 0; Date.now() < deadline && i < 2 * list.length; i++) {
      if (this.closed) throw new ForwardError('forwarder closed');
      const u = list[(start + i) % list.length]!;
      const budget = () => Math.max(1, Math.min(this.o.attemptMs, deadline - Date.now()));
      try {
        if (opts.tcp) return await this.tcp(u, query, budget());
        const answer = await this.udp(u, query, budget());
        if (!isTruncated(answer)) return answer;
        return await this.tcp(u, query, budget());
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    throw new ForwardError(errors.join('; ') || 'upstream deadline passed');
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const ch of this.channels.values()) {
      for (const p of ch.pending.values()) p.fail(new ForwardError('forwarder closed'));
      ch.pending.clear();
      closing.push(new Promise((resolve) => ch.socket.close(() => resolve())));
    }
    this.channels.clear();
    for (const s of this.tcpSockets) s.destroy();
    this.tcpSockets.clear();
    await Promise.all(closing);
  }

  private channel(family: 4 | 6): UdpChannel {
    let ch = this.channels.get(family);
    if (ch) return ch;
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const pending = new Map<number, Pending>();
    ch = { socket, pending };
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 12 || (msg[2]! & 0x80) === 0) return;
      const p = pending.get(msg.readUInt16BE(0));
      if (!p || p.port !== rinfo.port || p.host !== (canonicalIp(rinfo.address) ?? rinfo.address)) return;
      p.done(msg);
    });
    // A send error also fails that send's callback; socket-level errors only end this channel.
    socket.on('error', () => {
      for (const p of pending.values()) p.fail(new ForwardError('upstream socket failed'));
      pending.clear();
      if (this.channels.get(family) === ch) this.channels.delete(family);
      socket.close();
    });
    this.channels.set(family, ch);
    return ch;
  }

  private udp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
    const family = ipFamily(u.host) === 6 ? 6 : 4;
    const ch = this.channel(family);
    if (ch.pending.size >= 60_000) return Promise.reject(new ForwardError('too many queries in flight'));
    let id = randomInt(65_536);
    while (ch.pending.has(id)) id = randomInt(65_536);
    const out = Buffer.from(query);
    const clientId = query.readUInt16BE(0);
    out.writeUInt16BE(id, 0);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new ForwardError(`${u.host}:${u.port}: no answer in ${timeoutMs} ms`))), timeoutMs);
      const finish = (fn: () => void): void => {
        if (ch.pending.get(id) !== entry) return;
        ch.pending.delete(id);
        clearTimeout(timer);
        fn();
      };
      const entry: Pending = {
        host: canonicalIp(u.host) ?? u.host,
        port: u.port,
        done: (answer) =>
          finish(() => {
            const copy = Buffer.from(answer);
            copy.writeUInt16BE(clientId, 0);
            resolve(copy);
          }),
        fail: (err) => finish(() => reject(err)),
      };
      ch.pending.set(id, entry);
      ch.socket.send(out, u.port, u.host, (err) => {
        if (err) entry.fail(new ForwardError(`${u.host}:${u.port}: ${err.message}`));
      });
    });
  }

  private tcp(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const socket = connect({ host: u.host, port: u.port });
      this.tcpSockets.add(socket);
      let buf: Buffer = Buffer.alloc(0);
      let settled = false;
      const finish = (err: Error | undefined, answer?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.tcpSockets.delete(socket);
        socket.destroy();
        if (err) reject(err);
        else resolve(answer!);
      };
      const timer = setTimeout(() => finish(new ForwardError(`${u.host}:${u.port} (tcp): no answer in ${timeoutMs} ms`)), timeoutMs);
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length, 0);
        socket.write(Buffer.concat([len, query]));
      });
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        if (buf.length < 2) return;
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) return;
        finish(undefined, Buffer.from(buf.subarray(2, 2 + n)));
      });
      socket.on('error', (err) => finish(new ForwardError(`${u.host}:${u.port} (tcp): ${err.message}`)));
      socket.on('close', () => finish(new ForwardError(`${u.host}:${u.port} (tcp): closed before an answer`)));
    });
  }
}
