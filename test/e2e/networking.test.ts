// Issue 9 acceptance with `capstan up` and real kubectl: Services reach their pods by ClusterIP and
// by name through the cluster DNS, NodePorts and LoadBalancer addresses answer from the host, and
// a pod that turns not-ready stops getting traffic. Each cluster uses address ranges of its own
// (pods 10.42.192.0/18 and 10.42.160.0/19, services 10.43.128.0/17 and 10.43.96.0/19, the
// LoadBalancer pool 127.0.1.0/24; the kubelet and node-failure tests use 10.42.64.0/18 and
// 10.42.128.0/24-129.0/24), so they can run side by side. The in-pod parts need root (a network
// namespace per pod); NodePort and LoadBalancer also run without it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { after, before, describe, test } from 'node:test';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping networking e2e: ${skip}`);
const isRoot = process.getuid?.() === 0;
const rootSkip = isRoot && spawnSync('nft', ['--version']).status === 0 ? undefined : 'needs root and nft (pod network namespaces, nftables service rules)';
if (!skip && rootSkip) console.log(`# skipping root-only networking parts: ${rootSkip}`);

describe('service networking e2e (capstan up)', { skip }, () => {
  // Two nodes on this machine: pods on one reach pods on the other through the host.
  const c = new Cluster(undefined, { up: { nodes: 2, clusterCidr: '10.42.192.0/18' } });
  before(async () => {
    await c.start(['--service-cidr', '10.43.128.0/17', '--lb-ip-range', '127.0.1.0/24', '--cluster-dns-port', '0']);
  });
  after(async () => {
    await c.destroy();
  });
  const apply = (yaml: string): void => {
    const r = c.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  const jsonpath = (args: string[], path: string): string => c.kubectl(['get', ...args, '-o', `jsonpath=${path}`]).stdout;

  // Three pods that each answer with their own name; readiness follows a file the test can remove.
  const web = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      volumes: [{name: www, emptyDir: {}}]
      containers:
      - name: http
        image: python
        command: [sh, -c, 'echo "$POD" > /www/index.html && touch /www/ready && exec python3 -m http.server 8080 --directory /www']
        env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        volumeMounts: [{name: www, mountPath: /www}]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {exec: {command: [test, -f, /www/ready]}, periodSeconds: 1, failureThreshold: 1}
`;

  test('NodePort and LoadBalancer answer from the host', async () => {
    apply(web);
    assert.equal((await c.kubectlWait(['rollout', 'status', 'deployment/web', '--timeout=120s'])).code, 0);
    assert.equal(c.kubectl(['create', 'service', 'nodeport', 'web-np', '--tcp=80:8080']).code, 0);
    assert.equal(c.kubectl(['set', 'selector', 'service', 'web-np', 'app=web']).code, 0);
    const nodePort = Number(jsonpath(['service', 'web-np'], '{.spec.ports[0].nodePort}'));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
    const seen = new Set<string>();
    await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${nodePort}/`).catch(() => undefined);
        if (res?.status === 200) seen.add((await res.text()).trim());
        return seen.size === 3;
      },
      30_000,
      'NodePort reaches all three pods',
    );

    assert.equal(c.kubectl(['expose', 'deployment', 'web', '--name=web-lb', '--type=LoadBalancer', '--port=8081', '--target-port=8080']).code, 0);
    const ip = await eventually(() => jsonpath(['service', 'web-lb'], '{.status.loadBalancer.ingress[0].ip}'), 30_000, 'EXTERNAL-IP');
    assert.match(ip, /^127\.0\.1\.\d+$/);
    assert.match(c.kubectl(['get', 'service', 'web-lb']).stdout, new RegExp(ip.replace(/\./g, '\\.')));
    await eventually(async () => (await fetch(`http://${ip}:8081/`).catch(() => undefined))?.status === 200, 30_000, 'LoadBalancer address answers');
  });

  test('ClusterIP by name from another pod, spread over endpoints; a not-ready pod stops getting traffic', { skip: rootSkip }, async () => {
    assert.equal(c.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']).code, 0);
    apply(`apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox, command: [sleep, '100000']}]
`);
    assert.equal((await c.kubectlWait(['wait', '--for=condition=Ready', 'pod/client', '--timeout=60s'])).code, 0);
    const get = (url: string): string => {
      const r = c.kubectl(['exec', 'client', '--', 'wget', '-qO-', '-T', '2', url]);
      return r.code === 0 ? r.stdout.trim() : `ERR ${r.stderr.trim()}`;
    };
    const seen = new Set<string>();
    await eventually(() => {
      seen.add(get('http://web.default.svc.cluster.local'));
      return [...seen].filter((s) => !s.startsWith('ERR')).length === 3;
    }, 60_000, 'all three endpoints answer by name');
    // Untranslated packets to the service and pod ranges never leave the machine.
    const blackholes = spawnSync('ip', ['route', 'show', 'type', 'blackhole'], { encoding: 'utf8' }).stdout;
    assert.match(blackholes, /10\.43\.128\.0\/17/);
    assert.match(blackholes, /10\.42\.192\.0\/18/);
    const clusterIp = jsonpath(['service', 'web'], '{.spec.clusterIP}');
    assert.match(clusterIp, /^10\.43\.(1[2-9]\d|2[0-5]\d)\.\d+$/);
    assert.ok(!get(`http://${clusterIp}`).startsWith('ERR'), 'the ClusterIP answers too');

    // One pod turns not-ready: within 2 s (plus the probe period) it is out of rotation.
    const victim = [...seen][0]!;
    assert.equal(c.kubectl(['exec', victim, '--', 'rm', '/www/ready']).code, 0);
    await eventually(() => jsonpath(['pod', victim], '{.status.containerStatuses[0].ready}') === 'false', 20_000, 'victim not ready');
    await new Promise((r) => setTimeout(r, 2000));
    for (let i = 0; i < 15; i++) assert.notEqual(get('http://web'), victim, 'no traffic to the not-ready pod');
  });

  test('a pod reaches a pod on the other node by its IP', { skip: rootSkip }, async () => {
    const clientNode = jsonpath(['pod', 'client'], '{.spec.nodeName}');
    const other = c.kubectl(['get', 'nodes', '-o', 'name']).stdout.split('\n').map((n) => n.replace('node/', '').trim()).find((n) => n && n !== clientNode);
    assert.ok(other, 'a second node');
    apply(`apiVersion: v1
kind: Pod
metadata: {name: far}
spec:
  nodeName: ${other}
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: python, command: [python3, -m, http.server, '8080']}]
`);
    assert.equal((await c.kubectlWait(['wait', '--for=condition=Ready', 'pod/far', '--timeout=60s'])).code, 0);
    const ip = jsonpath(['pod', 'far'], '{.status.podIP}');
    const clientIp = jsonpath(['pod', 'client'], '{.status.podIP}');
    assert.notEqual(ip.split('.').slice(0, 3).join('.'), clientIp.split('.').slice(0, 3).join('.'), 'the pods are in different node ranges');
    await eventually(() => c.kubectl(['exec', 'client', '--', 'wget', '-qO-', '-T', '2', `http://${ip}:8080/`]).code === 0, 20_000, 'cross-node pod traffic');
  });

  test('the cluster DNS answers A, SRV, headless, ExternalName and NXDOMAIN', { skip: rootSkip }, async () => {
    apply(`apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: outside}
spec: {type: ExternalName, externalName: example.invalid}
`);
    // Resolved inside the pod with python's resolver, which reads the pod's resolv.conf.
    const py = (code: string): { code: number; out: string } => {
      const r = c.kubectl(['exec', 'client', '--', 'python3', '-c', code]);
      return { code: r.code, out: r.stdout.trim() + r.stderr.trim() };
    };
    const a = py("import socket; print(socket.gethostbyname('web'))");
    assert.equal(a.out, jsonpath(['service', 'web'], '{.spec.clusterIP}'));
    // Headless: one address per ready pod (the not-ready one of the test before is left out).
    const readyIps = c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[?(@.status.containerStatuses[0].ready==true)]}{.status.podIP} {end}']).stdout.trim().split(' ').sort();
    const headless = py("import socket; print(' '.join(sorted(socket.gethostbyname_ex('web-headless.default.svc.cluster.local')[2])))");
    assert.deepEqual(headless.out.split(' '), readyIps);
    const nx = py("import socket\ntry:\n  socket.gethostbyname('nope.default.svc.cluster.local'); print('found')\nexcept socket.gaierror as e: print('NX', e.errno)");
    assert.match(nx.out, /^NX/);

    // SRV, ExternalName and NXDOMAIN with a DNS client from the host, on the server's loopback port.
    const port = Number(/dns ready at 127\.0\.0\.1:(\d+)/.exec(c.logs)?.[1]);
    assert.ok(port > 0, 'the DNS port is in the log');
    const ask = (name: string, type: 'A' | 'SRV' | 'CNAME'): Promise<dnsPacket.Packet> =>
      new Promise((resolve, reject) => {
        const sock = createSocket('udp4');
        const timer = setTimeout(() => {
          sock.close();
          reject(new Error(`no answer for ${name}`));
        }, 5000);
        sock.once('message', (msg) => {
          clearTimeout(timer);
          sock.close();
          resolve(dnsPacket.decode(msg));
        });
        sock.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }), port, '127.0.0.1');
      });
    const srv = await ask('_http._tcp.web-headless.default.svc.cluster.local', 'SRV');
    assert.equal(srv.rcode, 'NOERROR');
    assert.equal(srv.answers?.length, readyIps.length);
    assert.ok(srv.answers?.every((a) => a.type === 'SRV' && (a.data as { port: number }).port === 8080));
    const cname = await ask('outside.default.svc.cluster.local', 'CNAME');
    assert.equal((cname.answers?.[0]?.data as string | undefined)?.replace(/\.$/, ''), 'example.invalid');
    const missing = await ask('nope.default.svc.cluster.local', 'A');
    assert.equal(missing.rcode, 'NXDOMAIN');
  });
});

// The same NodePort from the host with the userspace proxy (what a node without root runs).
describe('service networking e2e, userspace proxy', { skip }, () => {
  const c = new Cluster(undefined, { up: { nodes: 1, clusterCidr: '10.42.160.0/19' } });
  before(async () => {
    await c.start(['--service-cidr', '10.43.96.0/19', '--proxy-mode', 'userspace', '--disable-dns']);
  });
  after(async () => {
    await c.destroy();
  });

  test('kubectl create service nodeport: curl 127.0.0.1:<nodePort> answers', async () => {
    const r = c.kubectl(['create', 'deployment', 'hello', '--image=python', '--', 'python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await c.kubectlWait(['rollout', 'status', 'deployment/hello', '--timeout=120s'])).code, 0);
    assert.equal(c.kubectl(['create', 'service', 'nodeport', 'hello', '--tcp=80:8080']).code, 0);
    assert.match(c.logs, /proxy \S+: userspace/);
    const nodePort = c.kubectl(['get', 'service', 'hello', '-o', 'jsonpath={.spec.ports[0].nodePort}']).stdout;
    await eventually(async () => (await fetch(`http://127.0.0.1:${nodePort}/`).catch(() => undefined))?.status === 200, 30_000, 'NodePort answers through the userspace proxy');
  });
});
