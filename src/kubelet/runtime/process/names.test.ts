import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBridgeName, netnsPrefix, nodeKey, sandboxId, sandboxNames, validInterfaceName } from './names.js';

test('names fit Linux limits and differ per node', () => {
  const long = 'a-very-long-node-name-that-goes-on-and-on.example.com';
  for (const node of ['n1', long]) {
    assert.ok(validInterfaceName(defaultBridgeName(node)), defaultBridgeName(node));
    const id = sandboxId(node, 'uid-1', 'x');
    const names = sandboxNames(node, id);
    assert.ok(validInterfaceName(names.hostVeth), names.hostVeth);
    assert.ok(names.netns.startsWith(netnsPrefix(node)));
  }
  assert.notEqual(nodeKey('n1'), nodeKey('n2'));
  assert.notEqual(defaultBridgeName('n1'), defaultBridgeName('n2'));
  assert.notEqual(sandboxId('n1', 'u', 'x'), sandboxId('n2', 'u', 'x'));
  assert.notEqual(sandboxId('n1', 'u', 'x'), sandboxId('n1', 'u', 'y'));
  assert.equal(nodeKey('n1'), nodeKey('n1'), 'stable across runs');
  assert.equal(validInterfaceName('sixteen-chars-xx'), false);
  assert.equal(validInterfaceName('bad name'), false);
});
