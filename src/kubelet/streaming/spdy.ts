// The server half of SPDY/3.1 as kubectl speaks it (Go's moby/spdystream): the multiplexing that
// `kubectl exec/attach/cp` (with websockets off) and `kubectl port-forward` (plain, or tunnelled
// inside binary WebSocket messages) run over. The transport is any byte Duplex, so one session
// class serves a raw upgraded socket and a `createWebSocketStream` alike.
//
// Why hand-written rather than the `spdy-transport` package (measured with kubectl 1.32): it
// refuses kubectl's streams ("Missing `:method` and/or `:path` header": it assumes HTTP over
// SPDY), and it enforces SPDY/3.1 flow control (a 64 KiB send window refilled only by
// WINDOW_UPDATE, which spdystream never sends). spdystream ignores windows in both directions,
// so we do too, and the framing left is small.
//
// Wire facts this follows (SPDY/3 draft, section 2):
// - Control frame: 0x80 0x03, type (u16), flags (u8), length (u24), payload.
//   Data frame: stream id (u31), flags (u8), length (u24), payload. FLAG_FIN = 0x01.
// - Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are one zlib stream per direction, primed with
//   the SPDY/3 dictionary below; each block ends with a sync flush. Decoded: u32 count, then per
//   pair u32 length + lowercase name, u32 length + value (several values NUL-separated).
// - We only need to answer streams the client opens (odd ids). Our SYN_REPLY carries no headers;
//   its block is written as zlib "stored" (uncompressed) deflate blocks, which any inflater
//   reads, so our side needs no compressor state or dictionary.
// - spdystream drops DATA for a stream it has not seen a SYN_REPLY for, so the reply goes out
//   before the stream is handed to the caller.
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { silentLogger, type StreamingLogger } from './upgrade.js';
import { streamingDefaults } from './defaults.js';

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 0x01;

/** RST_STREAM status codes we send. */
const RST_PROTOCOL_ERROR = 1;
const RST_REFUSED_STREAM = 3;
const RST_CANCEL = 5;

// The SPDY/3 header compression dictionary: length-prefixed header names and common values,
// then a run of raw text. Built once from its parts; zlib checks it by Adler-32.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location',
  'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified',
  'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via',
  'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url',
  'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function buildDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const w of DICTIONARY_WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(DICTIONARY_TAIL, 'latin1'));
  return Buffer.concat(parts);
}

export const SPDY3_DICTIONARY: Buffer = buildDictionary();

export type SpdyHeaders = Readonly<Record<string, string>>;

/** Encodes a header block (uncompressed form). Names are lowercased, as SPDY requires. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Decodes an uncompressed header block; an Error value when it is malformed. */
export function decodeHeaderBlock(block: Buffer): Record<string, string> | Error {
  if (block.length < 4) return new Error('header block too short');
  const count = block.readUInt32BE(0);
  const out: Record<string, string> = {};
  let at = 4;
  for (let i = 0; i < count; i++) {
    const name = readString(block, at);
    if (name instanceof Error) return name;
    at = name.next;
    const value = readString(block, at);
    if (value instanceof Error) return value;
    at = value.next;
    out[name.text.toLowerCase()] = value.text;
  }
  return out;
}

function readString(buf: Buffer, at: number): { text: string; next: number } | Error {
  if (at + 4 > buf.length) return new Error('header block truncated');
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) return new Error('header block truncated');
  return { text: buf.toString('utf8', at + 4, at + 4 + len), next: at + 4 + len };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/**
 * Wraps raw bytes as zlib stored blocks. The first block of the direction carries the 2-byte zlib
 * header (no preset dictionary: nothing we write refers to it). Each block set ends with an empty
 * stored block, the marker a sync flush writes: Go's inflater hands out what it has decoded only
 * when it reaches one, and would otherwise read past the frame and fail.
 */
function storedDeflate(data: Buffer, withZlibHeader: boolean): Buffer {
  const parts: Buffer[] = [];
  if (withZlibHeader) parts.push(Buffer.from([0x78, 0x01]));
  for (let at = 0; at < data.length; at += 0xffff) {
    const piece = data.subarray(at, at + 0xffff);
    const hdr = Buffer.alloc(5);
    hdr[0] = 0x00; // BFINAL=0, BTYPE=00 (stored), padded to the byte boundary
    hdr.writeUInt16LE(piece.length, 1);
    hdr.writeUInt16LE(~piece.length & 0xffff, 3);
    parts.push(hdr, piece);
  }
  parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
  return Buffer.concat(parts);
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function dataFrameHead(streamId: number, flags: number, length: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = flags;
  head.writeUIntBE(length, 5, 3);
  return head;
}

/** The inbound header decompressor: one zlib stream for the whole connection. */
class HeaderInflater {
  private readonly z = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private out: Buffer[] = [];
  private failure: Error | undefined;
  private waiting: ((r: Buffer | Error) => void) | undefined;

  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (err: Error) => {
      this.failure = err;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(err);
    });
  }

  /** Inflates one header block; blocks must be given in arrival order, one at a time. */
  inflate(block: Buffer): Promise<Buffer | Error> {
    if (this.failure) return Promise.resolve(this.failure);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.z.write(block);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (this.waiting !== resolve) return;
        this.waiting = undefined;
        const result = Buffer.concat(this.out);
        this.out = [];
        resolve(result);
      });
    });
  }

  close(): void {
    this.z.close();
  }
}

export interface SpdySessionOptions {
  /**
   * Called for each stream the client opens, after our SYN_REPLY is queued. Call
   * `stream.reset()` to refuse it. Stream headers are lowercase (`streamtype`, `port`, ...).
   */
  onStream: (stream: SpdyStream) => void;
  /** Bytes that arrived with the upgrade request, already past the HTTP head. */
  head?: Buffer;
  logger?: StreamingLogger;
  maxDataFrameBytes?: number;
}

/** One SPDY stream: readable = the client's DATA, writable = ours (end() sends FIN). */
export class SpdyStream extends Duplex {
  private remoteDone = false;
  private localDone = false;
  private wasReset = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** Aborts the stream (RST_STREAM CANCEL to the client). */
  reset(): void {
    this.destroy();
  }

  /** @internal DATA from the client. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteDone || this.destroyed) return;
    if (data.length > 0 && !this.push(data)) this.session.hold(this);
    if (fin) {
      this.remoteDone = true;
      this.push(null);
    }
  }

  /** @internal The client reset the stream. */
  remoteReset(): void {
    this.wasReset = true;
    this.destroy();
  }

  /** @internal The connection is gone. */
  lost(): void {
    this.wasReset = true;
    this.destroy();
  }

  override _read(): void {
    this.session.release(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.localDone = true;
    this.session.sendData(this.id, Buffer.alloc(0), true, cb);
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (!this.wasReset && !(this.localDone && this.remoteDone)) this.session.sendReset(this.id, RST_CANCEL);
    this.session.forget(this);
    cb(err);
  }
}

/**
 * A server-side SPDY/3.1 session over `transport`. It ends the transport after `goAway()` once
 * every stream is finished, and emits nothing: lifetime is the `closed` promise.
 */
export class SpdySession {
  readonly closed: Promise<void>;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderInflater();
  private readonly log: StreamingLogger;
  private readonly maxData: number;
  private input: Buffer = Buffer.alloc(0);
  private busy = false;
  private readonly holds = new Set<object>();
  private drainWaiters: Array<() => void> = [];
  private lastRemoteId = 0;
  private sentZlibHeader = false;
  private goingAway = false;
  private ended = false;
  private cleanedUp = false;
  private markClosed: () => void = () => {};

  constructor(
    private readonly transport: Duplex,
    private readonly options: SpdySessionOptions,
  ) {
    this.log = options.logger ?? silentLogger;
    this.maxData = options.maxDataFrameBytes ?? streamingDefaults.maxDataFrameBytes;
    this.closed = new Promise<void>((resolve) => { this.markClosed = resolve; });
    transport.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.on('drain', () => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    });
    transport.on('error', (err: Error) => {
      this.log.info({ err: err.message }, 'spdy transport error');
      this.teardown();
    });
    transport.on('end', () => this.teardown());
    transport.on('close', () => this.teardown());
    if (options.head && options.head.length > 0) this.onData(options.head);
  }

  /** Streams still open. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Graceful close: GOAWAY, FIN on every stream we have not ended, then the transport ends once
   * the client has finished or reset them all (kubectl resets its streams when it is done).
   */
  goAway(): void {
    if (this.goingAway || this.ended) return;
    this.goingAway = true;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(this.lastRemoteId, 0);
    payload.writeUInt32BE(0, 4);
    this.write(controlFrame(GOAWAY, 0, payload));
    for (const s of this.streams.values()) if (!s.writableEnded && !s.destroyed) s.end();
    this.maybeFinish();
  }

  /** Abrupt close: the transport is destroyed and every stream with it. */
  destroy(): void {
    this.transport.destroy();
    this.teardown();
  }

  /** @internal Backpressure: a stream's reader is full. */
  hold(key: object): void {
    if (this.holds.size === 0) this.transport.pause();
    this.holds.add(key);
  }

  /** @internal */
  release(key: object): void {
    if (!this.holds.delete(key)) return;
    if (this.holds.size === 0 && !this.ended) this.transport.resume();
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.release(stream);
    this.maybeFinish();
  }

  /** @internal */
  sendReset(id: number, status: number): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(id & 0x7fffffff, 0);
    payload.writeUInt32BE(status, 4);
    this.write(controlFrame(RST_STREAM, 0, payload));
  }

  /** @internal Writes DATA frames; `cb` runs when the transport can take more. */
  sendData(id: number, data: Buffer, fin: boolean, cb: (err?: Error | null) => void): void {
    if (this.ended) {
      // The connection is gone and the stream is being torn down: the bytes have nowhere to go.
      cb();
      return;
    }
    let ok = true;
    if (data.length === 0) {
      ok = this.write(dataFrameHead(id, fin ? FLAG_FIN : 0, 0));
    } else {
      for (let at = 0; at < data.length; at += this.maxData) {
        const piece = data.subarray(at, at + this.maxData);
        const last = at + this.maxData >= data.length;
        this.write(dataFrameHead(id, fin && last ? FLAG_FIN : 0, piece.length));
        ok = this.write(piece);
      }
    }
    if (ok) cb();
    else this.drainWaiters.push(() => cb());
  }

  private write(buf: Buffer): boolean {
    if (this.ended || !this.transport.writable) return true;
    return this.transport.write(buf);
  }

  private onData(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    this.pump();
  }

  /** Parses whole frames in order; waits (transport paused) while a header block inflates. */
  private pump(): void {
    while (!this.busy && !this.ended && this.input.length >= 8) {
      const length = this.input.readUIntBE(5, 3);
      if (this.input.length < 8 + length) return;
      const frame = this.input.subarray(0, 8 + length);
      this.input = this.input.subarray(8 + length);
      const pending = this.handleFrame(frame);
      if (pending) {
        this.busy = true;
        this.hold(this);
        void pending.then(() => {
          this.busy = false;
          this.release(this);
          this.pump();
        });
      }
    }
  }

  private handleFrame(frame: Buffer): Promise<void> | undefined {
    const flags = frame[4] ?? 0;
    const payload = frame.subarray(8);
    if (((frame[0] ?? 0) & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      // DATA for a stream that is gone (reset, finished) is dropped, as spdystream does.
      this.streams.get(id)?.receive(payload, (flags & FLAG_FIN) !== 0);
      return undefined;
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== 3) {
      this.log.error({ version }, 'spdy: unsupported version');
      this.destroy();
      return undefined;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case SYN_STREAM: {
        if (payload.length < 10) return this.protocolError('short SYN_STREAM');
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        return this.inflater.inflate(payload.subarray(10)).then((raw) => this.onSynStream(id, flags, raw));
      }
      case SYN_REPLY:
      case HEADERS:
        // We never open streams, and extra headers mean nothing to us, but the block must still
        // pass through the inflater to keep its state in step with the client's compressor.
        if (payload.length < 4) return this.protocolError('short header frame');
        return this.inflater.inflate(payload.subarray(4)).then((raw) => {
          if (raw instanceof Error) this.protocolError(`header block: ${raw.message}`);
        });
      case RST_STREAM: {
        if (payload.length < 8) return this.protocolError('short RST_STREAM');
        this.streams.get(payload.readUInt32BE(0) & 0x7fffffff)?.remoteReset();
        return undefined;
      }
      case PING:
        // Client pings carry odd ids; echoing the frame is the answer. Our own (even) never exist.
        if (payload.length >= 4 && payload.readUInt32BE(0) % 2 === 1) this.write(frame);
        return undefined;
      case GOAWAY:
        this.goingAway = true;
        this.maybeFinish();
        return undefined;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types: no flow control here (see the top).
        return undefined;
    }
  }

  private onSynStream(id: number, flags: number, raw: Buffer | Error): void {
    if (raw instanceof Error) {
      this.protocolError(`header block: ${raw.message}`);
      return;
    }
    const headers = decodeHeaderBlock(raw);
    if (headers instanceof Error) {
      this.sendReset(id, RST_PROTOCOL_ERROR);
      return;
    }
    if (id % 2 !== 1 || id <= this.lastRemoteId) {
      this.sendReset(id, RST_PROTOCOL_ERROR);
      return;
    }
    this.lastRemoteId = id;
    if (this.goingAway) {
      this.sendReset(id, RST_REFUSED_STREAM);
      return;
    }
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    const reply = Buffer.concat([u32(id), storedDeflate(encodeHeaderBlock({}), !this.sentZlibHeader)]);
    this.sentZlibHeader = true;
    this.write(controlFrame(SYN_REPLY, 0, reply));
    if ((flags & FLAG_FIN) !== 0) stream.receive(Buffer.alloc(0), true);
    this.options.onStream(stream);
  }

  private protocolError(message: string): undefined {
    this.log.error({ message }, 'spdy protocol error');
    this.destroy();
    return undefined;
  }

  private maybeFinish(): void {
    if (this.goingAway && !this.ended && this.streams.size === 0) {
      this.ended = true;
      this.transport.end();
      this.cleanup();
    }
  }

  private teardown(): void {
    if (!this.ended) {
      this.ended = true;
      if (!this.transport.destroyed) this.transport.destroy();
    }
    for (const s of [...this.streams.values()]) s.lost();
    this.cleanup();
  }

  private cleanup(): void {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    this.input = Buffer.alloc(0);
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    this.inflater.close();
    this.markClosed();
  }
}
