// STYLE rule 5: the DNS server is a client of the API like the controllers, so its code (tests
// aside) imports only dns/, client/ and api/ of ours — never storage/ or apiserver/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

test('src/dns imports nothing but client/ and api/ of ours', () => {
  const dir = new URL('./', import.meta.url);
  const offenders: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name === 'testing.ts') continue;
    const text = readFileSync(new URL(name, dir), 'utf8');
    for (const m of text.matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? '';
      if (spec.startsWith('.') && !spec.startsWith('./') && !spec.startsWith('../client/') && !spec.startsWith('../api/')) offenders.push(`${name}: ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});
