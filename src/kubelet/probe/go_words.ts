// Probe failure messages end up in Events that users compare with what a real cluster prints, and
// upstream's messages are Go error strings (`dial tcp 10.42.0.5:8080: connect: connection refused`,
// durations like `1s` or `1m30s`). These helpers render Node's socket errors and our durations in
// those words. They are approximations: close enough to recognise, not byte-for-byte.

const CONNECT_ERRNO_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  ETIMEDOUT: 'connect: connection timed out',
  EADDRNOTAVAIL: 'connect: cannot assign requested address',
  EACCES: 'connect: permission denied',
};

/** `host:port`, with brackets around an IPv6 host (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A failed attempt to open a TCP connection to `addr` (host:port), as Go's dialer words it. */
export function dialError(err: unknown, host: string, addr: string): string {
  const code = errnoCode(err);
  if (code === 'ENOTFOUND') return `dial tcp: lookup ${host}: no such host`;
  if (code === 'EAI_AGAIN') return `dial tcp: lookup ${host}: Temporary failure in name resolution`;
  const words = code ? CONNECT_ERRNO_WORDS[code] : undefined;
  return `dial tcp ${addr}: ${words ?? errMessage(err)}`;
}

/** An error on a connection that was already open (HTTP exchange), in Go's words where we know them. */
export function connError(err: unknown, addr: string): string {
  const code = errnoCode(err);
  if (code === 'ECONNRESET') return `read tcp ${addr}: read: connection reset by peer`;
  if (code === 'EPIPE') return `write tcp ${addr}: write: broken pipe`;
  // Node's "socket hang up": the peer closed before answering; Go's client reports EOF.
  if (code === 'ECONNABORTED' || errMessage(err) === 'socket hang up') return 'EOF';
  return errMessage(err);
}

/** Any Node error of a probe's connection: before connect it is a dial error, after it not. */
export function netError(err: unknown, o: { host: string; addr: string; connected: boolean }): string {
  return o.connected ? connError(err, o.addr) : dialError(err, o.host, o.addr);
}

/** A duration as Go's time.Duration prints it (`1s`, `1m30s`, `250ms`). */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const secs = `${Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${secs}`;
  if (m > 0) return `${m}m${secs}`;
  return secs;
}
