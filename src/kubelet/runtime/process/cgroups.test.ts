import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cpuShares, detectCgroups, quotaUs, sharesToWeight } from './cgroups.js';
import { nodeCgroupDir } from './names.js';

test('cpu quota, shares and weight conversions', () => {
  assert.equal(quotaUs(250), 25_000);
  assert.equal(quotaUs(2000), 200_000);
  assert.equal(quotaUs(1), 1000, 'kernel minimum');
  assert.equal(cpuShares(100), 102);
  assert.equal(cpuShares(1), 2);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(262_144), 10_000);
  assert.equal(sharesToWeight(1024), 39);
});

const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers') && existsSync('/sys/fs/cgroup/memory');

test('cgroup v1: node folders sit under the runtime process own cgroup of each hierarchy', { skip: v1 ? false : 'not a cgroup v1 machine' }, () => {
  const d = detectCgroups();
  assert.ok(d.ok, d.ok ? '' : d.why);
  assert.equal(d.host.version, 1);
  const own = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  const dirs = d.host.nodeDirs('n1');
  assert.ok(dirs.some((dir) => dir === `/sys/fs/cgroup/memory${own === '/' ? '' : own}/${nodeCgroupDir('n1')}`), dirs.join(' '));
  const parented = detectCgroups({ parent: '/elsewhere' });
  assert.ok(parented.ok && parented.host.nodeDirs('n1').every((dir) => dir.includes(`/elsewhere/${nodeCgroupDir('n1')}`)));
});
