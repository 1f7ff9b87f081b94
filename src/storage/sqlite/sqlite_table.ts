// The SQLite driver (default store): a kine-style revision log in one file, through better-sqlite3.
//
// Tables:
//   kv       one row per write: id = revision, name, created/deleted flags, create_revision,
//            prev_revision, expires (lease, ms since epoch; 0 = none), value (JSON text; a
//            tombstone keeps the last value so DELETE events can carry the object)
//   current  name -> id of the live row (a WITHOUT ROWID table clustered by name), so gets and
//            range lists at the current revision are index lookups instead of max(id) scans
//   meta     compact_revision
//
// Durability: WAL with synchronous=FULL. Each group-commit transaction is fsynced before any
// caller's promise resolves, so an acknowledged write survives a process kill and a power loss,
// as with etcd. Group commit amortises the fsync over every write of an event-loop turn; NORMAL
// would be faster for sequential writers but could lose acknowledged writes on power loss.
//
// Revisions never go backwards: `kv.id` is AUTOINCREMENT (SQLite never reuses a value even after
// the row is deleted by compaction) and the compact revision is persisted too.
import Database from 'better-sqlite3';
import { LogBackend, type LogBackendOptions, type LogTable, type Row } from '../log_backend.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS current (
  name TEXT PRIMARY KEY,
  id INTEGER NOT NULL,
  expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS current_expires ON current (expires) WHERE expires > 0;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

interface DbRow {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  expires: number;
  value: string;
}

const COLS = 'kv.id, kv.name, kv.created, kv.deleted, kv.create_revision, kv.prev_revision, kv.expires, kv.value';

function toRow(r: DbRow): Row {
  return {
    rev: r.id, key: r.name, value: r.value, createRev: r.create_revision, prevRev: r.prev_revision,
    deleted: r.deleted === 1, expiresAt: r.expires,
  };
}

function toRows(rs: unknown[]): Row[] {
  const out: Row[] = new Array(rs.length);
  for (let i = 0; i < rs.length; i++) out[i] = toRow(rs[i] as DbRow);
  return out;
}

/** SQLite wants a number for LIMIT; -1 means no limit. */
function sqlLimit(limit: number): number {
  return limit > 0 ? limit : -1;
}

export interface SqliteOptions {
  /** Pages on the free list above which compaction reclaims space with an incremental vacuum. */
  reclaimFreePages?: number;
  synchronous?: 'FULL' | 'NORMAL';
}

export class SqliteTable implements LogTable {
  revision: number;
  compactRevision: number;
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly reclaimFreePages: number;

  constructor(path: string, options: SqliteOptions = {}) {
    this.db = new Database(path);
    // auto_vacuum must be chosen before the first table exists; it is a no-op on an existing file.
    this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.reclaimFreePages = options.reclaimFreePages ?? 1024;
    const db = this.db;
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, expires, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertCurrent: db.prepare(
        'INSERT INTO current (name, id, expires) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET id = excluded.id, expires = excluded.expires',
      ),
      deleteCurrent: db.prepare('DELETE FROM current WHERE name = ?'),
      current: db.prepare(`SELECT ${COLS} FROM current JOIN kv ON kv.id = current.id WHERE current.name = ?`),
      at: db.prepare(`SELECT ${COLS} FROM kv WHERE kv.name = ? AND kv.id <= ? ORDER BY kv.id DESC LIMIT 1`),
      byRevision: db.prepare(`SELECT ${COLS} FROM kv WHERE kv.id = ?`),
      listCurrent: db.prepare(
        `SELECT ${COLS} FROM current JOIN kv ON kv.id = current.id WHERE current.name >= ? AND current.name < ? ORDER BY current.name LIMIT ?`,
      ),
      listAt: db.prepare(
        `SELECT ${COLS} FROM (SELECT max(id) AS mid FROM kv WHERE name >= ? AND name < ? AND id <= ? GROUP BY name) m
         JOIN kv ON kv.id = m.mid WHERE kv.deleted = 0 ORDER BY kv.name LIMIT ?`,
      ),
      countCurrent: db.prepare('SELECT count(*) AS n FROM current WHERE name >= ? AND name < ?'),
      range: db.prepare(`SELECT ${COLS} FROM kv WHERE kv.id > ? AND kv.id <= ? AND kv.name >= ? AND kv.name < ? ORDER BY kv.id LIMIT ?`),
      expired: db.prepare(`SELECT ${COLS} FROM current JOIN kv ON kv.id = current.id WHERE current.expires > 0 AND current.expires <= ? LIMIT ?`),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      maxSeq: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'"),
      // Compaction walks only the writes since the previous compaction: each of them obsoletes
      // the row it replaced (prev_revision), and a tombstone is itself obsolete once compacted.
      compactSuperseded: db.prepare('DELETE FROM kv WHERE id IN (SELECT prev_revision FROM kv WHERE id > ? AND id <= ? AND prev_revision > 0)'),
      compactTombstones: db.prepare('DELETE FROM kv WHERE deleted = 1 AND id > ? AND id <= ?'),
      freePages: db.prepare('PRAGMA freelist_count'),
    };
    const seq = (this.stmts.maxSeq.get() as { seq: number } | undefined)?.seq ?? 0;
    this.compactRevision = (this.stmts.getMeta.get('compact_revision') as { value: number } | undefined)?.value ?? 0;
    this.revision = Math.max(seq, this.compactRevision);
    this.transaction = db.transaction((fn: () => void) => fn()) as (fn: () => void) => void;
  }

  /** better-sqlite3's transaction wrapper: BEGIN, fn, COMMIT, or ROLLBACK when fn throws. */
  transaction: (fn: () => void) => void;

  append(row: Row): void {
    const created = row.createRev === row.rev ? 1 : 0;
    this.stmts.insert.run(row.rev, row.key, created, row.deleted ? 1 : 0, row.createRev, row.prevRev, row.expiresAt, row.value);
    if (row.deleted) this.stmts.deleteCurrent.run(row.key);
    else this.stmts.upsertCurrent.run(row.key, row.rev, row.expiresAt);
    this.revision = row.rev;
  }

  current(key: string): Row | undefined {
    const r = this.stmts.current.get(key) as DbRow | undefined;
    return r && toRow(r);
  }

  at(key: string, rev: number): Row | undefined {
    const r = this.stmts.at.get(key, rev) as DbRow | undefined;
    return r && toRow(r);
  }

  byRevision(rev: number): Row | undefined {
    const r = this.stmts.byRevision.get(rev) as DbRow | undefined;
    return r && toRow(r);
  }

  listCurrent(start: string, end: string, limit: number): Row[] {
    return toRows(this.stmts.listCurrent.all(start, end, sqlLimit(limit)));
  }

  listAt(start: string, end: string, rev: number, limit: number): Row[] {
    return toRows(this.stmts.listAt.all(start, end, rev, sqlLimit(limit)));
  }

  countCurrent(start: string, end: string): number {
    return (this.stmts.countCurrent.get(start, end) as { n: number }).n;
  }

  range(start: string, end: string, from: number, to: number, limit: number): Row[] {
    return toRows(this.stmts.range.all(from, to, start, end, sqlLimit(limit)));
  }

  expired(now: number, limit: number): Row[] {
    return toRows(this.stmts.expired.all(now, limit));
  }

  setCompactRevision(rev: number): void {
    this.stmts.setMeta.run('compact_revision', rev);
    this.compactRevision = rev;
  }

  compactStep(from: number, to: number): number {
    let n = 0;
    this.db.transaction(() => {
      n = this.stmts.compactSuperseded.run(from, to).changes + this.stmts.compactTombstones.run(from, to).changes;
    })();
    return n;
  }

  reclaim(): void {
    const free = (this.stmts.freePages.get() as { freelist_count: number }).freelist_count;
    if (free > this.reclaimFreePages) this.db.pragma(`incremental_vacuum(${free})`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function openSqliteBackend(path: string, options: LogBackendOptions & SqliteOptions = {}): LogBackend {
  return new LogBackend(new SqliteTable(path, options), options);
}
