// Two schedulers against one API server: only the leader binds; when it stops, the other takes
// over and binds what comes next. (Test-only imports of the server and store are fine here.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startApiServer } from '../apiserver/server.js';
import { localApi } from '../apiserver/local_api.js';
import { LocalClient } from '../client/local.js';
import { until } from '../client/testing.js';
import { resourceRef } from '../client/resource_client.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import { runScheduler } from './run.js';


test('two schedulers: one leads and binds; when it stops, the other takes over', { timeout: 60_000 }, async () => {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const lease = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.2, onError: () => undefined };
  const a = runScheduler({ source, identity: 'a', ...lease });
  const b = runScheduler({ source, identity: 'b', ...lease });
  try {
    const nodes = source.resource(resourceRef('', 'v1', 'nodes'));
    const pods = source.resource<Pod>(resourceRef('', 'v1', 'pods'));
    const res = { cpu: '4', memory: '8Gi', pods: '110' };
    await nodes.create('', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True' }] } } as never);
    const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await until('a leader', () => a.isLeader() || b.isLeader());
    assert.ok(!(a.isLeader() && b.isLeader()), 'never two leaders');
    await pods.create('default', pod('p1'));
    await until('p1 bound', async () => (await pods.get('default', 'p1')).spec?.nodeName === 'n1');
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    await leader.stop();
    await until('failover', () => other.isLeader());
    await pods.create('default', pod('p2'));
    await until('p2 bound', async () => (await pods.get('default', 'p2')).spec?.nodeName === 'n1');
  } finally {
    await a.stop();
    await b.stop();
    await api.close();
    await backend.close();
  }
});
