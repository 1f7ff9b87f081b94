// SpdySession against a small SPDY/3.1 client written here with node:zlib (a real compressor
// primed with the dictionary, sync-flushed per block, as Go's framer does), and servePortForward
// over a hand-made `Upgrade: SPDY/3.1` request: several forwarded connections on one session,
// one of them failing to dial, without the session going down.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { servePortForward } from './port_forward.js';
import { SPDY3_DICTIONARY, SpdySession, decodeHeaderBlock, encodeHeaderBlock, type SpdyStream } from './spdy.js';

interface Frame {
  control: boolean;
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  headers?: Record<string, string>;
}

/** Just enough of a SPDY client to drive the server side. */
class TestClient {
  readonly frames: Frame[] = [];
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private readonly inflate = zlib.createInflate();
  private input = Buffer.alloc(0);
  private nextId = 1;
  private waiters: Array<() => void> = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly socket: Duplex) {
    socket.on('data', (c: Buffer) => {
      this.input = Buffer.concat([this.input, c]);
      this.chain = this.chain.then(() => this.parse());
    });
    socket.on('close', () => this.wake());
  }

  async open(headers: Record<string, string>, fin = false): Promise<number> {
    const id = this.nextId;
    this.nextId += 2;
    const block = await zlibBlock(this.deflate, encodeHeaderBlock(headers));
    const payload = Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), block]);
    this.socket.write(control(1, fin ? 1 : 0, payload));
    return id;
  }

  data(id: number, data: Buffer, fin = false): void {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id, 0);
    head[4] = fin ? 1 : 0;
    head.writeUIntBE(data.length, 5, 3);
    this.socket.write(Buffer.concat([head, data]));
  }

  ping(id: number): void {
    this.socket.write(control(6, 0, u32(id)));
  }

  reset(id: number): void {
    this.socket.write(control(3, 0, Buffer.concat([u32(id), u32(5)])));
  }

  /** Waits for a frame matching `pred` (searching every frame received so far). */
  async waitFor(pred: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (this.socket.destroyed) throw new Error('connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Everything received on stream `id` up to its FIN. */
  async readAll(id: number): Promise<string> {
    await this.waitFor((f) => !f.control && f.streamId === id && (f.flags & 1) === 1);
    return Buffer.concat(this.frames.filter((f) => !f.control && f.streamId === id).map((f) => f.payload)).toString();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async parse(): Promise<void> {
    while (this.input.length >= 8) {
      const len = this.input.readUIntBE(5, 3);
      if (this.input.length < 8 + len) break;
      const raw = this.input.subarray(0, 8 + len);
      this.input = this.input.subarray(8 + len);
      const controlBit = ((raw[0] ?? 0) & 0x80) !== 0;
      const payload = raw.subarray(8);
      const frame: Frame = {
        control: controlBit,
        type: controlBit ? raw.readUInt16BE(2) : 0,
        flags: raw[4] ?? 0,
        streamId: controlBit ? (payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0) : raw.readUInt32BE(0),
        payload,
      };
      if (controlBit && (frame.type === 2 || frame.type === 8)) {
        const headers = decodeHeaderBlock(await zlibBlock(this.inflate, payload.subarray(4)));
        assert.ok(!(headers instanceof Error), 'reply header block decodes');
        frame.headers = headers;
      }
      this.frames.push(frame);
    }
    this.wake();
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function zlibBlock(z: zlib.Deflate | zlib.Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer): void => { out.push(c); };
    z.on('data', onData);
    z.write(input);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      resolve(Buffer.concat(out));
    });
  });
}

async function socketPair(): Promise<{ server: net.Socket; client: net.Socket; close: () => void }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [server] = await accepted;
  listener.close();
  return { server, client, close: () => { client.destroy(); server.destroy(); } };
}

test('streams: reply, data both ways, FIN, PING, RST and GOAWAY', async () => {
  const { server, client, close } = await socketPair();
  const opened: SpdyStream[] = [];
  const session = new SpdySession(server, {
    onStream: (s) => {
      opened.push(s);
      // An echo server that upper-cases and ends when the client does.
      s.on('data', (c: Buffer) => s.write(c.toString().toUpperCase()));
      s.on('end', () => s.end('!'));
    },
  });
  const c = new TestClient(client);

  const a = await c.open({ streamtype: 'data', port: '80', requestid: '0' });
  const reply = await c.waitFor((f) => f.control && f.type === 2 && f.streamId === a);
  assert.deepEqual(reply.headers, {});
  // A second stream's header block continues the same compression context.
  const b = await c.open({ streamtype: 'error', port: '80', requestid: '0' });
  await c.waitFor((f) => f.control && f.type === 2 && f.streamId === b);
  assert.deepEqual(opened.map((s) => [s.id, s.headers]), [
    [a, { streamtype: 'data', port: '80', requestid: '0' }],
    [b, { streamtype: 'error', port: '80', requestid: '0' }],
  ]);

  c.data(a, Buffer.from('hello '));
  c.data(a, Buffer.from('world'), true);
  assert.equal(await c.readAll(a), 'HELLO WORLD!');

  c.ping(7);
  await c.waitFor((f) => f.control && f.type === 6 && f.payload.readUInt32BE(0) === 7);

  c.reset(b);
  await new Promise<void>((resolve) => { if (opened[1]?.destroyed) resolve(); else opened[1]?.once('close', () => resolve()); });
  assert.equal(session.streamCount, 0);

  session.goAway();
  await c.waitFor((f) => f.control && f.type === 7);
  await session.closed;
  close();
});

test('a large body survives frame splitting in both directions', async () => {
  const { server, client, close } = await socketPair();
  const session = new SpdySession(server, {
    maxDataFrameBytes: 1000,
    onStream: (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => s.end(Buffer.concat(chunks)));
    },
  });
  const c = new TestClient(client);
  const id = await c.open({ streamtype: 'data', port: '1' });
  const body = Buffer.alloc(300_000, 'abcdefghij');
  for (let at = 0; at < body.length; at += 20_000) c.data(id, body.subarray(at, at + 20_000));
  c.data(id, Buffer.alloc(0), true);
  assert.equal((await c.readAll(id)).length, body.length);
  session.destroy();
  await session.closed;
  close();
});

test('port-forward: a failed dial is reported and later connections still work', async () => {
  const target = net.createServer((s) => { s.end('pong'); });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  const goodPort = (target.address() as AddressInfo).port;
  const handles: Array<{ closed: Promise<void> }> = [];
  const api = http.createServer();
  api.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    handles.push(servePortForward({ req, socket, head }, {
      podName: 'p', podUid: 'u',
      dial: (port) => new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      }),
    }));
  });
  api.listen(0, '127.0.0.1');
  await once(api, 'listening');

  const sock = net.connect((api.address() as AddressInfo).port, '127.0.0.1');
  sock.write('POST /pf HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n');
  // Read the 101 head, then hand the socket to the SPDY client.
  let head = Buffer.alloc(0);
  while (!head.includes('\r\n\r\n')) head = Buffer.concat([head, (await once(sock, 'data'))[0] as Buffer]);
  const end = head.indexOf('\r\n\r\n') + 4;
  assert.match(head.subarray(0, end).toString(), /^HTTP\/1\.1 101 [^]*X-Stream-Protocol-Version: portforward\.k8s\.io/);
  sock.pause();
  const c = new TestClient(sock);
  if (head.length > end) sock.unshift(head.subarray(end));
  sock.resume();

  const bad = await freePort();
  const e1 = await c.open({ streamtype: 'error', port: String(bad), requestid: '0' });
  const d1 = await c.open({ streamtype: 'data', port: String(bad), requestid: '0' });
  assert.match(await c.readAll(e1), new RegExp(`^error forwarding port ${bad} to pod p, uid u: connect ECONNREFUSED`));

  const e2 = await c.open({ streamtype: 'error', port: String(goodPort), requestid: '1' });
  const d2 = await c.open({ streamtype: 'data', port: String(goodPort), requestid: '1' });
  assert.equal(await c.readAll(d2), 'pong');
  assert.equal(await c.readAll(e2), '');
  // Data-stream FIN on the failed pair came too.
  await c.waitFor((f) => !f.control && f.streamId === d1 && (f.flags & 1) === 1);

  // A stream without a port is refused with RST_STREAM.
  const refused = await c.open({ streamtype: 'data', requestid: '2' });
  await c.waitFor((f) => f.control && f.type === 3 && f.streamId === refused);

  sock.destroy();
  await Promise.all(handles.map((h) => h.closed));
  api.close();
  target.close();
});

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
