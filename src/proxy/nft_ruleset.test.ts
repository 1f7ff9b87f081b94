// The nftables ruleset as text: what a full sync and an incremental batch contain. When root
// and nft are here, every text is also checked by the kernel with `nft -c` (nothing applied).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findTool, isRoot, run } from './host.js';
import { NftRuleset, tableName, type NftConfig } from './nft_ruleset.js';
import { servicePortsOf, type ServicePortInfo } from './service_ports.js';
import { service, slice, type EndpointLite } from './testing.js';

const NFT = findTool('nft');
const canCheck = isRoot() && NFT !== undefined;

const config: NftConfig = {
  table: 'capstan-test0000',
  nodeName: 'n1',
  nodeIp: '10.42.96.1',
  serviceCidr: '10.43.0.0/16',
  clusterCidr: '10.42.0.0/16',
  bridgePrefix: 'cbr',
  dropOtherForwarding: true,
};

function web(endpoints: EndpointLite[], opts: { affinity?: number; nodePort?: number } = {}): ServicePortInfo {
  const svc = service({ name: 'web', type: opts.nodePort ? 'NodePort' : 'ClusterIP', clusterIP: '10.43.200.10', ports: [{ name: 'http', port: 80, ...(opts.nodePort ? { nodePort: opts.nodePort } : {}) }], affinitySeconds: opts.affinity });
  return servicePortsOf(svc, [slice({ service: 'web', name: 'a', port: { name: 'http', port: 8080 }, endpoints })])[0]!;
}

/** Checks a full text with the kernel (check mode: nothing is committed). */
async function check(text: string): Promise<void> {
  if (!canCheck) return;
  await run(NFT!, ['-c', '-f', '-'], { input: text });
}

test('table name follows the node key', () => {
  assert.match(tableName('node-a'), /^capstan-[0-9a-f]{8}$/);
  assert.notEqual(tableName('node-a'), tableName('node-b'));
});

test('full sync: base chains, a cascade over the endpoints, map elements after the chains', async () => {
  const r = new NftRuleset(config);
  const plan = r.full([web([{ ip: '10.42.96.2' }, { ip: '10.42.96.3' }, { ip: '10.42.96.4', ready: false }], { nodePort: 30080 })]);
  const t = plan.text;
  assert.match(t, /^add table ip capstan-test0000\ndelete table ip capstan-test0000\ntable ip capstan-test0000 \{/);
  assert.match(t, /chain svc-default\/web\/http \{\n {4}numgen random mod 2 0 meta l4proto tcp dnat ip to 10\.42\.96\.2:8080\n {4}meta l4proto tcp dnat ip to 10\.42\.96\.3:8080\n {2}\}/);
  assert.doesNotMatch(t, /10\.42\.96\.4/);
  assert.match(t, /add element ip capstan-test0000 service-ips \{ 10\.43\.200\.10 \. tcp \. 80 : goto svc-default\/web\/http \}/);
  assert.match(t, /add element ip capstan-test0000 service-nodeports \{ tcp \. 30080 : goto svc-default\/web\/http \}/);
  assert.match(t, /ip daddr 10\.42\.96\.1 meta l4proto \. th dport vmap @service-nodeports/);
  assert.match(t, /ip daddr \{ 10\.42\.96\.1, 127\.0\.0\.0\/8 \} meta l4proto \. th dport vmap @service-nodeports/);
  assert.match(t, /\n {4}drop\n/, 'forwarding not of pod bridges is dropped when capstan turned forwarding on');
  assert.ok(t.indexOf('add element') > t.lastIndexOf('chain svc-'));
  assert.deepEqual(plan.conflicts, []);
  await check(t);
});

test('incremental: only what changed, in an order the kernel accepts', async () => {
  const r = new NftRuleset(config);
  const full = r.full([web([{ ip: '10.42.96.2' }, { ip: '10.42.96.3' }])]);
  // Nothing changed: nothing to send.
  assert.equal(r.update(new Map([['default/web/http', web([{ ip: '10.42.96.2' }, { ip: '10.42.96.3' }])]])).text, '');
  // One endpoint not ready: the service chain is flushed and refilled, no element moves.
  const notReady = r.update(new Map([['default/web/http', web([{ ip: '10.42.96.2' }, { ip: '10.42.96.3', ready: false }])]])).text;
  assert.equal(notReady, [
    'flush chain ip capstan-test0000 svc-default/web/http',
    'add rule ip capstan-test0000 svc-default/web/http meta l4proto tcp dnat ip to 10.42.96.2:8080',
    '',
  ].join('\n'));
  // A NodePort appears: one element, no chain work.
  const np = r.update(new Map([['default/web/http', web([{ ip: '10.42.96.2' }, { ip: '10.42.96.3', ready: false }], { nodePort: 30080 })]])).text;
  assert.equal(np, 'add element ip capstan-test0000 service-nodeports { tcp . 30080 : goto svc-default/web/http }\n');
  // Gone: elements first, then the chain is flushed and deleted.
  const gone = r.update(new Map([['default/web/http', undefined]])).text.split('\n');
  assert.deepEqual(gone.slice(0, 4), [
    'delete element ip capstan-test0000 service-ips { 10.43.200.10 . tcp . 80 }',
    'delete element ip capstan-test0000 service-nodeports { tcp . 30080 }',
    'flush chain ip capstan-test0000 svc-default/web/http',
    'delete chain ip capstan-test0000 svc-default/web/http',
  ]);
  assert.equal(r.size, 0);
  await check(full.text);
});

test('session affinity: a set and a chain per endpoint; a departed endpoint takes its set along', async () => {
  const r = new NftRuleset(config);
  const t = r.full([web([{ ip: '10.42.96.2' }, { ip: '10.42.96.3' }], { affinity: 60 })]).text;
  assert.match(t, /set aff-default\/web\/http\/10\.42\.96\.2\/8080 \{ type ipv4_addr; flags dynamic,timeout; timeout 60s; \}/);
  assert.match(t, /ip saddr @aff-default\/web\/http\/10\.42\.96\.3\/8080 goto sep-default\/web\/http\/10\.42\.96\.3\/8080/);
  assert.match(t, /chain sep-default\/web\/http\/10\.42\.96\.2\/8080 \{\n {4}update @aff-default\/web\/http\/10\.42\.96\.2\/8080 \{ ip saddr \}\n {4}meta l4proto tcp dnat ip to 10\.42\.96\.2:8080/);
  await check(t);
  const u = r.update(new Map([['default/web/http', web([{ ip: '10.42.96.2' }], { affinity: 60 })]])).text;
  const lines = u.split('\n');
  const flushSvc = lines.indexOf('flush chain ip capstan-test0000 svc-default/web/http');
  const delChain = lines.indexOf('delete chain ip capstan-test0000 sep-default/web/http/10.42.96.3/8080');
  const delSet = lines.indexOf('delete set ip capstan-test0000 aff-default/web/http/10.42.96.3/8080');
  assert.ok(flushSvc >= 0 && delChain > flushSvc && delSet > delChain, u);
  assert.doesNotMatch(u, /(add|delete) set ip capstan-test0000 aff-default\/web\/http\/10\.42\.96\.2\/8080/, 'the staying endpoint keeps its set (and its clients)');
  assert.doesNotMatch(u, /sep-default\/web\/http\/10\.42\.96\.2\/8080 update/, 'and its chain');
  // A new timeout re-makes the sets, after every chain of the port let go of them.
  const t2 = r.update(new Map([['default/web/http', web([{ ip: '10.42.96.2' }], { affinity: 90 })]])).text.split('\n');
  const del = t2.indexOf('delete set ip capstan-test0000 aff-default/web/http/10.42.96.2/8080');
  assert.ok(del > t2.indexOf('flush chain ip capstan-test0000 svc-default/web/http') && del > t2.indexOf('flush chain ip capstan-test0000 sep-default/web/http/10.42.96.2/8080'));
  assert.ok(t2.indexOf('add set ip capstan-test0000 aff-default/web/http/10.42.96.2/8080 { type ipv4_addr; flags dynamic,timeout; timeout 90s; }') > del);
});

test('two Services wanting one address: the first keeps it, the second gets it when the first goes', () => {
  const r = new NftRuleset(config);
  const a = web([{ ip: '10.42.96.2' }]);
  const b = { ...web([{ ip: '10.42.96.3' }]), key: 'default/other/http', service: 'default/other' };
  const plan = r.full([a, b]);
  assert.equal(plan.conflicts.length, 1);
  assert.match(plan.text, /10\.43\.200\.10 \. tcp \. 80 : goto svc-default\/web\/http \}/);
  const u = r.update(new Map([['default/web/http', undefined]])).text;
  assert.match(u, /delete element ip capstan-test0000 service-ips \{ 10\.43\.200\.10 \. tcp \. 80 \}/);
  assert.match(u, /add element ip capstan-test0000 service-ips \{ 10\.43\.200\.10 \. tcp \. 80 : goto svc-default\/other\/http \}/);
});
