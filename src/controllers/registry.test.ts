import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerFactory } from './controller.js';
import { selectControllers } from './registry.js';

const none: ControllerFactory = () => ({ name: 'x', setup: () => undefined, run: async () => undefined });
const known = { a: none, b: none, c: none };

test('--controllers selection follows upstream syntax', () => {
  assert.deepEqual(selectControllers('*', known), ['a', 'b', 'c']);
  assert.deepEqual(selectControllers('*,-b', known), ['a', 'c']);
  assert.deepEqual(selectControllers('a,c', known), ['a', 'c']);
  assert.deepEqual(selectControllers('', known), []);
  assert.throws(() => selectControllers('*,-nope', known), /unknown controller "nope"/);
});
