import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipam, parseCidr } from './ipam.js';
import { numberToIpv4 as numberToIp } from '../../../api/ipv4.js';

async function withFile(fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-ipam-'));
  try {
    await fn(join(dir, 'ipam.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('parseCidr clears host bits and rejects what is not IPv4', () => {
  const c = parseCidr('10.42.7.9/24');
  assert.deepEqual(c && { ip: numberToIp(c.network), prefix: c.prefix }, { ip: '10.42.7.0', prefix: 24 });
  assert.equal(parseCidr('10.42.0.0'), undefined);
  assert.equal(parseCidr('10.42.0.300/24'), undefined);
  assert.equal(parseCidr('fd00::/64'), undefined);
  assert.throws(() => new Ipam({ file: '/nonexistent/x', cidr: '10.0.0.0/31' }), /too small/);
  assert.throws(() => new Ipam({ file: '/nonexistent/x', cidr: 'nope' }), /not an IPv4 CIDR/);
});

test('addresses start after the gateway, are not reused at once, and survive a restart', async () => {
  await withFile(async (file) => {
    const ipam = new Ipam({ file, cidr: '10.42.210.0/24' });
    assert.equal(ipam.gateway, '10.42.210.1');
    assert.equal(ipam.prefixLength, 24);
    assert.equal(await ipam.allocate('a'), '10.42.210.2');
    assert.equal(await ipam.allocate('b'), '10.42.210.3');
    await ipam.release('10.42.210.2');
    assert.equal(await ipam.allocate('c'), '10.42.210.4', 'round-robin, not the freed one');
    const again = new Ipam({ file, cidr: '10.42.210.0/24' });
    assert.deepEqual(await again.allocations(), { '10.42.210.3': 'b', '10.42.210.4': 'c' });
    assert.equal(await again.allocate('d'), '10.42.210.5');
    await again.retain((ip) => ip === '10.42.210.5');
    assert.deepEqual(Object.keys(JSON.parse(await readFile(file, 'utf8')).allocated), ['10.42.210.5']);
    // Another CIDR: old allocations do not apply.
    const moved = new Ipam({ file, cidr: '10.42.211.0/24' });
    assert.deepEqual(await moved.allocations(), {});
  });
});

test('concurrent allocations are unique; a full range is an error', async () => {
  await withFile(async (file) => {
    const ipam = new Ipam({ file, cidr: '10.42.212.0/26' });
    const ips = await Promise.all(Array.from({ length: 61 }, (_, i) => ipam.allocate(`p${i}`)));
    assert.equal(new Set(ips).size, 61);
    assert.ok(!ips.includes('10.42.212.0') && !ips.includes('10.42.212.1') && !ips.includes('10.42.212.63'));
    await assert.rejects(ipam.allocate('one-too-many'), /no free pod IP/);
    await ipam.release('10.42.212.30');
    assert.equal(await ipam.allocate('fits'), '10.42.212.30');
  });
});
