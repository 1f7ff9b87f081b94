import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControllerContext } from './controller.js';
import { numberOption } from './controller.js';

const ctx = (options: Record<string, number | string | boolean>): ControllerContext => ({ options }) as unknown as ControllerContext;

test('numberOption: finite numbers at least 0 (above 0 when positive), else the default', () => {
  assert.equal(numberOption(ctx({ a: 0 }), 'a', 7), 0);
  assert.equal(numberOption(ctx({ a: 0 }), 'a', 7, { positive: true }), 7);
  assert.equal(numberOption(ctx({ a: 3 }), 'a', 7, { positive: true }), 3);
  assert.equal(numberOption(ctx({ a: -1 }), 'a', 7), 7);
  assert.equal(numberOption(ctx({ a: '5' }), 'a', 7), 7);
  assert.equal(numberOption(ctx({ a: Number.NaN }), 'a', 7), 7);
  assert.equal(numberOption(ctx({}), 'a', 7), 7);
});
