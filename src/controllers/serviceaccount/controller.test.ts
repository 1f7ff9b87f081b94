// The service account controller against a real in-process API server (memory store).
// (Test-only imports of the server and store.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { startApiServer } from '../../apiserver/server.js';
import { localApi } from '../../apiserver/local_api.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import { realClock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { LocalClient } from '../../client/local.js';
import { isNotFound, resourceRef } from '../../client/resource_client.js';
import type { ControllerContext } from '../controller.js';
import { until } from '../../client/testing.js';
import { serviceAccountController } from './controller.js';



test('every active namespace gets a default ServiceAccount, re-created when deleted', { timeout: 60_000 }, async () => {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const errors: unknown[] = [];
  const factory = new SharedInformerFactory(source, { onError: (err) => errors.push(err) });
  const ctx: ControllerContext = { source, factory, recorder: () => undefined, clock: realClock, options: {}, onError: (err) => errors.push(err) };
  const controller = serviceAccountController();
  controller.setup(ctx);
  factory.start();
  assert.ok(await factory.waitForSync());
  const ac = new AbortController();
  const running = controller.run(ctx, ac.signal);
  const namespaces = source.resource<Namespace>(resourceRef('', 'v1', 'namespaces'));
  const accounts = source.resource<ServiceAccount>(resourceRef('', 'v1', 'serviceaccounts'));
  const get = async (ns: string): Promise<ServiceAccount | undefined> => {
    try {
      return await accounts.get(ns, 'default');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  try {
    // The namespaces that exist from the start.
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await until(`default SA in ${ns}`, () => get(ns));
    // A new namespace.
    await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    const first = await until('default SA in team-a', () => get('team-a'));
    // Deleted: re-created, as a new object.
    await accounts.delete('team-a', 'default');
    const second = await until('default SA re-created', async () => {
      const sa = await get('team-a');
      return sa && sa.metadata?.uid !== first.metadata?.uid ? sa : undefined;
    });
    assert.equal(second.metadata?.name, 'default');
    // Other accounts are not touched, and an existing default is not replaced.
    await accounts.create('team-a', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'team-a' } });
    await accounts.delete('team-a', 'builder');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await get('team-a'))?.metadata?.uid, second.metadata?.uid);
    const all = await accounts.list('team-a');
    assert.deepEqual(all.items.map((s) => s.metadata?.name), ['default']);
    // A terminating namespace gets none (its content is being removed).
    await namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'going' } });
    await until('default SA in going', () => get('going'));
    await namespaces.delete('', 'going');
    await accounts.delete('going', 'default');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await get('going'), undefined);
    assert.deepEqual(errors, []);
  } finally {
    ac.abort();
    await running;
    await factory.stop();
    await api.close();
    await backend.close();
  }
});
