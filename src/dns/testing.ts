// Test helpers for the cluster DNS: a small dns-packet client (UDP and TCP, loopback) and a fake
// upstream resolver, so tests never reach a real resolver.
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { RECURSION_DESIRED, TRUNCATED_RESPONSE, decode, encode, type Answer, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The rcode name of a decoded message (header bits only). */
export function rcodeOf(p: DecodedPacket): string {
  const code = (p.flags ?? 0) & 0xf;
  return RCODES[code] ?? `RCODE${code}`;
}

/** A record's TTL (OPT pseudo-records have none). */
export function ttlOf(a: Answer | undefined): number | undefined {
  return a && a.type !== 'OPT' ? a.ttl : undefined;
}

export interface QueryOptions {
  host?: string;
  id?: number;
  /** Adds an OPT record with this UDP size. */
  edns?: number;
  /** RD bit (default set). */
  rd?: boolean;
  timeoutMs?: number;
}

/** The query message for one question. */
export function queryMessage(name: string, type: RecordType, opts: QueryOptions = {}): Buffer {
  const p: Packet = {
    type: 'query',
    id: opts.id ?? Math.floor(Math.random() * 65_536),
    flags: opts.rd === false ? 0 : RECURSION_DESIRED,
    questions: [{ name, type }],
  };
  if (opts.edns) p.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  return encode(p);
}

/** Sends raw bytes over UDP and resolves with the raw answer (rejects after timeoutMs). */
export function exchangeUdp(port: number, msg: Buffer, opts: { host?: string; timeoutMs?: number } = {}): Promise<Buffer> {
  const host = opts.host ?? '127.0.0.1';
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer from ${host}:${port} in ${opts.timeoutMs ?? 3000} ms`));
    }, opts.timeoutMs ?? 3000);
    sock.once('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(m);
    });
    sock.send(msg, port, host, (err) => {
      if (!err) return;
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
  });
}

export async function queryUdp(port: number, name: string, type: RecordType, opts: QueryOptions = {}): Promise<DecodedPacket> {
  return decode(await exchangeUdp(port, queryMessage(name, type, opts), opts));
}

/** One TCP connection carrying several length-prefixed messages. */
export class TcpSession {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(m: Buffer) => void> = [];
  private readonly ready: Buffer[] = [];
  private readonly sock: Socket;

  constructor(port: number, host = '127.0.0.1') {
    this.sock = connect({ port, host });
    this.sock.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 2) {
        const n = this.buf.readUInt16BE(0);
        if (this.buf.length < 2 + n) break;
        const m = Buffer.from(this.buf.subarray(2, 2 + n));
        this.buf = this.buf.subarray(2 + n);
        const w = this.waiting.shift();
        if (w) w(m);
        else this.ready.push(m);
      }
    });
    this.sock.on('error', () => undefined);
  }

  /** Sends one message (framed). */
  send(msg: Buffer): void {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length, 0);
    this.sock.write(Buffer.concat([len, msg]));
  }

  /** The next message the server sends. */
  next(timeoutMs = 3000): Promise<Buffer> {
    const m = this.ready.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no TCP answer in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
    });
  }

  async query(name: string, type: RecordType, opts: QueryOptions = {}): Promise<DecodedPacket> {
    this.send(queryMessage(name, type, opts));
    return decode(await this.next(opts.timeoutMs));
  }

  close(): void {
    this.sock.destroy();
  }
}

export async function queryTcp(port: number, name: string, type: RecordType, opts: QueryOptions = {}): Promise<DecodedPacket> {
  const s = new TcpSession(port, opts.host);
  try {
    return await s.query(name, type, opts);
  } finally {
    s.close();
  }
}

export interface FakeUpstream {
  port: number;
  /** Every question received, with its transport. */
  readonly received: Array<{ name: string; type: string; transport: 'udp' | 'tcp'; id: number }>;
  close(): Promise<void>;
}

/**
 * A resolver on 127.0.0.1 (UDP and TCP on one port) answering with `answer(query, transport)`;
 * undefined means no answer at all (a timeout for the client). Over UDP, an answer larger than
 * 512 bytes is sent with TC and no records, as a real server would.
 */
export async function startFakeUpstream(answer: (q: DecodedPacket, transport: 'udp' | 'tcp') => Packet | undefined): Promise<FakeUpstream> {
  const received: FakeUpstream['received'] = [];
  const respond = (raw: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    const q = decode(raw);
    const question = q.questions?.[0];
    received.push({ name: question?.name ?? '', type: question?.type ?? '', transport, id: q.id ?? 0 });
    const a = answer(q, transport);
    if (!a) return undefined;
    const full: Packet = { ...a, type: 'response', id: q.id, questions: a.questions ?? q.questions };
    const out = encode(full);
    if (transport === 'udp' && out.length > 512) return encode({ ...full, flags: (full.flags ?? 0) | TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: [] });
    return out;
  };
  const conns = new Set<Socket>();
  const onTcp = (sock: Socket): void => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => undefined);
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const n = buf.readUInt16BE(0);
        const out = respond(buf.subarray(2, 2 + n), 'tcp');
        buf = buf.subarray(2 + n);
        if (!out) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length, 0);
        sock.write(Buffer.concat([len, out]));
      }
    });
  };
  // UDP on a free port, then TCP on the same one (again if another process holds it for TCP).
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    udp.on('message', (m, rinfo) => {
      const out = respond(m, 'udp');
      if (out) udp.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
    const port = udp.address().port;
    const tcp = createServer(onTcp);
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      await new Promise<void>((r) => udp.close(() => r()));
      if (attempt < 10) continue;
      throw new Error('no free port for the fake upstream');
    }
    return {
      port,
      received,
      close: async () => {
        for (const c of conns) c.destroy();
        await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
      },
    };
  }
}
