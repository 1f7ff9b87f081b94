// Compatibility smoke test with the oldest and newest kubectl we support (1.27 and 1.33; 1.32,
// the main target, is covered by the other e2e files). Each binary runs against its own server.
// The harness pins its kubectl at import, so these tests spawn the binaries themselves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const BIN_DIR = '/usr/lib/google-cloud-sdk/bin';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Version {
  minor: string;
  /** kubectl 1.27 still creates with JSON bodies; newer ones send protobuf (KUBECTL_NOTES.md). */
  createBody: RegExp;
}

const VERSIONS: Version[] = [
  { minor: '33', createBody: /Content-Type: application\/vnd\.kubernetes\.protobuf/ },
  { minor: '27', createBody: /Content-Type: application\/json/ },
];

for (const v of VERSIONS) {
  const bin = `${BIN_DIR}/kubectl.1.${v.minor}`;
  const skip = e2eSkipReason() ?? (existsSync(bin) ? undefined : `${bin} not found`);
  if (skip) console.log(`# skipping kubectl 1.${v.minor} smoke: ${skip}`);

  describe(`kubectl 1.${v.minor} smoke`, { skip }, () => {
    const c = new Cluster();
    const kubectl = (args: string[], input?: string): Run => {
      const r = spawnSync(bin, args, {
        input,
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: c.kubeconfig },
        timeout: 60_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    };
    const ok = (args: string[], input?: string): Run => {
      const r = kubectl(args, input);
      assert.equal(r.code, 0, `kubectl 1.${v.minor} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r;
    };

    before(async () => {
      await c.start();
      await eventually(() => c.logs.includes('kubeconfig written'), 10_000, 'kubeconfig written');
    });
    after(async () => {
      await c.destroy();
    });

    test('version reports client and server', () => {
      const r = ok(['version', '-o', 'json']);
      const info = JSON.parse(r.stdout) as { clientVersion: { minor: string }; serverVersion?: { major: string; minor: string; gitVersion: string } };
      assert.equal(info.clientVersion.minor, v.minor);
      assert.equal(info.serverVersion?.major, '1');
      assert.match(info.serverVersion?.gitVersion ?? '', /^v1\.\d+\.\d+/);
    });

    test('get ns lists the built-in namespaces as a table', () => {
      const r = ok(['get', 'ns']);
      assert.match(r.stdout, /^NAME\s+STATUS\s+AGE$/m);
      assert.match(r.stdout, /^default\s+Active\s+\d+[smhd]/m);
    });

    test('create namespace, configmap and deployment (protobuf bodies where the client sends them)', () => {
      const ns = ok(['create', 'namespace', 'smoke', '-v=8']);
      assert.match(ns.stdout, /namespace\/smoke created/);
      const cm = ok(['create', 'configmap', 'settings', '--from-literal=a=b', '--from-literal=c=d', '-n', 'smoke', '-v=8']);
      assert.match(cm.stdout, /configmap\/settings created/);
      const dep = ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '-n', 'smoke', '-v=8']);
      assert.match(dep.stdout, /deployment\.apps\/web created/);
      const data = ok(['get', 'configmap', 'settings', '-n', 'smoke', '-o', 'jsonpath={.data.a},{.data.c}']);
      assert.equal(data.stdout, 'b,d', 'the create body was decoded faithfully');
      // -v=8 logs the request headers: proof of which encoding went over the wire.
      for (const r of [ns, cm, dep]) assert.match(r.stderr, v.createBody);
    });

    test('get deployments prints the deployment table', () => {
      const r = ok(['get', 'deployments', '-n', 'smoke']);
      assert.match(r.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
      assert.match(r.stdout, /^web\s+0\/2\s+0\s+0\s+\d+s$/m);
      const wide = ok(['get', 'deploy', '-n', 'smoke', '-o', 'wide']);
      assert.match(wide.stdout, /CONTAINERS\s+IMAGES\s+SELECTOR/);
      assert.match(wide.stdout, /nginx:1\.27\s+app=web/);
    });

    test('label and patch --type=merge', () => {
      const l = ok(['label', 'deployment', 'web', 'tier=front', '-n', 'smoke']);
      assert.match(l.stdout, /deployment\.apps\/web labeled/);
      const sel = ok(['get', 'deployments', '-n', 'smoke', '-l', 'tier=front', '-o', 'name']);
      assert.equal(sel.stdout.trim(), 'deployment.apps/web');
      const p = ok(['patch', 'deployment', 'web', '-n', 'smoke', '--type=merge', '-p', '{"spec":{"replicas":3}}']);
      assert.match(p.stdout, /deployment\.apps\/web patched/);
      const cm = ok(['patch', 'configmap', 'settings', '-n', 'smoke', '--type=merge', '-p', '{"data":{"a":null,"e":"f"}}']);
      assert.match(cm.stdout, /configmap\/settings patched/);
      const noop = ok(['patch', 'configmap', 'settings', '-n', 'smoke', '--type=merge', '-p', '{"data":{"e":"f"}}']);
      assert.match(noop.stdout, /configmap\/settings (patched \(no change\)|patched)/);
    });

    test('get -o yaml shows the changes', () => {
      const dep = YAML.parse(ok(['get', 'deployment', 'web', '-n', 'smoke', '-o', 'yaml']).stdout) as {
        kind: string;
        metadata: { labels: Record<string, string>; generation: number };
        spec: { replicas: number };
      };
      assert.equal(dep.kind, 'Deployment');
      assert.equal(dep.metadata.labels.tier, 'front');
      assert.equal(dep.spec.replicas, 3);
      assert.equal(dep.metadata.generation, 2);
      const cm = YAML.parse(ok(['get', 'configmap', 'settings', '-n', 'smoke', '-o', 'yaml']).stdout) as { data: Record<string, string> };
      assert.deepEqual(cm.data, { c: 'd', e: 'f' });
    });

    test('delete', () => {
      const d = ok(['delete', 'configmap', 'settings', '-n', 'smoke']);
      assert.match(d.stdout, /configmap "settings" deleted/);
      const gone = kubectl(['get', 'configmap', 'settings', '-n', 'smoke']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /NotFound|not found/);
      ok(['delete', 'deployment', 'web', '-n', 'smoke']);
      const none = ok(['get', 'deployments', '-n', 'smoke']);
      assert.match(none.stderr + none.stdout, /No resources found in smoke namespace/);
    });

    // kubectl 1.27 validates `apply` and runs `explain` from /openapi/v2 in protobuf only.
    test('apply', () => {
      const manifest = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'smoke' }, data: { k: 'v' } });
      const a = ok(['apply', '-f', '-'], manifest);
      assert.match(a.stdout, /configmap\/applied created/);
      const again = ok(['apply', '-f', '-'], manifest.replace('"v"', '"w"'));
      assert.match(again.stdout, /configmap\/applied configured/);
      assert.equal(ok(['get', 'cm', 'applied', '-n', 'smoke', '-o', 'jsonpath={.data.k}']).stdout, 'w');
    });

    test('explain', () => {
      const e = ok(['explain', 'pod.spec.containers']);
      assert.match(e.stdout, /KIND:\s+Pod/);
      assert.match(e.stdout, /FIELD(S)?:\s+containers/);
      const d = ok(['explain', 'deployment']);
      assert.match(d.stdout, /KIND:\s+Deployment/);
    });
  });
}
