// The ServiceLB controller against a real in-process API server (memory store): node addresses
// by default, a pool with `lbIpRange`, classes left alone, addresses unique, freed and kept
// across a restart. (Test-only imports of the server and store.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer } from '../../apiserver/server.js';
import { realClock } from '../../client/clock.js';
import { LocalClient } from '../../client/local.js';
import { resourceRef, type ResourceClient } from '../../client/resource_client.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { startControllers, until, type Harness } from '../nodelifecycle/testing.js';
import { serviceLbController } from './controller.js';
import { IpPool } from './pool.js';

async function setup() {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const services: ResourceClient<Service> = source.resource<Service>(resourceRef('', 'v1', 'services'));
  const nodes: ResourceClient<Node> = source.resource<Node>(resourceRef('', 'v1', 'nodes'));
  const harnesses: Harness[] = [];
  return {
    source,
    services,
    nodes,
    async start(options: Record<string, string> = {}): Promise<Harness> {
      const h = await startControllers([serviceLbController()], { source, clock: realClock, options });
      harnesses.push(h);
      return h;
    },
    async close(): Promise<void> {
      for (const h of harnesses) await h.stop();
      await api.close();
      await backend.close();
    },
  };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function addNode(t: Setup, name: string, ip: string, ready: boolean): Promise<void> {
  const n = await t.nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
  await setNode(t, n, ip, ready);
}

async function setNode(t: Setup, node: Node, ip: string, ready: boolean): Promise<void> {
  const cur = await t.nodes.get('', node.metadata!.name!);
  await t.nodes.updateStatus('', { ...cur, status: { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: node.metadata!.name! }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
}

async function addService(t: Setup, name: string, opts: { type?: string; loadBalancerClass?: string; loadBalancerIP?: string } = {}): Promise<Service> {
  return t.services.create('default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      type: opts.type ?? 'LoadBalancer',
      ports: [{ port: 80, protocol: 'TCP' }],
      ...(opts.loadBalancerClass ? { loadBalancerClass: opts.loadBalancerClass } : {}),
      ...(opts.loadBalancerIP ? { loadBalancerIP: opts.loadBalancerIP } : {}),
    },
  });
}

async function ingress(t: Setup, name: string): Promise<string[]> {
  return ((await t.services.get('default', name)).status?.loadBalancer?.ingress ?? []).map((i) => `${i.ip}/${i.ipMode}`);
}

async function toClusterIP(t: Setup, name: string): Promise<void> {
  const cur = await t.services.get('default', name);
  // NodePorts (from the allocator) are not allowed on a ClusterIP Service: the client drops them.
  const spec = { ...cur.spec, type: 'ClusterIP', ports: (cur.spec?.ports ?? []).map(({ nodePort: _np, ...p }) => p) };
  delete spec.allocateLoadBalancerNodePorts;
  delete spec.externalTrafficPolicy;
  await t.services.update('default', { ...cur, spec });
}

test('ServiceLB without a pool: a Ready node InternalIP, moving when that node is not Ready; classes and other types left alone', { timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await addNode(t, 'n1', '10.0.0.1', true);
    await addNode(t, 'n2', '10.0.0.2', false);
    const h = await t.start();
    await addService(t, 'web');
    await addService(t, 'other', { loadBalancerClass: 'example.com/lb' });
    await addService(t, 'plain', { type: 'ClusterIP' });
    assert.deepEqual(await until(async () => (await ingress(t, 'web')).length > 0 && ingress(t, 'web')), ['10.0.0.1/VIP']);
    // n1 goes, n2 comes: the address follows.
    await setNode(t, (await t.nodes.get('', 'n2')), '10.0.0.2', true);
    await setNode(t, (await t.nodes.get('', 'n1')), '10.0.0.1', false);
    await until(async () => (await ingress(t, 'web'))[0] === '10.0.0.2/VIP', 10_000, 'ingress on n2');
    // No longer a LoadBalancer: the ingress is cleared.
    await toClusterIP(t, 'web');
    await until(async () => (await ingress(t, 'web')).length === 0, 10_000, 'ingress cleared');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await ingress(t, 'other'), []);
    assert.deepEqual(await ingress(t, 'plain'), []);
    assert.deepEqual(h.errors, []);
  } finally {
    await t.close();
  }
});

test('ServiceLB with lbIpRange: unique addresses, exhaustion, freed on delete and on type change, kept across a restart, conflicts resolved by age', { timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    // 127.0.1.0/29: hosts .1 to .6.
    const first = await t.start({ lbIpRange: '127.0.1.0/29' });
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) await addService(t, n);
    await addService(t, 'classy', { loadBalancerClass: 'example.com/lb' });
    const got = await until(async () => {
      const all = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ingress(t, n)));
      return all.every((i) => i.length === 1) ? all.map((i) => i[0]!) : undefined;
    }, 10_000, 'six addresses');
    assert.equal(new Set(got).size, 6, `unique: ${got.join(' ')}`);
    assert.ok(got.every((g) => /^127\.0\.1\.[1-6]\/VIP$/.test(g)), got.join(' '));
    // The pool is full: a seventh waits (and says so).
    await addService(t, 'g');
    await until(() => first.errors.some((e) => /no free address in lbIpRange 127\.0\.1\.0\/29/.test(String(e))), 10_000, 'exhaustion reported');
    assert.deepEqual(await ingress(t, 'g'), []);
    // a is deleted: g gets its address.
    const aIp = (await ingress(t, 'a'))[0];
    await t.services.delete('default', 'a');
    await until(async () => (await ingress(t, 'g'))[0] === aIp, 10_000, 'g gets the freed address');
    // b stops being a LoadBalancer: its address is cleared and free again.
    const bIp = (await ingress(t, 'b'))[0];
    await toClusterIP(t, 'b');
    await until(async () => (await ingress(t, 'b')).length === 0, 10_000, 'b cleared');
    await addService(t, 'h');
    await until(async () => (await ingress(t, 'h'))[0] === bIp, 10_000, 'h gets b\'s address');
    assert.deepEqual(await ingress(t, 'classy'), []);

    // A restart keeps every address (they are read back from the statuses).
    const before = await Promise.all(['c', 'd', 'e', 'f', 'g', 'h'].map((n) => ingress(t, n)));
    await first.stop();
    // Meanwhile someone writes c's address into h's status: the older Service (c) keeps it.
    const cIp = before[0]![0]!.split('/')[0]!;
    const hCur = await t.services.get('default', 'h');
    await t.services.updateStatus('default', { ...hCur, status: { loadBalancer: { ingress: [{ ip: cIp, ipMode: 'VIP' }] } } });
    await t.services.delete('default', 'd');
    // Free now: d's address and h's own former one.
    const free = [before[1]![0], before[5]![0]];
    await t.start({ lbIpRange: '127.0.1.0/29' });
    await until(async () => free.includes((await ingress(t, 'h'))[0]), 10_000, 'h moved to a free address');
    const after = await Promise.all(['c', 'e', 'f', 'g'].map((n) => ingress(t, n)));
    assert.deepEqual(after, [before[0], before[2], before[3], before[4]]);
  } finally {
    await t.close();
  }
});

test('IpPool', () => {
  const p = new IpPool('127.0.1.0/24');
  assert.equal(p.size, 254);
  assert.equal(p.allocate(new Set()), '127.0.1.1');
  assert.equal(p.allocate(new Set(['127.0.1.1'])), '127.0.1.2');
  assert.ok(p.contains('127.0.1.254') && !p.contains('127.0.1.255') && !p.contains('127.0.1.0') && !p.contains('127.0.2.1'));
  assert.equal(new IpPool('10.0.0.7/32').allocate(new Set()), '10.0.0.7');
  assert.equal(new IpPool('10.0.0.6/31').size, 2);
  assert.throws(() => new IpPool('nope'), /not an IPv4 CIDR/);
});
