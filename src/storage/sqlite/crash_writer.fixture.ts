// Child process for crash.test.ts: writes to a SQLite store as fast as it can and prints one line
// per acknowledged write ("C|U|D <key> <revision>"), until it is killed.
import { openSqliteBackend } from './sqlite_table.js';

const [path, run] = process.argv.slice(2);
if (!path || !run) throw new Error('usage: crash_writer <db> <run>');
const b = openSqliteBackend(path);
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function worker(w: number): Promise<void> {
  for (let i = 0; ; i++) {
    const key = `/registry/crash/${run}-${w}-${i}`;
    const c = await b.create(key, JSON.stringify({ run, w, i }));
    out(`C ${key} ${c.revision}`);
    const u = await b.update(key, JSON.stringify({ run, w, i, updated: true }), c.revision);
    out(`U ${key} ${u.revision}`);
    if (i % 3 === 0) {
      const d = await b.delete(key, u.revision);
      out(`D ${key} ${d.revision}`);
    }
  }
}

out('ready');
await Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
