#!/usr/bin/env node
// `npm run bench -- <name> [args]` runs bench/<name>.ts; with no name, lists the benchmarks.
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
  process.exit(name ? 1 : 0);
}
process.argv = [process.argv[0], resolve('bench', `${name}.ts`), ...rest];
await import(pathToFileURL(resolve('bench', `${name}.ts`)).href);
