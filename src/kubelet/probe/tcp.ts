// The tcpSocket probe handler: the container is healthy when a TCP connection to the port opens
// within timeoutSeconds. Nothing is sent; the connection is closed at once (as upstream does).
import net from 'node:net';
import { dialError, joinHostPort } from './go_words.js';
import { outcome, type ProbeOutcome } from './outcome.js';

export interface TcpProbeOptions {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs one tcpSocket probe. Never rejects. */
export function tcpProbe(o: TcpProbeOptions): Promise<ProbeOutcome> {
  const addr = joinHostPort(o.host, o.port);
  return new Promise((resolve) => {
    let settled = false;
    let socket: net.Socket | undefined;
    const done = (r: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(r);
    };
    const onAbort = (): void => done(outcome('failure', `dial tcp ${addr}: operation was canceled`));
    const timer = setTimeout(() => done(outcome('failure', `dial tcp ${addr}: i/o timeout`)), o.timeoutMs);
    timer.unref();
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      socket = net.connect({ host: o.host, port: o.port });
    } catch (err) {
      // Node throws synchronously for an out-of-range port.
      done(outcome('failure', dialError(err, o.host, addr)));
      return;
    }
    socket.once('connect', () => done(outcome('success', '')));
    socket.once('error', (err) => done(outcome('failure', dialError(err, o.host, addr))));
  });
}
