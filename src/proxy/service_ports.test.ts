import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterTargets, externalTargets, parseCidr, servicePortsOf, cidrContains } from './service_ports.js';
import { service, slice } from './testing.js';

test('ports of a Service: addresses, endpoints by port name and protocol, conditions, dedup', () => {
  const base = service({
    name: 'web',
    type: 'LoadBalancer',
    clusterIP: '10.43.200.10',
    ports: [
      { name: 'http', port: 80, nodePort: 30080 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  });
  const svc = {
    ...base,
    spec: { ...base.spec, externalIPs: ['192.0.2.50'] },
    status: { loadBalancer: { ingress: [{ ip: '127.0.1.5', ipMode: 'VIP' }, { ip: '127.0.1.6', ipMode: 'Proxy' }, { hostname: 'lb.example' }] } },
  };
  const slices = [
    slice({ service: 'web', name: 'a', port: { name: 'http', port: 8080 }, endpoints: [{ ip: '10.42.96.3' }, { ip: '10.42.96.2', ready: false }] }),
    slice({ service: 'web', name: 'b', port: { name: 'http', port: 9090 }, endpoints: [{ ip: '10.42.96.4' }] }),
    // the same endpoint again, readier, in another slice
    slice({ service: 'web', name: 'c', port: { name: 'http', port: 8080 }, endpoints: [{ ip: '10.42.96.2' }] }),
    slice({ service: 'web', name: 'd', port: { name: 'dns', port: 5353, protocol: 'UDP' }, endpoints: [{ ip: '10.42.96.9' }] }),
  ];
  slices.push({ ...slice({ service: 'web', name: 'e', port: { name: 'http', port: 8080 }, endpoints: [] }), addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] });
  const ports = servicePortsOf(svc, slices);
  assert.deepEqual(ports.map((p) => [p.key, p.protocol, p.port, p.nodePort]), [
    ['default/web/http', 'TCP', 80, 30080],
    ['default/web/dns', 'UDP', 53, undefined],
  ]);
  const http = ports[0]!;
  assert.equal(http.clusterIP, '10.43.200.10');
  assert.deepEqual(http.loadBalancerIPs, ['127.0.1.5']);
  assert.deepEqual(http.externalIPs, ['192.0.2.50']);
  assert.deepEqual(http.endpoints.map((e) => [e.ip, e.port, e.ready]), [
    ['10.42.96.2', 8080, true],
    ['10.42.96.3', 8080, true],
    ['10.42.96.4', 9090, true],
  ]);
  assert.deepEqual(ports[1]!.endpoints.map((e) => `${e.ip}:${e.port}`), ['10.42.96.9:5353']);
});

test('targets: ready first, serving-terminating as a fallback, Local policies, affinity timeout', () => {
  const svc = service({ name: 'web', type: 'NodePort', clusterIP: '10.43.200.11', ports: [{ port: 80, nodePort: 30081 }], affinitySeconds: 30, externalTrafficPolicy: 'Local' });
  const s = slice({
    service: 'web',
    name: 'a',
    port: { port: 8080 },
    endpoints: [
      { ip: '10.42.96.2', nodeName: 'n1' },
      { ip: '10.42.96.3', nodeName: 'n2', ready: false },
      { ip: '10.42.96.4', nodeName: 'n2', ready: false, serving: true, terminating: true },
    ],
  });
  const [p] = servicePortsOf(svc, [s]);
  assert.equal(p!.key, 'default/web/');
  assert.equal(p!.affinitySeconds, 30);
  assert.deepEqual(clusterTargets(p!, 'n2').map((e) => e.ip), ['10.42.96.2']);
  // externalTrafficPolicy Local on n2: no ready local endpoint, so the terminating one serves.
  assert.deepEqual(externalTargets(p!, 'n2').map((e) => e.ip), ['10.42.96.4']);
  assert.deepEqual(externalTargets(p!, 'n1').map((e) => e.ip), ['10.42.96.2']);
  assert.deepEqual(externalTargets(p!, 'n3'), []);
});

test('Services the proxy leaves alone', () => {
  const ext = service({ name: 'x', ports: [{ port: 80 }] });
  ext.spec = { type: 'ExternalName', externalName: 'example.com' };
  assert.deepEqual(servicePortsOf(ext, []), []);
  const headless = service({ name: 'h', clusterIP: 'None', ports: [{ port: 80 }] });
  assert.deepEqual(servicePortsOf(headless, []), []);
  const other = service({ name: 'o', clusterIP: '10.43.200.12', ports: [{ port: 80 }] });
  other.metadata!.labels = { 'service.kubernetes.io/service-proxy-name': 'someone-else' };
  assert.deepEqual(servicePortsOf(other, []), []);
  // LoadBalancer ingress counts only on LoadBalancer Services.
  const cip = { ...service({ name: 'c', clusterIP: '10.43.200.13', ports: [{ port: 80 }] }), status: { loadBalancer: { ingress: [{ ip: '127.0.1.9' }] } } };
  assert.deepEqual(servicePortsOf(cip, [])[0]!.loadBalancerIPs, []);
});

test('CIDR helpers', () => {
  assert.deepEqual(parseCidr('10.43.0.0/16'), { base: 0x0a2b0000, bits: 16, size: 65536 });
  assert.ok(cidrContains('127.0.0.0/8', '127.0.1.5'));
  assert.ok(!cidrContains('10.43.0.0/16', '10.44.0.1'));
  assert.throws(() => parseCidr('10.43.0.0'), /invalid IPv4 CIDR/);
});
