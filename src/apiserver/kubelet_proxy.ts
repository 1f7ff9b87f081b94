// The API server's side of `kubectl logs`, `exec`, `attach`, `cp`, `port-forward` and
// `get --raw /api/v1/nodes/N/proxy/...`: the pod subresources log/exec/attach/portforward and the
// node subresource proxy, all answered by the kubelet of the pod's node.
//
// The API server validates the request as upstream does (query decoding, PodLogOptions
// validation, the container choice, the pod's node), finds the kubelet from the Node object
// (preferred address type + status.daemonEndpoints.kubeletEndpoint.Port) and then only moves
// bytes: logs are one HTTPS GET streamed through, upgrades (WebSocket or SPDY) are a raw TLS
// tunnel after the kubelet's `101`. The kubelet's certificate is not verified, as upstream without
// --kubelet-certificate-authority. Messages and codes are upstream's, because kubectl prints them.
import { Agent as HttpAgent, STATUS_CODES, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { ApiError, badRequest, field, fieldPath, goQuote, internalError, invalid, type FieldError, type GroupResource } from '../api/errors.js';
import { apiserverDefaults } from './defaults.js';
import { parseResourceRequest, type ResourceRequest } from './request_info.js';

// ---- what a request targets ------------------------------------------------------------------

export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

export type KubeletTarget =
  | { kind: 'pod'; namespace: string; name: string; subresource: PodStreamSubresource }
  /** `path` is what follows `/proxy` in the URL, still escaped ('' for none). */
  | { kind: 'nodeProxy'; name: string; path: string };

const POD_STREAM = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(log|exec|attach|portforward)\/*$/;
const NODE_PROXY = /^\/api\/v1\/nodes\/([^/]+)\/proxy(\/.*)?$/;

/** The kubelet-backed subresource a path names, or undefined for every other path. */
export function matchKubeletTarget(pathname: string): KubeletTarget | undefined {
  try {
    const pod = POD_STREAM.exec(pathname);
    if (pod) {
      return { kind: 'pod', namespace: decodeURIComponent(pod[1]!), name: decodeURIComponent(pod[2]!), subresource: pod[3] as PodStreamSubresource };
    }
    const node = NODE_PROXY.exec(pathname);
    if (node) return { kind: 'nodeProxy', name: decodeURIComponent(node[1]!), path: node[2] ?? '' };
  } catch {
    // A malformed %-escape names nothing; the caller answers 404 as for any unknown path.
  }
  return undefined;
}

/** The RequestInfo of a target, for the authorizer (connect verbs are get/create as upstream). */
export function kubeletRequestInfo(target: KubeletTarget, method: string): ResourceRequest | undefined {
  const path =
    target.kind === 'pod'
      ? `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.name)}/${target.subresource}`
      : `/api/v1/nodes/${encodeURIComponent(target.name)}/proxy`;
  return parseResourceRequest(method, path, new URLSearchParams());
}

// ---- options -----------------------------------------------------------------------------------

export interface KubeletProxyOptions {
  /** Reads a pod; rejects with the store's NotFound ApiError when absent. */
  getPod(namespace: string, name: string): Promise<unknown>;
  /** Reads a node; rejects with the store's NotFound ApiError when absent. */
  getNode(name: string): Promise<unknown>;
  preferredAddressTypes?: readonly string[];
  /** Used when a node reports no kubelet port. */
  defaultKubeletPort?: number;
  dialTimeoutMs?: number;
}

export interface ServeOptions {
  req: IncomingMessage;
  res: ServerResponse;
  target: KubeletTarget;
  url: URL;
}

export interface UpgradeOptions {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  target: KubeletTarget;
  url: URL;
}

/** Where a request goes: host, port, TLS or not, and the request target (path + query). */
interface KubeletLocation {
  host: string;
  port: number;
  /** The kubelet always speaks TLS; only a node proxy to another port may be plain HTTP. */
  tls: boolean;
  path: string;
}

const CONNECT_METHODS = new Set(['GET', 'POST']);
const PROXY_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
/** Upstream reads at most this much of a kubelet's error body. */
const MAX_ERROR_BODY = 50_000;
/** A kubelet's upgrade response head larger than this is refused. */
const MAX_RESPONSE_HEAD = 64 * 1024;

/** Headers that belong to one hop, or carry the client's credentials, and are not forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate']);
const CREDENTIALS = new Set(['authorization', 'proxy-authorization']);

export class KubeletProxy {
  private readonly httpsAgent = new HttpsAgent({ keepAlive: false, rejectUnauthorized: false });
  private readonly httpAgent = new HttpAgent({ keepAlive: false });
  /** Open tunnels and in-flight kubelet requests, ended by close(). */
  private readonly open = new Set<{ destroy(): void }>();
  private readonly preferred: readonly string[];
  private readonly defaultPort: number;
  private readonly dialTimeoutMs: number;

  constructor(private readonly options: KubeletProxyOptions) {
    this.preferred = options.preferredAddressTypes ?? apiserverDefaults.kubeletPreferredAddressTypes;
    this.defaultPort = options.defaultKubeletPort ?? apiserverDefaults.kubeletPort;
    this.dialTimeoutMs = options.dialTimeoutMs ?? apiserverDefaults.kubeletDialTimeoutMs;
  }

  /**
   * A plain HTTP request: logs are streamed, node proxy requests forwarded; exec, attach and
   * portforward are validated and then refused, since they need an upgrade. Rejects with an
   * ApiError only while no response has been started.
   */
  async serve({ req, res, target, url }: ServeOptions): Promise<void> {
    const method = req.method ?? 'GET';
    if (target.kind === 'nodeProxy') {
      if (!PROXY_METHODS.has(method)) throw methodNotAllowed();
      const loc = await this.nodeProxyLocation(target, url);
      return this.forward(req, res, loc);
    }
    if (target.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      return this.log(res, target, url.searchParams);
    }
    if (!CONNECT_METHODS.has(method)) throw methodNotAllowed();
    await this.streamLocation(target, url.searchParams);
    throw badRequest('Upgrade request required');
  }

  /**
   * An HTTP Upgrade (WebSocket or SPDY) for exec/attach/portforward/node proxy: validates, then
   * tunnels raw bytes to the kubelet. Rejects with an ApiError while nothing has been written to
   * the socket; the caller answers it there.
   */
  async upgrade({ req, socket, head, target, url }: UpgradeOptions): Promise<void> {
    const method = req.method ?? 'GET';
    let loc: KubeletLocation;
    if (target.kind === 'nodeProxy') {
      if (!PROXY_METHODS.has(method)) throw methodNotAllowed();
      loc = await this.nodeProxyLocation(target, url);
    } else if (target.subresource === 'log') {
      throw upgradeNotSupported();
    } else {
      if (!CONNECT_METHODS.has(method)) throw methodNotAllowed();
      loc = await this.streamLocation(target, url.searchParams);
    }
    await this.tunnel({ req, client: socket, head, loc });
  }

  /** Ends every tunnel and kubelet request (on shutdown). */
  close(): void {
    for (const c of this.open) c.destroy();
    this.open.clear();
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  // ---- log --------------------------------------------------------------------------------

  private async log(res: ServerResponse, target: Extract<KubeletTarget, { kind: 'pod' }>, q: URLSearchParams): Promise<void> {
    const opts = decodeLogOptions(q);
    const errs = validateLogOptions(opts);
    if (errs.length > 0) throw invalid({ group: '', kind: 'PodLogOptions' }, target.name, errs);
    const pod = podView(await this.options.getPod(target.namespace, target.name));
    const container = validateContainer(opts.container, pod);
    if (pod.nodeName === '') {
      // Upstream streams "nothing" for a pod without a node: 204 with no body.
      res.writeHead(204).end();
      return;
    }
    const node = await this.connectionInfo(pod.nodeName);
    const params: Array<[string, string]> = [];
    if (opts.follow) params.push(['follow', 'true']);
    if (opts.previous) params.push(['previous', 'true']);
    if (opts.timestamps) params.push(['timestamps', 'true']);
    if (opts.sinceSeconds !== undefined) params.push(['sinceSeconds', opts.sinceSeconds.toString()]);
    if (opts.sinceTime !== undefined) params.push(['sinceTime', opts.sinceTime]);
    if (opts.tailLines !== undefined) params.push(['tailLines', opts.tailLines.toString()]);
    if (opts.limitBytes !== undefined) params.push(['limitBytes', opts.limitBytes.toString()]);
    const path = `/containerLogs/${pathSegments(pod.namespace, pod.name, container)}${encodeQuery(params)}`;
    await this.streamLog(res, { loc: { ...node, tls: true, path }, follow: opts.follow, pod: target.name });
  }

  /** One GET to the kubelet; its body becomes ours (text/plain), its errors a Status. */
  private streamLog(res: ServerResponse, o: { loc: KubeletLocation; follow: boolean; pod: string }): Promise<void> {
    const loc = o.loc;
    const url = `https://${joinHostPort(loc.host, loc.port)}${loc.path}`;
    return new Promise<void>((resolve, reject) => {
      const kreq = this.request(loc, { method: 'GET' });
      this.open.add(kreq);
      let answered = false;
      const finish = (): void => {
        this.open.delete(kreq);
        res.off('close', onClientClose);
        resolve();
      };
      // The client went away: stop the kubelet's stream too (a follow would never end).
      const onClientClose = (): void => {
        kreq.destroy();
        finish();
      };
      res.on('close', onClientClose);
      kreq.on('error', (err: Error) => {
        if (answered) return; // the stream already started; the close handlers end it
        this.open.delete(kreq);
        res.off('close', onClientClose);
        reject(new ApiError({ code: 500, reason: '', message: `Get ${goQuote(url)}: ${dialErrorText(err, loc)}` }));
      });
      kreq.on('response', (kres) => {
        answered = true;
        const code = kres.statusCode ?? 0;
        if (code < 200 || code > 206) {
          readLimited(kres, MAX_ERROR_BODY).then(
            (body) => {
              this.open.delete(kreq);
              res.off('close', onClientClose);
              reject(kubeletError({ code, body, resource: { group: '', resource: 'pods/log' }, name: o.pod }));
            },
            (err: unknown) => {
              this.open.delete(kreq);
              res.off('close', onClientClose);
              reject(internalError(err));
            },
          );
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        // A follow may be quiet for long: the client should see the stream open at once.
        if (o.follow) res.flushHeaders();
        kres.pipe(res);
        // However the kubelet's side ends, ours ends cleanly, as upstream's copy loop does.
        kres.on('error', () => res.end());
        kres.on('aborted', () => res.end());
        res.on('finish', finish);
      });
      kreq.end();
    });
  }

  // ---- exec / attach / portforward --------------------------------------------------------------

  /** Validates an exec/attach/portforward request and returns where it goes on the kubelet. */
  private async streamLocation(target: Extract<KubeletTarget, { kind: 'pod' }>, q: URLSearchParams): Promise<KubeletLocation> {
    const { namespace, name, subresource } = target;
    if (subresource === 'portforward') {
      const ports = decodePorts(q);
      const pod = podView(await this.options.getPod(namespace, name));
      if (pod.nodeName === '') throw badRequest(`pod ${name} does not have a host assigned`);
      const node = await this.connectionInfo(pod.nodeName);
      const params: Array<[string, string]> = ports.length > 0 ? [['port', ports.join(',')]] : [];
      return { ...node, tls: true, path: `/portForward/${pathSegments(pod.namespace, pod.name)}${encodeQuery(params)}` };
    }
    const opts = decodeStreamOptions(q, subresource === 'exec');
    // kubectl refuses these two before it connects; we give other clients the same answer.
    if (subresource === 'exec' && opts.command.length === 0) throw badRequest('you must specify at least one command for the container');
    const pod = podView(await this.options.getPod(namespace, name));
    if (pod.phase === 'Succeeded' || pod.phase === 'Failed') {
      throw badRequest(
        subresource === 'exec'
          ? `cannot exec into a container in a completed pod; current phase is ${pod.phase}`
          : `cannot attach a container in a completed pod; current phase is ${pod.phase}`,
      );
    }
    const container = validateContainer(opts.container, pod);
    if (pod.nodeName === '') throw badRequest(`pod ${name} does not have a host assigned`);
    const node = await this.connectionInfo(pod.nodeName);
    // Upstream's API server names the streams input/output/error (api.ExecStdinParam & co) with
    // value "1"; Capstan's kubelet reads kubectl's names stdin/stdout/stderr. Both are sent so
    // that either kind of kubelet sees the streams; each ignores the names it does not know.
    const params: Array<[string, string]> = [];
    if (opts.stdin) params.push(['input', '1'], ['stdin', '1']);
    if (opts.stdout) params.push(['output', '1'], ['stdout', '1']);
    if (opts.stderr) params.push(['error', '1'], ['stderr', '1']);
    if (opts.tty) params.push(['tty', '1']);
    for (const c of opts.command) params.push(['command', c]);
    return { ...node, tls: true, path: `/${subresource}/${pathSegments(pod.namespace, pod.name, container)}${encodeQuery(params)}` };
  }

  /**
   * Dials the kubelet, replays the client's upgrade request to it and, once the kubelet has
   * answered, copies bytes both ways until either side closes.
   */
  private async tunnel({ req, client, head, loc }: { req: IncomingMessage; client: Duplex; head: Buffer; loc: KubeletLocation }): Promise<void> {
    const kubelet = await this.dial(loc, client);
    const pair = {
      destroy: (): void => {
        kubelet.destroy();
        client.destroy();
      },
    };
    this.open.add(pair);
    let answered = false;
    const onError = (err: Error): void => {
      if (!answered) {
        answered = true;
        kubelet.destroy();
        writeStatusResponse(client, new ApiError({ code: 500, reason: '', message: dialErrorText(err, loc) }));
        return;
      }
      pair.destroy();
    };
    kubelet.on('error', onError);
    client.on('error', () => pair.destroy());
    // The kubelet's side closed: what it sent still reaches the client, then the client's side ends.
    kubelet.on('close', () => {
      client.end();
      if (client.destroyed) this.open.delete(pair);
    });
    // The client is gone: nothing more can be delivered, so the kubelet's side goes too.
    client.on('close', () => {
      kubelet.destroy();
      this.open.delete(pair);
    });

    kubelet.write(upgradeRequestHead(req, loc));
    if (head.length > 0) kubelet.write(head);

    let buffered = Buffer.alloc(0);
    const onHead = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_RESPONSE_HEAD) {
          answered = true;
          kubelet.off('data', onHead);
          kubelet.destroy();
          writeStatusResponse(client, new ApiError({ code: 500, reason: '', message: 'net/http: response header too large' }));
        }
        return;
      }
      answered = true;
      kubelet.off('data', onHead);
      kubelet.off('end', onEarlyEnd);
      kubelet.pause();
      const headText = buffered.subarray(0, end).toString('latin1');
      const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(headText)?.[1] ?? 0);
      if (code === 101) {
        client.write(buffered);
        // Either side's end ends the other's: the session is over (upstream closes both halves).
        kubelet.on('end', () => client.end());
        client.on('end', () => kubelet.end());
        kubelet.pipe(client, { end: false });
        client.pipe(kubelet, { end: false });
        return;
      }
      if (code >= 400) {
        // The kubelet refused: its answer, and nothing more, goes to the client as is.
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(headText);
        client.write(buffered);
        let remaining = length ? Number(length[1]) - (buffered.length - end - 4) : Infinity;
        if (remaining <= 0) {
          client.end();
          return;
        }
        kubelet.on('data', (c: Buffer) => {
          client.write(remaining === Infinity ? c : c.subarray(0, Math.max(0, remaining)));
          remaining -= c.length;
          if (remaining <= 0) client.end();
        });
        kubelet.resume();
        return;
      }
      kubelet.destroy();
      writeStatusResponse(client, new ApiError({ code: 500, reason: '', message: `invalid upgrade response: status code ${code}` }));
    };
    const onEarlyEnd = (): void => {
      answered = true;
      kubelet.off('data', onHead);
      writeStatusResponse(client, new ApiError({ code: 500, reason: '', message: buffered.length === 0 ? 'EOF' : 'unexpected EOF' }));
    };
    kubelet.on('data', onHead);
    kubelet.once('end', onEarlyEnd);
  }

  /** A connection to the kubelet, or an ApiError naming the address (upstream's wording). */
  private dial(loc: KubeletLocation, client: Duplex): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const sock: Socket = loc.tls
        ? tlsConnect({ host: loc.host, port: loc.port, rejectUnauthorized: false, servername: sni(loc.host), ALPNProtocols: ['http/1.1'] })
        : netConnect({ host: loc.host, port: loc.port });
      // The client may give up while we dial.
      const abandon = (): void => {
        sock.destroy();
      };
      client.once('close', abandon);
      sock.setTimeout(this.dialTimeoutMs, () => sock.destroy(dialTimeout()));
      const onError = (err: Error): void => {
        client.off('close', abandon);
        reject(new ApiError({ code: 500, reason: '', message: `error dialing backend: ${dialErrorText(err, loc)}` }));
      };
      sock.once('error', onError);
      sock.once(loc.tls ? 'secureConnect' : 'connect', () => {
        sock.setTimeout(0);
        sock.off('error', onError);
        client.off('close', abandon);
        resolve(sock);
      });
    });
  }

  // ---- node proxy -------------------------------------------------------------------------------

  /**
   * The node may be named `name`, `name:port` or `scheme:name:port` (upstream
   * SplitSchemeNamePort): no port or the kubelet's port reach the kubelet over TLS; another port
   * is reached with the scheme given (http when none).
   */
  private async nodeProxyLocation(target: Extract<KubeletTarget, { kind: 'nodeProxy' }>, url: URL): Promise<KubeletLocation> {
    const parts = target.name.split(':');
    const [scheme, name, port] = parts.length === 3 ? parts : ['', parts[0] ?? '', parts[1] ?? ''];
    if (parts.length > 3 || name === '' || !['', 'http', 'https'].includes(scheme!)) throw badRequest(`invalid node request ${goQuote(target.name)}`);
    const node = await this.connectionInfo(name!);
    const path = `${target.path === '' ? '/' : target.path}${url.search}`;
    if (port === '' || port === String(node.port)) return { ...node, tls: true, path };
    if (!/^\d+$/.test(port!) || Number(port) > 65535) throw badRequest(`invalid node request ${goQuote(target.name)}`);
    return { host: node.host, port: Number(port), tls: scheme === 'https', path };
  }

  /** A plain reverse proxy: method, headers (minus hop-by-hop and credentials), body, both ways. */
  private forward(req: IncomingMessage, res: ServerResponse, loc: KubeletLocation): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const headers = forwardedHeaders(req);
      headers.host = joinHostPort(loc.host, loc.port);
      const kreq = this.request(loc, { method: req.method ?? 'GET', headers });
      this.open.add(kreq);
      let answered = false;
      res.on('close', () => {
        if (!res.writableFinished) kreq.destroy();
        this.open.delete(kreq);
        if (answered) resolve();
      });
      kreq.on('error', (err: Error) => {
        if (answered) return;
        this.open.delete(kreq);
        reject(new ApiError({ code: 500, reason: '', message: dialErrorText(err, loc) }));
      });
      kreq.on('response', (kres) => {
        answered = true;
        const out: string[] = [];
        for (let i = 0; i + 1 < kres.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(kres.rawHeaders[i]!.toLowerCase())) out.push(kres.rawHeaders[i]!, kres.rawHeaders[i + 1]!);
        }
        res.writeHead(kres.statusCode ?? 502, out);
        kres.pipe(res);
        kres.on('error', () => res.destroy());
        kres.on('aborted', () => res.destroy());
      });
      req.pipe(kreq);
    });
  }

  // ---- shared -------------------------------------------------------------------------------------

  /** The kubelet of a node (upstream GetConnectionInfo): preferred address, reported port. */
  private async connectionInfo(nodeName: string): Promise<{ host: string; port: number }> {
    const node = nodeView(await this.options.getNode(nodeName));
    let host: string | undefined;
    for (const type of this.preferred) {
      host = node.addresses.find((a) => a.type === type)?.address;
      if (host !== undefined) break;
    }
    if (host === undefined) {
      // Go prints the []NodeAddress with %v: [{Type Address} ...].
      const known = node.addresses.map((a) => `{${a.type} ${a.address}}`).join(' ');
      throw new ApiError({ code: 500, reason: '', message: `no preferred addresses found; known addresses: [${known}]` });
    }
    return { host, port: node.port > 0 ? node.port : this.defaultPort };
  }

  /**
   * An HTTP(S) request to a kubelet location. Connecting may take dialTimeoutMs; once connected
   * the request may idle for as long as the kubelet streams (a log follow).
   */
  private request(loc: KubeletLocation, o: { method: string; headers?: OutgoingHttpHeaders }): ClientRequest {
    const base = { host: loc.host, port: loc.port, path: loc.path, method: o.method, headers: o.headers };
    const kreq = loc.tls
      ? httpsRequest({ ...base, agent: this.httpsAgent, rejectUnauthorized: false, servername: sni(loc.host) })
      : httpRequest({ ...base, agent: this.httpAgent });
    kreq.once('socket', (s) => {
      s.setTimeout(this.dialTimeoutMs, () => kreq.destroy(dialTimeout()));
      s.once(loc.tls ? 'secureConnect' : 'connect', () => s.setTimeout(0));
    });
    return kreq;
  }
}

// ---- answering on a raw socket --------------------------------------------------------------------

/** Writes an ApiError as a complete HTTP response on an upgrade socket, then closes it. */
export function writeStatusResponse(socket: Duplex, err: ApiError): void {
  if (socket.destroyed || !socket.writable) return;
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** For upgrade requests to paths that are not kubelet-backed: we stream only those. */
export function upgradeNotSupported(): ApiError {
  return badRequest('the server does not support upgrading the connection for this request');
}

function methodNotAllowed(): ApiError {
  return new ApiError({ code: 405, reason: 'MethodNotAllowed', message: 'the server does not allow this method on the requested resource' });
}

// ---- the request replayed to the kubelet ------------------------------------------------------------

/**
 * The upgrade request as the kubelet sees it: the client's method and headers (Upgrade,
 * Connection, Sec-WebSocket-*, X-Stream-Protocol-Version, ...) on the kubelet's path, without the
 * client's credentials, with X-Forwarded-For extended as upstream does.
 */
function upgradeRequestHead(req: IncomingMessage, loc: KubeletLocation): string {
  const lines = [`${req.method ?? 'GET'} ${loc.path} HTTP/1.1`, `Host: ${joinHostPort(loc.host, loc.port)}`];
  const forwardedFor: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === 'host' || CREDENTIALS.has(lower) || lower.startsWith('impersonate-')) continue;
    if (lower === 'x-forwarded-for') {
      forwardedFor.push(req.rawHeaders[i + 1]!);
      continue;
    }
    lines.push(`${name}: ${req.rawHeaders[i + 1]!}`);
  }
  const clientIp = req.socket.remoteAddress;
  if (clientIp) lines.push(`X-Forwarded-For: ${[...forwardedFor, clientIp].join(', ')}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const lower = req.rawHeaders[i]!.toLowerCase();
    if (lower === 'host' || HOP_BY_HOP.has(lower) || CREDENTIALS.has(lower) || lower.startsWith('impersonate-')) continue;
    const value = req.rawHeaders[i + 1]!;
    const prior = out[lower];
    out[lower] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  const clientIp = req.socket.remoteAddress;
  if (clientIp) {
    const prior = out['x-forwarded-for'];
    out['x-forwarded-for'] = [...(prior === undefined ? [] : Array.isArray(prior) ? prior : [prior]), clientIp].join(', ');
  }
  return out;
}

// ---- errors in Go's words ------------------------------------------------------------------------------

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** SNI only for names; an IP address is not a valid server name. */
function sni(host: string): string | undefined {
  return isIP(host) === 0 ? host : undefined;
}

function dialTimeout(): Error {
  return Object.assign(new Error('i/o timeout'), { code: 'CAPSTAN_DIAL_TIMEOUT' });
}

/** A connection failure as Go's net package words it (`dial tcp 10.0.0.1:10250: connect: connection refused`). */
function dialErrorText(err: Error, loc: { host: string; port: number }): string {
  const addr = joinHostPort(loc.host, loc.port);
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'CAPSTAN_DIAL_TIMEOUT':
    case 'ETIMEDOUT':
      return `dial tcp ${addr}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${loc.host}: no such host`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    default:
      return err.message;
  }
}

/**
 * A kubelet's error answer as upstream's GenericHttpResponseChecker turns it into a Status: 500
 * and 400 keep the kubelet's text; every other code gets the generic message of its class.
 */
function kubeletError({ code, body, resource: gr, name }: { code: number; body: string; resource: GroupResource; name: string }): ApiError {
  if (code === 500) return internalError(body);
  if (code === 400) return badRequest(body);
  let reason = '';
  let message = `the server responded with the status code ${code} but did not return more information`;
  switch (code) {
    case 404: reason = 'NotFound'; message = 'the server could not find the requested resource'; break;
    case 409: reason = 'Conflict'; message = 'the server reported a conflict'; break;
    case 401: reason = 'Unauthorized'; message = 'the server has asked for the client to provide credentials'; break;
    case 403: reason = 'Forbidden'; message = body; break;
    case 405: reason = 'MethodNotAllowed'; message = 'the server does not allow this method on the requested resource'; break;
    case 422: reason = 'Invalid'; message = 'the server rejected our request due to an error in our request'; break;
    case 504: reason = 'Timeout'; message = 'the server was unable to return a response in the time allotted, but may still be processing the request'; break;
    case 429: reason = 'TooManyRequests'; message = 'the server has received too many requests and has asked us to try again later'; break;
    default:
      if (code >= 500) {
        reason = 'InternalError';
        message = `an error on the server (${goQuote(body)}) has prevented the request from succeeding`;
      }
  }
  // The verb is empty here, hence upstream's double space: "( pods/log p)".
  return new ApiError({ code, reason, message: `${message} ( ${gr.resource} ${name})`, details: { group: gr.group, kind: gr.resource, name } });
}

function readLimited(stream: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      if (size < limit) chunks.push(c.subarray(0, limit - size));
      size += c.length;
    });
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

// ---- the objects we read ----------------------------------------------------------------------------------

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((c) => (isRecord(c) ? str(c.name) : '')) : [];
}

interface PodView {
  name: string;
  namespace: string;
  nodeName: string;
  phase: string;
  containers: string[];
  /** Init, regular and ephemeral containers, in that order (upstream VisitContainers). */
  all: string[];
}

function podView(obj: unknown): PodView {
  const o = isRecord(obj) ? obj : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const spec = isRecord(o.spec) ? o.spec : {};
  const status = isRecord(o.status) ? o.status : {};
  const containers = names(spec.containers);
  return {
    name: str(meta.name),
    namespace: str(meta.namespace),
    nodeName: str(spec.nodeName),
    phase: str(status.phase),
    containers,
    all: [...names(spec.initContainers), ...containers, ...names(spec.ephemeralContainers)],
  };
}

function nodeView(obj: unknown): { addresses: Array<{ type: string; address: string }>; port: number } {
  const o = isRecord(obj) ? obj : {};
  const status = isRecord(o.status) ? o.status : {};
  const addresses = Array.isArray(status.addresses) ? status.addresses.filter(isRecord).map((a) => ({ type: str(a.type), address: str(a.address) })) : [];
  const endpoints = isRecord(status.daemonEndpoints) ? status.daemonEndpoints : {};
  const kubelet = isRecord(endpoints.kubeletEndpoint) ? endpoints.kubeletEndpoint : {};
  return { addresses, port: typeof kubelet.Port === 'number' ? kubelet.Port : 0 };
}

/** The container a request names, or the pod's only container (upstream validateContainer). */
function validateContainer(container: string, pod: PodView): string {
  if (container === '') {
    if (pod.containers.length === 1) return pod.containers[0]!;
    if (pod.containers.length === 0) throw badRequest(`a container name must be specified for pod ${pod.name}`);
    throw badRequest(`a container name must be specified for pod ${pod.name}, choose one of: [${pod.all.join(' ')}]`);
  }
  if (!pod.all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${pod.name}`);
  return container;
}

// ---- query parameters, decoded as upstream's parameter codec does -------------------------------------

/** Present and not "0"/"false" (any case) is true, even when empty (upstream Convert_Slice_string_To_bool). */
function boolParam(q: URLSearchParams, key: string): boolean {
  const v = q.getAll(key);
  if (v.length === 0) return false;
  return !(v[0] === '0' || v[0]!.toLowerCase() === 'false');
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function int64Param(q: URLSearchParams, key: string): bigint | undefined {
  const v = q.getAll(key);
  if (v.length === 0) return undefined;
  const s = v[0]!;
  if (!/^[+-]?\d+$/.test(s)) throw badRequest(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > INT64_MAX || n < INT64_MIN) throw badRequest(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return n;
}

interface LogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  sinceSeconds?: bigint;
  /** Already in the form sent to the kubelet (RFC 3339, whole seconds, UTC). */
  sinceTime?: string;
  timestamps: boolean;
  tailLines?: bigint;
  limitBytes?: bigint;
}

/** In PodLogOptions' field order, which decides which bad parameter is reported first. */
function decodeLogOptions(q: URLSearchParams): LogOptions {
  const container = q.get('container') ?? '';
  const follow = boolParam(q, 'follow');
  const previous = boolParam(q, 'previous');
  const sinceSeconds = int64Param(q, 'sinceSeconds');
  const sinceTime = q.has('sinceTime') ? rfc3339ForKubelet(q.get('sinceTime')!) : undefined;
  const timestamps = boolParam(q, 'timestamps');
  const tailLines = int64Param(q, 'tailLines');
  const limitBytes = int64Param(q, 'limitBytes');
  return { container, follow, previous, sinceSeconds, sinceTime, timestamps, tailLines, limitBytes };
}

function validateLogOptions(o: LogOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (o.tailLines !== undefined && o.tailLines < 0n) errs.push(field.invalid(fieldPath('tailLines'), o.tailLines, 'must be greater than or equal to 0'));
  if (o.limitBytes !== undefined && o.limitBytes < 1n) errs.push(field.invalid(fieldPath('limitBytes'), o.limitBytes, 'must be greater than 0'));
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) {
    errs.push(field.forbidden(fieldPath(''), 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (o.sinceSeconds !== undefined && o.sinceSeconds < 1n) {
    errs.push(field.invalid(fieldPath('sinceSeconds'), o.sinceSeconds, 'must be greater than 0'));
  }
  return errs;
}

interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container: string;
  command: string[];
}

function decodeStreamOptions(q: URLSearchParams, exec: boolean): StreamOptions {
  return {
    stdin: boolParam(q, 'stdin'),
    stdout: boolParam(q, 'stdout'),
    stderr: boolParam(q, 'stderr'),
    tty: boolParam(q, 'tty'),
    container: q.get('container') ?? '',
    command: exec ? q.getAll('command') : [],
  };
}

/** `ports` may repeat and hold comma-separated lists (upstream Convert_Slice_string_To_Slice_int32). */
function decodePorts(q: URLSearchParams): number[] {
  const out: number[] = [];
  for (const value of q.getAll('ports')) {
    for (const p of value.split(',')) {
      if (!/^\d+$/.test(p)) throw badRequest(`cannot convert to []int32: strconv.ParseUint: parsing ${goQuote(p)}: invalid syntax`);
      if (Number(p) > 65535) throw badRequest(`cannot convert to []int32: strconv.ParseUint: parsing ${goQuote(p)}: value out of range`);
      out.push(Number(p));
    }
  }
  return out;
}

// ---- sinceTime: Go's time.Parse(time.RFC3339, ...) and its error texts ---------------------------------

const RFC3339_LAYOUT = '2006-01-02T15:04:05Z07:00';

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses a sinceTime query value as metav1.Time does (empty or "null" is the zero time) and
 * formats it again as upstream does for the kubelet (RFC 3339, fraction dropped). The layout is
 * walked element by element so that a bad value fails with Go's message for that element.
 */
function rfc3339ForKubelet(value: string): string {
  if (value === '' || value === 'null') return '0001-01-01T00:00:00Z';
  const cannot = (rest: string, elem: string): ApiError =>
    badRequest(`parsing time ${goQuote(value)} as ${goQuote(RFC3339_LAYOUT)}: cannot parse ${goQuote(rest)} as ${goQuote(elem)}`);
  const outOfRange = (what: string): ApiError => badRequest(`parsing time ${goQuote(value)}: ${what} out of range`);
  let v = value;
  const literal = (ch: string): void => {
    if (v[0] !== ch) throw cannot(v, ch);
    v = v.slice(1);
  };
  const num = (fixed: boolean, elem: string): number => {
    if (!isDigit(v, 0)) throw cannot(v, elem);
    if (!isDigit(v, 1)) {
      if (fixed) throw cannot(v, elem);
      const n = Number(v[0]);
      v = v.slice(1);
      return n;
    }
    const n = Number(v.slice(0, 2));
    v = v.slice(2);
    return n;
  };
  if (v.length < 4 || !/^[+-]?\d+$/.test(v.slice(0, 4))) throw cannot(v, '2006');
  const year = Number(v.slice(0, 4));
  v = v.slice(4);
  literal('-');
  const month = num(true, '01');
  if (month < 1 || month > 12) throw outOfRange('month');
  literal('-');
  const day = num(true, '02');
  literal('T');
  const hour = num(false, '15');
  if (hour >= 24) throw outOfRange('hour');
  literal(':');
  const minute = num(true, '04');
  if (minute >= 60) throw outOfRange('minute');
  literal(':');
  const second = num(true, '05');
  if (second >= 60) throw outOfRange('second');
  if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigit(v, 1)) {
    let n = 2;
    while (n < v.length && isDigit(v, n)) n++;
    v = v.slice(n);
  }
  let offsetMinutes = 0;
  if (v[0] === 'Z') {
    v = v.slice(1);
  } else {
    const hold = v;
    if (v.length < 6 || v[3] !== ':' || !/^\d\d$/.test(v.slice(1, 3)) || !/^\d\d$/.test(v.slice(4, 6))) throw cannot(hold, 'Z07:00');
    const hh = Number(v.slice(1, 3));
    const mm = Number(v.slice(4, 6));
    if (hh > 24) throw outOfRange('time zone offset hour');
    if (mm > 60) throw outOfRange('time zone offset minute');
    if (v[0] !== '+' && v[0] !== '-') throw cannot(hold, 'Z07:00');
    offsetMinutes = (v[0] === '-' ? -1 : 1) * (hh * 60 + mm);
    v = v.slice(6);
  }
  if (v.length > 0) throw badRequest(`parsing time ${goQuote(value)}: extra text: ${goQuote(v)}`);
  if (day < 1 || day > daysIn(month, year)) throw outOfRange('day');
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  d.setUTCFullYear(year);
  d.setTime(d.getTime() - offsetMinutes * 60_000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

// ---- URLs for the kubelet ---------------------------------------------------------------------------------

function pathSegments(...segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}

/** Go's url.QueryEscape: only A-Z a-z 0-9 - _ . ~ stay, a space becomes '+'. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's url.Values.Encode: keys sorted, each key's values in order; '' for no parameters. */
function encodeQuery(params: ReadonlyArray<readonly [string, string]>): string {
  if (params.length === 0) return '';
  const keys = [...new Set(params.map(([k]) => k))].sort();
  const parts: string[] = [];
  for (const k of keys) for (const [pk, v] of params) if (pk === k) parts.push(`${queryEscape(k)}=${queryEscape(v)}`);
  return `?${parts.join('&')}`;
}
