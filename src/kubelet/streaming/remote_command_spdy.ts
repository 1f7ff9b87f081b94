// exec/attach over SPDY/3.1: what kubectl falls back to when the WebSocket upgrade is refused,
// and what it uses with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false (and what kubectl < 1.29 use).
//
// After the 101, the client opens one SPDY stream per purpose, each with a `streamtype` header:
// `error` first, then `stdin`, `stdout`, `stderr` as asked, and `resize` with a TTY (v3+). It waits
// for our reply to each before opening the next. We start the command once all have arrived.
// The protocol version (`X-Stream-Protocol-Version`) changes only the error stream: v4 carries a
// JSON metav1.Status, older ones the failure message alone. kubectl also offers
// `v5.channel.k8s.io` here; upstream kubelets accept v4 at most over SPDY (v5 only adds the
// WebSocket close signal, which SPDY has natively as FIN), so we pick v4 as they do.
// At the end we FIN every stream and send GOAWAY; kubectl reads stdout/stderr to EOF, then the
// error stream, then resets its streams and closes the connection.
import type { Readable, Writable } from 'node:stream';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { streamingDefaults } from './defaults.js';
import { ResizeDecoder, type RemoteStreams, type StreamSelection, type TerminalSize } from './remote_streams.js';
import { SpdySession, type SpdyStream } from './spdy.js';
import { encodeStatus } from './status.js';
import {
  acceptSpdyUpgrade, negotiateStreamProtocol, refuseStreamProtocol, type StreamingLogger, type UpgradeRequest,
} from './upgrade.js';

export const SPDY_REMOTE_COMMAND_PROTOCOLS = [
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;

export interface SpdyStreamsOptions extends StreamSelection {
  logger: StreamingLogger;
  streamCreationTimeoutMs?: number;
  closeGraceMs?: number;
}

type Kind = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

function isKind(x: string | undefined): x is Kind {
  return x === 'error' || x === 'stdin' || x === 'stdout' || x === 'stderr' || x === 'resize';
}

/** Answers the upgrade and waits for the client's streams; an Error value if they never came. */
export function openSpdyStreams(upgrade: UpgradeRequest, options: SpdyStreamsOptions): Promise<RemoteStreams | Error> {
  const { req, socket, head } = upgrade;
  const protocol = negotiateStreamProtocol(req, SPDY_REMOTE_COMMAND_PROTOCOLS);
  if (protocol === undefined) {
    refuseStreamProtocol(socket, req, SPDY_REMOTE_COMMAND_PROTOCOLS);
    return Promise.resolve(new Error('no common stream protocol'));
  }
  const version = protocol === '' || protocol === 'channel.k8s.io' ? 1 : Number(protocol.slice(1, 2));
  const expected = new Set<Kind>(['error']);
  if (options.stdin) expected.add('stdin');
  if (options.stdout) expected.add('stdout');
  if (options.stderr) expected.add('stderr');
  if (options.tty && version >= 3) expected.add('resize');

  acceptSpdyUpgrade(socket, protocol);
  return new Promise((resolve) => {
    const got = new Map<Kind, SpdyStream>();
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      session.destroy();
      resolve(new Error('timed out waiting for client to create streams'));
    }, options.streamCreationTimeoutMs ?? streamingDefaults.streamCreationTimeoutMs);
    timer.unref();
    const session: SpdySession = new SpdySession(socket, {
      head,
      logger: options.logger,
      onStream: (stream) => {
        const kind = stream.headers['streamtype'];
        if (settled || !isKind(kind) || !expected.has(kind) || got.has(kind)) {
          options.logger.info({ streamType: kind }, 'exec: unexpected stream');
          stream.reset();
          return;
        }
        got.set(kind, stream);
        if (got.size < expected.size) return;
        settled = true;
        clearTimeout(timer);
        resolve(new SpdyRemoteStreams(session, got, protocol, version >= 4, options));
      },
    });
    void session.closed.then(() => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve(new Error('connection closed before the streams were created'));
    });
  });
}

class SpdyRemoteStreams implements RemoteStreams {
  readonly stdin?: Readable;
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly closed: Promise<void>;
  private readonly error: SpdyStream | undefined;
  private readonly resizeListeners: Array<(size: TerminalSize) => void> = [];
  private finished = false;

  constructor(
    private readonly session: SpdySession,
    streams: Map<Kind, SpdyStream>,
    readonly protocol: string,
    private readonly jsonStatus: boolean,
    private readonly options: SpdyStreamsOptions,
  ) {
    this.closed = session.closed;
    this.error = streams.get('error');
    this.stdin = streams.get('stdin');
    this.stdout = streams.get('stdout');
    this.stderr = streams.get('stderr');
    // The client never writes on these; reading them lets a FIN complete the stream.
    for (const s of [this.error, streams.get('stdout'), streams.get('stderr')]) s?.resume();
    for (const s of streams.values()) s.on('error', (err: Error) => options.logger.info({ err: err.message }, 'exec: spdy stream error'));
    const resize = streams.get('resize');
    if (resize) {
      const decoder = new ResizeDecoder((size) => { for (const l of this.resizeListeners) l(size); });
      resize.on('data', (chunk: Buffer) => decoder.write(chunk));
    }
  }

  onResize(listener: (size: TerminalSize) => void): void {
    this.resizeListeners.push(listener);
  }

  finish(status: Status): void {
    if (this.finished) return;
    this.finished = true;
    const bytes = encodeStatus(status, this.jsonStatus);
    if (this.error && !this.error.writableEnded) {
      if (bytes) this.error.end(bytes);
      else this.error.end();
    }
    this.session.goAway();
    // kubectl closes the connection once it has read everything; one that vanished without a
    // FIN is cut after the grace period.
    const timer = setTimeout(() => this.session.destroy(), this.options.closeGraceMs ?? streamingDefaults.closeGraceMs);
    timer.unref();
    void this.session.closed.then(() => clearTimeout(timer));
  }

  abort(): void {
    this.session.destroy();
  }
}
