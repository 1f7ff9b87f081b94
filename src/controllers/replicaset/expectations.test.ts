import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../client/clock.js';
import { EXPECTATIONS_TIMEOUT_MS, Expectations } from './expectations.js';

test('no record is satisfied; creations are met when all are observed', () => {
  const e = new Expectations(new FakeClock());
  assert.ok(e.satisfied('ns/rs'));
  e.expectCreations('ns/rs', 2);
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(e.satisfied('ns/rs'));
});

test('deletions count once per expected pod key, whatever the number of events', () => {
  const e = new Expectations(new FakeClock());
  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a'); // deletionTimestamp set
  e.deletionObserved('ns/rs', 'ns/a'); // final delete of the same pod
  e.deletionObserved('ns/rs', 'ns/zzz'); // a pod we did not delete
  assert.ok(!e.satisfied('ns/rs'));
  assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 1 });
  e.deletionObserved('ns/rs', 'ns/b');
  assert.ok(e.satisfied('ns/rs'));
});

test('an unmet expectation expires after five minutes', async () => {
  const clock = new FakeClock();
  const e = new Expectations(clock);
  e.expectCreations('ns/rs', 3);
  await clock.advance(EXPECTATIONS_TIMEOUT_MS);
  assert.ok(!e.satisfied('ns/rs'));
  await clock.advance(1);
  assert.ok(e.satisfied('ns/rs'));
  e.delete('ns/rs');
  assert.equal(e.pending('ns/rs'), undefined);
});
