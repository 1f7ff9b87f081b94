import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { until } from '../../client/testing.js';
import { createLogWriter, encodeRecords, formatTimestamp, listRotated, parseRecord, readLog, type ReadLogOptions } from './logs.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-logs-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

async function read(path: string, options: ReadLogOptions = {}): Promise<string> {
  const out = new Collect();
  await readLog(path, options, out);
  return out.text();
}

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

test('records: full lines are F, a trailing piece and long lines are P', () => {
  const ts = formatTimestamp(1_700_000_000_123_456_789n);
  assert.equal(ts, '2023-11-14T22:13:20.123456789Z');
  const text = encodeRecords('stdout', Buffer.from('one\n\ntwo'), ts).toString();
  assert.equal(text, `${ts} stdout F one\n${ts} stdout F \n${ts} stdout P two\n`);
  const long = encodeRecords('stderr', Buffer.from('x'.repeat(16 * 1024 + 5) + '\n'), ts).toString().split('\n');
  assert.equal(long[0], `${ts} stderr P ${'x'.repeat(16 * 1024)}`);
  assert.equal(long[1], `${ts} stderr F xxxxx`);
});

test('parseRecord reads tagged, empty and untagged records and rejects others', () => {
  assert.deepEqual(parseRecord(Buffer.from('T stdout P abc def'))?.content.toString(), 'abc def');
  assert.equal(parseRecord(Buffer.from('T stdout P abc'))?.partial, true);
  assert.equal(parseRecord(Buffer.from('T stderr F'))?.content.length, 0);
  const legacy = parseRecord(Buffer.from('T stdout hello world'));
  assert.equal(legacy?.partial, false);
  assert.equal(legacy?.content.toString(), 'hello world');
  assert.equal(parseRecord(Buffer.from('garbage')), undefined);
  assert.equal(parseRecord(Buffer.from('T other F x')), undefined);
});

test('writer and reader round-trip: partial chunks join per stream, timestamps on request', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'c', '0.log');
    const w = await createLogWriter(path);
    await w.write('stdout', Buffer.from('hel'));
    await w.write('stderr', Buffer.from('oops\n'));
    await w.write('stdout', Buffer.from('lo\nworld\n'));
    w.stdout.write('via stream\n');
    await w.close();
    const raw = (await readFile(path, 'utf8')).trimEnd().split('\n');
    assert.equal(raw.length, 5);
    for (const line of raw) assert.match(line.split(' ')[0], TS);
    assert.equal(await read(path), 'oops\nhello\nworld\nvia stream\n');
    const stamped = (await read(path, { timestamps: true })).trimEnd().split('\n');
    assert.equal(stamped.length, 4);
    assert.match(stamped[1], /^\S+ hello$/);
    // The timestamp of a joined line is that of its first piece.
    assert.equal(stamped[1].split(' ')[0], raw[0].split(' ')[0]);
  });
});

test('a line longer than 16 KiB comes back whole', async () => {
  await withDir(async (dir) => {
    const path = join(dir, '0.log');
    const w = await createLogWriter(path);
    const big = 'a'.repeat(40_000);
    await w.write('stdout', Buffer.from(`${big}\nend\n`));
    await w.close();
    assert.equal((await readFile(path, 'utf8')).split('\n').length - 1, 4);
    assert.equal(await read(path), `${big}\nend\n`);
  });
});

test('rotation keeps at most maxFiles files; tail and full reads span them in order', async () => {
  await withDir(async (dir) => {
    const path = join(dir, '0.log');
    const w = await createLogWriter(path, { maxSizeBytes: 400, maxFiles: 3 });
    for (let i = 0; i < 60; i++) await w.write('stdout', Buffer.from(`line ${i}\n`));
    await w.close();
    const files = await readdir(dir);
    assert.ok(files.length <= 3, files.join(','));
    assert.equal((await listRotated(path)).length, files.length - 1);
    assert.ok(files.length >= 2);
    const all = (await read(path)).trimEnd().split('\n');
    assert.equal(all.at(-1), 'line 59');
    // What is kept is one contiguous run of the newest lines.
    const first = Number(all[0].split(' ')[1]);
    assert.deepEqual(all, Array.from({ length: 60 - first }, (_, k) => `line ${first + k}`));
    assert.ok(first > 0, 'old files were deleted');
    const tailCount = all.length - 2; // reaches into a rotated file
    assert.deepEqual((await read(path, { tailLines: tailCount })).trimEnd().split('\n'), all.slice(-tailCount));
    assert.equal(await read(path, { tailLines: 2 }), 'line 58\nline 59\n');
    assert.equal(await read(path, { tailLines: 0 }), '');
    assert.equal((await read(path, { tailLines: 10_000 })).trimEnd().split('\n').length, all.length);
  });
});

test('tail of a large file counts joined lines and a trailing partial line', async () => {
  await withDir(async (dir) => {
    const path = join(dir, '0.log');
    const w = await createLogWriter(path, { maxSizeBytes: 100 * 1024 * 1024 });
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) lines.push(`row ${i} ${'z'.repeat(i % 50)}`);
    await w.write('stdout', Buffer.from(lines.join('\n') + '\n'));
    await w.write('stdout', Buffer.from('split '));
    await w.write('stdout', Buffer.from('line\nno newline'));
    await w.close();
    assert.equal(await read(path, { tailLines: 3 }), `${lines.at(-1)}\nsplit line\nno newline`);
    assert.equal(await read(path, { tailLines: 1 }), 'no newline');
  });
});

test('sinceTime and limitBytes', async () => {
  await withDir(async (dir) => {
    const path = join(dir, '0.log');
    let now = new Date('2024-05-01T10:00:00Z');
    const w = await createLogWriter(path, { now: () => now });
    await w.write('stdout', Buffer.from('early\n'));
    now = new Date('2024-05-01T10:00:05Z');
    await w.write('stdout', Buffer.from('late 1\nlate 2\n'));
    await w.close();
    assert.equal(await read(path, { sinceTime: new Date('2024-05-01T10:00:03Z') }), 'late 1\nlate 2\n');
    assert.equal(await read(path, { sinceTime: new Date('2024-05-01T11:00:00Z') }), '');
    assert.equal(await read(path, { limitBytes: 8 }), 'early\nla');
    const stamped = await read(path, { timestamps: true, tailLines: 1 });
    assert.equal(stamped, '2024-05-01T10:00:05.000000000Z late 2\n');
  });
});

test('follow reads new output across a rotation and stops once the writer is done', async () => {
  await withDir(async (dir) => {
    const path = join(dir, '0.log');
    const w = await createLogWriter(path, { maxSizeBytes: 300, maxFiles: 10 });
    await w.write('stdout', Buffer.from('before\n'));
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const out = new Collect();
    const reading = readLog(path, { follow: true, tailLines: 1, stopWhen: finished, pollIntervalMs: 10 }, out);
    await until('first line', () => out.text() === 'before\n');
    await w.write('stdout', Buffer.from('prompt> '));
    await until('partial line shown while waiting', () => out.text().endsWith('prompt> '));
    const expected = ['before', 'prompt> yes'];
    await w.write('stdout', Buffer.from('yes\n'));
    for (let i = 0; i < 40; i++) {
      expected.push(`more ${i}`);
      await w.write(i % 2 ? 'stdout' : 'stderr', Buffer.from(`more ${i}\n`));
    }
    await w.close();
    assert.ok((await listRotated(path)).length > 0, 'rotated while following');
    finish();
    await reading;
    assert.deepEqual(out.text().trimEnd().split('\n'), expected);
  });
});

test('follow ends on abort, and with a predicate once it says done', async () => {
  await withDir(async (dir) => {
    const path = join(dir, '0.log');
    await writeFile(path, '2024-01-01T00:00:00.000000000Z stdout F hi\n');
    const ac = new AbortController();
    const out = new PassThrough();
    let seen = '';
    out.on('data', (b: Buffer) => (seen += b.toString()));
    const reading = readLog(path, { follow: true, signal: ac.signal, pollIntervalMs: 10 }, out);
    await until('content', () => seen === 'hi\n');
    ac.abort();
    await reading;
    let done = false;
    const reading2 = read(path, { follow: true, stopWhen: () => done, pollIntervalMs: 10 });
    await writeFile(path, '2024-01-01T00:00:01.000000000Z stdout F there\n', { flag: 'a' });
    done = true;
    assert.equal(await reading2, 'hi\nthere\n');
  });
});

test('a missing log is an ENOENT error', async () => {
  await withDir(async (dir) => {
    await assert.rejects(read(join(dir, 'nope.log')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  });
});
