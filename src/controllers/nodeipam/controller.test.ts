import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { localApi } from '../../apiserver/local_api.js';
import { startApiServer } from '../../apiserver/server.js';
import { realClock } from '../../client/clock.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { LocalClient } from '../../client/local.js';
import { resourceRef } from '../../client/resource_client.js';
import { until } from '../../client/testing.js';
import { openMemoryBackend } from '../../storage/memory/memory_table.js';
import type { ControllerContext } from '../controller.js';
import { nodeIpamController, nodeRanges } from './controller.js';

test('node ranges are consecutive /24s', () => {
  const r = nodeRanges('10.42.0.0/16');
  assert.equal(r.count, 256);
  assert.equal(r.at(0), '10.42.0.0/24');
  assert.equal(r.at(255), '10.42.255.0/24');
  assert.throws(() => nodeRanges('10.42.0.0/25'), /not an IPv4 CIDR/);
});

test('every node gets a distinct podCIDR; one registered with a podCIDR keeps it', { timeout: 60_000 }, async () => {
  const api = await startApiServer({ backend: openMemoryBackend(), host: '127.0.0.1', port: 0 });
  const source = new LocalClient(localApi(api.stores));
  const errors: unknown[] = [];
  const factory = new SharedInformerFactory(source, { onError: (err) => errors.push(err) });
  const ctx: ControllerContext = { source, factory, recorder: () => undefined, clock: realClock, options: { clusterCidr: '10.42.0.0/22' }, onError: (err) => errors.push(err) };
  const nodes = source.resource<Node>(resourceRef('', 'v1', 'nodes'));
  await nodes.create('', { metadata: { name: 'pinned' }, spec: { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] } });
  const controller = nodeIpamController();
  controller.setup(ctx);
  factory.start();
  await factory.waitForSync();
  const ac = new AbortController();
  const running = controller.run(ctx, ac.signal);
  try {
    await Promise.all(['a', 'b', 'c'].map((n) => nodes.create('', { metadata: { name: n } })));
    const cidrs = await until('three podCIDRs', async () => {
      const all = (await nodes.list('')).items;
      const got = all.map((n) => n.spec?.podCIDR);
      return got.every(Boolean) ? got : undefined;
    });
    assert.equal(new Set(cidrs).size, 4, `distinct: ${cidrs.join(', ')}`);
    assert.equal((await nodes.get('', 'pinned')).spec?.podCIDR, '10.42.0.0/24');
    assert.deepEqual([...cidrs].sort(), ['10.42.0.0/24', '10.42.1.0/24', '10.42.2.0/24', '10.42.3.0/24']);
    // The range is full: a fifth node waits, with an error that says why.
    await nodes.create('', { metadata: { name: 'e' } });
    await until('exhaustion reported', () => errors.some((e) => /no pod CIDR left/.test(String(e))));
  } finally {
    ac.abort();
    await running;
    await factory.stop();
    await api.close();
  }
});
