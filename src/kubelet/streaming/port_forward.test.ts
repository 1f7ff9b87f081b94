// Real kubectl 1.32 port-forward against servePortForward: over its default (SPDY tunnelled in
// WebSocket messages) and plain SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false). The pod's port is
// an HTTP server this test runs on 127.0.0.1; dial() connects to it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { servePortForward } from './port_forward.js';
import { haveKubectl, startFakeApiServer, type FakeApiServer } from './testing.js';

const skip = haveKubectl() ? false : 'kubectl 1.32 not installed';

function dialLocal(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Collects a child's output and waits for a line matching `re`. */
function watch(child: ChildProcess): { text: () => string; waitFor: (re: RegExp) => Promise<RegExpExecArray> } {
  let text = '';
  const waiters: Array<() => void> = [];
  const onData = (c: Buffer): void => {
    text += c.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => { for (const w of waiters.splice(0)) w(); });
  const waitFor = async (re: RegExp): Promise<RegExpExecArray> => {
    for (;;) {
      const m = re.exec(text);
      if (m) return m;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kubectl exited; output:\n${text}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { text: () => text, waitFor };
}

for (const transport of ['websocket', 'spdy'] as const) {
  describe(`kubectl port-forward over ${transport}`, { skip }, () => {
    let api: FakeApiServer;
    let pod: http.Server;
    let podPort: number;
    const dials: number[] = [];
    const env: Record<string, string> = transport === 'spdy' ? { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } : {};

    before(async () => {
      pod = http.createServer((req, res) => {
        res.setHeader('Connection', 'close');
        res.end(`hello from the pod, ${req.url ?? ''}`);
      });
      pod.listen(0, '127.0.0.1');
      await once(pod, 'listening');
      podPort = (pod.address() as AddressInfo).port;
      api = await startFakeApiServer({
        onUpgrade: ({ pod: name, subresource, upgrade }) => {
          if (subresource !== 'portforward') return undefined;
          return servePortForward(upgrade, {
            podName: name, podUid: `uid-${name}`,
            dial: (port) => {
              dials.push(port);
              return dialLocal(port);
            },
          });
        },
      });
    });
    after(async () => {
      await api.close();
      pod.closeAllConnections();
      await new Promise<void>((resolve) => pod.close(() => resolve()));
    });

    // Once kubectl is gone (killed here if a failed test left it running), its session must end
    // on our side too.
    afterEach(async () => {
      await api.killKubectl();
      await api.settled();
    });

    test('two connections through one forward', async () => {
      const child = api.spawnKubectl(['port-forward', '--address', '127.0.0.1', 'pod/p', `:${podPort}`], { env });
      const out = watch(child);
      const m = await out.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/);
      const local = Number(m[1]);
      assert.equal(Number(m[2]), podPort);
      const first = await get(local);
      assert.deepEqual(first, { status: 200, body: 'hello from the pod, /' });
      const second = await get(local);
      assert.deepEqual(second, { status: 200, body: 'hello from the pod, /' });
      assert.deepEqual(dials.slice(-2), [podPort, podPort]);
      const seen = api.upgrades.filter((u) => u.subresource === 'portforward').at(-1);
      assert.equal(seen?.transport, transport);
      child.kill('SIGTERM');
      await once(child, 'exit');
    });

    test('a dial failure is reported on the error stream', async () => {
      const dead = await freePort();
      const child = api.spawnKubectl(['port-forward', '--address', '127.0.0.1', 'pod/p', `:${dead}`], { env });
      const out = watch(child);
      const m = await out.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) -> \d+/);
      const local = Number(m[1]);
      // The local connection is accepted, then closed without an answer.
      await assert.rejects(get(local));
      await out.waitFor(new RegExp(`error forwarding port ${dead} to pod p, uid uid-p: connect ECONNREFUSED`));
      child.kill('SIGTERM');
      await once(child, 'exit').catch(() => {});
    });
  });
}
