// STYLE rule 5 for the proxy and the ServiceLB controller: their code (tests and test helpers
// aside) imports only client/, api/, host/ (running host tools), the controller seam and itself; never storage/, apiserver/,
// kubelet/ or another component.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

test('proxy/ and controllers/servicelb/ import only client/ and api/ of ours', () => {
  const offenders: string[] = [];
  const check = (dir: URL, label: string, allowed: RegExp): void => {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name === 'testing.ts') continue;
      const text = readFileSync(new URL(name, dir), 'utf8');
      for (const m of text.matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2] ?? '';
        if (spec.startsWith('.') && !allowed.test(spec)) offenders.push(`${label}/${name}: ${spec}`);
      }
    }
  };
  check(new URL('./', import.meta.url), 'proxy', /^\.\/|^\.\.\/(client|api|host)\//);
  check(new URL('../controllers/servicelb/', import.meta.url), 'servicelb', /^\.\/|^\.\.\/controller\.js$|^\.\.\/\.\.\/(client|api)\//);
  assert.deepEqual(offenders, []);
});
