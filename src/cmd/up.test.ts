import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodePodCidr, parseUpFlags } from './up.js';
import { parseServerFlags } from './server.js';

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
  assert.equal(f.server.clusterCidr, '10.42.64.0/18');
  assert.throws(() => parseUpFlags(['--nodes', 'x']), /--nodes/);
});

test('server flags: service CIDR, node port range and cluster CIDR, checked at parse time', () => {
  const f = parseServerFlags([]);
  assert.notEqual(f, 'help');
  if (f === 'help') return;
  assert.equal(f.serviceCidr, '10.43.0.0/16');
  assert.equal(f.nodePortRange, '30000-32767');
  assert.equal(f.clusterCidr, '10.42.0.0/16');
  const g = parseServerFlags(['--service-cidr', '10.96.0.0/12', '--service-node-port-range=31000-31999', '--cluster-cidr', '10.244.0.0/16']);
  assert.ok(g !== 'help' && g.serviceCidr === '10.96.0.0/12' && g.nodePortRange === '31000-31999' && g.clusterCidr === '10.244.0.0/16');
  assert.throws(() => parseServerFlags(['--service-cidr', '10.43.0.0']), /--service-cidr: expected an IPv4 CIDR/);
  assert.throws(() => parseServerFlags(['--service-node-port-range', '30000']), /--service-node-port-range: expected a port range/);
  assert.throws(() => parseServerFlags(['--cluster-cidr', '10.42.0.0/25']), /--cluster-cidr: expected an IPv4 CIDR of \/24 or wider/);
  assert.throws(() => parseServerFlags(['--cluster-cidr', 'fd00::/48']), /--cluster-cidr/);
});
