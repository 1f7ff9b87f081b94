// STYLE rule 5: client/ is what the scheduler, controllers and kubelet build on, so its code
// (tests aside) may import only client/ and api/ of ours, never storage/ or apiserver/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

test('src/client imports nothing from storage/ or apiserver/', () => {
  const dir = new URL('./', import.meta.url);
  const offenders: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const text = readFileSync(new URL(name, dir), 'utf8');
    for (const m of text.matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.') && !spec.startsWith('./') && !spec.startsWith('../api/')) offenders.push(`${name}: ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});
