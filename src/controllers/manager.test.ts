// Two controller managers against one API server: only the leader's controllers act; when it
// stops, the other takes over. (Test-only imports of the server and store.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApiServer } from '../apiserver/server.js';
import { localApi } from '../apiserver/local_api.js';
import { LocalClient } from '../client/local.js';
import { until } from '../client/testing.js';
import { openMemoryBackend } from '../storage/memory/memory_table.js';
import type { ControllerFactory } from './controller.js';
import { runControllerManager } from './manager.js';


test('two managers: one leads and runs its controllers; when it stops, the other takes over', { timeout: 60_000 }, async () => {
  const backend = openMemoryBackend();
  const api = await startApiServer({ backend, host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const running: string[] = [];
  /** A controller that records which manager runs it, for as long as it runs. */
  const probe = (who: string): Record<string, ControllerFactory> => ({
    probe: () => ({
      name: 'probe',
      setup: () => undefined,
      run: async (_ctx, signal) => {
        running.push(who);
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        running.splice(running.indexOf(who), 1);
      },
    }),
  });
  const common = { source, controllers: ['probe'], recorder: () => undefined, leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.2, onError: () => undefined };
  const a = runControllerManager({ ...common, registry: probe('a'), identity: 'a' });
  const b = runControllerManager({ ...common, registry: probe('b'), identity: 'b' });
  try {
    await until('a leader running controllers', () => running.length === 1);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(running.length, 1, 'only the leader runs controllers');
    const [leader, other, otherName] = running[0] === 'a' ? [a, b, 'b'] : [b, a, 'a'];
    await leader.stop();
    await until('the other manager taking over', () => running.length === 1 && running[0] === otherName);
    assert.ok(other.isLeader());
  } finally {
    await a.stop();
    await b.stop();
    await api.close();
    await backend.close();
  }
});
