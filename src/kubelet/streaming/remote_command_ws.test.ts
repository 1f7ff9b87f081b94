// The WebSocket channel protocols kubectl 1.32 does not exercise (v4, base64, the unversioned
// one), resize and the v5 close signal, driven by a `ws` client against serveRemoteCommand with
// an in-memory ExecSession.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import type { ExecSession } from '../runtime/runtime.js';
import { serveRemoteCommand, type RemoteCommandOptions } from './remote_command.js';
import type { StreamingHandle } from './upgrade.js';

interface FakeSession {
  session: ExecSession;
  stdinText: () => string;
  stdinEnded: Promise<void>;
  resizes: Array<[number, number]>;
  exit: (code: number, output?: string) => void;
}

function fakeSession(): FakeSession {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stdin.on('data', (c: Buffer) => { text += c.toString(); });
  const stdinEnded = once(stdin, 'end').then(() => {});
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => { resolveExit = resolve; });
  const resizes: Array<[number, number]> = [];
  return {
    session: { stdin, stdout, stderr, resize: (c, r) => resizes.push([c, r]), exited, kill: () => resolveExit(-1) },
    stdinText: () => text,
    stdinEnded,
    resizes,
    exit: (code, output) => {
      if (output !== undefined) stdout.write(output);
      stdout.end();
      stderr.end();
      resolveExit(code);
    },
  };
}

let server: http.Server;
let port: number;
let next: { options: Omit<RemoteCommandOptions, 'stdin' | 'stdout' | 'stderr' | 'tty'>; tty?: boolean } | undefined;
const handles: StreamingHandle[] = [];

before(async () => {
  server = http.createServer();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!next) throw new Error('no session prepared');
    handles.push(serveRemoteCommand({ req, socket, head }, { stdin: true, stdout: true, stderr: true, tty: next.tty ?? false, ...next.options }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await Promise.all(handles.map((h) => h.closed));
  server.close();
});

interface Client {
  ws: WebSocket;
  messages: Array<{ data: Buffer; binary: boolean }>;
  closed: Promise<number>;
}

async function connect(protocols: string[] | undefined): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, protocols);
  const messages: Client['messages'] = [];
  ws.on('message', (data: Buffer, binary: boolean) => messages.push({ data, binary }));
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  await once(ws, 'open');
  return { ws, messages, closed };
}

test('v4.channel.k8s.io: hello frame, output, JSON status, normal close', async () => {
  const fake = fakeSession();
  next = { options: { start: async () => fake.session } };
  const c = await connect(['v4.channel.k8s.io']);
  assert.equal(c.ws.protocol, 'v4.channel.k8s.io');
  c.ws.send(Buffer.from([0, ...Buffer.from('typed')]));
  await new Promise((r) => setImmediate(r));
  fake.exit(3, 'out');
  assert.equal(await c.closed, 1000);
  assert.deepEqual(c.messages[0]?.data, Buffer.from([1]));
  assert.deepEqual(c.messages[1]?.data, Buffer.from([1, ...Buffer.from('out')]));
  const status: unknown = JSON.parse(c.messages.at(-1)?.data.subarray(1).toString() ?? '');
  assert.equal(c.messages.at(-1)?.data[0], 3);
  assert.deepEqual(status, {
    metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: exit status 3',
    reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  assert.equal(fake.stdinText(), 'typed');
});

test('v4.base64.channel.k8s.io: text frames, base64 both ways', async () => {
  const fake = fakeSession();
  next = { options: { start: async () => fake.session } };
  const c = await connect(['v4.base64.channel.k8s.io']);
  c.ws.send('0' + Buffer.from('abc').toString('base64'));
  await new Promise((r) => setImmediate(r));
  fake.exit(0, 'xyz');
  await c.closed;
  assert.ok(c.messages.every((m) => !m.binary));
  const texts = c.messages.map((m) => m.data.toString());
  assert.equal(texts[0], '1');
  assert.equal(texts[1], '1' + Buffer.from('xyz').toString('base64'));
  assert.equal(texts.at(-1), '3' + Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' })).toString('base64'));
  assert.equal(fake.stdinText(), 'abc');
});

test('channel.k8s.io: only a failure message on the error channel', async () => {
  const ok = fakeSession();
  next = { options: { start: async () => ok.session } };
  const c1 = await connect(['channel.k8s.io']);
  ok.exit(0);
  await c1.closed;
  assert.ok(c1.messages.every((m) => m.data[0] !== 3));

  next = { options: { start: () => Promise.reject(new Error('no such container')) } };
  const c2 = await connect(['channel.k8s.io']);
  await c2.closed;
  const last = c2.messages.at(-1)?.data;
  assert.equal(last?.[0], 3);
  assert.equal(last?.subarray(1).toString(), 'Internal error occurred: error executing command in container: no such container');
});

test('v5.channel.k8s.io: the close signal ends stdin; resize reaches the session', async () => {
  const fake = fakeSession();
  next = { options: { start: async () => fake.session }, tty: true };
  const c = await connect(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  assert.equal(c.ws.protocol, 'v5.channel.k8s.io');
  c.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}\n')]));
  c.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('last line\n')]));
  c.ws.send(Buffer.from([255, 0]));
  await fake.stdinEnded;
  assert.equal(fake.stdinText(), 'last line\n');
  assert.deepEqual(fake.resizes, [[80, 24]]);
  fake.exit(0);
  assert.equal(await c.closed, 1000);
});

test('an unsupported subprotocol is refused with 400, so kubectl can fall back to SPDY', async () => {
  next = { options: { start: () => Promise.reject(new Error('not reached')) } };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['v9.channel.k8s.io']);
  ws.on('error', () => {}); // the aborted handshake is the expected outcome
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
  assert.equal(res.statusCode, 400);
  res.resume();
  ws.terminate();
});

test('the client going away kills the process', async () => {
  const fake = fakeSession();
  next = { options: { start: async () => fake.session } };
  const c = await connect(['v5.channel.k8s.io']);
  c.ws.terminate();
  assert.equal(await fake.session.exited, -1);
});
