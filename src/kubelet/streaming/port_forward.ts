// The kubelet side of `kubectl port-forward`: SPDY/3.1 streams, carried either inside binary
// WebSocket messages (subprotocol `SPDY/3.1+portforward.k8s.io`, kubectl 1.31+ default) or on
// the raw socket after `Upgrade: SPDY/3.1` with `X-Stream-Protocol-Version: portforward.k8s.io`
// (the fallback, and KUBECTL_PORT_FORWARD_WEBSOCKETS=false). The tunnel carries the SPDY byte
// stream as is, so both run the same SpdySession.
//
// Each local connection kubectl accepts becomes two streams with headers `streamtype`
// (`error`, then `data`), `port` and `requestid`. Once both of a pair have arrived we dial the
// port in the pod and copy bytes both ways; a FIN either side is passed on as a half-close. A dial
// failure is written on the error stream as upstream words it ("error forwarding port ..."),
// and the session carries on; note that kubectl 1.32 itself closes the whole forward when it
// reads such a message (client-go portforward.handleConnection), which prints
// "lost connection to pod" and exits.
//
// Clients too old to send `requestid` get upstream's best effort: the id derived from the SPDY
// stream id (error stream n, data stream n+2).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';
import {
  acceptSpdyUpgrade, errorText, headerValues, isSpdyUpgrade, isWebSocketUpgrade, negotiateStreamProtocol,
  refuseStreamProtocol, refuseUpgrade, silentLogger, type StreamingHandle, type StreamingLogger, type UpgradeRequest,
} from './upgrade.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const WEBSOCKET_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardOptions {
  /** Opens a connection to `port` in the pod's network; rejects with the reason it failed. */
  dial: (port: number) => Promise<Duplex>;
  /** For the error text kubectl prints: `pod <podName>, uid <podUid>`. */
  podName?: string;
  podUid?: string;
  logger?: StreamingLogger;
}

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
}

/**
 * Serves one port-forward connection (any number of forwarded connections multiplexed on it).
 * The caller hands over the `upgrade` event's arguments and must not touch the socket again.
 */
export function servePortForward(upgrade: UpgradeRequest, options: PortForwardOptions): StreamingHandle {
  const { req, socket, head } = upgrade;
  const log = options.logger ?? silentLogger;

  if (isWebSocketUpgrade(req)) {
    if (!headerValues(req, 'sec-websocket-protocol').includes(WEBSOCKET_PORT_FORWARD_PROTOCOL)) {
      refuseUpgrade(socket, { code: 400, message: `websocket port-forward needs subprotocol ${WEBSOCKET_PORT_FORWARD_PROTOCOL}` });
      return { closed: Promise.resolve(), close: () => {} };
    }
    let session: SpdySession | undefined;
    const closed = new Promise<void>((resolve) => {
      const onEarlyClose = (): void => resolve();
      socket.once('close', onEarlyClose);
      // `SPDY/3.1+portforward.k8s.io` is not an HTTP token ('/' is a separator), and `ws`
      // refuses such a header outright; so we take the header away before the handshake and
      // put our answer back into the response ourselves.
      delete req.headers['sec-websocket-protocol'];
      const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
      wss.on('headers', (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${WEBSOCKET_PORT_FORWARD_PROTOCOL}`));
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('close', onEarlyClose);
        wss.close();
        ws.on('error', (err: Error) => log.info({ err: err.message }, 'port-forward websocket error'));
        const tunnel = createWebSocketStream(ws);
        session = runForwarder(tunnel, undefined, options, log);
        void session.closed.then(resolve);
      });
    });
    return { closed, close: () => (session ? session.destroy() : socket.destroy()) };
  }

  if (isSpdyUpgrade(req)) {
    const protocol = negotiateStreamProtocol(req, [PORT_FORWARD_PROTOCOL]);
    if (protocol === undefined) {
      refuseStreamProtocol(socket, req, [PORT_FORWARD_PROTOCOL]);
      return { closed: Promise.resolve(), close: () => {} };
    }
    acceptSpdyUpgrade(socket, protocol);
    const session = runForwarder(socket, head, options, log);
    return { closed: session.closed, close: () => session.destroy() };
  }

  refuseUpgrade(socket, { code: 400, message: 'Upgrade request required' });
  return { closed: Promise.resolve(), close: () => {} };
}

function runForwarder(transport: Duplex, head: Buffer | undefined, options: PortForwardOptions, log: StreamingLogger): SpdySession {
  const pairs = new Map<string, Pair>();
  const connections = new Set<Duplex>();
  const session = new SpdySession(transport, {
    head,
    logger: log,
    onStream: (stream) => {
      stream.on('error', (err: Error) => log.info({ err: err.message }, 'port-forward: stream error'));
      const problem = checkHeaders(stream);
      if (problem) {
        log.info({ problem }, 'port-forward: stream refused');
        stream.reset();
        return;
      }
      const type = stream.headers['streamtype'];
      const id = requestId(stream);
      const pair = pairs.get(id) ?? {};
      pairs.set(id, pair);
      if ((type === 'data' && pair.data) || (type === 'error' && pair.error)) {
        const message = `error processing stream for request ${id}: ${type} stream already assigned`;
        log.info({ requestId: id }, message);
        if (pair.error && !pair.error.writableEnded) pair.error.write(message);
        stream.reset();
        return;
      }
      if (type === 'data') pair.data = stream;
      else pair.error = stream;
      // Whichever half goes away first takes the unfinished pair with it.
      stream.once('close', () => { if (pairs.get(id) === pair) pairs.delete(id); });
      if (pair.data && pair.error) {
        pairs.delete(id);
        void forward(pair.data, pair.error, options, log, connections);
      }
    },
  });
  void session.closed.then(() => {
    for (const c of connections) c.destroy();
    for (const p of pairs.values()) {
      p.data?.destroy();
      p.error?.destroy();
    }
    pairs.clear();
  });
  return session;
}

function checkHeaders(stream: SpdyStream): string | undefined {
  const port = stream.headers['port'];
  if (port === undefined || port === '') return '"port" header is required';
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65535) return `unable to parse "${port}" as a port`;
  if (n < 1) return `port "${port}" must be > 0`;
  const type = stream.headers['streamtype'];
  if (type === undefined || type === '') return '"streamType" header is required';
  if (type !== 'data' && type !== 'error') return `invalid stream type "${type}"`;
  return undefined;
}

function requestId(stream: SpdyStream): string {
  const id = stream.headers['requestid'];
  if (id !== undefined && id !== '') return id;
  return String(stream.headers['streamtype'] === 'error' ? stream.id : stream.id - 2);
}

async function forward(data: SpdyStream, error: SpdyStream, options: PortForwardOptions, log: StreamingLogger, connections: Set<Duplex>): Promise<void> {
  // kubectl half-closes the error stream at once and never writes on it.
  error.resume();
  const port = Number(data.headers['port']);
  let conn: Duplex;
  try {
    conn = await options.dial(port);
  } catch (err) {
    const message = `error forwarding port ${port} to pod ${options.podName ?? ''}, uid ${options.podUid ?? ''}: ${errorText(err)}`;
    log.info({ port }, message);
    if (!error.destroyed) error.end(message);
    if (!data.destroyed) {
      data.resume();
      data.end();
    }
    return;
  }
  if (data.destroyed) {
    conn.destroy();
    return;
  }
  connections.add(conn);
  if (conn instanceof net.Socket) conn.setNoDelay(true);
  conn.on('error', (err: Error) => log.info({ port, err: err.message }, 'port-forward: connection error'));
  // Bytes both ways, half-closes passed on: the client's FIN ends our write side to the pod and
  // the pod's FIN ends the data stream (and the error stream, which tells kubectl we are done).
  data.pipe(conn);
  conn.pipe(data);
  conn.once('close', () => {
    connections.delete(conn);
    if (!data.destroyed && !data.writableEnded) data.end();
    if (!error.destroyed && !error.writableEnded) error.end();
  });
  data.once('close', () => {
    if (!conn.destroyed) conn.destroy();
  });
}
