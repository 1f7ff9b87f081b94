// The proxy in userspace mode against a real in-process API server: NodePorts on 127.0.0.1 that
// spread over endpoints, stop sending to a not-ready one, fail over from a refusing one, stick
// with ClientIP affinity, serve UDP, and go with their Service; a LoadBalancer address from the
// ServiceLB controller's pool answers. Backends listen on this machine's own address (traffic
// to it never leaves the machine): EndpointSlices may not hold 127/8 addresses, as upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { localApi } from '../apiserver/local_api.js';
import { startApiServer } from '../apiserver/server.js';
import { realClock } from '../client/clock.js';
import { LocalClient } from '../client/local.js';
import { resourceRef, type ResourceClient } from '../client/resource_client.js';
import { until } from '../client/testing.js';
import { startControllers } from '../controllers/nodelifecycle/testing.js';
import { serviceLbController } from '../controllers/servicelb/controller.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { startProxy, type Proxy } from './proxy.js';
import { freeNodePort, hostAddress, httpBackend, httpGet, httpGets, refusingPort, service, slice, udpAsk, udpBackend, type Backend } from './testing.js';

// Backends on loopback: tests never send traffic to this machine's own interface addresses.
const HOST = hostAddress();
const skip = false;

async function setup() {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const services: ResourceClient<Service> = source.resource<Service>(resourceRef('', 'v1', 'services'));
  const slices: ResourceClient<EndpointSlice> = source.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  const logs: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let proxy: Proxy | undefined;
  return {
    source,
    services,
    slices,
    logs,
    cleanups,
    async proxy(): Promise<Proxy> {
      proxy = await startProxy({ client: source, nodeName: 'us-node', nodeIp: '127.0.0.1', mode: 'userspace', log: (m) => logs.push(m), connectTimeoutMs: 1_000, udpIdleTimeoutMs: 1_000 });
      return proxy;
    },
    async close(): Promise<void> {
      await proxy?.stop();
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      await api.close();
      await backend.close();
    },
  };
}

async function backends(t: { cleanups: (() => Promise<unknown>)[] }, names: string[]): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const n of names) {
    const b = await httpBackend(n, HOST!);
    t.cleanups.push(() => b.close());
    out.push(b);
  }
  return out;
}

test('userspace NodePort: spreads, drops a not-ready endpoint, fails over, sticks with ClientIP, goes with its Service', { skip, timeout: 60_000 }, async () => {
  const t = await setup();
  try {
    const proxy = await t.proxy();
    assert.equal(proxy.mode, 'userspace');
    assert.ok(t.logs.some((l) => /ClusterIPs are not/.test(l)), 'says ClusterIPs are not served');
    const [b1, b2, b3] = await backends(t, ['b1', 'b2', 'b3']);
    const nodePort = await freeNodePort();
    // One slice per backend: they share the address and differ in port.
    for (const b of [b1!, b2!, b3!]) await t.slices.create('default', slice({ service: 'web', name: `web-${b.name}`, port: { name: 'http', port: b.port }, endpoints: [{ ip: HOST! }] }));
    await t.services.create('default', service({ name: 'web', type: 'NodePort', clusterIP: '10.43.200.20', ports: [{ name: 'http', port: 80, nodePort }] }));

    const seen = await until('all three backends answer', async () => {
      const answers = await httpGets('127.0.0.1', nodePort, 30);
      // (The first tries may come before the listener.)
      return ['b1', 'b2', 'b3'].every((n) => answers.includes(n)) && answers.every((a) => !a.startsWith('error:')) ? answers : undefined;
    });
    assert.ok(seen.every((a) => ['b1', 'b2', 'b3'].includes(a)), seen.join(','));

    // b2 not ready: no new connection reaches it.
    await t.slices.update('default', slice({ service: 'web', name: 'web-b2', port: { name: 'http', port: b2!.port }, endpoints: [{ ip: HOST!, ready: false }] }));
    await until('b2 out of rotation', async () => {
      const answers = await httpGets('127.0.0.1', nodePort, 20);
      return answers.every((a) => a === 'b1' || a === 'b3');
    });

    // b3's slice now names a port that refuses: every request still succeeds, through b1.
    const dead = await refusingPort(HOST!);
    await t.slices.update('default', slice({ service: 'web', name: 'web-b3', port: { name: 'http', port: dead }, endpoints: [{ ip: HOST! }] }));
    await proxy.settled();
    await until('the refusing endpoint is in place', async () => {
      const answers = await httpGets('127.0.0.1', nodePort, 20);
      assert.ok(answers.every((a) => a === 'b1' || a === 'b3'), answers.join(','));
      return answers.every((a) => a === 'b1');
    });

    // ClientIP affinity: b3 back on its port; one client sticks to one backend.
    await t.slices.update('default', slice({ service: 'web', name: 'web-b3', port: { name: 'http', port: b3!.port }, endpoints: [{ ip: HOST! }] }));
    const cur = await t.services.get('default', 'web');
    await t.services.update('default', { ...cur, spec: { ...cur.spec, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } });
    await until('affinity in effect', async () => {
      const answers = await httpGets('127.0.0.1', nodePort, 15);
      return answers.every((a) => a === answers[0]) && (answers[0] === 'b1' || answers[0] === 'b3');
    });

    // The Service goes: so does its listener.
    await t.services.delete('default', 'web');
    await until('listener closed', async () => /ECONNREFUSED/.test(await httpGet('127.0.0.1', nodePort)));
  } finally {
    await t.close();
  }
});

test('userspace UDP NodePort forwards datagrams both ways', { skip, timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await t.proxy();
    const echo = await udpBackend('u1', HOST!);
    t.cleanups.push(() => echo.close());
    const nodePort = await freeNodePort();
    await t.slices.create('default', slice({ service: 'dns', name: 'dns-a', port: { name: 'dns', port: echo.port, protocol: 'UDP' }, endpoints: [{ ip: HOST! }] }));
    await t.services.create('default', service({ name: 'dns', type: 'NodePort', clusterIP: '10.43.200.21', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort }] }));
    const answer = await until('a UDP answer', async () => {
      const a = await udpAsk('127.0.0.1', nodePort, 'hello', 500);
      return a.startsWith('error:') ? undefined : a;
    });
    assert.equal(answer, 'u1:hello');
  } finally {
    await t.close();
  }
});

test('userspace LoadBalancer: the ServiceLB pool address answers', { skip, timeout: 30_000 }, async () => {
  const t = await setup();
  try {
    await t.proxy();
    const lb = await startControllers([serviceLbController()], { source: t.source, clock: realClock, options: { lbIpRange: '127.0.1.0/24' } });
    t.cleanups.push(() => lb.stop());
    const [b1] = await backends(t, ['lb1']);
    // A Service port above 1024, so that binding it needs no privilege.
    const port = await freeNodePort('127.0.1.1');
    await t.slices.create('default', slice({ service: 'shop', name: 'shop-a', port: { name: 'http', port: b1!.port }, endpoints: [{ ip: HOST! }] }));
    await t.services.create('default', service({ name: 'shop', type: 'LoadBalancer', clusterIP: '10.43.200.22', ports: [{ name: 'http', port, nodePort: await freeNodePort() }] }));
    const ip = await until('an ingress address', async () => (await t.services.get('default', 'shop')).status?.loadBalancer?.ingress?.[0]?.ip);
    assert.equal(ip, '127.0.1.1');
    assert.equal(await until('the LB address answers', async () => ((await httpGet(ip, port)) === 'lb1' ? 'lb1' : undefined)), 'lb1');
  } finally {
    await t.close();
  }
});
