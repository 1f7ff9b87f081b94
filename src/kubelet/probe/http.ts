// The httpGet probe handler: one GET (plus same-host redirects) against the container, judged by
// its status code. Upstream quirks we keep on purpose:
// - HTTPS never verifies the certificate (probes check liveness, not identity).
// - A `Host` header in httpHeaders replaces the Host sent, not the address dialled.
// - User-Agent defaults to kube-probe/<version>; Accept defaults to `*/*`, and an Accept header
//   given with an empty value means "send none".
// - Redirects are followed only while they stay on the first request's hostname, at most until ten
//   requests have been made; a redirect to another host ends the probe with that 3xx response,
//   which counts as success with a warning (upstream's "Probe terminated redirects").
// - Only the first 10 KiB of a body is read; a longer body is cut, not an error.
// - One deadline (timeoutSeconds) covers the whole exchange, redirects included, as Go's
//   http.Client.Timeout does. Keep-alive is off: every probe opens a fresh connection.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { joinHostPort, netError } from './go_words.js';
import { MAX_PROBE_OUTPUT_BYTES, PROBE_USER_AGENT, outcome, type ProbeOutcome } from './outcome.js';

export interface HttpProbeOptions {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** The probe's path; may carry a query. Empty means `/` on the wire. */
  path: string;
  /** httpHeaders of the spec, in order; repeated names send repeated headers. */
  headers: ReadonlyArray<{ name: string; value: string }>;
  timeoutMs: number;
  signal?: AbortSignal;
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Go's client refuses the redirect that would make the eleventh request. */
const MAX_REQUESTS = 10;

type Exchange =
  | { kind: 'response'; status: number; body: string }
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'error'; message: string };

/** Runs one httpGet probe. Never rejects: every problem is a failure outcome. */
export async function httpProbe(o: HttpProbeOptions): Promise<ProbeOutcome> {
  const hostport = joinHostPort(o.host, o.port);
  let first: URL;
  try {
    first = probeUrl(o.scheme, hostport, o.path);
  } catch (err) {
    return outcome('failure', `parse "${o.scheme}://${hostport}${o.path}": ${err instanceof Error ? err.message : String(err)}`);
  }
  // Go prints the URL without a trailing slash when the spec's path was empty.
  const shown = (u: URL): string => (u === first && o.path === '' ? `${o.scheme}://${hostport}` : u.href);
  const headers = requestHeaders(o.headers);
  const hostOverride = typeof headers.host === 'string' ? headers.host : undefined;

  const deadline = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort();
  }, o.timeoutMs);
  timer.unref();
  const onOuterAbort = (): void => deadline.abort();
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });

  try {
    let url = first;
    for (let requests = 1; ; requests++) {
      const base = url;
      // Upstream stops at a redirect to another host and judges the 3xx itself (a warning).
      const sameHost = (location: string): boolean => {
        try {
          return new URL(location, base).hostname === first.hostname;
        } catch {
          return true; // unparsable: let the redirect step report it
        }
      };
      const ex = await get(url, headers, { signal: deadline.signal, isTimeout: () => timedOut, follow: sameHost });
      if (ex.kind === 'error') return outcome('failure', `Get "${shown(url)}": ${ex.message}`);
      if (ex.kind === 'response') return judge(ex.status, ex.body);
      let next: URL;
      try {
        next = new URL(ex.location, url);
      } catch {
        return outcome('failure', `Get "${shown(url)}": failed to parse Location header "${ex.location}"`);
      }
      if (requests >= MAX_REQUESTS) return outcome('failure', `Get "${next.href}": stopped after ${MAX_REQUESTS} redirects`);
      // Go keeps a custom Host header only across relative redirects.
      if (hostOverride !== undefined) {
        if (isAbsolute(ex.location)) delete headers.host;
        else headers.host = hostOverride;
      }
      url = next;
    }
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuterAbort);
  }

  function judge(status: number, body: string): ProbeOutcome {
    if (status >= 200 && status < 300) return outcome('success', body);
    if (status >= 300 && status < 400) return outcome('warning', `Probe terminated redirects, Response body: ${body}`);
    return outcome('failure', `HTTP probe failed with statuscode: ${status}`);
  }

  function get(
    url: URL,
    hdrs: Record<string, string | string[]>,
    g: { signal: AbortSignal; isTimeout: () => boolean; follow: (location: string) => boolean },
  ): Promise<Exchange> {
    const { signal, isTimeout } = g;
    const addr = url.host;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    return new Promise<Exchange>((resolve) => {
      let connected = false;
      let phase: 'headers' | 'body' = 'headers';
      let settled = false;
      const done = (ex: Exchange): void => {
        if (settled) return;
        settled = true;
        resolve(ex);
      };
      const fail = (err: unknown): void => {
        if (isTimeout()) {
          done({
            kind: 'error',
            message:
              phase === 'headers'
                ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
                : 'context deadline exceeded (Client.Timeout or context cancellation while reading body)',
          });
        } else if (signal.aborted) {
          done({ kind: 'error', message: 'context canceled' });
        } else {
          done({ kind: 'error', message: netError(err, { host, addr, connected }) });
        }
      };
      let req: http.ClientRequest;
      try {
        const lib = url.protocol === 'https:' ? https : http;
        req = lib.request(url, {
          method: 'GET',
          headers: hdrs,
          agent: false,
          signal,
          // Probes do not check certificates (upstream: InsecureSkipVerify).
          rejectUnauthorized: false,
        });
      } catch (err) {
        // Invalid header names or values throw synchronously in Node.
        done({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        return;
      }
      req.on('socket', (socket) => {
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
          connected = true;
        });
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        connected = true;
        const status = res.statusCode ?? 0;
        const location = headerValue(res.headers.location);
        if (REDIRECT_CODES.has(status) && location !== undefined && g.follow(location)) {
          res.destroy();
          done({ kind: 'redirect', status, location });
          return;
        }
        phase = 'body';
        readBody(res).then(
          (body) => done({ kind: 'response', status, body }),
          (err: unknown) => fail(err),
        );
      });
      req.end();
    });
  }
}

/** Reads at most MAX_PROBE_OUTPUT_BYTES of the body, then drops the connection. */
function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      resolve(Buffer.concat(chunks).subarray(0, MAX_PROBE_OUTPUT_BYTES).toString('utf8'));
    };
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_PROBE_OUTPUT_BYTES) {
        finish();
        res.destroy();
      }
    });
    res.on('end', finish);
    res.on('error', (err) => {
      if (!finished) {
        finished = true;
        reject(err);
      }
    });
    res.on('close', () => {
      // Closed before the end without an error event (peer gone, or our deadline): Go's reader
      // reports an unexpected EOF; the caller turns a deadline into its own words.
      if (!finished) {
        finished = true;
        reject(new Error('unexpected EOF'));
      }
    });
  });
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function isAbsolute(location: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location) || location.startsWith('//');
}

/**
 * The URL a probe requests. The path is parsed apart from the host so that a path such as
 * `//x` cannot change where the probe goes (upstream overwrites the host after parsing).
 */
export function probeUrl(scheme: string, hostport: string, path: string): URL {
  const u = new URL(`${scheme}://${hostport}`);
  let rest = path;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const p = q >= 0 ? rest.slice(0, q) : rest;
  u.pathname = p === '' ? '/' : p.startsWith('/') ? p : `/${p}`;
  if (q >= 0) u.search = rest.slice(q + 1);
  return u;
}

/** Headers of the spec plus upstream's defaults, keyed in lower case (HTTP names are case-blind). */
function requestHeaders(list: HttpProbeOptions['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const { name, value } of list) {
    const key = name.toLowerCase();
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  if (out['user-agent'] === undefined) out['user-agent'] = PROBE_USER_AGENT;
  const accept = out.accept;
  if (accept === undefined) out.accept = '*/*';
  else if ((Array.isArray(accept) ? accept[0] : accept) === '') delete out.accept;
  const host = out.host;
  if (host !== undefined) {
    // One Host only: Go uses the first value.
    const first = Array.isArray(host) ? host[0] : host;
    if (first === undefined || first === '') delete out.host;
    else out.host = first;
  }
  return out;
}
