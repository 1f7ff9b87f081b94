// The process runtime without isolation (isolation: 'none'): what holds on every machine, root
// or not. Namespaces, cgroups and mounts are tested in isolation.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../../client/testing.js';
import { RuntimeError } from '../runtime.js';
import { createProcessRuntime } from './process_runtime.js';
import { collect, exitOf, logText, processAlive, runToExit, withRuntime } from './testing.js';

const none = { isolation: 'none' as const };

test('info says what is not enforced without isolation', async () => {
  await withRuntime(none, async ({ rt }) => {
    const info = rt.info();
    assert.equal(info.name, 'process');
    assert.equal(info.podNetwork, false);
    assert.equal(info.resourceLimits, false);
    assert.match(info.limitations ?? '', /host network/);
  });
});

test('a container runs with its env and working directory; output goes to its CRI log', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    assert.equal(sb.ip, '127.0.0.1', 'host network: the node IP');
    const exits: string[] = [];
    h.rt.onExit((id) => exits.push(id));
    const cfg = h.containerConfig('c', ['sh', '-c', 'echo "foo=$FOO"; pwd; echo oops >&2; exit 3'], {
      env: [
        ['FOO', 'bar baz'],
        ['PATH', process.env.PATH ?? ''],
      ],
      workingDir: h.dir,
    });
    const { status, output } = await runToExit(h, sb.id, cfg);
    assert.equal(status.state, 'exited');
    assert.equal(status.exitCode, 3);
    assert.equal(status.reason, 'Error');
    assert.ok(status.startedAt && status.finishedAt && status.pid);
    assert.ok(exits.includes(status.id), 'onExit fired');
    assert.deepEqual(output.split('\n').sort(), ['', `${h.dir}`, 'foo=bar baz', 'oops'].sort());
    const raw = await readFile(cfg.logPath, 'utf8');
    assert.match(raw, / stderr F oops\n/);
    const ok = await runToExit(h, sb.id, h.containerConfig('ok', ['true']));
    assert.equal(ok.status.exitCode, 0);
    assert.equal(ok.status.reason, 'Completed');
  });
});

test('a command that cannot start is a RunContainerError naming it; no command is a CreateContainerError', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const id = await h.rt.createContainer(sb.id, h.containerConfig('missing', ['nosuchcmd-capstan', 'x']));
    await assert.rejects(h.rt.startContainer(id), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'RunContainerError');
      assert.match(err.message, /"nosuchcmd-capstan": executable file not found in \$PATH/);
      return true;
    });
    const st = h.rt.containerStatus(id);
    assert.equal(st?.state, 'exited');
    assert.equal(st?.reason, 'StartError');
    const dir = await h.rt.createContainer(sb.id, h.containerConfig('dir', ['/etc']));
    await assert.rejects(h.rt.startContainer(dir), /"\/etc": is a directory/);
    const wd = await h.rt.createContainer(sb.id, h.containerConfig('wd', ['true'], { workingDir: join(h.dir, 'nope') }));
    await assert.rejects(h.rt.startContainer(wd), /working directory .*nope.*no such file/);
    await assert.rejects(h.rt.createContainer(sb.id, h.containerConfig('empty', [])), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.reason, 'CreateContainerError');
      assert.match(err.message, /command/);
      assert.match(err.message, /container runtime/);
      return true;
    });
  });
});

test('stop sends SIGTERM to the whole process group, and SIGKILL after the timeout', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const pidFile = join(h.dir, 'child.pid');
    // The shell forks a child; stopping must reach it too.
    const polite = h.containerConfig('polite', ['sh', '-c', `sleep 1000 & echo $! > ${pidFile}; wait`]);
    const id = await h.rt.createContainer(sb.id, polite);
    await h.rt.startContainer(id);
    const childPid = Number(await until('child pid', async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim()));
    await h.rt.stopContainer(id, 30);
    const st = h.rt.containerStatus(id);
    assert.equal(st?.exitCode, 143, 'killed by SIGTERM');
    assert.equal(st?.reason, 'Error');
    await until('the forked child is gone', () => !processAlive(childPid));

    const stubborn = h.containerConfig('stubborn', ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done']);
    const id2 = await h.rt.createContainer(sb.id, stubborn);
    await h.rt.startContainer(id2);
    await until('trap installed', async () => (await logText(stubborn.logPath)).includes('ready'));
    await h.rt.stopContainer(id2, 1);
    assert.equal(h.rt.containerStatus(id2)?.exitCode, 137, 'SIGKILL after the timeout');
    await h.rt.stopContainer(id2, 1); // stopping an exited container is fine
    await h.rt.removeContainer(id2);
    assert.equal(h.rt.containerStatus(id2), undefined);
  });
});

test('exec runs in the container env and directory, with stdin and with a tty', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const cfg = h.containerConfig('main', ['sleep', '1000'], { env: [['PATH', process.env.PATH ?? ''], ['GREETING', 'hi']], workingDir: h.dir });
    const id = await h.rt.createContainer(sb.id, cfg);
    await h.rt.startContainer(id);

    const s1 = await h.rt.exec(id, ['sh', '-c', 'echo "$GREETING"; pwd; echo e >&2; exit 4'], { stdin: false, tty: false });
    const out1 = collect(s1.stdout);
    const err1 = collect(s1.stderr);
    assert.equal(await s1.exited, 4);
    await out1.done;
    assert.equal(out1.text(), `hi\n${h.dir}\n`);
    assert.equal(err1.text(), 'e\n');

    const s2 = await h.rt.exec(id, ['cat'], { stdin: true, tty: false });
    const out2 = collect(s2.stdout);
    s2.stdin?.end('through stdin\n');
    assert.equal(await s2.exited, 0);
    await out2.done;
    assert.equal(out2.text(), 'through stdin\n');

    const s3 = await h.rt.exec(id, ['sh', '-c', 'tty; echo "term=$TERM"'], { stdin: false, tty: true });
    assert.equal(s3.stderr, undefined, 'a tty has one output');
    const out3 = collect(s3.stdout);
    s3.resize(100, 40);
    assert.equal(await s3.exited, 0);
    await out3.done;
    assert.match(out3.text(), /\/dev\/pts\/\d+/);
    assert.match(out3.text(), /term=xterm/);

    // resize reaches the terminal (applied in the background; the command keeps looking).
    const s5 = await h.rt.exec(id, ['sh', '-c', 'while :; do stty size; sleep 0.05; done'], { stdin: false, tty: true });
    const out5 = collect(s5.stdout);
    s5.resize(123, 45);
    await until('new terminal size seen', () => out5.text().includes('45 123'));
    s5.kill();
    assert.equal(await s5.exited, -1);

    const s4 = await h.rt.exec(id, ['sleep', '1000'], { stdin: false, tty: false });
    s4.kill();
    assert.equal(await s4.exited, -1);

    await assert.rejects(h.rt.exec(id, ['nosuchcmd-capstan'], { stdin: false, tty: false }), /nosuchcmd-capstan/);
    await h.rt.stopContainer(id, 0);
    await assert.rejects(h.rt.exec(id, ['true'], { stdin: false, tty: false }), /not running/);
  });
});

test('attach reaches the container stdin and live output; stdinOnce closes it after the first client', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const cfg = h.containerConfig('cat', ['sh', '-c', 'while read l; do echo "got $l"; echo "err $l" >&2; done; echo bye'], { stdin: true, stdinOnce: true });
    const id = await h.rt.createContainer(sb.id, cfg);
    const exited = exitOf(h.rt, id);
    await h.rt.startContainer(id);
    const a = await h.rt.attach(id, { stdin: true, tty: false });
    const out = collect(a.stdout);
    const err = collect(a.stderr);
    a.stdin?.write('one\n');
    await until('echo through attach', () => out.text() === 'got one\n');
    await until('stderr through attach', () => err.text() === 'err one\n');
    a.stdin?.end('two\n');
    const status = await exited;
    assert.equal(status.exitCode, 0);
    assert.equal(await a.exited, 0);
    await out.done;
    assert.equal(out.text(), 'got one\ngot two\nbye\n');
    // Two pipes: the order between stdout and stderr lines is not fixed, each stream's is.
    const logged = (await logText(cfg.logPath)).trimEnd().split('\n');
    assert.deepEqual(logged.filter((l) => !l.startsWith('err')), ['got one', 'got two', 'bye']);
    assert.deepEqual(logged.filter((l) => l.startsWith('err')), ['err one', 'err two']);
    await assert.rejects(h.rt.attach(id, { stdin: false, tty: false }), /not running/);
  });
});

test('port forward reaches a server in the pod (host network: loopback)', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const server = [
      'import socket,sys',
      's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)',
      'print(s.getsockname()[1], flush=True)',
      'c,_=s.accept(); name=c.recv(100).strip()',
      'c.sendall(b"hello " + name + b"\\n"); c.recv(1); c.close()',
    ].join('\n');
    const cfg = h.containerConfig('srv', ['python3', '-c', server]);
    const id = await h.rt.createContainer(sb.id, cfg);
    const exited = exitOf(h.rt, id);
    await h.rt.startContainer(id);
    const port = Number(await until('port printed', async () => (await logText(cfg.logPath)).trim()));
    const sock = await h.rt.portForward(sb.id, port);
    const got = collect(sock);
    sock.write('client\n');
    await until('reply', () => got.text().includes('\n'));
    sock.end();
    await got.done;
    assert.equal(got.text(), 'hello client\n');
    assert.equal((await exited).exitCode, 0);
    await assert.rejects(h.rt.portForward(sb.id, port), /ECONNREFUSED/);
  });
});

test('stats come from /proc without cgroups', async () => {
  await withRuntime(none, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const cfg = h.containerConfig('busy', ['python3', '-c', 'b=bytearray(30*1024*1024)\nimport time\nprint("up",flush=True)\nwhile True: sum(range(10000))']);
    const id = await h.rt.createContainer(sb.id, cfg);
    await h.rt.startContainer(id);
    await until('up', async () => (await logText(cfg.logPath)).includes('up'));
    const stats = await until('cpu used', async () => {
      const s = await h.rt.stats(id);
      return s && s.cpuUsageNanos > 0 ? s : undefined;
    });
    assert.ok(stats.memoryWorkingSetBytes >= 30 * 1024 * 1024, `rss ${stats.memoryWorkingSetBytes}`);
    await h.rt.stopContainer(id, 0);
    assert.equal(await h.rt.stats(id), undefined);
  });
});

test('close stops every container and its children', async () => {
  let pid = 0;
  await withRuntime({ ...none, closeGraceMs: 200 }, async (h) => {
    const sb = await h.rt.runPodSandbox(h.sandboxConfig());
    const id = await h.rt.createContainer(sb.id, h.containerConfig('long', ['sh', '-c', 'trap "" TERM; sleep 1000']));
    await h.rt.startContainer(id);
    pid = h.rt.containerStatus(id)?.pid ?? 0;
    assert.ok(processAlive(pid));
  });
  await until('container gone after close', () => !processAlive(pid));
});

const RUNTIME_MODULE = fileURLToPath(new URL('./process_runtime.ts', import.meta.url));

/** Starts a runtime in another node process, runs `sleep` in it and exits without closing. */
function crashedRun(rootDir: string, nodeName: string): number {
  const script = `
    const { createProcessRuntime } = await import(${JSON.stringify(RUNTIME_MODULE)});
    const rt = createProcessRuntime({ rootDir: ${JSON.stringify(rootDir)}, nodeName: ${JSON.stringify(nodeName)}, nodeIp: '127.0.0.1', isolation: 'none' });
    const sb = await rt.runPodSandbox({ podUid: 'u', namespace: 'd', name: 'p', hostNetwork: false, hostname: 'p', podDir: ${JSON.stringify(rootDir)} + '/pod' });
    const id = await rt.createContainer(sb.id, { name: 'c', attempt: 0, argv: ['sleep', '1000'], env: [], mounts: [], resources: {}, logPath: ${JSON.stringify(rootDir)} + '/c.log', stdin: false, stdinOnce: false, tty: false });
    await rt.startContainer(id);
    console.log(rt.containerStatus(id).pid);
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('a new runtime of the same node kills what a crashed one left, and nothing of other nodes', async () => {
  await withRuntime(none, async (h) => {
    const mine = join(h.dir, 'crashed');
    const other = join(h.dir, 'other');
    await mkdir(mine, { recursive: true });
    await mkdir(other, { recursive: true });
    const pid = crashedRun(mine, 'node-a');
    const otherPid = crashedRun(other, 'node-b');
    try {
      assert.ok(processAlive(pid) && processAlive(otherPid), 'both survive their runtime');
      const again = createProcessRuntime({ rootDir: mine, nodeName: 'node-a', nodeIp: '127.0.0.1', isolation: 'none' });
      await again.whenReady();
      await until('stale container killed', () => !processAlive(pid));
      assert.ok(processAlive(otherPid), 'the other node keeps its container');
      await again.close();
      // A record whose pid now belongs to someone else is not acted on.
      await writeFile(join(mine, 'state.json'), JSON.stringify({ nodeName: 'node-a', containers: { x: { pid: otherPid, startTime: '1', cgroupDirs: [] } }, sandboxes: {} }));
      const third = createProcessRuntime({ rootDir: mine, nodeName: 'node-a', nodeIp: '127.0.0.1', isolation: 'none' });
      await third.whenReady();
      await third.close();
      assert.ok(processAlive(otherPid), 'a pid with another start time is left alone');
    } finally {
      await createProcessRuntime({ rootDir: mine, nodeName: 'node-a', nodeIp: '127.0.0.1', isolation: 'none' }).close();
      for (const p of [pid, otherPid]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});
