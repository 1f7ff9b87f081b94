// The kubelet side of `kubectl exec`, `kubectl attach` and `kubectl cp` (which is exec of tar):
// takes an HTTP Upgrade for .../pods/<name>/exec or /attach, speaks whichever wire form the
// client chose (WebSocket channels, preferred by kubectl 1.30+; SPDY/3.1 otherwise), starts the
// command through the runtime's ExecSession once the client's streams are in place, copies bytes
// both ways and ends with the status kubectl turns into its exit code.
//
// Ordering matters at the end: all of the process's output is handed to the connection before
// the status goes out and the connection closes, so a short command's output (`env`) arrives
// whole. The caller routes the request (it owns the `upgrade` event, authorizes, and finds the
// container); `execRequestFromQuery` reads the flags kubectl puts in the query.
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type { ExecSession } from '../runtime/runtime.js';
import { openSpdyStreams } from './remote_command_spdy.js';
import { openWebSocketStreams } from './remote_command_ws.js';
import type { RemoteStreams, StreamSelection } from './remote_streams.js';
import { exitCodeStatus, startFailedStatus, successStatus } from './status.js';
import {
  errorText, isSpdyUpgrade, isWebSocketUpgrade, refuseUpgrade, silentLogger,
  type StreamingHandle, type StreamingLogger, type UpgradeRequest,
} from './upgrade.js';

export interface RemoteCommandOptions extends StreamSelection {
  /**
   * Starts the process (exec) or joins the container (attach). Called once the client is
   * connected; a rejection is reported to the client as a Failure status. For attach, `kill()`
   * of the returned session is called when the client goes away first: it should detach.
   */
  start: () => Promise<ExecSession>;
  logger?: StreamingLogger;
  streamCreationTimeoutMs?: number;
  closeGraceMs?: number;
}

/** The parts of an exec/attach request that kubectl puts in the query string. */
export interface ExecRequest extends StreamSelection {
  /** `command` parameters in order (empty for attach). */
  command: string[];
  /** `container`, or '' when the client left it to the server (a single-container pod). */
  container: string;
}

function flag(query: URLSearchParams, ...names: string[]): boolean {
  return names.some((name) => {
    const v = query.get(name);
    return v === 'true' || v === '1';
  });
}

/**
 * Reads the query of either form: the API server's pods/<name>/exec as kubectl sends it
 * (`stdin=true&stdout=true&stderr=true&tty=true&command=...&container=c`), or upstream's kubelet
 * paths as an API server proxies them (`input=1&output=1&error=1&tty=1&command=...`).
 */
export function execRequestFromQuery(query: URLSearchParams): ExecRequest {
  const tty = flag(query, 'tty');
  return {
    command: query.getAll('command'),
    container: query.get('container') ?? '',
    stdin: flag(query, 'stdin', 'input'),
    stdout: flag(query, 'stdout', 'output'),
    // With a TTY, stderr is merged into stdout by the terminal; upstream drops the stream too.
    stderr: flag(query, 'stderr', 'error') && !tty,
    tty,
  };
}

/**
 * Serves one exec or attach on an upgraded connection. The caller hands over the `upgrade`
 * event's arguments and must not touch the socket afterwards. Never throws; failures are logged
 * and, when the client can still hear them, reported on the error stream.
 */
export function serveRemoteCommand(upgrade: UpgradeRequest, options: RemoteCommandOptions): StreamingHandle {
  const log = options.logger ?? silentLogger;
  const selection: StreamSelection = {
    stdin: options.stdin,
    stdout: options.stdout,
    stderr: options.stderr && !options.tty,
    tty: options.tty,
  };
  if (!selection.stdin && !selection.stdout && !selection.stderr) {
    refuseUpgrade(upgrade.socket, { code: 400, message: 'you must specify at least 1 of stdin, stdout, stderr' });
    return { closed: Promise.resolve(), close: () => {} };
  }
  let open: Promise<RemoteStreams | Error>;
  if (isWebSocketUpgrade(upgrade.req)) {
    open = openWebSocketStreams(upgrade, { ...selection, logger: log });
  } else if (isSpdyUpgrade(upgrade.req)) {
    open = openSpdyStreams(upgrade, {
      ...selection, logger: log,
      streamCreationTimeoutMs: options.streamCreationTimeoutMs, closeGraceMs: options.closeGraceMs,
    });
  } else {
    refuseUpgrade(upgrade.socket, { code: 400, message: 'Upgrade request required' });
    return { closed: Promise.resolve(), close: () => {} };
  }

  const state: { streams?: RemoteStreams; session?: ExecSession; stopped: boolean } = { stopped: false };
  const run = async (): Promise<void> => {
    const streams = await open;
    if (streams instanceof Error) {
      log.info({ err: streams.message }, 'exec: connection not established');
      return;
    }
    state.streams = streams;
    if (state.stopped) {
      streams.abort();
      return;
    }
    let session: ExecSession;
    try {
      session = await options.start();
    } catch (err) {
      log.info({ err: errorText(err) }, 'exec: start failed');
      streams.finish(startFailedStatus(err));
      await streams.closed;
      return;
    }
    state.session = session;
    if (state.stopped) {
      session.kill();
      streams.abort();
      return;
    }
    await runSession(streams, session, selection, log);
    await streams.closed;
  };
  const closed = run().catch((err: unknown) => log.error({ err: errorText(err) }, 'exec: unexpected failure'));
  return {
    closed,
    close: () => {
      state.stopped = true;
      state.session?.kill();
      if (state.streams) state.streams.abort();
      else upgrade.socket.destroy();
    },
  };
}

async function runSession(streams: RemoteStreams, session: ExecSession, selection: StreamSelection, log: StreamingLogger): Promise<void> {
  let exited = false;
  void streams.closed.then(() => {
    if (exited) return;
    log.info({}, 'exec: client went away, stopping the session');
    session.kill();
  });

  if (session.stdin) {
    const stdin = session.stdin;
    // EPIPE once the process has exited is expected and says nothing new.
    stdin.on('error', (err: Error) => log.info({ err: err.message }, 'exec: stdin write failed'));
    if (streams.stdin && selection.stdin) streams.stdin.pipe(stdin);
    else stdin.end();
  } else {
    streams.stdin?.resume();
  }
  streams.onResize((size) => session.resize(size.width, size.height));

  const outputs = [forward(session.stdout, streams.stdout, log), forward(session.stderr, streams.stderr, log)];
  const code = await session.exited;
  exited = true;
  await Promise.all(outputs);
  streams.finish(code === 0 ? successStatus() : exitCodeStatus(code));
}

/** Copies one output stream; resolves once every byte is on the connection (or it is gone). */
async function forward(source: Readable | undefined, target: Writable | undefined, log: StreamingLogger): Promise<void> {
  if (source && target) {
    try {
      await pipeline(source, target);
    } catch (err) {
      log.info({ err: errorText(err) }, 'exec: output copy ended early');
    }
  } else if (source) {
    source.resume();
  } else if (target) {
    target.end();
  }
}
