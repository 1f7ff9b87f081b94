// Real kubectl 1.32 against serveRemoteCommand, once over WebSockets (its default, v5 channels)
// and once over SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false). The "container" is this machine:
// start() runs the requested command as a local process.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { execRequestFromQuery, serveRemoteCommand } from './remote_command.js';
import { haveKubectl, processSession, startFakeApiServer, type FakeApiServer } from './testing.js';

const skip = haveKubectl() ? false : 'kubectl 1.32 not installed';

const ENV: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
for (let i = 0; i < 300; i++) ENV[`CAPSTAN_VAR_${i}`] = `value-${i}-${'x'.repeat(i % 50)}`;

test('execRequestFromQuery reads both the API server and the kubelet query forms', () => {
  assert.deepEqual(execRequestFromQuery(new URLSearchParams('command=sh&command=-c&command=ls&container=c&stderr=true&stdin=true&stdout=true')), {
    command: ['sh', '-c', 'ls'], container: 'c', stdin: true, stdout: true, stderr: true, tty: false,
  });
  assert.deepEqual(execRequestFromQuery(new URLSearchParams('command=ls&input=1&output=1&error=1&tty=1')), {
    command: ['ls'], container: '', stdin: true, stdout: true, stderr: false, tty: true,
  });
});

for (const transport of ['websocket', 'spdy'] as const) {
  describe(`kubectl exec/attach/cp over ${transport}`, { skip }, () => {
    let api: FakeApiServer;
    let dir: string;
    const env: Record<string, string> = transport === 'spdy' ? { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } : {};

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'capstan-exec-'));
      api = await startFakeApiServer({
        onUpgrade: ({ subresource, query, upgrade }) => {
          if (subresource === 'portforward') return undefined;
          const request = execRequestFromQuery(query);
          // attach joins "the container's main process": here a fixed little script.
          const argv = subresource === 'attach' ? ['sh', '-c', 'echo attached; echo to-stderr >&2; exit 0'] : request.command;
          return serveRemoteCommand(upgrade, { ...request, start: () => processSession(argv, { env: ENV }) });
        },
      });
    });
    after(async () => {
      await api.close();
      await rm(dir, { recursive: true, force: true });
    });

    // Every session must end on our side too once kubectl is done (no leaked sockets).
    afterEach(() => api.settled());

    const kubectl = (args: string[], input?: Buffer | string) => api.kubectl(args, { env, input });

    test('stdout, stderr and the exit code', async () => {
      const r = await kubectl(['exec', 'p', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.stdout.toString(), 'out\n');
      assert.match(r.stderr, /^err$/m);
      assert.match(r.stderr, /command terminated with exit code 3/);
      assert.equal(r.code, 3);
      const seen = api.upgrades.at(-1);
      assert.equal(seen?.transport, transport);
    });

    test('exit 0 is a clean exit', async () => {
      const r = await kubectl(['exec', 'p', '--', 'true']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, 0);
    });

    test('piped stdin reaches the process and its end ends the command', async () => {
      const r = await kubectl(['exec', '-i', 'p', '--', 'cat'], 'hello\nworld\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'hello\nworld\n');
    });

    test('env output arrives complete', async () => {
      const r = await kubectl(['exec', 'p', '--', 'env']);
      assert.equal(r.code, 0, r.stderr);
      const lines = new Set(r.stdout.toString().split('\n').filter((l) => l !== ''));
      for (const [k, v] of Object.entries(ENV)) assert.ok(lines.has(`${k}=${v}`), `missing ${k}`);
    });

    test('5 MB of output arrives intact', async () => {
      const file = join(dir, `big-${transport}`);
      const content = randomBytes(5 * 1024 * 1024);
      await writeFile(file, content);
      const r = await kubectl(['exec', 'p', '--', 'cat', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, content.length);
      assert.ok(r.stdout.equals(content));
    });

    test('5 MB of input arrives intact', async () => {
      const content = randomBytes(5 * 1024 * 1024);
      const r = await kubectl(['exec', '-i', 'p', '--', 'sha256sum'], content);
      assert.equal(r.code, 0, r.stderr);
      const { createHash } = await import('node:crypto');
      assert.equal(r.stdout.toString().split(' ')[0], createHash('sha256').update(content).digest('hex'));
    });

    test('a command that cannot start is reported as an error', async () => {
      const r = await kubectl(['exec', 'p', '--', 'capstan-no-such-command']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /capstan-no-such-command/);
    });

    test('kubectl cp to and from the pod', async () => {
      const src = join(dir, `src-${transport}`);
      const dst = join(dir, `dst-${transport}`);
      const back = join(dir, `back-${transport}`);
      await mkdir(src);
      await mkdir(dst);
      await writeFile(join(src, 'a.txt'), 'alpha\n');
      await writeFile(join(src, 'b.bin'), randomBytes(200_000));
      const up = await kubectl(['cp', src, `p:${dst}/copied`]);
      assert.equal(up.code, 0, up.stderr);
      assert.equal(await readFile(join(dst, 'copied', 'a.txt'), 'utf8'), 'alpha\n');
      assert.ok((await readFile(join(dst, 'copied', 'b.bin'))).equals(await readFile(join(src, 'b.bin'))));
      const down = await kubectl(['cp', `p:${dst}/copied`, back]);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(await readFile(join(back, 'a.txt'), 'utf8'), 'alpha\n');
    });

    test('kubectl attach shows the container output', async () => {
      const r = await kubectl(['attach', 'p', '-c', 'c']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), 'attached\n');
      assert.match(r.stderr, /to-stderr/);
    });

    test('the protocol negotiated is the one kubectl prefers', () => {
      const offered = api.upgrades.filter((u) => u.subresource === 'exec').map((u) => u.transport);
      assert.ok(offered.length > 0 && offered.every((t) => t === transport));
    });
  });
}
