// Probes against real loopback servers (HTTP, HTTPS, TCP, gRPC over HTTP/2) and a faked exec, then
// the timing rules (initial delay, thresholds, startup before liveness, stop) on a FakeClock so no
// test depends on how fast the machine is. Outcomes of real I/O are awaited with bounded polling.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../client/clock.js';
import { until } from '../client/testing.js';
import type { ExecSession } from './runtime/runtime.js';
import {
  execOnRuntime,
  ProbeWorker,
  runProbe,
  startContainerProbes,
  type ExecFn,
  type ExecResult,
  type ProbeEvent,
  type ProbeResult,
} from './probes.js';

const HOST = '127.0.0.1';
const container: Container = { name: 'app', ports: [{ name: 'web', containerPort: 1 }] };

// A self-signed certificate made for these tests only (EC P-256, CN=probe-test); probes must not verify it.
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAykLVnQMDyLJXPKg
HCyNSyU7tDLOYqQ2wkAuY6Qg5LqhRANCAAQUBj5cJPT7BOkEOudAHwwPov1PWKem
QaegVly+rrgmySiwiJ5q9drXR9L9LquYKrk1CMAsP1ZZvIpHYCFk/Uyh
-----END PRIVATE KEY-----`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBgjCCASegAwIBAgIUedUXxHaRWFaH+g3b0Vm5Oj6YeTMwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKcHJvYmUtdGVzdDAgFw0yNjExMjMxNjEwNTNaGA8yMTI2MTAz
MDE2MTA1M1owFTETMBEGA1UEAwwKcHJvYmUtdGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABBQGPlwk9PsE6QQ650AfDA+i/U9Yp6ZBp6BWXL6uuCbJKLCInmr1
2tdH0v0uq5gquTUIwCw/Vlm8ikdgIWT9TKGjUzBRMB0GA1UdDgQWBBRWBWLV2jYH
CH1FoGkmLDy8pIumDDAfBgNVHSMEGDAWgBRWBWLV2jYHCH1FoGkmLDy8pIumDDAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQD+HH//2iFYEQ+x8SnK
S7b5XhPLFarz9B6vGAj8onyZZwIhALD86jjgodQ7S2ZXC+cJZRf2pbVggHK7+Q1s
ogjmhbd7
-----END CERTIFICATE-----`;

// ---- servers -----------------------------------------------------------------------------------

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

function portOf(server: net.Server | http2.Http2Server): number {
  const a = server.address();
  assert.ok(a && typeof a === 'object');
  return a.port;
}

async function listen<S extends net.Server | http2.Http2Server>(server: S): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return portOf(server);
}

/** The routes every HTTP(S) test server answers. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  switch (url.pathname) {
    case '/ok':
      res.end('fine');
      return;
    case '/fail':
      res.statusCode = 500;
      res.end('broken');
      return;
    case '/echo':
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ua: req.headers['user-agent'], accept: req.headers.accept ?? null, host: req.headers.host, x: req.headers['x-custom'] ?? null, q: url.search }));
      return;
    case '/redirect':
      res.writeHead(302, { location: '/ok' });
      res.end();
      return;
    case '/redirect-away':
      res.writeHead(302, { location: 'http://elsewhere.invalid/ok' });
      res.end('moved');
      return;
    case '/loop':
      res.writeHead(302, { location: `/loop?n=${Number(url.searchParams.get('n') ?? 0) + 1}` });
      res.end();
      return;
    case '/slow':
      // Never answers; the probe's deadline must end it.
      return;
    case '/big':
      res.end('x'.repeat(50_000));
      return;
    default:
      res.statusCode = 404;
      res.end();
  }
}

let httpPortP: Promise<number> | undefined;
function httpPort(): Promise<number> {
  httpPortP ??= listen(http.createServer(handler));
  return httpPortP;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, HOST, resolve));
  const port = portOf(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function httpProbeSpec(port: number | string, path: string, extra: Partial<Probe['httpGet']> = {}): Probe {
  return { httpGet: { port, path, ...extra } };
}

// ---- handlers: httpGet -------------------------------------------------------------------------

describe('httpGet', () => {
  test('200 is success, 500 is failure with upstream words', async () => {
    const port = await httpPort();
    const ok = await runProbe({ probe: httpProbeSpec(port, '/ok'), container, podIP: HOST });
    assert.deepEqual(ok, { result: 'success', output: 'fine' });
    const bad = await runProbe({ probe: httpProbeSpec(port, '/fail'), container, podIP: HOST });
    assert.deepEqual(bad, { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  });

  test('sends kube-probe User-Agent, Accept */*, custom headers; a Host header overrides the host', async () => {
    const port = await httpPort();
    const plain = await runProbe({ probe: httpProbeSpec(port, '/echo?a=1'), container, podIP: HOST });
    assert.equal(plain.result, 'success');
    assert.deepEqual(JSON.parse(plain.output), { ua: 'kube-probe/1.32', accept: '*/*', host: `${HOST}:${port}`, x: null, q: '?a=1' });

    const custom = await runProbe({
      probe: httpProbeSpec(port, '/echo', {
        httpHeaders: [
          { name: 'Host', value: 'app.example' },
          { name: 'X-Custom', value: 'yes' },
          { name: 'Accept', value: '' },
        ],
      }),
      container,
      podIP: HOST,
    });
    assert.deepEqual(JSON.parse(custom.output), { ua: 'kube-probe/1.32', accept: null, host: 'app.example', x: 'yes', q: '' });
  });

  test('host in the spec is used instead of the pod IP; named ports resolve from the container', async () => {
    const port = await httpPort();
    const named: Container = { name: 'app', ports: [{ name: 'web', containerPort: port }] };
    const r = await runProbe({ probe: httpProbeSpec('web', '/ok', { host: HOST }), container: named, podIP: '192.0.2.1' });
    assert.equal(r.result, 'success');
    const missing = await runProbe({ probe: httpProbeSpec('nope', '/ok'), container: named, podIP: HOST });
    assert.deepEqual(missing, { result: 'error', output: 'strconv.Atoi: parsing "nope": invalid syntax' });
    const numeric = await runProbe({ probe: httpProbeSpec(String(port), '/ok'), container: named, podIP: HOST });
    assert.equal(numeric.result, 'success');
  });

  test('redirects: same host followed, other host is success with a warning, loops stop after 10', async () => {
    const port = await httpPort();
    assert.deepEqual(await runProbe({ probe: httpProbeSpec(port, '/redirect'), container, podIP: HOST }), { result: 'success', output: 'fine' });
    assert.deepEqual(await runProbe({ probe: httpProbeSpec(port, '/redirect-away'), container, podIP: HOST }), {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: moved',
    });
    const loop = await runProbe({ probe: httpProbeSpec(port, '/loop'), container, podIP: HOST });
    assert.equal(loop.result, 'failure');
    assert.match(loop.output, /^Get "http:\/\/127\.0\.0\.1:\d+\/loop\?n=10": stopped after 10 redirects$/);
  });

  test('a body is read up to 10 KiB', async () => {
    const port = await httpPort();
    const r = await runProbe({ probe: httpProbeSpec(port, '/big'), container, podIP: HOST });
    assert.equal(r.result, 'success');
    assert.equal(r.output.length, 10 * 1024);
  });

  test('a server slower than the timeout fails the probe', async () => {
    const port = await httpPort();
    const r = await runProbe({ probe: httpProbeSpec(port, '/slow'), container, podIP: HOST, timeoutMs: 200 });
    assert.deepEqual(r, {
      result: 'failure',
      output: `Get "http://${HOST}:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  test('a closed port fails with the dial error', async () => {
    const port = await closedPort();
    const r = await runProbe({ probe: httpProbeSpec(port, '/healthz'), container, podIP: HOST });
    assert.deepEqual(r, {
      result: 'failure',
      output: `Get "http://${HOST}:${port}/healthz": dial tcp ${HOST}:${port}: connect: connection refused`,
    });
  });

  test('HTTPS does not verify the certificate', async () => {
    const port = await listen(https.createServer({ key: TLS_KEY, cert: TLS_CERT }, handler));
    const r = await runProbe({ probe: httpProbeSpec(port, '/ok', { scheme: 'HTTPS' }), container, podIP: HOST });
    assert.deepEqual(r, { result: 'success', output: 'fine' });
  });
});

// ---- handlers: tcpSocket -----------------------------------------------------------------------

describe('tcpSocket', () => {
  test('an open port is success, a closed one failure', async () => {
    const open = await listen(net.createServer((s) => s.end()));
    assert.deepEqual(await runProbe({ probe: { tcpSocket: { port: open } }, container, podIP: HOST }), { result: 'success', output: '' });
    const closed = await closedPort();
    assert.deepEqual(await runProbe({ probe: { tcpSocket: { port: closed } }, container, podIP: HOST }), {
      result: 'failure',
      output: `dial tcp ${HOST}:${closed}: connect: connection refused`,
    });
  });
});

// ---- handlers: grpc ----------------------------------------------------------------------------

describe('grpc', () => {
  const seen: string[] = [];
  let portP: Promise<number> | undefined;

  /** A grpc.health.v1.Health server written against node:http2 directly. */
  function healthServer(): Promise<number> {
    portP ??= (async () => {
      const server = http2.createServer();
      server.on('stream', (stream, headers) => {
        if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' }, { endStream: true });
          return;
        }
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const body = Buffer.concat(chunks);
          // [flag][len:4][0x0a][len][service bytes] or an empty message.
          const service = body.length > 5 ? body.subarray(7, 7 + (body[6] ?? 0)).toString('utf8') : '';
          seen.push(`${String(headers['user-agent'])} ${service}`);
          if (service === 'slow') return; // never answers
          if (service === 'missing') {
            stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown%20service' }, { endStream: true });
            return;
          }
          const status = service === 'down' ? 2 : 1;
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
          stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
        });
      });
      const sessions = new Set<http2.ServerHttp2Session>();
      server.on('session', (s) => {
        sessions.add(s);
        s.on('close', () => sessions.delete(s));
      });
      closers.push(async () => {
        for (const s of sessions) s.destroy();
      });
      return listen(server);
    })();
    return portP;
  }

  const probe = (port: number, service?: string): Probe => ({ grpc: { port, ...(service === undefined ? {} : { service }) } });

  test('SERVING is success; the service name and User-Agent are sent', async () => {
    const port = await healthServer();
    assert.deepEqual(await runProbe({ probe: probe(port), container, podIP: HOST }), { result: 'success', output: 'service healthy' });
    assert.deepEqual(await runProbe({ probe: probe(port, 'api'), container, podIP: HOST }), { result: 'success', output: 'service healthy' });
    assert.ok(seen.includes('kube-probe/1.32 ') && seen.includes('kube-probe/1.32 api'), seen.join('|'));
  });

  test('NOT_SERVING, an error status, a slow server and a closed port are failures', async () => {
    const port = await healthServer();
    assert.deepEqual(await runProbe({ probe: probe(port, 'down'), container, podIP: HOST }), {
      result: 'failure',
      output: 'service unhealthy (responded with "NOT_SERVING")',
    });
    assert.deepEqual(await runProbe({ probe: probe(port, 'missing'), container, podIP: HOST }), {
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
    assert.deepEqual(await runProbe({ probe: probe(port, 'slow'), container, podIP: HOST, timeoutMs: 200 }), {
      result: 'failure',
      output: 'timeout: health rpc did not complete within 200ms',
    });
    const closed = await closedPort();
    assert.deepEqual(await runProbe({ probe: probe(closed), container, podIP: HOST }), {
      result: 'failure',
      output: `error: failed to connect service at "${HOST}:${closed}": dial tcp ${HOST}:${closed}: connect: connection refused`,
    });
  });
});

// ---- handlers: exec ----------------------------------------------------------------------------

function fakeExec(answer: (cmd: string[]) => ExecResult | 'hang' | Error): ExecFn & { calls: string[][] } {
  const calls: string[][] = [];
  const fn = (cmd: string[]): Promise<ExecResult> => {
    calls.push(cmd);
    const a = answer(cmd);
    if (a === 'hang') return new Promise(() => {});
    if (a instanceof Error) return Promise.reject(a);
    return Promise.resolve(a);
  };
  return Object.assign(fn, { calls });
}

describe('exec', () => {
  test('exit 0 is success, non-zero is failure with the output, a hang times out, a broken exec is an error', async () => {
    const exec = fakeExec((cmd) => {
      if (cmd[0] === 'ok') return { exitCode: 0, output: 'all good' };
      if (cmd[0] === 'bad') return { exitCode: 1, output: 'not ready yet' };
      if (cmd[0] === 'hang') return 'hang';
      return new Error('container is not running');
    });
    const run = (command: string[]) => runProbe({ probe: { exec: { command } }, container, podIP: HOST, exec, timeoutMs: 50 });
    assert.deepEqual(await run(['ok']), { result: 'success', output: 'all good' });
    assert.deepEqual(await run(['bad']), { result: 'failure', output: 'not ready yet' });
    assert.deepEqual(await run(['hang', '100']), { result: 'failure', output: 'command "hang 100" timed out' });
    assert.deepEqual(await run(['gone']), { result: 'error', output: 'container is not running' });
  });

  test('execOnRuntime runs the command through the runtime seam and kills it at the timeout', async () => {
    const killed: string[] = [];
    const runtime = {
      async exec(id: string, cmd: string[]): Promise<ExecSession> {
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let exit!: (code: number) => void;
        const exited = new Promise<number>((r) => (exit = r));
        if (cmd[0] === 'check') {
          stdout.write('out ');
          stderr.write('err');
          setImmediate(() => {
            stdout.end();
            stderr.end();
            exit(3);
          });
        }
        return { stdout, stderr, exited, resize: () => {}, kill: () => { killed.push(id); exit(-1); } };
      },
    };
    const exec = execOnRuntime(runtime, 'c1');
    const r = await exec(['check'], 1000);
    assert.equal(r.exitCode, 3);
    assert.equal(r.output.split('').sort().join(''), 'out err'.split('').sort().join(''));
    assert.deepEqual(await exec(['sleep'], 30), { exitCode: -1, output: '', timedOut: true });
    assert.deepEqual(killed, ['c1']);
  });
});

// ---- workers and the per-container manager (FakeClock) -----------------------------------------

/** An exec fn whose answers a test switches by hand. */
function switchableExec(initial: number): { exec: ExecFn & { calls: string[][] }; set(code: number): void } {
  let code = initial;
  const exec = fakeExec(() => ({ exitCode: code, output: code === 0 ? '' : `exit ${code}` }));
  return { exec, set: (c) => (code = c) };
}

const execProbeSpec = (extra: Partial<Probe> = {}): Probe => ({ exec: { command: ['check'] }, periodSeconds: 10, ...extra });

describe('ProbeWorker', () => {
  test('liveness: reports failure only after failureThreshold failures in a row, then stops probing', async () => {
    const clock = new FakeClock(1_000_000);
    const { exec, set } = switchableExec(1);
    const results: Array<[ProbeResult, string]> = [];
    const events: ProbeEvent[] = [];
    const w = new ProbeWorker({
      kind: 'liveness', probe: execProbeSpec(), container, podIP: HOST, startedAt: clock.now(), exec, clock,
      onResult: (r, m) => results.push([r, m]), onEvent: (e) => events.push(e),
    });
    w.start();
    assert.equal(w.result, 'success');
    await clock.advance(0);
    assert.equal(exec.calls.length, 1);
    set(0);
    await clock.advance(10_000); // a success resets the run of failures
    set(1);
    await clock.advance(10_000);
    await clock.advance(10_000);
    assert.deepEqual(results, []);
    await clock.advance(10_000);
    assert.deepEqual(results, [['failure', 'Liveness probe failed: exit 1']]);
    assert.equal(events.length, 4);
    assert.deepEqual(events[0], { type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed: exit 1' });
    const calls = exec.calls.length;
    await clock.advance(60_000);
    assert.equal(exec.calls.length, calls, 'a failed liveness probe is held');
    assert.equal(clock.pending, 0);
    w.stop();
  });

  test('readiness: starts not ready, needs successThreshold successes, reports each change once', async () => {
    const clock = new FakeClock(0);
    const { exec, set } = switchableExec(0);
    const results: ProbeResult[] = [];
    const w = new ProbeWorker({
      kind: 'readiness', probe: execProbeSpec({ successThreshold: 2, failureThreshold: 2 }), container, podIP: HOST,
      startedAt: 0, exec, clock, onResult: (r) => results.push(r),
    });
    assert.equal(w.result, 'failure');
    w.start();
    await clock.advance(0);
    assert.deepEqual(results, []);
    await clock.advance(10_000);
    assert.deepEqual(results, ['success']);
    await clock.advance(10_000);
    assert.deepEqual(results, ['success']);
    set(1);
    await clock.advance(10_000);
    assert.deepEqual(results, ['success']);
    await clock.advance(10_000);
    assert.deepEqual(results, ['success', 'failure']);
    set(0);
    await clock.advance(20_000);
    assert.deepEqual(results, ['success', 'failure', 'success']);
    w.stop();
    assert.equal(clock.pending, 0);
  });

  test('initialDelaySeconds counts from the container start', async () => {
    const clock = new FakeClock(100_000);
    const { exec } = switchableExec(0);
    const w = new ProbeWorker({
      kind: 'readiness', probe: execProbeSpec({ initialDelaySeconds: 30 }), container, podIP: HOST,
      startedAt: 90_000, exec, clock, onResult: () => {},
    });
    w.start();
    await clock.advance(19_999);
    assert.equal(exec.calls.length, 0);
    await clock.advance(1);
    assert.equal(exec.calls.length, 1);
    w.stop();
  });

  test('an error outcome (unresolvable port) is reported as an event and not counted', async () => {
    const clock = new FakeClock(0);
    const results: ProbeResult[] = [];
    const events: string[] = [];
    const w = new ProbeWorker({
      kind: 'liveness', probe: { tcpSocket: { port: 'missing' }, failureThreshold: 1 }, container, podIP: HOST,
      startedAt: 0, clock, onResult: (r) => results.push(r), onEvent: (e) => events.push(e.message),
    });
    w.start();
    await clock.advance(0);
    await clock.advance(10_000);
    assert.deepEqual(results, []);
    assert.deepEqual(events, [
      'Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "missing": invalid syntax',
      'Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "missing": invalid syntax',
    ]);
    w.stop();
  });
});

describe('startContainerProbes', () => {
  test('startup runs first; liveness and readiness only after it succeeded', async () => {
    const clock = new FakeClock(0);
    const answers = { startup: 1, liveness: 0, readiness: 0 };
    const exec = fakeExec((cmd) => {
      const code = answers[cmd[0] as keyof typeof answers];
      return { exitCode: code, output: code === 0 ? '' : `${cmd[0]} failed` };
    });
    const log: string[] = [];
    const probes = startContainerProbes({
      container: {
        name: 'app',
        startupProbe: { exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 30 },
        livenessProbe: { exec: { command: ['liveness'] }, periodSeconds: 10 },
        readinessProbe: { exec: { command: ['readiness'] }, periodSeconds: 5 },
      },
      podIP: HOST, startedAt: 0, exec, clock,
      onLivenessFailure: (m) => log.push(`liveness failure: ${m}`),
      onReadinessChange: (r) => log.push(`ready=${r}`),
      onStartupSuccess: () => log.push('started'),
    });
    assert.equal(probes.started, false);
    assert.equal(probes.ready, false);
    await clock.advance(0);
    await clock.advance(3_000);
    assert.deepEqual(new Set(exec.calls.map((c) => c[0])), new Set(['startup']));
    answers.startup = 0;
    await clock.advance(1_000);
    assert.equal(probes.started, true);
    assert.deepEqual(log, ['started', 'ready=true']);
    assert.equal(probes.ready, true);
    const kinds = exec.calls.map((c) => c[0]);
    assert.deepEqual(kinds.slice(kinds.indexOf('liveness')).sort(), ['liveness', 'readiness']);
    const startupCalls = kinds.filter((k) => k === 'startup').length;

    answers.liveness = 1;
    await clock.advance(30_000);
    assert.deepEqual(log, ['started', 'ready=true', 'liveness failure: Liveness probe failed: liveness failed']);
    assert.equal(exec.calls.filter((c) => c[0] === 'startup').length, startupCalls, 'startup is not probed once started');
    probes.stop();
    assert.equal(probes.ready, false);
    assert.equal(clock.pending, 0);
  });

  test('without a readiness probe the container is ready at once; a failed startup probe restarts', async () => {
    const clock = new FakeClock(0);
    const exec = fakeExec(() => ({ exitCode: 1, output: 'no' }));
    const plain = startContainerProbes({
      container: { name: 'a' }, podIP: HOST, startedAt: 0, exec, clock,
      onLivenessFailure: () => assert.fail('no liveness probe'), onReadinessChange: () => assert.fail('no change'), onStartupSuccess: () => assert.fail('no startup probe'),
    });
    assert.equal(plain.started, true);
    assert.equal(plain.ready, true);
    plain.stop();

    const failures: string[] = [];
    const p = startContainerProbes({
      container: { name: 'b', startupProbe: { exec: { command: ['s'] }, periodSeconds: 1, failureThreshold: 2 } },
      podIP: HOST, startedAt: 0, exec, clock,
      onLivenessFailure: () => assert.fail('startup failure has its own callback'), onReadinessChange: () => {}, onStartupSuccess: () => {},
      onStartupFailure: (m) => failures.push(m),
    });
    await clock.advance(0);
    await clock.advance(5_000);
    assert.deepEqual(failures, ['Startup probe failed: no']);
    assert.equal(p.started, false);
    p.stop();
  });

  test('stop() halts everything, including a run in flight', async () => {
    const clock = new FakeClock(0);
    const exec = fakeExec(() => 'hang');
    const p = startContainerProbes({
      container: { name: 'a', readinessProbe: { exec: { command: ['x'] }, timeoutSeconds: 60 }, livenessProbe: { exec: { command: ['y'] } } },
      podIP: HOST, startedAt: 0, exec, clock,
      onLivenessFailure: () => assert.fail('stopped'), onReadinessChange: () => assert.fail('stopped'), onStartupSuccess: () => {},
    });
    await clock.advance(0);
    assert.equal(exec.calls.length, 2);
    p.stop();
    await clock.advance(120_000);
    assert.equal(exec.calls.length, 2);
    assert.equal(clock.pending, 0);
  });

  test('readiness over real HTTP, with upstream failure messages in the events', async () => {
    const port = await httpPort();
    const clock = new FakeClock(0);
    const ready: boolean[] = [];
    const events: string[] = [];
    let path = '/fail';
    const start = (): ReturnType<typeof startContainerProbes> =>
      startContainerProbes({
        container: { name: 'web', ports: [{ name: 'http', containerPort: port }], readinessProbe: { httpGet: { port: 'http', path }, failureThreshold: 1 } },
        podIP: HOST, startedAt: 0, exec: fakeExec(() => new Error('unused')), clock,
        onLivenessFailure: () => {}, onReadinessChange: (r) => ready.push(r), onStartupSuccess: () => {},
        onEvent: (e) => events.push(e.message),
      });
    const failing = start();
    await clock.advance(0);
    await until('a failed run', () => events.length > 0, 5_000, 10);
    assert.deepEqual(events, ['Readiness probe failed: HTTP probe failed with statuscode: 500']);
    assert.deepEqual(ready, []);
    failing.stop();

    path = '/ok';
    const passing = start();
    await clock.advance(0);
    await until('ready', () => ready.length > 0, 5_000, 10);
    assert.deepEqual(ready, [true]);
    assert.equal(passing.ready, true);
    passing.stop();
  });
});
