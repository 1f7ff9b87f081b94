// Issue 8 acceptance, node failure: `capstan up --nodes 2` (here in process through startUp, the
// function the command runs, so the test can stop one of its agents), a Deployment spread over
// both nodes, then one agent stops: its node goes NotReady/Unknown, and the pods are recreated
// (the grace period, 15 s here, must exceed the 10 s Lease renewal or live nodes would flap)
// on the other node. Real kubectl, run asynchronously (the cluster lives in this process).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseUpFlags, startUp, type RunningUp } from '../../src/cmd/up.js';
import { e2eSkipReason, eventually, KUBECTL } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping node failure e2e: ${skip}`);

let dir: string;
let up: RunningUp;
let kubeconfig: string;

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input ?? '');
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'capstan-nodefail-'));
  kubeconfig = join(dir, 'kubeconfig');
  const flags = parseUpFlags(['--port', '0', '--data-dir', join(dir, 'data'), '--kubeconfig', kubeconfig, '--nodes', '2', '--node-ip', '127.0.0.1', '--node-monitor-grace-period', '15s', '--cluster-cidr', '10.42.128.0/17', '--disable-dns', '--proxy-mode', 'none']);
  assert.notEqual(flags, 'help');
  up = await startUp(flags as Exclude<typeof flags, 'help'>, () => undefined);
});

after(async () => {
  if (skip) return;
  await up.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('pods of a stopped node are recreated on the other node', { skip, timeout: 180_000 }, async () => {
  const [first, second] = up.agents.map((a) => a.kubelet.nodeName) as [string, string];
  const nodes = await kubectl(['get', 'nodes', '--no-headers']);
  assert.equal(nodes.stdout.trim().split('\n').filter((l) => /\sReady\s/.test(l)).length, 2, nodes.stdout);
  const apply = await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 4
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: spread}}}]
      containers: [{name: c, image: busybox, command: [sleep, '100000']}]
`,
  );
  assert.equal(apply.code, 0, apply.stderr);
  const rollout = await kubectl(['rollout', 'status', 'deployment/spread', '--timeout=90s']);
  assert.equal(rollout.code, 0, rollout.stderr);
  const placement = async (): Promise<string[]> =>
    (await kubectl(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.spec.nodeName} {.metadata.deletionTimestamp}{"\\n"}{end}'])).stdout
      .split('\n')
      .filter((l) => l.trim() !== '' && l.trim().split(' ').length === 1)
      .map((l) => l.trim());
  const before = await placement();
  assert.ok(before.includes(first) && before.includes(second), `spread over both nodes: ${before.join(',')}`);

  await up.agents[0]!.stop();
  await eventually(async () => /Unknown|False/.test((await kubectl(['get', 'node', first, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout), 60_000, `${first} not Ready`);
  await eventually(
    async () => {
      const ready = (await kubectl(['get', 'deployment', 'spread', '-o', 'jsonpath={.status.readyReplicas}'])).stdout;
      const live = (await kubectl(['get', 'pods', '-l', 'app=spread', '--field-selector', `spec.nodeName=${second}`, '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name} {end}'])).stdout.trim().split(' ').filter(Boolean);
      return ready === '4' && live.length === 4;
    },
    120_000,
    `4 ready pods on ${second}`,
  ).catch(async (err: unknown) => {
    const state = await kubectl(['get', 'pods,nodes', '-o', 'wide']);
    const taints = await kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.taints}{"\\n"}{end}']);
    throw new Error(`${String(err)}\n${state.stdout}\n${taints.stdout}`);
  });
});
