import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { ConfigError, containerArgv, containerEnv, expand, type ConfigSource } from './env.js';

const cms: Record<string, ConfigMap> = { cfg: { metadata: { name: 'cfg' }, data: { COLOR: 'blue', SIZE: '3' } } };
const secrets: Record<string, Secret> = { s: { metadata: { name: 's' }, data: { PASSWORD: Buffer.from('hunter2').toString('base64') } } };
const config: ConfigSource = { configMap: async (_ns, n) => cms[n], secret: async (_ns, n) => secrets[n] };
const pod = (c: Container): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web' } },
  spec: { nodeName: 'n1', containers: [c] },
  status: { podIP: '10.42.0.7', hostIP: '127.0.0.1' },
});

test('$(VAR) expansion: defined names, undefined left, $$ escapes', () => {
  const look = (n: string): string | undefined => ({ A: 'x', B: 'y' })[n];
  assert.equal(expand('$(A)-$(B)-$(C)', look), 'x-y-$(C)');
  assert.equal(expand('$$(A) $ $(', look), '$(A) $ $(');
});

test('env from values, ConfigMaps, Secrets, fields and resources, in order', async () => {
  const c: Container = {
    name: 'c',
    command: ['echo', '$(GREETING)'],
    args: ['$(COLOR)'],
    resources: { limits: { memory: '64Mi', cpu: '250m' } },
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
    env: [
      { name: 'GREETING', value: 'hi $(CFG_COLOR)' },
      { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'COLOR' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'PASSWORD' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
    ],
  };
  const env = await containerEnv({ pod: pod(c), container: c, config, allocatable: { cpu: '2', memory: '1Gi' } });
  const m = new Map(env);
  assert.equal(m.get('CFG_COLOR'), 'blue');
  assert.equal(m.get('GREETING'), 'hi blue');
  assert.equal(m.get('PASSWORD'), 'hunter2');
  assert.equal(m.get('POD'), 'p');
  assert.equal(m.get('APP'), 'web');
  assert.equal(m.get('IP'), '10.42.0.7');
  assert.equal(m.get('MEM_MI'), '64');
  assert.equal(m.get('CPU'), '1', 'cpu rounds up to whole cores');
  assert.equal(m.has('OPT'), false);
  assert.deepEqual(containerArgv(c, env), ['echo', 'hi blue', 'blue']);
});

test('a missing ConfigMap, Secret or key is a ConfigError with the upstream words', async () => {
  const run = (c: Container): Promise<unknown> => containerEnv({ pod: pod(c), container: c, config, allocatable: {} });
  await assert.rejects(run({ name: 'c', envFrom: [{ configMapRef: { name: 'nope' } }] }), (e: unknown) => e instanceof ConfigError && e.message === 'configmap "nope" not found');
  await assert.rejects(run({ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }), /secret "gone" not found/);
  await assert.rejects(run({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'NOPE' } } }] }), /couldn't find key NOPE in ConfigMap ns\/cfg/);
});
