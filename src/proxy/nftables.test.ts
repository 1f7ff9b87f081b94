// The proxy in nftables mode (root and nft only; skipped with the reason otherwise), against a
// real in-process API server, with "pods" in network namespaces this test makes on a bridge of
// its own (10.42.96.0/24, named like the kubelet's bridges so the proxy treats it as one):
// a ClusterIP answers from the host, from another pod and from a backend itself (hairpin);
// NodePorts answer on 127.0.0.1 and on the node IP; a LoadBalancer address in 127/8 answers;
// a not-ready endpoint leaves the rotation within 2 s; ClientIP affinity sticks; after stop the
// table, the blackhole route and the host rule are gone and ip_forward is as it was (unless
// another proxy on the machine still holds them). Traffic goes only to the test's namespaces.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { localApi } from '../apiserver/local_api.js';
import { startApiServer } from '../apiserver/server.js';
import { LocalClient } from '../client/local.js';
import { resourceRef } from '../client/resource_client.js';
import { until } from '../client/testing.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { proxyDefaults } from './defaults.js';
import { findTool, isRoot, run } from './host.js';
import { tableName } from './nft_ruleset.js';
import { startProxy, type Proxy } from './proxy.js';
import { freeNodePort, httpGet, httpGets, service, slice } from './testing.js';

const NFT = findTool('nft');
const IP = findTool('ip');
const skipReason = !isRoot() ? 'not root' : !NFT ? 'the nft tool is missing (apt-get install nftables)' : !IP ? 'the ip tool is missing' : undefined;
if (skipReason) console.log(`# nftables proxy tests skipped: ${skipReason}`);

const ID = randomBytes(3).toString('hex');
const BRIDGE = `cbrt${ID}`;
const NET = '10.42.96';
const GATEWAY = `${NET}.1`;
const CLUSTER_IP = '10.43.200.30';
const LB_IP = '127.0.1.230';
const NODE = `nft-test-${ID}`;

interface Pod {
  name: string;
  netns: string;
  veth: string;
  ip: string;
  server?: ChildProcess;
}

const SERVER = `
const [name, port] = process.argv.slice(1);
require('http').createServer((q, r) => { r.setHeader('connection', 'close'); r.end(name); })
  .listen(Number(port), '0.0.0.0', () => console.log('ready'));
`;

const CLIENT = `
const [host, port, n] = process.argv.slice(1);
const http = require('http');
const one = () => new Promise((resolve) => {
  const req = http.get({ host, port: Number(port), agent: false, timeout: 3000 }, (res) => {
    let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve('error:' + (e.code || e.message)));
});
(async () => { const out = []; for (let i = 0; i < Number(n); i++) out.push(await one()); console.log(JSON.stringify(out)); })();
`;

const ip = (args: string[]): Promise<unknown> => run(IP!, args);

async function makePod(name: string, n: number): Promise<Pod> {
  const pod: Pod = { name, netns: `capt-${ID}-${name}`, veth: `cvt${ID}${n}`, ip: `${NET}.${n}` };
  await ip(['netns', 'add', pod.netns]);
  await ip(['link', 'add', pod.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns]);
  await ip(['link', 'set', pod.veth, 'master', BRIDGE, 'up']);
  await ip(['-n', pod.netns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0']);
  await ip(['-n', pod.netns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', pod.netns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', pod.netns, 'route', 'add', 'default', 'via', GATEWAY]);
  return pod;
}

function serve(pod: Pod, port: number): Promise<void> {
  const child = spawn(IP!, ['netns', 'exec', pod.netns, process.execPath, '-e', SERVER, pod.name, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  pod.server = child;
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server in ${pod.netns} exited with ${code}`)));
  });
}

/** `n` GETs of host:port from inside a pod. */
async function getsFrom(pod: Pod, host: string, port: number, n: number): Promise<string[]> {
  const r = await run(IP!, ['netns', 'exec', pod.netns, process.execPath, '-e', CLIENT, host, String(port), String(n)]);
  return JSON.parse(r.stdout) as string[];
}

const allFrom = (answers: string[], names: string[]): boolean => answers.length > 0 && answers.every((a) => names.includes(a));
const covers = (answers: string[], names: string[]): boolean => names.every((n) => answers.includes(n));

async function cleanupNetwork(pods: Pod[]): Promise<void> {
  for (const p of pods) {
    p.server?.kill('SIGKILL');
    if (existsSync(`/var/run/netns/${p.netns}`)) await run(IP!, ['netns', 'del', p.netns], { allowFailure: true });
    if (existsSync(`/sys/class/net/${p.veth}`)) await run(IP!, ['link', 'del', p.veth], { allowFailure: true });
  }
  if (existsSync(`/sys/class/net/${BRIDGE}`)) await run(IP!, ['link', 'del', BRIDGE], { allowFailure: true });
}

/** Other live proxies on this machine holding the shared settings (then they stay, rightly). */
function otherHolders(): number {
  try {
    const st = JSON.parse(readFileSync(`${proxyDefaults.stateDir}/state.json`, 'utf8')) as { holders?: Record<string, { pid: number }> };
    return Object.values(st.holders ?? {}).filter((h) => {
      try {
        process.kill(h.pid, 0);
        return true;
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

test('nftables proxy: ClusterIP, NodePort and LoadBalancer to pods in namespaces; readiness; affinity; clean stop', { skip: skipReason ? `needs root and nft: ${skipReason}` : false, timeout: 120_000 }, async () => {
  const pods: Pod[] = [];
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const services = source.resource<Service>(resourceRef('', 'v1', 'services'));
  const slices = source.resource<EndpointSlice>(resourceRef('discovery.k8s.io', 'v1', 'endpointslices'));
  const logs: string[] = [];
  let proxy: Proxy | undefined;
  const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  try {
    await ip(['link', 'add', BRIDGE, 'type', 'bridge']);
    await ip(['addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE]);
    await ip(['link', 'set', BRIDGE, 'up']);
    const b1 = await makePod('b1', 2);
    pods.push(b1);
    const b2 = await makePod('b2', 3);
    pods.push(b2);
    const client = await makePod('c', 4);
    pods.push(client);
    await Promise.all([serve(b1, 8080), serve(b2, 8080)]);

    const nodePort = await freeNodePort();
    const svc = service({ name: 'web', type: 'LoadBalancer', clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort }] });
    await services.create('default', svc);
    const created = await services.get('default', 'web');
    await services.updateStatus('default', { ...created, status: { loadBalancer: { ingress: [{ ip: LB_IP, ipMode: 'VIP' }] } } });
    const endpoints = (b2Ready: boolean): EndpointSlice =>
      slice({ service: 'web', name: 'web-a', port: { name: 'http', port: 8080 }, endpoints: [{ ip: b1.ip, nodeName: NODE }, { ip: b2.ip, nodeName: NODE, ready: b2Ready }] });
    await slices.create('default', endpoints(true));

    proxy = await startProxy({ client: source, nodeName: NODE, nodeIp: GATEWAY, mode: 'nftables', log: (m) => logs.push(m) });
    assert.equal(proxy.mode, 'nftables');
    const table = tableName(NODE);
    await run(NFT!, ['list', 'table', 'ip', table]);
    assert.match((await run(IP!, ['route', 'show', 'type', 'blackhole'])).stdout, /10\.43\.0\.0\/16/);
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
    assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${BRIDGE}/route_localnet`, 'utf8').trim(), '1');

    const both = ['b1', 'b2'];
    // ClusterIP from the host, spread over both pods.
    await until('ClusterIP from the host reaches both pods', async () => {
      const a = await httpGets(CLUSTER_IP, 80, 20);
      assert.ok(a.every((x) => !x.startsWith('error:') || x === 'error:ECONNREFUSED'), a.join(','));
      return allFrom(a, both) && covers(a, both);
    });
    // From another pod, and from a backend pod itself (hairpin: it may be sent to itself).
    const fromPod = await getsFrom(client, CLUSTER_IP, 80, 20);
    assert.ok(allFrom(fromPod, both) && covers(fromPod, both), fromPod.join(','));
    const hairpin = await getsFrom(b1, CLUSTER_IP, 80, 10);
    assert.ok(allFrom(hairpin, both), hairpin.join(','));
    // NodePort on loopback and on the node IP (from the host and from a pod).
    assert.ok(allFrom(await httpGets('127.0.0.1', nodePort, 10), both));
    assert.ok(allFrom(await httpGets(GATEWAY, nodePort, 10), both));
    assert.ok(allFrom(await getsFrom(client, GATEWAY, nodePort, 10), both));
    // The load-balancer address, in 127/8, from the host.
    assert.ok(allFrom(await httpGets(LB_IP, 80, 10), both));
    // A port of the ClusterIP that is not a Service port is refused at once.
    assert.match(await httpGet(CLUSTER_IP, 81), /ECONNREFUSED/);

    // b2 not ready: out of the rotation within 2 s.
    await slices.update('default', endpoints(false));
    await until('b2 out of the rotation', async () => allFrom(await httpGets(CLUSTER_IP, 80, 10), ['b1']), 2_000, 10);
    assert.ok(allFrom(await getsFrom(client, CLUSTER_IP, 80, 10), ['b1']));
    assert.ok(allFrom(await httpGets('127.0.0.1', nodePort, 10), ['b1']));

    // Back, with ClientIP affinity: the host sticks to one pod.
    await slices.update('default', endpoints(true));
    const cur = await services.get('default', 'web');
    await services.update('default', { ...cur, spec: { ...cur.spec, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } });
    await proxy.settled();
    await until('affinity in effect', async () => {
      const a = await httpGets(CLUSTER_IP, 80, 15);
      return allFrom(a, both) && a.every((x) => x === a[0]);
    });

    // Someone deletes the table: the next batch fails, and the proxy rebuilds everything.
    await run(NFT!, ['delete', 'table', 'ip', table]);
    await slices.update('default', endpoints(false));
    await until('rules rebuilt after the table was lost', async () => allFrom(await httpGets(CLUSTER_IP, 80, 5), ['b1']));
    assert.ok(logs.some((l) => /sync failed/.test(l)), 'the failed batch was logged');

    // The Service goes: its ClusterIP is refused.
    await services.delete('default', 'web');
    await until('ClusterIP refused', async () => /ECONNREFUSED/.test(await httpGet(CLUSTER_IP, 80)));

    await proxy.stop();
    proxy = undefined;
    const listed = await run(NFT!, ['list', 'table', 'ip', table], { allowFailure: true });
    assert.notEqual(listed.code, 0, 'the table is gone');
    if (otherHolders() > 0) {
      console.log('# another proxy on this machine holds the shared settings: not checking they were restored');
    } else {
      assert.doesNotMatch((await run(IP!, ['route', 'show', 'type', 'blackhole'])).stdout, /10\.43\.0\.0\/16/, 'blackhole route removed');
      assert.equal((await run(IP!, ['rule', 'show', 'pref', String(proxyDefaults.hostRulePriority)])).stdout.trim(), '', 'host rule removed');
      assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), forwardBefore, 'ip_forward restored');
    }
  } finally {
    await proxy?.stop().catch(() => undefined);
    await cleanupNetwork(pods);
    await api.close();
    await backend.close();
    if (logs.some((l) => /conflict|cannot/.test(l))) console.log(logs.join('\n'));
  }
});
