import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodePodCidr, parseUpFlags } from './up.js';

test('node pod CIDRs are consecutive /24s of the cluster CIDR', () => {
  assert.equal(nodePodCidr('10.42.0.0/16', 0), '10.42.0.0/24');
  assert.equal(nodePodCidr('10.42.0.0/16', 2), '10.42.2.0/24');
  assert.equal(nodePodCidr('10.42.128.0/17', 1), '10.42.129.0/24');
  assert.throws(() => nodePodCidr('10.42.0.0/24', 1), /room for 1 nodes/);
  assert.throws(() => nodePodCidr('10.42.0.0/25', 0), /expected an IPv4 CIDR/);
});

test('up flags: its own flags and the server flags together', () => {
  const f = parseUpFlags(['--nodes', '2', '--port=0', '--cluster-cidr=10.42.64.0/18', '--node-ip', '127.0.0.1']);
  assert.notEqual(f, 'help');
  if (f === 'help') return;
  assert.equal(f.nodes, 2);
  assert.equal(f.server.port, 0);
  assert.equal(f.clusterCidr, '10.42.64.0/18');
  assert.throws(() => parseUpFlags(['--nodes', 'x']), /--nodes/);
});
