// Service ClusterIP / NodePort allocation end to end: `capstan server` as a real process, driven
// by real kubectl 1.32, across a restart on the same data dir.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, e2eSkipReason } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping services e2e: ${skip}`);

function inServiceCidr(ip: string): boolean {
  const m = /^10\.43\.(\d+)\.(\d+)$/.exec(ip);
  return m !== null && Number(m[1]) <= 255 && Number(m[2]) <= 255 && ip !== '10.43.0.0' && ip !== '10.43.255.255';
}

describe('services e2e with kubectl', { skip }, () => {
  const c = new Cluster();
  before(async () => {
    await c.start();
  });
  after(async () => {
    await c.destroy();
  });

  const jsonpath = (args: string[]): string => {
    const r = c.kubectl([...args, '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[*].nodePort}']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  test('kubectl create service gets a cluster IP in 10.43.0.0/16 and node ports', () => {
    const a = c.kubectl(['create', 'service', 'clusterip', 'a', '--tcp=80:8080']);
    assert.equal(a.code, 0, a.stderr);
    const get = c.kubectl(['get', 'svc', 'a']);
    assert.equal(get.code, 0, get.stderr);
    const row = /^a\s+ClusterIP\s+(\S+)\s+<none>\s+80\/TCP\s/m.exec(get.stdout);
    assert.ok(row, get.stdout);
    assert.ok(inServiceCidr(row[1]!), row[1]);

    const b = c.kubectl(['create', 'service', 'nodeport', 'b', '--tcp=80:8080', '--node-port=30080']);
    assert.equal(b.code, 0, b.stderr);
    assert.match(c.kubectl(['get', 'svc', 'b']).stdout, /^b\s+NodePort\s+10\.43\.\S+\s+<none>\s+80:30080\/TCP\s/m);
    const again = c.kubectl(['create', 'service', 'nodeport', 'b2', '--tcp=80:8080', '--node-port=30080']);
    assert.notEqual(again.code, 0);
    assert.equal(
      again.stderr.trim(),
      'error: failed to create NodePort service: Service "b2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    );
    const dyn = c.kubectl(['create', 'service', 'nodeport', 'd', '--tcp=81:8080']);
    assert.equal(dyn.code, 0, dyn.stderr);
    const [ip, port] = jsonpath(['get', 'svc', 'd']).split(' ');
    assert.ok(inServiceCidr(ip!), ip);
    assert.ok(Number(port) >= 30000 && Number(port) <= 32767, port);
  });

  test('the kubernetes Service is 10.43.0.1 with endpoints at the API server', () => {
    const k = c.kubectl(['get', 'svc', 'kubernetes']);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /^kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP\s/m);
    const port = new URL(c.url).port;
    const ep = c.kubectl(['get', 'endpoints', 'kubernetes']);
    assert.equal(ep.code, 0, ep.stderr);
    assert.match(ep.stdout, new RegExp(`^kubernetes\\s+127\\.0\\.0\\.1:${port}\\s`, 'm'));
    const slice = c.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=kubernetes']);
    assert.equal(slice.code, 0, slice.stderr);
    assert.match(slice.stdout, new RegExp(`^kubernetes\\s+IPv4\\s+${port}\\s+127\\.0\\.0\\.1\\s`, 'm'));
  });

  test('invalid Services are refused with upstream 422 messages', () => {
    const file = (name: string, text: string): string => {
      const path = join(c.dir, name);
      writeFileSync(path, text);
      return path;
    };
    const big = c.kubectl(['apply', '-f', file('big.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: big}\nspec:\n  ports:\n  - {port: 70000}\n')]);
    assert.notEqual(big.code, 0);
    assert.equal(
      big.stderr.trim(),
      'The Service "big" is invalid: \n* spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n* spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    const dup = c.kubectl(['apply', '-f', file('dup.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: dup}\nspec:\n  ports:\n  - {name: http, port: 80}\n  - {name: http, port: 81}\n')]);
    assert.notEqual(dup.code, 0);
    assert.equal(dup.stderr.trim(), 'The Service "dup" is invalid: spec.ports[1].name: Duplicate value: "http"');
    const sel = c.kubectl(['apply', '-f', file('sel.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: sel}\nspec:\n  selector: {"bad key!": x}\n  ports:\n  - {port: 80}\n')]);
    assert.notEqual(sel.code, 0);
    assert.match(sel.stderr, /^The Service "sel" is invalid: spec\.selector: Invalid value: "bad key!": name part must consist of alphanumeric characters/);
    const out = c.kubectl(['create', 'service', 'clusterip', 'far', '--tcp=80:80', '--clusterip=10.44.0.1']);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /spec\.clusterIPs: Invalid value: \[\]string\{"10\.44\.0\.1"\}: failed to allocate IP 10\.44\.0\.1: the provided IP \(10\.44\.0\.1\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
    // Nothing refused holds a value: the names are free to use, and no Service exists for them.
    const none = c.kubectl(['get', 'svc', 'big', 'dup', 'sel', 'far', '--ignore-not-found']);
    assert.equal(none.stdout.trim(), '');
  });

  test('a restart keeps every allocation', async () => {
    const before = new Map(['a', 'b', 'd', 'kubernetes'].map((n) => [n, jsonpath(['get', 'svc', n])]));
    await c.stop();
    await c.start();
    for (const [name, was] of before) assert.equal(jsonpath(['get', 'svc', name]), was, name);
    const again = c.kubectl(['create', 'service', 'nodeport', 'b3', '--tcp=80:8080', '--node-port=30080']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /provided port is already allocated/);
    // Deleting frees: the port can be taken again.
    assert.equal(c.kubectl(['delete', 'svc', 'b']).code, 0);
    const reuse = c.kubectl(['create', 'service', 'nodeport', 'b3', '--tcp=80:8080', '--node-port=30080']);
    assert.equal(reuse.code, 0, reuse.stderr);
  });
});
