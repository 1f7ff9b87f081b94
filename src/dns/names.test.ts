import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalIp, dashedIp, ipToReverse, isSubdomain, podLabelToIp, reverseToIp } from './names.js';

test('canonicalIp: one text per address', () => {
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('FD00:0:0::1'), 'fd00::1');
  assert.equal(canonicalIp('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(canonicalIp('::ffff:1.2.3.4'), '1.2.3.4');
  assert.equal(canonicalIp('64:ff9b::1.2.3.4'), '64:ff9b::102:304');
  assert.equal(canonicalIp('::'), '::');
  for (const bad of ['', 'None', '010.0.0.1', '256.0.0.1', 'fe80::1%eth0', 'example.com']) assert.equal(canonicalIp(bad), undefined, bad);
});

test('reverse names both ways; partial trees are no address', () => {
  assert.equal(ipToReverse('10.96.0.1'), '1.0.96.10.in-addr.arpa');
  assert.equal(reverseToIp('1.0.96.10.in-addr.arpa'), '10.96.0.1');
  assert.equal(reverseToIp(ipToReverse('fd00:10:96::a')), 'fd00:10:96::a');
  assert.equal(reverseToIp('0.96.10.in-addr.arpa'), undefined);
  assert.equal(reverseToIp('1.0.96.300.in-addr.arpa'), undefined);
  assert.equal(reverseToIp('x.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa'), undefined);
});

test('labels from addresses, addresses from pod labels', () => {
  assert.equal(dashedIp('10.1.2.3'), '10-1-2-3');
  assert.equal(dashedIp('fd00::1'), 'fd00--1');
  assert.equal(dashedIp('fd00::'), 'fd00--0');
  assert.equal(podLabelToIp('10-1-2-3'), '10.1.2.3');
  assert.equal(podLabelToIp('fd00--1'), 'fd00::1');
  assert.equal(podLabelToIp('1-2-3'), undefined);
  assert.equal(podLabelToIp('web'), undefined);
  assert.ok(isSubdomain('a.cluster.local', 'cluster.local'));
  assert.ok(isSubdomain('cluster.local', 'cluster.local'));
  assert.ok(!isSubdomain('xcluster.local', 'cluster.local'));
});
