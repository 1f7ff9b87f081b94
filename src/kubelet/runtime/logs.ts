// Container log files in the CRI format, written by runtime drivers and read by the kubelet for
// `kubectl logs`. One record per line:
//
//   <RFC3339 timestamp, 9 fraction digits> <stdout|stderr> <F|P> <content>\n
//
// `P` marks a piece of a line that goes on in a later record of the same stream: output that came
// without a newline, or a line longer than 16 KiB cut into pieces. Records are whole lines, so a
// reader can find record boundaries from the end of the file (that is how `tail` avoids reading a
// large file from the start).
//
// The writer rotates: once the file reaches `maxSizeBytes` it is renamed to `<path>.<UTC stamp>`
// and a new one is started; at most `maxFiles` files are kept (the current one included). The
// reader reads rotated files oldest first, then the current one, joins partial records per stream
// (so stdout and stderr never splice into one another's lines) and, when following, keeps reading
// across rotations until told to stop. Timestamps are written with a fixed width so they sort as
// text, but any RFC 3339 timestamp is accepted when reading.
import { once } from 'node:events';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';

export type LogStream = 'stdout' | 'stderr';

export const logDefaults = {
  maxSizeBytes: 10 * 1024 * 1024,
  maxFiles: 5,
  /** Longest content of one record; longer lines are split into P records. */
  maxRecordContent: 16 * 1024,
  followPollMs: 100,
  /** A partial line buffered by the reader is written out once it grows past this. */
  maxPendingLine: 1024 * 1024,
} as const;

export interface LogWriterOptions {
  maxSizeBytes?: number;
  maxFiles?: number;
  /** Clock for record timestamps (tests). */
  now?: () => Date;
  /**
   * Told about a failed write through `stdout`/`stderr` (disk full, say). Those streams never
   * error: a container must not die, nor the node, because its log could not be written.
   */
  onError?: (err: unknown) => void;
}

export interface LogWriter {
  stdout: Writable;
  stderr: Writable;
  /** Appends one chunk of output; resolves once it is in the file. */
  write(stream: LogStream, chunk: Buffer): Promise<void>;
  /** Waits for pending writes and closes the file (the Writables are ended). */
  close(): Promise<void>;
}

const NL = 0x0a;
const SP = 0x20;
const ROTATED_SUFFIX = /^\d{8}-\d{6}\.\d{3}$/;

/** Opens (appends to) a CRI log file, creating its directory. */
export async function createLogWriter(path: string, options: LogWriterOptions = {}): Promise<LogWriter> {
  const maxSize = options.maxSizeBytes ?? logDefaults.maxSizeBytes;
  const maxFiles = Math.max(1, options.maxFiles ?? logDefaults.maxFiles);
  await mkdir(dirname(path), { recursive: true });
  let fh: FileHandle = await open(path, 'a');
  let size = (await fh.stat()).size;
  let lastNs = 0n;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const stamp = (): string => {
    const ms = options.now ? options.now().getTime() : Date.now();
    // Date has milliseconds only; the sub-millisecond digits come from the monotonic clock so
    // that records written within one millisecond still carry distinct, increasing times.
    const sub = options.now ? 0n : process.hrtime.bigint() % 1_000_000n;
    let ns = BigInt(ms) * 1_000_000n + sub;
    if (ns <= lastNs) ns = lastNs + 1n;
    lastNs = ns;
    return formatTimestamp(ns);
  };

  const rotate = async (): Promise<void> => {
    await fh.close();
    let t = options.now ? options.now().getTime() : Date.now();
    let target = `${path}.${rotationStamp(t)}`;
    // Two rotations within one millisecond would collide; move the stamp on.
    while (await exists(target)) target = `${path}.${rotationStamp(++t)}`;
    await rename(path, target);
    const rotated = await listRotated(path);
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (maxFiles - 1)))) {
      await unlink(old).catch(() => undefined);
    }
    fh = await open(path, 'a');
    size = 0;
  };

  const append = (stream: LogStream, chunk: Buffer): Promise<void> => {
    if (chunk.length === 0) return chain;
    const next = chain.then(async () => {
      if (closed) return;
      const data = encodeRecords(stream, chunk, stamp());
      await fh.write(data);
      size += data.length;
      if (size >= maxSize) await rotate();
    });
    // A failed write must not wedge every later one; the caller of this write sees the error.
    chain = next.catch(() => undefined);
    return next;
  };

  const writable = (stream: LogStream): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        append(stream, chunk).then(
          () => cb(),
          (err: unknown) => {
            options.onError?.(err);
            cb();
          },
        );
      },
    });

  const stdout = writable('stdout');
  const stderr = writable('stderr');
  let closing: Promise<void> | undefined;
  return {
    stdout,
    stderr,
    write: append,
    close() {
      closing ??= (async () => {
        const ended = [stdout, stderr].map((w) => (w.writableFinished || w.destroyed ? Promise.resolve() : new Promise<void>((resolve) => {
          w.once('finish', resolve);
          w.once('close', resolve);
          w.end();
        })));
        await Promise.all(ended);
        await chain;
        closed = true;
        await fh.close();
      })();
      return closing;
    },
  };
}

/** Splits a chunk of output into records: one F per newline-terminated line, P for the rest. */
export function encodeRecords(stream: LogStream, chunk: Buffer, timestamp: string): Buffer {
  const parts: Buffer[] = [];
  const headF = Buffer.from(`${timestamp} ${stream} F `);
  const headP = Buffer.from(`${timestamp} ${stream} P `);
  const nl = Buffer.from('\n');
  const max = logDefaults.maxRecordContent;
  let start = 0;
  while (start < chunk.length) {
    const end = chunk.indexOf(NL, start);
    const lineEnd = end === -1 ? chunk.length : end;
    let pos = start;
    while (lineEnd - pos > max) {
      parts.push(headP, chunk.subarray(pos, pos + max), nl);
      pos += max;
    }
    if (end === -1) {
      if (lineEnd > pos) parts.push(headP, chunk.subarray(pos, lineEnd), nl);
      break;
    }
    parts.push(headF, chunk.subarray(pos, lineEnd), nl);
    start = end + 1;
  }
  return Buffer.concat(parts);
}

/** RFC 3339 in UTC with nine fraction digits, from nanoseconds since the epoch. */
export function formatTimestamp(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

function rotationStamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 23)}`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Rotated files of `path`, oldest first (their stamps sort as text). */
export async function listRotated(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && ROTATED_SUFFIX.test(n.slice(base.length)))
    .sort()
    .map((n) => join(dir, n));
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface ReadLogOptions {
  /** Only the last N lines (across rotated files). */
  tailLines?: number;
  /** Only lines whose first record was written at or after this time. */
  sinceTime?: Date;
  /** Prefix each line with its timestamp and a space. */
  timestamps?: boolean;
  /** Stop after writing this many bytes. */
  limitBytes?: number;
  /** Keep reading new output until `signal` aborts or `stopWhen` says the writer is done. */
  follow?: boolean;
  signal?: AbortSignal;
  /**
   * When following: the writer is done (e.g. the container exited and its log is flushed). A
   * promise that settles, or a predicate polled between reads. The file is drained before return.
   */
  stopWhen?: Promise<unknown> | (() => boolean);
  pollIntervalMs?: number;
}

interface ParsedRecord {
  timestamp: string;
  stream: string;
  partial: boolean;
  content: Buffer;
}

/** Parses one record (without its newline); undefined when the line is not a record. */
export function parseRecord(line: Buffer): ParsedRecord | undefined {
  const s1 = line.indexOf(SP);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(SP, s1 + 1);
  const streamEnd = s2 === -1 ? line.length : s2;
  const stream = line.toString('latin1', s1 + 1, streamEnd);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const timestamp = line.toString('latin1', 0, s1);
  if (s2 === -1) return { timestamp, stream, partial: false, content: Buffer.alloc(0) };
  const tag = line[s2 + 1];
  const tagged = (tag === 0x46 || tag === 0x50) && (s2 + 2 === line.length || line[s2 + 2] === SP);
  if (!tagged) {
    // Older writers put no tag: the whole rest is one full line.
    return { timestamp, stream, partial: false, content: line.subarray(s2 + 1) };
  }
  return { timestamp, stream, partial: tag === 0x50, content: line.subarray(Math.min(line.length, s2 + 3)) };
}

interface StreamState {
  inLine: boolean;
  skip: boolean;
  prefixWritten: boolean;
  timestamp: string;
  pending: Buffer[];
  pendingBytes: number;
}

/** Turns records into what `kubectl logs` prints; output pieces are collected by the caller. */
class Decoder {
  private carry: Buffer | undefined;
  private readonly streams = new Map<string, StreamState>();
  private sinceDone: boolean;
  readonly out: Buffer[] = [];

  constructor(private readonly opts: { timestamps: boolean; sinceMs?: number }) {
    this.sinceDone = opts.sinceMs === undefined;
  }

  feed(buf: Buffer): void {
    const data = this.carry ? Buffer.concat([this.carry, buf]) : buf;
    this.carry = undefined;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NL, start);
      if (nl === -1) break;
      const rec = parseRecord(data.subarray(start, nl));
      if (rec) this.record(rec);
      start = nl + 1;
    }
    // Copy so the caller's read buffer can be reused.
    if (start < data.length) this.carry = Buffer.from(data.subarray(start));
  }

  /** Drops an incomplete trailing record (end of a rotated file). */
  dropCarry(): void {
    this.carry = undefined;
  }

  private state(stream: string): StreamState {
    let st = this.streams.get(stream);
    if (!st) {
      st = { inLine: false, skip: false, prefixWritten: false, timestamp: '', pending: [], pendingBytes: 0 };
      this.streams.set(stream, st);
    }
    return st;
  }

  private record(rec: ParsedRecord): void {
    const st = this.state(rec.stream);
    if (!st.inLine) {
      st.inLine = true;
      st.timestamp = rec.timestamp;
      st.prefixWritten = false;
      st.skip = !this.passesSince(rec.timestamp);
    }
    if (!st.skip) {
      if (rec.partial) {
        st.pending.push(Buffer.from(rec.content));
        st.pendingBytes += rec.content.length;
        if (st.pendingBytes > logDefaults.maxPendingLine) this.flushStream(st);
      } else {
        this.emitPrefix(st);
        for (const p of st.pending) this.out.push(p);
        this.out.push(Buffer.concat([rec.content, Buffer.from('\n')]));
      }
    }
    if (!rec.partial) {
      st.inLine = false;
      st.pending = [];
      st.pendingBytes = 0;
    }
  }

  private passesSince(ts: string): boolean {
    if (this.sinceDone) return true;
    const ms = Date.parse(ts);
    // Timestamps only grow, so once one line passes, every later one does.
    if (!Number.isNaN(ms) && ms >= (this.opts.sinceMs as number)) this.sinceDone = true;
    return this.sinceDone;
  }

  private emitPrefix(st: StreamState): void {
    if (this.opts.timestamps && !st.prefixWritten) this.out.push(Buffer.from(`${st.timestamp} `));
    st.prefixWritten = true;
  }

  private flushStream(st: StreamState): void {
    if (st.pendingBytes === 0 && st.pending.length === 0) return;
    this.emitPrefix(st);
    for (const p of st.pending) this.out.push(p);
    st.pending = [];
    st.pendingBytes = 0;
  }

  /** Writes out lines still waiting for their end (a prompt, or the last words of a process). */
  flushPartials(): void {
    for (const st of this.streams.values()) if (!st.skip) this.flushStream(st);
  }

  take(): Buffer[] {
    return this.out.splice(0, this.out.length);
  }
}

const READ_CHUNK = 64 * 1024;

interface OpenLog {
  fh: FileHandle;
  ino: number;
  size: number;
}

async function openLog(path: string): Promise<OpenLog | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const st = await fh.stat();
  return { fh, ino: st.ino, size: st.size };
}

function recordTag(line: Buffer): 'P' | 'F' | undefined {
  const rec = parseRecord(line);
  if (!rec) return undefined;
  return rec.partial ? 'P' : 'F';
}

/**
 * Walks the records of [0, size) from the end; `visit` gets each record's tag and the offset just
 * past it and returns true to stop there. Returns that offset, or undefined when it never stopped.
 */
async function scanBackward(fh: FileHandle, size: number, visit: (tag: 'P' | 'F', end: number) => boolean): Promise<number | undefined> {
  let pos = size;
  let carry = Buffer.alloc(0);
  let first = true;
  while (pos > 0) {
    const len = Math.min(READ_CHUNK, pos);
    const block = Buffer.alloc(len);
    const { bytesRead } = await fh.read(block, 0, len, pos - len);
    pos -= len;
    let data = Buffer.concat([block.subarray(0, bytesRead), carry]);
    const base = pos;
    if (first) {
      // Bytes after the last newline are a record still being written: not part of the tail.
      const lastNl = data.lastIndexOf(NL);
      data = lastNl === -1 ? Buffer.alloc(0) : data.subarray(0, lastNl + 1);
      first = false;
      if (data.length === 0 && pos === 0) return undefined;
    }
    let end = data.length - 1; // index of the newline ending the current record
    while (end >= 0) {
      const prev = end === 0 ? -1 : data.lastIndexOf(NL, end - 1);
      if (prev === -1 && base > 0) break; // record starts in an earlier block
      const tag = recordTag(data.subarray(prev + 1, end));
      if (tag && visit(tag, base + end + 1)) return base + end + 1;
      end = prev;
    }
    carry = Buffer.from(data.subarray(0, end + 1));
  }
  return undefined;
}

/** Where reading must start so that exactly the last `n` lines follow. */
async function findTailStart(files: OpenLog[], n: number): Promise<{ index: number; offset: number }> {
  const last = files.length - 1;
  if (n <= 0) return { index: last, offset: files[last].size };
  let count = 0;
  let sawAny = false;
  for (let i = last; i >= 0; i--) {
    const stopAt = await scanBackward(files[i].fh, files[i].size, (tag) => {
      if (!sawAny) {
        sawAny = true;
        // The newest record is a partial line: it counts as a line of its own.
        if (tag === 'P') {
          count = 1;
          return false;
        }
      }
      if (tag === 'F') {
        if (count === n) return true;
        count++;
      }
      return false;
    });
    if (stopAt !== undefined) return { index: i, offset: stopAt };
  }
  return { index: 0, offset: 0 };
}

/**
 * Rotated files written after the one with inode `afterIno` (all of them when it is gone, since
 * the oldest go first), leaving out `skipIno` (the file just opened as current).
 */
async function rotatedAfter(path: string, afterIno: number | undefined, skipIno: number | undefined): Promise<OpenLog[]> {
  const opened: OpenLog[] = [];
  for (const p of await listRotated(path)) {
    const f = await openLog(p);
    if (f) opened.push(f);
  }
  const at = opened.findIndex((f) => f.ino === afterIno);
  const keep: OpenLog[] = [];
  opened.forEach((f, i) => {
    if (i > at && f.ino !== skipIno) keep.push(f);
    else void f.fh.close().catch(() => undefined);
  });
  return keep;
}

class Emitter {
  written = 0;
  done = false;
  constructor(
    private readonly out: Writable,
    private readonly limit: number | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async emit(pieces: Buffer[]): Promise<void> {
    for (let piece of pieces) {
      if (this.done) return;
      if (this.signal?.aborted || this.out.destroyed || this.out.writableEnded) {
        this.done = true;
        return;
      }
      if (this.limit !== undefined) {
        const room = this.limit - this.written;
        if (piece.length >= room) {
          piece = piece.subarray(0, room);
          this.done = true;
        }
      }
      if (piece.length > 0) {
        this.written += piece.length;
        if (!this.out.write(piece)) await waitDrain(this.out, this.signal);
      }
    }
  }
}

async function waitDrain(out: Writable, signal: AbortSignal | undefined): Promise<void> {
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([
      once(out, 'drain', { signal: ac.signal }),
      once(out, 'close', { signal: ac.signal }),
      once(out, 'error', { signal: ac.signal }),
    ]);
  } catch {
    // aborted, or the stream failed: the caller sees it through signal/destroyed
  } finally {
    ac.abort();
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Writes the decoded log of `path` to `out` (which is left open). Rejects with the file system's
 * error when neither the file nor rotated copies exist. Resolves when the log is read (or, with
 * `follow`, when stopped); an abort resolves quietly.
 */
export async function readLog(path: string, options: ReadLogOptions, out: Writable): Promise<void> {
  const { signal } = options;
  const decoder = new Decoder({ timestamps: options.timestamps === true, sinceMs: options.sinceTime?.getTime() });
  const emitter = new Emitter(out, options.limitBytes, signal);
  if (options.limitBytes !== undefined && options.limitBytes <= 0) return;

  // Open the current file first: if it rotates meanwhile, the listing below holds the same inode
  // under its new name and is skipped, so nothing is read twice.
  let current = await openLog(path);
  const rotated: OpenLog[] = [];
  for (const p of await listRotated(path)) {
    const f = await openLog(p);
    if (!f) continue;
    if (current && f.ino === current.ino) await f.fh.close();
    else rotated.push(f);
  }
  if (!current && rotated.length === 0) {
    const err: NodeJS.ErrnoException = new Error(`log file ${path}: no such file or directory`);
    err.code = 'ENOENT';
    throw err;
  }
  const files = current ? [...rotated, current] : rotated;

  // One waker for the follow loop's sleep, so an abort or "done" does not wait out the poll.
  let stopped = false;
  let wakeSleep: (() => void) | undefined;
  const wakeUp = (): void => wakeSleep?.();
  const stopWhen = options.stopWhen;
  if (stopWhen && typeof stopWhen !== 'function') {
    const onStop = (): void => {
      stopped = true;
      wakeUp();
    };
    stopWhen.then(onStop, onStop);
  }
  signal?.addEventListener('abort', wakeUp);
  const isStopped = (): boolean => stopped || (typeof stopWhen === 'function' && stopWhen());
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        wakeSleep = undefined;
        resolve();
      };
      // Not unref'd: a follow is live work until its caller aborts it or the writer is done.
      const t = setTimeout(done, ms);
      wakeSleep = done;
      if (stopped || signal?.aborted) done();
    });

  try {
    let start = { index: 0, offset: 0 };
    if (options.tailLines !== undefined) start = await findTailStart(files, options.tailLines);

    // Reads a file from `from` to its current end. The buffer is reused: the decoder copies what
    // it keeps or hands out.
    const buf = Buffer.alloc(READ_CHUNK);
    const readRange = async (f: OpenLog, from: number): Promise<number> => {
      let pos = from;
      for (;;) {
        if (emitter.done || signal?.aborted) return pos;
        const { bytesRead } = await f.fh.read(buf, 0, READ_CHUNK, pos);
        if (bytesRead === 0) return pos;
        pos += bytesRead;
        decoder.feed(buf.subarray(0, bytesRead));
        await emitter.emit(decoder.take());
      }
    };

    for (let i = start.index; i < rotated.length; i++) {
      await readRange(rotated[i], i === start.index ? start.offset : 0);
      decoder.dropCarry();
      if (emitter.done) return;
    }
    let pos = current && start.index === files.length - 1 ? start.offset : 0;
    if (!options.follow) {
      if (current) await readRange(current, pos);
      decoder.flushPartials();
      await emitter.emit(decoder.take());
      return;
    }

    // Following. `lastIno` is the newest file read so far, so that after rotations (several may
    // happen between two looks) the rotated files written since are read in order.
    let lastIno = current?.ino ?? rotated.at(-1)?.ino;
    const pollMs = options.pollIntervalMs ?? logDefaults.followPollMs;
    for (;;) {
      // Decide before draining: whatever was written before the writer said "done" gets read.
      const finishing = isStopped();
      if (current) pos = await readRange(current, pos);
      if (emitter.done || signal?.aborted) return;
      const st = await stat(path).catch(() => undefined);
      if (st && st.ino !== current?.ino) {
        // Finish the old file through our open handle (it may be renamed by now), then open the
        // new current file before listing rotated ones, as at the start, so nothing is read twice.
        if (current) {
          await readRange(current, pos);
          await current.fh.close();
        }
        decoder.dropCarry();
        current = await openLog(path);
        pos = 0;
        for (const f of await rotatedAfter(path, lastIno, current?.ino)) {
          try {
            await readRange(f, 0);
          } finally {
            await f.fh.close().catch(() => undefined);
          }
          decoder.dropCarry();
          lastIno = f.ino;
        }
        if (current) lastIno = current.ino;
        continue;
      }
      if (current && st && st.size < pos) {
        pos = 0; // truncated in place
        decoder.dropCarry();
        continue;
      }
      if (finishing) break;
      decoder.flushPartials();
      await emitter.emit(decoder.take());
      await sleep(pollMs);
      if (signal?.aborted) return;
    }
    decoder.flushPartials();
    await emitter.emit(decoder.take());
  } finally {
    signal?.removeEventListener('abort', wakeUp);
    for (const f of rotated) await f.fh.close().catch(() => undefined);
    if (current) await current.fh.close().catch(() => undefined);
  }
}
