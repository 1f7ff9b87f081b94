// What exec, attach and port-forward share: the HTTP Upgrade request they are handed, telling a
// WebSocket upgrade from a SPDY/3.1 one, negotiating `X-Stream-Protocol-Version` the way
// kubectl expects, and answering a refused upgrade with a plain HTTP response on the raw socket
// (after an `upgrade` event there is no ServerResponse; we own the socket).
//
// A refused WebSocket upgrade must be a non-101 answer: kubectl 1.32 treats that as an upgrade
// failure and falls back to SPDY, which is how older servers are reached.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The arguments of node:http's `upgrade` event. */
export interface UpgradeRequest {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

/** Structured logging, pino-compatible (`logger.child({component: 'kubelet'})` fits). */
export interface StreamingLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: StreamingLogger = { info: () => {}, error: () => {} };

/** What serveRemoteCommand and servePortForward return: the session's lifetime. */
export interface StreamingHandle {
  /** Settles once the connection is gone (never rejects). */
  readonly closed: Promise<void>;
  /** Ends the session at once (kubelet shutdown); the process, if any, is killed. */
  close(): void;
}

export function headerValues(req: IncomingMessage, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]?.toLowerCase() !== lower) continue;
    for (const part of (req.rawHeaders[i + 1] ?? '').split(',')) {
      const v = part.trim();
      if (v !== '') out.push(v);
    }
  }
  return out;
}

function connectionHasUpgrade(req: IncomingMessage): boolean {
  return headerValues(req, 'connection').some((v) => v.toLowerCase() === 'upgrade');
}

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return connectionHasUpgrade(req) && headerValues(req, 'upgrade').some((v) => v.toLowerCase() === 'websocket');
}

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return connectionHasUpgrade(req) && headerValues(req, 'upgrade').some((v) => v.toLowerCase() === 'spdy/3.1');
}

/**
 * Picks the stream protocol for a SPDY upgrade: the client's first offer that we support (as
 * httpstream.Handshake does). `''` means the client offered nothing (the oldest clients), and
 * `undefined` that nothing matched.
 */
export function negotiateStreamProtocol(req: IncomingMessage, supported: readonly string[]): string | undefined {
  const offered = headerValues(req, 'x-stream-protocol-version');
  if (offered.length === 0) return '';
  return offered.find((p) => supported.includes(p));
}

/** Answers an upgrade we will not perform, then closes the socket. */
export function refuseUpgrade(socket: Duplex, options: { code: number; message: string; headers?: Record<string, string> }): void {
  const reason = options.code === 403 ? 'Forbidden' : options.code === 400 ? 'Bad Request' : 'Error';
  const body = options.message + '\n';
  let head = `HTTP/1.1 ${options.code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n`;
  for (const [k, v] of Object.entries(options.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.on('error', () => socket.destroy());
  socket.end(head + '\r\n' + body);
}

/** Writes the 101 answer to a SPDY/3.1 upgrade; the socket then carries SPDY frames. */
export function acceptSpdyUpgrade(socket: Duplex, protocol: string): void {
  let head = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n';
  if (protocol !== '') head += `X-Stream-Protocol-Version: ${protocol}\r\n`;
  socket.write(head + '\r\n');
}

/** The client's refusal text for a failed SPDY negotiation, as httpstream.Handshake words it. */
export function refuseStreamProtocol(socket: Duplex, req: IncomingMessage, supported: readonly string[]): void {
  const offered = headerValues(req, 'x-stream-protocol-version');
  refuseUpgrade(socket, {
    code: 403,
    message: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
    headers: { 'X-Accepted-Stream-Protocol-Versions': supported.join(', ') },
  });
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A promise and its resolver, for lifetimes that end on an event. */
export function settleOnce(): { promise: Promise<void>; settle: () => void } {
  let settle: () => void = () => {};
  const promise = new Promise<void>((resolve) => { settle = resolve; });
  return { promise, settle };
}
