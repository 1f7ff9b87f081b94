import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerLaunch, execLaunch, withTty } from './launch.js';

const tools = { sh: '/bin/sh', nsenter: '/usr/bin/nsenter', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', mkdir: '/usr/bin/mkdir', script: '/usr/bin/script' };

test('a root-mode container joins its cgroups, then the pod netns, then new mount/UTS namespaces', () => {
  const plan = containerLaunch({
    tools,
    cgroupProcs: ['/cg/memory/x/cgroup.procs', '/cg/cpu/x/cgroup.procs'],
    netnsPath: '/var/run/netns/ns1',
    isolate: true,
    hostname: 'web',
    mounts: [
      { hostPath: '/h/inner', containerPath: '/data/inner', readOnly: true },
      { hostPath: '/h/outer', containerPath: '/data', readOnly: false },
    ],
    workingDir: '/work',
    argv: ['python3', '-c', 'print(1)'],
    tty: false,
  });
  const argv = [plan.file, ...plan.args];
  const at = (word: string): number => argv.indexOf(word);
  assert.equal(argv[0], '/bin/sh');
  assert.ok(at('/cg/memory/x/cgroup.procs') < at('/usr/bin/nsenter'));
  assert.ok(at('--net=/var/run/netns/ns1') < at('/usr/bin/unshare'));
  assert.equal(argv.filter((w) => w === '/bin/sh').length, 2);
  // Parents are mounted before children, whatever order they came in.
  assert.ok(at('/h/outer') < at('/h/inner'));
  assert.deepEqual(argv.slice(-3), ['python3', '-c', 'print(1)']);
  assert.ok(argv.includes('web') && argv.includes('/work'));
});

test('without isolation only the setup shell wraps the command; tty goes through script', () => {
  const plan = containerLaunch({ tools, cgroupProcs: [], isolate: false, hostname: 'web', mounts: [{ hostPath: '/h', containerPath: '/d', readOnly: false }], workingDir: '/', argv: ['top'], tty: true });
  const argv = [plan.file, ...plan.args];
  assert.equal(argv.includes('/usr/bin/nsenter') || argv.includes('/usr/bin/unshare'), false);
  assert.equal(argv.includes('/h'), false, 'no mounts without isolation');
  assert.equal(argv.includes('web'), false, 'no hostname without a UTS namespace');
  assert.deepEqual(argv.slice(-4), withTty(tools, ['top']));
  assert.deepEqual(withTty(tools, ['echo', "it's"]), ['/usr/bin/script', '-qfec', `exec 'echo' 'it'\\''s'`, '/dev/null']);
  assert.deepEqual(withTty({ sh: '/bin/sh' }, ['top']), ['top'], 'no script: no tty');
});

test('exec enters the target namespaces after its cgroups', () => {
  const plan = execLaunch({ tools, cgroupProcs: ['/cg/x/cgroup.procs'], targetPid: 42, enterNet: true, enterMounts: true, argv: ['ls'], tty: false });
  const argv = [plan.file, ...plan.args];
  assert.deepEqual(argv.slice(argv.indexOf('/usr/bin/nsenter')), ['/usr/bin/nsenter', '-t', '42', '-n', '-m', '-u', '--wd', '--', 'ls']);
  const host = execLaunch({ tools, cgroupProcs: [], enterNet: false, enterMounts: false, argv: ['ls', '-l'], tty: false });
  assert.deepEqual([host.file, ...host.args], ['ls', '-l']);
});
