// The grpc probe handler: one call of the standard health service, grpc.health.v1.Health/Check,
// over HTTP/2 without TLS (upstream supports no credentials either). Healthy iff the answer's
// status is SERVING. The two messages have one field each, so they are coded by hand here rather
// than through a protobuf schema:
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3
// Failure words follow upstream's (`service unhealthy (responded with "NOT_SERVING")`, ...). One
// difference: upstream dials in blocking mode and so reports a refused connection only when the
// timeout expires; we report it at once, with the dial error.
import http2 from 'node:http2';
import { dialError, goDuration, joinHostPort } from './go_words.js';
import { PROBE_USER_AGENT, outcome, type ProbeOutcome } from './outcome.js';

export interface GrpcProbeOptions {
  host: string;
  port: number;
  /** The service name to ask about; empty asks about the server as a whole. */
  service: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

/** gRPC status codes by number, named as grpc-go prints them in "rpc error: code = ...". */
const CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists',
  'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange',
  'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
] as const;
const UNIMPLEMENTED = 12;
const DEADLINE_EXCEEDED = 4;

/** How grpc-go turns a non-200 HTTP status into a gRPC code. */
function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400: return 13; // Internal
    case 401: return 16; // Unauthenticated
    case 403: return 7; // PermissionDenied
    case 404: return UNIMPLEMENTED;
    case 429: case 502: case 503: case 504: return 14; // Unavailable
    default: return 2; // Unknown
  }
}

// ---- the two messages --------------------------------------------------------------------------

function encodeVarint(n: number, out: number[]): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** A HealthCheckRequest in a gRPC length-prefixed frame (flag 0 = uncompressed). */
export function encodeHealthCheckRequest(service: string): Buffer {
  const body: number[] = [];
  if (service !== '') {
    const bytes = Buffer.from(service, 'utf8');
    body.push(0x0a); // field 1, wire type 2 (length-delimited)
    encodeVarint(bytes.length, body);
    for (const b of bytes) body.push(b);
  }
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(body.length, 1);
  Buffer.from(body).copy(frame, 5);
  return frame;
}

/**
 * The status field of a HealthCheckResponse, read from the first gRPC frame of `data`; other
 * fields are skipped as protobuf requires. Returns an error string when the bytes make no sense.
 */
export function decodeHealthCheckResponse(data: Buffer): number | { error: string } {
  if (data.length < 5) return { error: 'response has no message' };
  if (data.readUInt8(0) !== 0) return { error: 'compressed response, but no compression was negotiated' };
  const len = data.readUInt32BE(1);
  if (data.length < 5 + len) return { error: 'response message is truncated' };
  const msg = data.subarray(5, 5 + len);
  let status = 0;
  let i = 0;
  const varint = (): number | undefined => {
    let result = 0;
    let mul = 1;
    for (let n = 0; n < 10; n++) {
      if (i >= msg.length) return undefined;
      const b = msg[i++] as number;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    return undefined;
  };
  while (i < msg.length) {
    const tag = varint();
    if (tag === undefined) return { error: 'bad protobuf tag' };
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return { error: 'bad protobuf varint' };
      if (field === 1) status = v;
    } else if (wire === 2) {
      const n = varint();
      if (n === undefined || i + n > msg.length) return { error: 'bad protobuf length' };
      i += n;
    } else if (wire === 1) {
      i += 8;
    } else if (wire === 5) {
      i += 4;
    } else {
      return { error: `unsupported protobuf wire type ${wire}` };
    }
  }
  return status;
}

// ---- the call ----------------------------------------------------------------------------------

/** Runs one grpc probe. Never rejects. */
export function grpcProbe(o: GrpcProbeOptions): Promise<ProbeOutcome> {
  const addr = joinHostPort(o.host, o.port);
  const within = goDuration(o.timeoutMs);
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let session: http2.ClientHttp2Session | undefined;
    const done = (r: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      session?.destroy();
      resolve(r);
    };
    const rpcFailed = (code: number, message: string): void => {
      if (code === UNIMPLEMENTED) {
        done(outcome('failure', `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${message}`));
      } else if (code === DEADLINE_EXCEEDED) {
        done(outcome('failure', `timeout: health rpc did not complete within ${within}`));
      } else {
        const name = CODE_NAMES[code] ?? `Code(${code})`;
        done(outcome('failure', `error: health rpc probe failed: rpc error: code = ${name} desc = ${message}`));
      }
    };
    const onAbort = (): void => rpcFailed(1, 'context canceled');
    const timer = setTimeout(() => {
      if (connected) done(outcome('failure', `timeout: health rpc did not complete within ${within}`));
      else done(outcome('failure', `timeout: failed to connect service "${addr}" within ${within}: context deadline exceeded`));
    }, o.timeoutMs);
    timer.unref();
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      session = http2.connect(`http://${addr}`);
    } catch (err) {
      done(outcome('failure', `error: failed to connect service at "${addr}": ${dialError(err, o.host, addr)}`));
      return;
    }
    session.on('connect', () => {
      connected = true;
    });
    session.on('error', (err) => {
      if (!connected) done(outcome('failure', `error: failed to connect service at "${addr}": ${dialError(err, o.host, addr)}`));
      else rpcFailed(14, err.message);
    });

    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': PROBE_USER_AGENT,
      'grpc-timeout': `${Math.max(1, Math.ceil(o.timeoutMs))}m`,
    });
    let headers: http2.IncomingHttpHeaders | undefined;
    let trailers: http2.IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    stream.on('error', (err) => {
      if (connected) rpcFailed(14, err.message);
    });
    stream.on('close', () => {
      // Before the connection is up, the session's error (or the deadline) has the better words.
      if (settled || !connected) return;
      if (!headers) return rpcFailed(14, 'the connection closed before the server answered');
      const httpStatus = Number(headers[':status']);
      if (httpStatus !== 200) {
        return rpcFailed(codeForHttpStatus(httpStatus), `unexpected HTTP status code received from server: ${httpStatus}`);
      }
      // A "trailers-only" answer puts grpc-status in the headers.
      const statusHeader = trailers?.['grpc-status'] ?? headers['grpc-status'];
      if (statusHeader === undefined) return rpcFailed(13, 'server closed the stream without sending trailers');
      const code = Number(statusHeader);
      if (code !== 0) return rpcFailed(code, grpcMessage(trailers?.['grpc-message'] ?? headers['grpc-message']));
      const status = decodeHealthCheckResponse(Buffer.concat(chunks));
      if (typeof status !== 'number') return rpcFailed(13, status.error);
      if (status !== 1) {
        const name = SERVING_STATUS[status] ?? String(status);
        return done(outcome('failure', `service unhealthy (responded with "${name}")`));
      }
      done(outcome('success', 'service healthy'));
    });
    stream.end(encodeHealthCheckRequest(o.service));
  });
}

/** grpc-message is percent-encoded on the wire. */
function grpcMessage(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
