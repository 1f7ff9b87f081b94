// Service ClusterIP / NodePort allocation through a real in-process API server over HTTP, with the
// memory store, and with the sqlite store for restarts. (Test-only imports of the server and stores.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startApiServer, type ApiServerHandle } from '../server.js';
import type { Backend } from '../../storage/backend.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { openSqliteBackend } from '../../storage/sqlite/sqlite_table.js';
import { NODE_PORTS_PREFIX, SERVICE_IPS_PREFIX, ServiceAllocator, advertisedAddress, parsePortRange, parseServiceCidr } from './service_alloc.js';
import { ipv4ToNumber } from '../../api/ipv4.js';

interface Reply<T = unknown> {
  status: number;
  body: T;
}

function client(api: ApiServerHandle) {
  const call = async <T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Reply<T>> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': contentType },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const svcPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/services${name ? `/${name}` : ''}`;
  return {
    call,
    create: (svc: Service, ns = 'default', query = '') => call<Service & { message?: string }>('POST', `${svcPath(ns)}${query}`, svc),
    get: (name: string, ns = 'default') => call<Service>('GET', svcPath(ns, name)),
    patch: (name: string, patch: unknown, ns = 'default') => call<Service & { message?: string }>('PATCH', svcPath(ns, name), patch, 'application/merge-patch+json'),
    del: (name: string, ns = 'default') => call<unknown>('DELETE', svcPath(ns, name)),
  };
}

async function keys(backend: Backend, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const kv of (await backend.list(prefix)).kvs) out.set(kv.key.slice(prefix.length), JSON.parse(kv.value) as string);
  return out;
}

const inCidr = (ip: string | undefined): boolean => {
  const n = ipv4ToNumber(ip ?? '');
  return n !== undefined && n > ipv4ToNumber('10.43.0.0')! && n < ipv4ToNumber('10.43.255.255')!;
};
const nodePorts = (s: Service): number[] => (s.spec?.ports ?? []).map((p) => p.nodePort ?? 0);

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec };
}

describe('service allocation (memory store)', () => {
  let api: ApiServerHandle;
  let backend: Backend;
  let c: ReturnType<typeof client>;
  const setup = async (): Promise<void> => {
    if (api) return;
    backend = openMemoryBackend();
    api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
    c = client(api);
  };
  after(async () => {
    await api?.close();
    await backend?.close();
  });

  test('200 concurrent creates get 200 distinct cluster IPs in the range', { timeout: 60_000 }, async () => {
    await setup();
    await c.call('POST', '/api/v1/namespaces', { metadata: { name: 'many' } });
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => c.create(svc(`s${i}`, { ports: [{ port: 80 }] }), 'many')));
    for (const r of replies) assert.equal(r.status, 201, JSON.stringify(r.body));
    const ips = replies.map((r) => r.body.spec?.clusterIP);
    assert.equal(new Set(ips).size, 200);
    for (const r of replies) {
      assert.ok(inCidr(r.body.spec?.clusterIP), r.body.spec?.clusterIP);
      assert.deepEqual(r.body.spec?.clusterIPs, [r.body.spec?.clusterIP]);
      assert.deepEqual(r.body.spec?.ipFamilies, ['IPv4']);
      assert.equal(r.body.spec?.ipFamilyPolicy, 'SingleStack');
      // Dynamic values come from above the part kept for explicit requests (.1 - .255 of a /16).
      assert.ok(ipv4ToNumber(r.body.spec!.clusterIP!)! > ipv4ToNumber('10.43.1.0')!);
    }
    const held = await keys(backend, SERVICE_IPS_PREFIX);
    for (const r of replies) assert.equal(held.get(r.body.spec!.clusterIP!), `many/${r.body.metadata!.name}`);
  });

  test('NodePort: one node port per port, TCP and UDP of one number share, explicit values honoured', async () => {
    await setup();
    const r = await c.create(svc('np', { type: 'NodePort', ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }, { name: 'c', port: 53, protocol: 'TCP' }, { name: 'd', port: 53, protocol: 'UDP' }] }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const [a, b, tcp, udp] = nodePorts(r.body);
    for (const p of [a, b, tcp]) assert.ok(p! >= 30000 && p! <= 32767, String(p));
    assert.equal(new Set([a, b, tcp]).size, 3);
    assert.equal(udp, tcp);
    assert.equal(r.body.spec?.externalTrafficPolicy, 'Cluster');
    const held = await keys(backend, NODE_PORTS_PREFIX);
    for (const p of [a, b, tcp]) assert.equal(held.get(String(p)), 'default/np');
    // The same explicit node port on TCP and UDP of one port number is allowed.
    const dns = await c.create(svc('np-dns', { type: 'NodePort', ports: [{ name: 'tcp', port: 53, protocol: 'TCP', nodePort: 30053 }, { name: 'udp', port: 53, protocol: 'UDP', nodePort: 30053 }] }));
    assert.equal(dns.status, 201, JSON.stringify(dns.body));
    assert.deepEqual(nodePorts(dns.body), [30053, 30053]);
  });

  test('a taken node port is refused with upstream 422 Status', async () => {
    await setup();
    assert.equal((await c.create(svc('web1', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).status, 201);
    const r = await c.create(svc('web2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    assert.equal(r.status, 422);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Service "web2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
      reason: 'Invalid',
      details: {
        name: 'web2',
        kind: 'Service',
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 30080: provided port is already allocated', field: 'spec.ports[0].nodePort' }],
      },
      code: 422,
    });
    // The refused Service took nothing: its cluster IP was given back.
    assert.ok(![...(await keys(backend, SERVICE_IPS_PREFIX)).values()].includes('default/web2'));
    const out = await c.create(svc('web3', { type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] }));
    assert.equal(out.status, 422);
    assert.equal(out.body.message, 'Service "web3" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  test('explicit cluster IPs: taken and out of range are refused as upstream', async () => {
    await setup();
    const ok = await c.create(svc('fixed', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] }));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.spec?.clusterIP, '10.43.0.5');
    const taken = await c.create(svc('x', { clusterIP: '10.43.0.5', ports: [{ port: 80 }] }));
    assert.equal(taken.status, 422);
    assert.equal(taken.body.message, 'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.5"}: failed to allocate IP 10.43.0.5: provided IP is already allocated');
    const out = await c.create(svc('y', { clusterIP: '10.44.0.5', ports: [{ port: 80 }] }));
    assert.equal(out.status, 422);
    assert.deepEqual(out.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Service "y" is invalid: spec.clusterIPs: Invalid value: []string{"10.44.0.5"}: failed to allocate IP 10.44.0.5: the provided IP (10.44.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/16',
      reason: 'Invalid',
      details: {
        name: 'y',
        kind: 'Service',
        causes: [{
          reason: 'FieldValueInvalid',
          message: 'Invalid value: []string{"10.44.0.5"}: failed to allocate IP 10.44.0.5: the provided IP (10.44.0.5) is not in the valid range. The range of valid IPs is 10.43.0.0/16',
          field: 'spec.clusterIPs',
        }],
      },
      code: 422,
    });
    // The network and broadcast addresses are never handed out.
    const net = await c.create(svc('z', { clusterIP: '10.43.255.255', ports: [{ port: 80 }] }));
    assert.match(net.body.message ?? '', /the provided IP \(10\.43\.255\.255\) is not in the valid range/);
    const v6 = await c.create(svc('v6', { clusterIP: 'fd00::5', ports: [{ port: 80 }] }));
    assert.equal(v6.body.message, 'Service "v6" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::5"}: IPv6 is not configured on this cluster');
    const dual = await c.create(svc('dual', { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] }));
    assert.equal(dual.body.message, 'Service "dual" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services');
  });

  test('delete frees the values; a failed write gives back what it took', async () => {
    await setup();
    const r = await c.create(svc('gone', { type: 'NodePort', clusterIP: '10.43.0.9', ports: [{ port: 80, nodePort: 30090 }] }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await c.del('gone')).status, 200);
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).has('10.43.0.9'), false);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).has('30090'), false);
    // A bad selector fails validation after allocation: nothing stays taken.
    const bad = await c.create(svc('again', { type: 'NodePort', clusterIP: '10.43.0.9', selector: { 'a b': 'c' }, ports: [{ port: 80, nodePort: 30090 }] }));
    assert.equal(bad.status, 422);
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).has('10.43.0.9'), false);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).has('30090'), false);
    const again = await c.create(svc('again', { type: 'NodePort', clusterIP: '10.43.0.9', ports: [{ port: 80, nodePort: 30090 }] }));
    assert.equal(again.status, 201, JSON.stringify(again.body));
  });

  test('type changes: NodePort → ClusterIP frees node ports, → ExternalName frees the IP, and back allocates', async () => {
    await setup();
    const r = await c.create(svc('mover', { type: 'NodePort', ports: [{ port: 80 }] }));
    assert.equal(r.status, 201);
    const [np] = nodePorts(r.body);
    const ip = r.body.spec!.clusterIP!;
    const toCluster = await c.patch('mover', { spec: { type: 'ClusterIP' } });
    assert.equal(toCluster.status, 200, JSON.stringify(toCluster.body));
    assert.deepEqual(nodePorts(toCluster.body), [0]);
    assert.equal(toCluster.body.spec?.clusterIP, ip);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).has(String(np)), false);
    const toNodePort = await c.patch('mover', { spec: { type: 'NodePort' } });
    assert.equal(toNodePort.status, 200, JSON.stringify(toNodePort.body));
    const [np2] = nodePorts(toNodePort.body);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).get(String(np2)), 'default/mover');
    // A PUT that leaves the node port out keeps it.
    const { metadata, spec } = toNodePort.body;
    const put = await c.call<Service>('PUT', '/api/v1/namespaces/default/services/mover', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: metadata!.name, resourceVersion: metadata!.resourceVersion },
      spec: { type: 'NodePort', ports: spec!.ports!.map(({ nodePort: _n, ...p }) => p) },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(nodePorts(put.body), [np2]);
    const toName = await c.patch('mover', { spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.equal(toName.status, 200, JSON.stringify(toName.body));
    assert.equal(toName.body.spec?.clusterIP, undefined);
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).has(ip), false);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).has(String(np2)), false);
    const back = await c.patch('mover', { spec: { type: 'ClusterIP', externalName: null } });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.ok(inCidr(back.body.spec?.clusterIP));
    assert.deepEqual(back.body.spec?.ipFamilies, ['IPv4']);
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).get(back.body.spec!.clusterIP!), 'default/mover');
  });

  test('headless and ExternalName Services get no IP', async () => {
    await setup();
    const before = (await keys(backend, SERVICE_IPS_PREFIX)).size;
    const headless = await c.create(svc('headless', { clusterIP: 'None', selector: { app: 'x' }, ports: [{ port: 80 }] }));
    assert.equal(headless.status, 201, JSON.stringify(headless.body));
    assert.deepEqual(headless.body.spec?.clusterIPs, ['None']);
    const ext = await c.create(svc('ext', { type: 'ExternalName', externalName: 'example.com' }));
    assert.equal(ext.status, 201, JSON.stringify(ext.body));
    assert.equal(ext.body.spec?.clusterIP, undefined);
    assert.equal(ext.body.spec?.ipFamilies, undefined);
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).size, before);
  });

  test('LoadBalancer: node ports unless allocateLoadBalancerNodePorts is false; health check port with Local', async () => {
    await setup();
    const lb = await c.create(svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }));
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    const [np] = nodePorts(lb.body);
    const hc = lb.body.spec?.healthCheckNodePort ?? 0;
    assert.ok(np! >= 30000 && hc >= 30000 && np !== hc);
    const held = await keys(backend, NODE_PORTS_PREFIX);
    assert.equal(held.get(String(hc)), 'default/lb');
    const bare = await c.create(svc('lb-bare', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }));
    assert.equal(bare.status, 201, JSON.stringify(bare.body));
    assert.deepEqual(nodePorts(bare.body), [0]);
    // Cluster traffic policy: the health check port goes.
    const cluster = await c.patch('lb', { spec: { externalTrafficPolicy: 'Cluster' } });
    assert.equal(cluster.status, 200, JSON.stringify(cluster.body));
    assert.equal(cluster.body.spec?.healthCheckNodePort, undefined);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).has(String(hc)), false);
  });

  test('dry run allocates nothing but still refuses a taken value', async () => {
    await setup();
    const ips = (await keys(backend, SERVICE_IPS_PREFIX)).size;
    const ports = (await keys(backend, NODE_PORTS_PREFIX)).size;
    const dry = await c.create(svc('dry', { type: 'NodePort', ports: [{ port: 80 }] }), 'default', '?dryRun=All');
    assert.equal(dry.status, 201, JSON.stringify(dry.body));
    assert.ok(inCidr(dry.body.spec?.clusterIP));
    assert.ok(nodePorts(dry.body)[0]! >= 30000);
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).size, ips);
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).size, ports);
    assert.equal((await c.get('dry')).status, 404);
    const taken = await c.create(svc('dry2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }), 'default', '?dryRun=All');
    assert.equal(taken.status, 422);
    assert.match(taken.body.message ?? '', /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
    const dryPatch = await c.call<Service>('PATCH', '/api/v1/namespaces/default/services/fixed?dryRun=All', { spec: { type: 'NodePort' } }, 'application/merge-patch+json');
    assert.equal(dryPatch.status, 200, JSON.stringify(dryPatch.body));
    assert.equal((await keys(backend, NODE_PORTS_PREFIX)).size, ports);
  });

  test('the kubernetes Service at .1 with its Endpoints and EndpointSlice', async () => {
    await setup();
    const k = await c.get('kubernetes');
    assert.equal(k.status, 200);
    assert.equal(k.body.spec?.clusterIP, '10.43.0.1');
    assert.deepEqual(k.body.spec?.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: api.port }]);
    assert.deepEqual(k.body.metadata?.labels, { component: 'apiserver', provider: 'kubernetes' });
    assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).get('10.43.0.1'), 'default/kubernetes');
    const ep = await c.call<Endpoints>('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
    assert.deepEqual(ep.body.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: api.port, protocol: 'TCP' }] }]);
    assert.deepEqual(ep.body.metadata?.labels, { 'endpointslice.kubernetes.io/skip-mirror': 'true' });
    const slice = await c.call<EndpointSlice>('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.equal(slice.body.addressType, 'IPv4');
    assert.deepEqual(slice.body.endpoints, [{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
    assert.deepEqual(slice.body.ports, [{ name: 'https', port: api.port, protocol: 'TCP' }]);
    assert.deepEqual(slice.body.metadata?.labels, { 'kubernetes.io/service-name': 'kubernetes' });
  });
});

describe('service allocation across restarts (sqlite store)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-svc-alloc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a restart keeps every allocation; repair frees a leaked key and records a missing one', { timeout: 60_000 }, async () => {
    const path = join(dir, 'state.db');
    let backend = openSqliteBackend(path);
    let api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
    let c = client(api);
    const made: Service[] = [];
    for (const [i, type] of (['ClusterIP', 'NodePort', 'LoadBalancer', 'NodePort'] as const).entries()) {
      const r = await c.create(svc(`keep${i}`, { type, ports: [{ port: 80 }] }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      made.push(r.body);
    }
    const ipsBefore = await keys(backend, SERVICE_IPS_PREFIX);
    const portsBefore = await keys(backend, NODE_PORTS_PREFIX);
    const firstPort = api.port;
    await api.close();
    // What a crash could leave: a key no Service holds, and a Service value without its key.
    await backend.create(`${SERVICE_IPS_PREFIX}10.43.7.7`, JSON.stringify('default/ghost'));
    await backend.create(`${NODE_PORTS_PREFIX}31999`, JSON.stringify('default/ghost'));
    const lost = nodePorts(made[3]!)[0]!;
    await backend.delete(`${NODE_PORTS_PREFIX}${lost}`);
    await backend.close();

    backend = openSqliteBackend(path);
    const logs: string[] = [];
    api = await startApiServer({ backend, host: '127.0.0.1', port: 0, log: (m) => logs.push(m) });
    c = client(api);
    try {
      assert.deepEqual(await keys(backend, SERVICE_IPS_PREFIX), ipsBefore);
      assert.deepEqual(await keys(backend, NODE_PORTS_PREFIX), portsBefore);
      assert.ok(logs.some((m) => /repaired: 2 freed, 1 recorded/.test(m)), logs.join('\n'));
      for (const m of made) {
        const now = await c.get(m.metadata!.name!);
        assert.equal(now.body.spec?.clusterIP, m.spec?.clusterIP);
        assert.deepEqual(nodePorts(now.body), nodePorts(m));
      }
      // The values stay taken for others.
      const clash = await c.create(svc('clash', { type: 'NodePort', ports: [{ port: 80, nodePort: lost }] }));
      assert.equal(clash.status, 422);
      // The kubernetes endpoints follow the server to its new port.
      if (api.port !== firstPort) {
        const ep = await c.call<Endpoints>('GET', '/api/v1/namespaces/default/endpoints/kubernetes');
        assert.equal(ep.body.subsets?.[0]?.ports?.[0]?.port, api.port);
        assert.equal((await c.get('kubernetes')).body.spec?.ports?.[0]?.targetPort, api.port);
      }
    } finally {
      await api.close();
      await backend.close();
    }
  });

  test('a bad range is a clear startup error', async () => {
    const backend = openMemoryBackend();
    await assert.rejects(startApiServer({ backend, port: 0, serviceCidr: '10.43.0.0' }), /serviceCidr: expected an IPv4 CIDR such as 10.43.0.0\/16, got "10.43.0.0"/);
    await assert.rejects(startApiServer({ backend, port: 0, serviceCidr: '10.0.0.0/8' }), /too large/);
    await assert.rejects(startApiServer({ backend, port: 0, nodePortRange: '32767-30000' }), /nodePortRange: expected a port range/);
    await backend.close();
  });
});

test('a full range answers upstream\'s 500; freeing one value makes room again', async () => {
  const backend = openMemoryBackend();
  // A /29 has six addresses (.1-.6), the kubernetes Service holds .1; three node ports.
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0, serviceCidr: '10.50.0.0/29', nodePortRange: '30000-30002' });
  const c = client(api);
  try {
    for (let i = 0; i < 5; i++) assert.equal((await c.create(svc(`f${i}`, { ports: [{ port: 80 }] }))).status, 201);
    assert.deepEqual([...(await keys(backend, SERVICE_IPS_PREFIX)).keys()].sort(), ['10.50.0.1', '10.50.0.2', '10.50.0.3', '10.50.0.4', '10.50.0.5', '10.50.0.6']);
    const full = await c.create(svc('full', { ports: [{ port: 80 }] }));
    assert.equal(full.status, 500);
    assert.equal(full.body.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
    assert.equal((await c.del('f2')).status, 200);
    assert.equal((await c.create(svc('full', { ports: [{ port: 80 }] }))).status, 201);
    const three = await c.create(svc('ports3', { type: 'NodePort', clusterIP: 'None', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }, { name: 'c', port: 3 }] }));
    assert.equal(three.status, 422, 'NodePort Services cannot be headless');
    await c.del('f0');
    const np = await c.create(svc('np3', { type: 'NodePort', ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }, { name: 'c', port: 3 }] }));
    assert.equal(np.status, 201, JSON.stringify(np.body));
    assert.deepEqual(nodePorts(np.body).sort(), [30000, 30001, 30002]);
    await c.del('f1');
    const more = await c.create(svc('np4', { type: 'NodePort', ports: [{ port: 1 }] }));
    assert.equal(more.status, 500);
    assert.equal(more.body.message, 'Internal error occurred: failed to allocate a nodePort: range is full');
    // The refused Service gave its cluster IP back.
    assert.equal([...(await keys(backend, SERVICE_IPS_PREFIX)).values()].includes('default/np4'), false);
  } finally {
    await api.close();
    await backend.close();
  }
});

test('a generated name replaced after allocation becomes the owner of the values', async () => {
  const backend = openMemoryBackend();
  const alloc = new ServiceAllocator({ backend, serviceCidr: '10.43.0.0/16', nodePortRange: '30000-32767' });
  const obj = { metadata: { name: 'web-abcde', namespace: 'default' }, spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] } };
  const finish = await alloc.hooks().beginCreate!(obj, { dryRun: false });
  obj.metadata.name = 'web-fghij';
  await finish(true);
  const owners = [...(await keys(backend, SERVICE_IPS_PREFIX)).values(), ...(await keys(backend, NODE_PORTS_PREFIX)).values()];
  assert.deepEqual(owners, ['default/web-fghij', 'default/web-fghij']);
  await alloc.hooks().afterDelete!(obj);
  assert.equal((await keys(backend, SERVICE_IPS_PREFIX)).size + (await keys(backend, NODE_PORTS_PREFIX)).size, 0);
  await backend.close();
});

test('range parsing and the advertised address', () => {
  assert.deepEqual(parseServiceCidr('10.43.5.0/16'), { base: ipv4ToNumber('10.43.0.0'), bits: 16, text: '10.43.0.0/16' });
  assert.throws(() => parseServiceCidr('fd00::/108'), /expected an IPv4 CIDR/);
  assert.throws(() => parseServiceCidr('10.0.0.0/31'), /too small/);
  assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768, text: '30000-32767' });
  assert.throws(() => parsePortRange('0-10'), /expected a port range/);
  assert.equal(advertisedAddress('0.0.0.0'), '127.0.0.1');
  assert.equal(advertisedAddress('::'), '127.0.0.1');
  assert.equal(advertisedAddress('192.168.1.5'), '192.168.1.5');
});
