// Issue 8 acceptance with `capstan up` (server + one node agent, process runtime) and real
// kubectl: pods run as processes, probes gate readiness, logs/exec/port-forward go through the
// API server to the kubelet, restarts and failures show as upstream shows them. Parts that need
// a network namespace per pod or cgroups need root and say so when skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, e2eSkipReason, eventually } from './harness.js';

const skip = e2eSkipReason();
if (skip) console.log(`# skipping kubelet e2e: ${skip}`);
const isRoot = process.getuid?.() === 0;
const hasNetTools = spawnSync('ip', ['-V']).status === 0 && spawnSync('unshare', ['--version']).status === 0;
const rootSkip = isRoot && hasNetTools ? undefined : 'needs root with iproute2 and util-linux (a network namespace per pod, cgroups)';
if (!skip && rootSkip) console.log(`# skipping root-only kubelet e2e parts: ${rootSkip}`);
const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';

describe('kubelet e2e (capstan up)', { skip }, () => {
  // A pod range of its own, so that clusters of other test files running alongside never overlap.
  const c = new Cluster(undefined, { up: { nodes: 1, clusterCidr: '10.42.64.0/18' } });
  before(async () => {
    await c.start(['--service-cidr', '10.43.64.0/18']);
  });
  after(async () => {
    await c.destroy();
  });
  const apply = (yaml: string): void => {
    const r = c.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  const jsonpath = (args: string[], path: string): string => c.kubectl(['get', ...args, '-o', `jsonpath=${path}`]).stdout;
  const describePod = (name: string): string => c.kubectl(['describe', 'pod', name]).stdout + c.logs.slice(-3000);

  test('the node is Ready as soon as `up` says so', () => {
    const r = c.kubectl(['get', 'nodes', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\sReady\s/);
    assert.match(c.logs, /store ready/);
    assert.match(c.logs, /node ready: /);
    assert.match(c.logs, /export KUBECONFIG=/);
  });

  test('logs, logs -f and exec with env from a ConfigMap', async () => {
    apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {GREETING: hello-from-configmap}
---
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.2; done']
    envFrom: [{configMapRef: {name: settings}}]
`);
    assert.equal((await c.kubectlWait(['wait', '--for=condition=Ready', 'pod/talker', '--timeout=60s'])).code, 0, describePod('talker'));
    await eventually(() => /line 2/.test(c.kubectl(['logs', 'talker']).stdout), 15_000, 'logs show output');
    const tail = c.kubectl(['logs', 'talker', '--tail=1']);
    assert.equal(tail.stdout.trim().split('\n').length, 1, tail.stdout);
    // logs -f keeps streaming: later lines arrive on the same connection.
    const follow = c.kubectlAsync(['logs', '-f', 'talker']);
    try {
      const first = await eventually(() => /line (\d+)/.exec(follow.output())?.[1], 15_000, 'followed output');
      await eventually(() => new RegExp(`line ${Number(first) + 5}\\b`).test(follow.output()), 15_000, 'more followed output');
    } finally {
      follow.child.kill();
    }
    const env = c.kubectl(['exec', 'talker', '--', 'env']);
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, /^GREETING=hello-from-configmap$/m);
    const code = c.kubectl(['exec', 'talker', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(code.code, 7);
    assert.match(code.stdout, /out/);
    assert.match(code.stderr, /err/);
  });

  test('restartPolicy Never and exit 3: Failed, exit code 3', async () => {
    apply(`apiVersion: v1
kind: Pod
metadata: {name: exits}
spec:
  restartPolicy: Never
  containers: [{name: main, image: busybox, command: [sh, -c, 'echo bye; exit 3']}]
`);
    await eventually(() => jsonpath(['pod', 'exits'], '{.status.phase}') === 'Failed', 30_000, 'phase Failed');
    assert.equal(jsonpath(['pod', 'exits'], '{.status.containerStatuses[0].state.terminated.exitCode}'), '3');
    assert.equal(jsonpath(['pod', 'exits'], '{.status.containerStatuses[0].state.terminated.reason}'), 'Error');
    assert.match(c.kubectl(['logs', 'exits']).stdout, /bye/);
  });

  test('a killed container process is restarted (restartCount 1)', async () => {
    const marker = `capstan-kill-me-${process.pid}`;
    apply(`apiVersion: v1
kind: Pod
metadata: {name: victim}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: main, image: busybox, command: [${python}, -c, 'import time; time.sleep(100000)', ${marker}]}]
`);
    assert.equal((await c.kubectlWait(['wait', '--for=condition=Ready', 'pod/victim', '--timeout=60s'])).code, 0, describePod('victim'));
    const pids = spawnSync('pgrep', ['-f', marker], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    assert.equal(pids.length, 1, `one process carries the marker: ${pids.join(',')}`);
    process.kill(Number(pids[0]), 'SIGKILL');
    await eventually(() => jsonpath(['pod', 'victim'], '{.status.containerStatuses[0].restartCount}') === '1', 30_000, 'restartCount 1');
    assert.equal(jsonpath(['pod', 'victim'], '{.status.containerStatuses[0].lastState.terminated.exitCode}'), '137');
    await eventually(() => jsonpath(['pod', 'victim'], '{.status.containerStatuses[0].ready}') === 'true', 30_000, 'running again');
  });

  test('a failing liveness probe restarts the container', async () => {
    apply(`apiVersion: v1
kind: Pod
metadata: {name: unhealthy}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'touch /tmp/capstan-alive-$$; sleep 100000']
    livenessProbe:
      exec: {command: [sh, -c, 'exit 1']}
      periodSeconds: 1
      failureThreshold: 2
`);
    await eventually(() => Number(jsonpath(['pod', 'unhealthy'], '{.status.containerStatuses[0].restartCount}') || '0') >= 1, 60_000, 'restarted by liveness');
    const events = c.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=unhealthy', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']).stdout;
    assert.match(events, /Unhealthy: Liveness probe failed/);
    assert.match(events, /Killing: Container main failed liveness probe, will be restarted/);
  });

  test('kubectl delete pod terminates gracefully: SIGTERM reaches the process', async () => {
    const flag = join(c.dir, 'got-term');
    apply(`apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 30
  containers: [{name: main, image: busybox, command: [sh, -c, 'trap "echo term > ${flag}; exit 0" TERM; while true; do sleep 0.1; done']}]
`);
    assert.equal((await c.kubectlWait(['wait', '--for=condition=Ready', 'pod/graceful', '--timeout=60s'])).code, 0, describePod('graceful'));
    const del = await c.kubectlWait(['delete', 'pod', 'graceful', '--timeout=60s']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(readFileSync(flag, 'utf8').trim(), 'term', 'the process trapped SIGTERM and exited by itself');
    assert.notEqual(c.kubectl(['get', 'pod', 'graceful']).code, 0, 'the pod object is gone');
  });

  test('bad input: a missing command binary, a missing ConfigMap, no command at all', async () => {
    apply(`apiVersion: v1
kind: Pod
metadata: {name: nosuch}
spec:
  containers: [{name: main, image: busybox, command: [/no/such/binary, arg]}]
---
apiVersion: v1
kind: Pod
metadata: {name: nocmd}
spec:
  containers: [{name: main, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: latecfg}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, '100000']
    env: [{name: X, valueFrom: {configMapKeyRef: {name: later, key: x}}}]
`);
    await eventually(() => /RunContainerError|CrashLoopBackOff/.test(jsonpath(['pod', 'nosuch'], '{.status.containerStatuses[0].state.waiting.reason}')), 30_000, 'RunContainerError');
    const msg = jsonpath(['pod', 'nosuch'], '{.status.containerStatuses[0].state.waiting.message}{.status.containerStatuses[0].lastState.terminated.message}');
    assert.match(msg, /\/no\/such\/binary/);
    assert.match(msg, /no such file or directory|ENOENT|not found/i);

    await eventually(() => jsonpath(['pod', 'nocmd'], '{.status.containerStatuses[0].state.waiting.reason}') === 'CreateContainerError', 30_000, 'CreateContainerError');
    assert.match(jsonpath(['pod', 'nocmd'], '{.status.containerStatuses[0].state.waiting.message}'), /command/);

    await eventually(() => jsonpath(['pod', 'latecfg'], '{.status.containerStatuses[0].state.waiting.reason}') === 'CreateContainerConfigError', 30_000, 'CreateContainerConfigError');
    assert.equal(jsonpath(['pod', 'latecfg'], '{.status.containerStatuses[0].state.waiting.message}'), 'configmap "later" not found');
    assert.equal(c.kubectl(['create', 'configmap', 'later', '--from-literal=x=1']).code, 0);
    await eventually(() => jsonpath(['pod', 'latecfg'], '{.status.phase}') === 'Running', 30_000, 'starts once the ConfigMap exists');
    // The agent is still serving: the node stays Ready.
    assert.match(c.kubectl(['get', 'nodes', '--no-headers']).stdout, /\sReady\s/);
  });

  test('a Deployment of 3 HTTP servers reaches 3/3 Ready; port-forward serves the page', { skip: rootSkip }, async () => {
    apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: http
        image: python
        command: [${python}, -m, http.server, '8080', --bind, 0.0.0.0]
        ports: [{containerPort: 8080, name: http}]
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
`);
    const rollout = await c.kubectlWait(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    assert.equal(rollout.code, 0, rollout.stderr + c.kubectl(['get', 'pods', '-o', 'wide']).stdout);
    assert.equal(jsonpath(['deployment', 'web'], '{.status.readyReplicas}'), '3');
    const ips = jsonpath(['pods', '-l', 'app=web'], '{.items[*].status.podIP}').split(' ');
    assert.equal(new Set(ips).size, 3, `three pod IPs: ${ips.join(' ')}`);

    const pod = jsonpath(['pods', '-l', 'app=web'], '{.items[0].metadata.name}');
    const pf = c.kubectlAsync(['port-forward', `pod/${pod}`, ':8080']);
    try {
      const port = await eventually(() => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(pf.output())?.[1], 30_000, 'port-forward listening');
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(res.status, 200);
        assert.match(await res.text(), /Directory listing/);
      }
    } finally {
      pf.child.kill();
    }
  });

  test('a memory hog over its 50Mi limit is OOMKilled', { skip: rootSkip }, async () => {
    apply(`apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: python
    command: [${python}, -c, 'b = bytearray(300 * 1024 * 1024); import time; time.sleep(30)']
    resources: {limits: {memory: 50Mi}}
`);
    await eventually(() => jsonpath(['pod', 'hog'], '{.status.phase}') === 'Failed', 60_000, 'hog Failed');
    assert.equal(jsonpath(['pod', 'hog'], '{.status.containerStatuses[0].state.terminated.reason}'), 'OOMKilled');
    assert.equal(jsonpath(['pod', 'hog'], '{.status.containerStatuses[0].state.terminated.exitCode}'), '137');
  });
});
