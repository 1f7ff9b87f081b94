// STYLE rule 5 for the controllers in nodelifecycle/, endpoints/ and endpointslice/: their code
// (tests aside) imports only client/, api/ and the controller seam, never storage/ or apiserver/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

test('nodelifecycle, endpoints and endpointslice import nothing from storage/ or apiserver/', () => {
  const offenders: string[] = [];
  for (const folder of ['nodelifecycle', 'endpoints', 'endpointslice']) {
    const dir = new URL(`../${folder}/`, import.meta.url);
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const text = readFileSync(new URL(name, dir), 'utf8');
      for (const m of text.matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2] ?? '';
        if (/(^|\/)(storage|apiserver)\//.test(spec)) offenders.push(`${folder}/${name}: ${spec}`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
