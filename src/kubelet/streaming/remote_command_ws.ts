// exec/attach over a WebSocket: the channel protocols kubectl 1.29+ use by default.
//
// Every message starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (the final
// status), 4 resize. Subprotocols:
// - `v5.channel.k8s.io` (kubectl 1.30+ asks only for this): v4 plus a close signal, the message
//   [255, channel], with which the client ends one stream (stdin EOF for `kubectl cp` or piped
//   input) while the connection stays up.
// - `v4.channel.k8s.io`: the error channel carries a metav1.Status as JSON.
// - `channel.k8s.io` and no subprotocol: the error channel carries only a failure's message.
// - `base64.` variants: text messages, channel as an ASCII digit, payload base64.
// The server closes with a normal (1000) close frame after the status; the client reads its
// streams to EOF only then, so everything queued before the close arrives.
// Upstream also sends one empty message on the lowest output channel as soon as the connection
// is up ("connection established"); we do the same.
import { Readable, Writable } from 'node:stream';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { streamingDefaults } from './defaults.js';
import { ResizeDecoder, type RemoteStreams, type StreamSelection, type TerminalSize } from './remote_streams.js';
import { encodeStatus } from './status.js';
import { headerValues, refuseUpgrade, settleOnce, type StreamingLogger, type UpgradeRequest } from './upgrade.js';

/** In our order of preference. */
export const WEBSOCKET_REMOTE_COMMAND_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface WebSocketStreamsOptions extends StreamSelection {
  logger: StreamingLogger;
}

/** Completes the WebSocket handshake and wraps the channels; an Error value if it failed. */
export function openWebSocketStreams(upgrade: UpgradeRequest, options: WebSocketStreamsOptions): Promise<RemoteStreams | Error> {
  const { req, socket, head } = upgrade;
  const offered = headerValues(req, 'sec-websocket-protocol');
  const chosen = offered.length === 0
    ? ''
    : WEBSOCKET_REMOTE_COMMAND_PROTOCOLS.find((p) => offered.includes(p));
  if (chosen === undefined) {
    const message = `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${WEBSOCKET_REMOTE_COMMAND_PROTOCOLS.join(' ')}]`;
    refuseUpgrade(socket, { code: 400, message });
    return Promise.resolve(new Error(message));
  }
  return new Promise((resolve) => {
    // ws answers a malformed handshake itself (400) and never calls back; the socket closing
    // is how we learn of it.
    const onEarlyClose = (): void => resolve(new Error('websocket handshake failed'));
    socket.once('close', onEarlyClose);
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: () => (chosen === '' ? false : chosen),
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', onEarlyClose);
      wss.close();
      resolve(new ChannelStreams(ws, chosen, options));
    });
  });
}

class ChannelStreams implements RemoteStreams {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly closed: Promise<void>;
  private readonly base64: boolean;
  private readonly jsonStatus: boolean;
  private readonly closeSignal: boolean;
  private readonly resize: ResizeDecoder;
  private resizeListeners: Array<(size: TerminalSize) => void> = [];
  private finished = false;
  private stdinEnded = false;

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: string,
    options: WebSocketStreamsOptions,
  ) {
    this.base64 = protocol.includes('base64');
    this.jsonStatus = protocol.startsWith('v4.') || protocol.startsWith('v5.');
    this.closeSignal = protocol.startsWith('v5.');
    this.resize = new ResizeDecoder((size) => { for (const l of this.resizeListeners) l(size); });
    const done = settleOnce();
    this.closed = done.promise;

    if (options.stdin) {
      this.stdin = new Readable({ read: () => this.ws.resume() });
    }
    if (options.stdout) this.stdout = this.output(STDOUT);
    if (options.stderr) this.stderr = this.output(STDERR);

    ws.on('message', (data: Buffer) => this.onMessage(data));
    ws.on('error', (err: Error) => options.logger.info({ err: err.message }, 'exec websocket error'));
    ws.on('close', () => {
      this.endStdin();
      for (const w of [this.stdout, this.stderr]) if (w && !w.destroyed) w.destroy();
      done.settle();
    });

    this.send(options.stdout ? STDOUT : options.stderr ? STDERR : ERROR, Buffer.alloc(0));
  }

  onResize(listener: (size: TerminalSize) => void): void {
    this.resizeListeners.push(listener);
  }

  finish(status: Status): void {
    if (this.finished) return;
    this.finished = true;
    const bytes = encodeStatus(status, this.jsonStatus);
    if (bytes) this.send(ERROR, bytes);
    this.ws.close(1000);
  }

  abort(): void {
    this.ws.terminate();
  }

  private output(channel: number): Writable {
    return new Writable({
      highWaterMark: streamingDefaults.webSocketHighWaterMark,
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, cb),
      // A closed connection must not surface as an unhandled error on our side.
      destroy: (_err, cb) => cb(null),
    });
  }

  private send(channel: number, data: Buffer, cb?: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb?.(new Error('websocket closed'));
      return;
    }
    const done = cb ? (err?: Error) => cb(err ?? null) : undefined;
    if (this.base64) {
      this.ws.send(String.fromCharCode(48 + channel) + data.toString('base64'), done);
    } else {
      const frame = Buffer.allocUnsafe(data.length + 1);
      frame[0] = channel;
      data.copy(frame, 1);
      this.ws.send(frame, { binary: true }, done);
    }
  }

  private onMessage(raw: Buffer): void {
    if (raw.length === 0) return;
    let channel = raw[0] ?? 0;
    let payload = raw.subarray(1);
    if (this.base64) {
      channel -= 48;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    if (channel === CLOSE && this.closeSignal) {
      if (payload[0] === STDIN) this.endStdin();
      return;
    }
    switch (channel) {
      case STDIN:
        if (this.stdin && !this.stdinEnded && payload.length > 0 && !this.stdin.push(payload)) this.ws.pause();
        return;
      case RESIZE:
        this.resize.write(payload);
        return;
      default:
        // Writes to an output channel, or channels we do not know: ignored, as upstream does.
        return;
    }
  }

  private endStdin(): void {
    if (!this.stdin || this.stdinEnded) return;
    this.stdinEnded = true;
    this.stdin.push(null);
  }
}
