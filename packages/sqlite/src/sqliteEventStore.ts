import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import {
  ConcurrencyConflictError,
  SagaError,
  assertAppendable,
  appendLease,
  assertIndexEntry,
  decodeStreamCursor,
  encodeStreamCursor,
  parseCursorIndex,
  parseIntegerPosition,
  readFromRevision,
  resolveListStreamsOptions,
  resolveReadAllOptions,
  systemClock,
} from '@saga/core';
import type {
  AppendListener,
  AppendOptions,
  AppendResult,
  Clock,
  EventStore,
  ExecutionIndex,
  ExpectedRevision,
  GlobalPage,
  GlobalPosition,
  ListStreamsOptions,
  NewEvent,
  ReadAllOptions,
  ReadOptions,
  RecordedEvent,
  StreamPage,
  Unsubscribe,
} from '@saga/core';
import { AppendListeners } from './appendListeners.js';
import { toRow } from './executionRow.js';
import type { ExecutionRow } from './executionRow.js';
import { migrate } from './schema.js';
import { prepareExecutionIndex, SqliteExecutionIndex } from './sqliteExecutionIndex.js';
import type { PreparedExecutionIndex } from './sqliteExecutionIndex.js';
import { parseStoredJson } from './storedJson.js';

export interface SqliteEventStoreOptions {
  /** Path of the database file (its directory is created if missing), or `':memory:'`. */
  readonly filename: string;
  /** Sets `recordedAt`, and times the leases of `index.claim`. Default: the system clock. */
  readonly clock?: Clock;
  /** How long a write waits for another process's write lock before failing. Default 5 000 ms. */
  readonly busyTimeoutMs?: number;
}

interface EventRow {
  readonly revision: number;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_at: string;
}

interface GlobalRow extends EventRow {
  readonly global_position: number;
  readonly stream: string;
}

interface ReadAllParams {
  readonly after: number;
  readonly prefix: string;
  readonly limit: number;
}

interface StreamRow {
  readonly stream: string;
  readonly created_position: number;
  readonly last_revision: number;
  readonly created_at: string;
}

interface Statements {
  readonly lastRevision: BetterSqlite3.Statement<[string], { last_revision: number }>;
  readonly insertEvent: BetterSqlite3.Statement<[string, number, string, string, string, string]>;
  readonly insertStream: BetterSqlite3.Statement<[string, number, number, string]>;
  readonly updateStream: BetterSqlite3.Statement<[number, string]>;
  readonly readEvents: BetterSqlite3.Statement<[string, number], EventRow>;
  readonly listStreams: BetterSqlite3.Statement<[{ after: number; prefix: string; limit: number }], StreamRow>;
  readonly head: BetterSqlite3.Statement<[], { head: number | null }>;
  readonly readAll: BetterSqlite3.Statement<[ReadAllParams], GlobalRow>;
}

interface Open {
  readonly db: BetterSqlite3.Database;
  readonly statements: Statements;
  readonly index: PreparedExecutionIndex;
  readonly append: (
    stream: string,
    rows: readonly SerializedEvent[],
    expected: ExpectedRevision,
    recordedAt: string,
    entry: ExecutionRow | undefined,
    lease: { readonly owner: string; readonly until: string } | undefined,
  ) => number;
  /** The head and the page read in one snapshot, so the page's end position is exact. */
  readonly readAll: (after: GlobalPosition | undefined, prefix: string, limit: number) => { readonly head: number; readonly after: number; readonly rows: readonly GlobalRow[] };
}

interface SerializedEvent {
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

const cursorStore = 'sqlite';

const isMemory = (filename: string): boolean => filename === ':memory:' || filename === '';

const sqliteCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;

/**
 * The EventStore port on one SQLite file (better-sqlite3, WAL): durable, embedded, no server. Several
 * processes may share the file; appends are serialised by SQLite's write lock and checked against
 * the `streams` table, and each writes its execution's index entry in the same transaction.
 *
 * The global order is the `events` table's autoincrement key: SQLite lets one writer commit at a
 * time, so commit order is insert order and a reader never finds a gap filled later. A position is
 * that key as a decimal string.
 */
export class SqliteEventStore implements EventStore {
  readonly filename: string;
  readonly index: ExecutionIndex;
  private readonly clock: Clock;
  private readonly busyTimeoutMs: number;
  private opened: Open | undefined;
  private destroyed = false;
  private readonly appendListeners = new AppendListeners();

  constructor(options: SqliteEventStoreOptions) {
    if (typeof options.filename !== 'string') {
      throw new SagaError("SqliteEventStore needs a filename: a path, or ':memory:' for a store that lives in memory.");
    }
    this.filename = options.filename;
    this.clock = options.clock ?? systemClock;
    this.busyTimeoutMs = positive('busyTimeoutMs', options.busyTimeoutMs ?? 5_000, true);
    this.index = new SqliteExecutionIndex({
      prepared: () => this.open().index,
      clock: this.clock,
      translate: (error, action) => this.translate(error, action),
    });
  }

  /** Opens the file (creating it and its directory if needed) and migrates the schema. Idempotent. */
  async setup(): Promise<void> {
    this.open();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.appendListeners.clear();
    this.opened?.db.close();
    this.opened = undefined;
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    const { append } = this.open();
    assertAppendable(stream, events);
    if (options.index !== undefined) assertIndexEntry(options.index);
    const entry = options.index === undefined ? undefined : toRow(options.index);
    const lease = appendLease(options);
    const rows = events.map((event): SerializedEvent => ({ type: event.type, data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata ?? {}) }));
    const recordedAt = this.clock.now().toISOString();
    let lastRevision: number;
    try {
      lastRevision = append(stream, rows, expectedRevision, recordedAt, entry, lease && { owner: lease.owner, until: new Date(Date.parse(recordedAt) + lease.leaseMs).toISOString() });
    } catch (error) {
      throw this.translate(error, `append to stream '${stream}' in`);
    }
    this.appendListeners.notify();
    return { lastRevision, recordedAt };
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    const { statements } = this.open();
    const fromRevision = readFromRevision(stream, options);
    return statements.readEvents.all(stream, fromRevision).map((row) => ({
      stream,
      revision: row.revision,
      type: row.type,
      data: parseStoredJson(row.data, 'data', stream, row.revision),
      metadata: parseStoredJson(row.metadata, 'metadata', stream, row.revision),
      recordedAt: row.recorded_at,
    }));
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const { statements } = this.open();
    const { prefix, limit } = resolveListStreamsOptions(options);
    const after = options.after === undefined ? 0 : decodeStreamCursor(cursorStore, options.after, parseCursorIndex);
    // One row more than asked tells whether another page follows.
    const rows = statements.listStreams.all({ after, prefix, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const streams = page.map((row) => ({ stream: row.stream, lastRevision: row.last_revision, createdAt: row.created_at }));
    const last = page.at(-1);
    return rows.length > limit && last !== undefined ? { streams, nextCursor: encodeStreamCursor(cursorStore, String(last.created_position)) } : { streams };
  }

  async readAll(options: ReadAllOptions = {}): Promise<GlobalPage> {
    const { readAll } = this.open();
    const { prefix, limit, after } = resolveReadAllOptions(options);
    let page: ReturnType<Open['readAll']>;
    try {
      page = readAll(after, prefix, limit);
    } catch (error) {
      throw this.translate(error, 'read the global order of');
    }
    const events = page.rows.map((row) => ({
      stream: row.stream,
      revision: row.revision,
      type: row.type,
      data: parseStoredJson(row.data, 'data', row.stream, row.revision),
      metadata: parseStoredJson(row.metadata, 'metadata', row.stream, row.revision),
      recordedAt: row.recorded_at,
      position: String(row.global_position),
    }));
    // A full page ends at its last event; a short one read everything up to the head (events of
    // other prefixes included), so the next read starts there.
    const last = page.rows.at(-1);
    const reached = page.rows.length === limit && last !== undefined ? last.global_position : Math.max(page.after, page.head);
    return reached === 0 ? { events } : { events, position: String(reached) };
  }

  async headPosition(): Promise<GlobalPosition | undefined> {
    const { statements } = this.open();
    const head = statements.head.get()?.head ?? null;
    return head === null ? undefined : String(head);
  }

  /**
   * Tells `listener` after every append made through this store (this process). Appends that other
   * processes make to the same file are not announced here, since SQLite has no notifications:
   * the core's `StoreFeed` finds them by polling `readAll` every `pollMs`.
   */
  onAppended(listener: AppendListener): Unsubscribe {
    this.assertUsable();
    return this.appendListeners.add(listener);
  }

  private assertUsable(): void {
    if (this.destroyed) {
      throw new SagaError(`This SqliteEventStore ('${this.filename}') was destroyed: create a new one to use the file again.`);
    }
  }

  private open(): Open {
    this.assertUsable();
    if (this.opened !== undefined) return this.opened;

    if (!isMemory(this.filename)) {
      const directory = dirname(resolve(this.filename));
      try {
        mkdirSync(directory, { recursive: true });
      } catch (error) {
        throw new SagaError(
          `Cannot create the directory '${directory}' for the SQLite event store '${this.filename}': ${String((error as Error).message)}. ` +
            'Choose a writable location.',
          { cause: error },
        );
      }
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(this.filename, { timeout: this.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      migrate(db, this.filename);
      this.opened = prepare(db, `SqliteEventStore '${this.filename}'`);
      return this.opened;
    } catch (error) {
      db?.close();
      throw this.translate(error, 'open');
    }
  }

  private translate(error: unknown, action: string): unknown {
    if (error instanceof SagaError || error instanceof ConcurrencyConflictError) return error;
    const code = sqliteCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      return new SagaError(
        `Cannot ${action} the SQLite event store '${this.filename}': the file is not a SQLite database, or is corrupted (${detail}). ` +
          'Point the store at another path (a new file is created there), or restore this file from a backup.',
        { cause: error },
      );
    }
    if (code === 'SQLITE_BUSY') {
      return new SagaError(
        `Cannot ${action} the SQLite event store '${this.filename}': another process held the database lock for more than ` +
          `${this.busyTimeoutMs} ms (${detail}). Retry, or raise busyTimeoutMs.`,
        { cause: error },
      );
    }
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
      return new SagaError(
        `Cannot ${action} the SQLite event store '${this.filename}' (${detail}). Check that the path is a file this process can read and write.`,
        { cause: error },
      );
    }
    return error;
  }
}

/** `label` names the store in the errors of positions it never gave. */
const prepare = (db: BetterSqlite3.Database, label: string): Open => {
  const statements: Statements = {
    lastRevision: db.prepare<[string], { last_revision: number }>('SELECT last_revision FROM streams WHERE stream = ?'),
    insertEvent: db.prepare<[string, number, string, string, string, string]>(
      'INSERT INTO events (stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertStream: db.prepare<[string, number, number, string]>(
      'INSERT INTO streams (stream, created_position, last_revision, created_at) VALUES (?, ?, ?, ?)',
    ),
    updateStream: db.prepare<[number, string]>('UPDATE streams SET last_revision = ? WHERE stream = ?'),
    readEvents: db.prepare<[string, number], EventRow>(
      'SELECT revision, type, data, metadata, recorded_at FROM events WHERE stream = ? AND revision >= ? ORDER BY revision',
    ),
    // substr/length count characters the way SQLite stores them, so non-ASCII prefixes match too.
    listStreams: db.prepare<[{ after: number; prefix: string; limit: number }], StreamRow>(
      'SELECT stream, created_position, last_revision, created_at FROM streams ' +
        'WHERE created_position > @after AND substr(stream, 1, length(@prefix)) = @prefix ORDER BY created_position LIMIT @limit',
    ),
    head: db.prepare<[], { head: number | null }>('SELECT max(global_position) AS head FROM events'),
    readAll: db.prepare<[ReadAllParams], GlobalRow>(
      'SELECT global_position, stream, revision, type, data, metadata, recorded_at FROM events ' +
        'WHERE global_position > @after AND substr(stream, 1, length(@prefix)) = @prefix ORDER BY global_position LIMIT @limit',
    ),
  };
  const index = prepareExecutionIndex(db);
  const appendTransaction = db.transaction(
    (stream: string, rows: readonly SerializedEvent[], expected: ExpectedRevision, recordedAt: string, entry: ExecutionRow | undefined, lease: { readonly owner: string; readonly until: string } | undefined): number => {
      const current = statements.lastRevision.get(stream)?.last_revision;
      const actual = current ?? 'no_stream';
      if (expected !== 'any' && expected !== actual) throw new ConcurrencyConflictError(stream, expected, actual);
      let revision = current ?? -1;
      let firstPosition: number | undefined;
      for (const row of rows) {
        revision += 1;
        const result = statements.insertEvent.run(stream, revision, row.type, row.data, row.metadata, recordedAt);
        firstPosition ??= Number(result.lastInsertRowid);
      }
      if (current === undefined) statements.insertStream.run(stream, firstPosition ?? 0, revision, recordedAt);
      else statements.updateStream.run(revision, stream);
      // In the same transaction: the index never shows an append that did not happen, nor misses one.
      if (entry !== undefined) index.upsert(entry);
      // The writer drives the execution: it holds the lease (other workers' recovery leaves it alone).
      if (entry !== undefined && lease !== undefined) index.lease(entry.execution_id, lease.owner, lease.until);
      return revision;
    },
  );
  // A deferred (read) transaction: the head and the rows come from one snapshot, even while other
  // processes append.
  const readAllTransaction = db.transaction((after: GlobalPosition | undefined, prefix: string, limit: number) => {
    const head = statements.head.get()?.head ?? 0;
    const from = after === undefined ? 0 : parseIntegerPosition(label, after, head);
    return { head, after: from, rows: statements.readAll.all({ after: from, prefix, limit }) };
  });
  return {
    db,
    statements,
    index,
    // IMMEDIATE: the write lock is taken before the revision is read, so the check and the insert
    // cannot interleave with another process's append.
    append: (...args) => appendTransaction.immediate(...args),
    readAll: (...args) => readAllTransaction(...args),
  };
};

const positive = (name: string, value: number, allowZero = false): number => {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SagaError(`SqliteEventStore option ${name} must be a number ${allowZero ? '≥ 0' : '> 0'}, got ${String(value)}.`);
  }
  return value;
};
