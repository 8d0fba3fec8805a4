import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { ConcurrencyConflictError, SagaError, StreamListeners, assertAppendable, readFromRevision, resolveListStreamsOptions, systemClock } from '@saga/core';
import type {
  AppendResult,
  Clock,
  EventStore,
  ExpectedRevision,
  JsonObject,
  ListStreamsOptions,
  NewEvent,
  ReadOptions,
  RecordedEvent,
  StreamListener,
  StreamPage,
  Unsubscribe,
} from '@saga/core';
import { migrate } from './schema.js';

export interface SqliteEventStoreOptions {
  /** Path of the database file (its directory is created if missing), or `':memory:'`. */
  readonly filename: string;
  /** Sets `recordedAt`. Default: the system clock. */
  readonly clock?: Clock;
  /** How often watched streams are checked for appends made by other processes. Default 200 ms. */
  readonly watchPollMs?: number;
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
}

interface Open {
  readonly db: BetterSqlite3.Database;
  readonly statements: Statements;
  readonly append: (stream: string, rows: readonly SerializedEvent[], expected: ExpectedRevision, recordedAt: string) => number;
}

interface SerializedEvent {
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

const cursorTag = 'sqlite1:';

const encodeCursor = (position: number): string => Buffer.from(`${cursorTag}${position}`, 'utf8').toString('base64url');

const decodeCursor = (cursor: string): number => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = text.startsWith(cursorTag) ? Number(text.slice(cursorTag.length)) : Number.NaN;
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new SagaError(`Invalid listStreams cursor '${cursor}': pass the nextCursor of a previous page of this store, or omit it.`);
  }
  return position;
};

const isMemory = (filename: string): boolean => filename === ':memory:' || filename === '';

const sqliteCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;

/**
 * The EventStore port on one SQLite file (better-sqlite3, WAL): durable, embedded, no server. Several
 * processes may share the file; appends are serialised by SQLite's write lock and checked against
 * the `streams` table, and watchers poll for appends made by the other processes.
 */
export class SqliteEventStore implements EventStore {
  readonly filename: string;
  private readonly clock: Clock;
  private readonly watchPollMs: number;
  private readonly busyTimeoutMs: number;
  private opened: Open | undefined;
  private destroyed = false;
  private readonly watched = new StreamListeners({
    onFirstListener: (stream) => {
      // data_version first: a commit by another process after this point changes it, so the poller
      // rechecks even if that commit lands between the two reads.
      if (this.poller === undefined) this.lastDataVersion = this.dataVersion();
      return this.open().statements.lastRevision.get(stream)?.last_revision;
    },
    onLastListener: () => {
      if (this.watched.size === 0) this.stopPolling();
    },
  });
  private poller: NodeJS.Timeout | undefined;
  private lastDataVersion = -1;

  constructor(options: SqliteEventStoreOptions) {
    if (typeof options.filename !== 'string') {
      throw new SagaError("SqliteEventStore needs a filename: a path, or ':memory:' for a store that lives in memory.");
    }
    this.filename = options.filename;
    this.clock = options.clock ?? systemClock;
    this.watchPollMs = positive('watchPollMs', options.watchPollMs ?? 200);
    this.busyTimeoutMs = positive('busyTimeoutMs', options.busyTimeoutMs ?? 5_000, true);
  }

  /** Opens the file (creating it and its directory if needed) and migrates the schema. Idempotent. */
  async setup(): Promise<void> {
    this.open();
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stopPolling();
    this.watched.clear();
    this.opened?.db.close();
    this.opened = undefined;
  }

  async append(stream: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const { append } = this.open();
    assertAppendable(stream, events);
    const rows = events.map((event): SerializedEvent => ({ type: event.type, data: JSON.stringify(event.data), metadata: JSON.stringify(event.metadata ?? {}) }));
    const recordedAt = this.clock.now().toISOString();
    let lastRevision: number;
    try {
      lastRevision = append(stream, rows, expectedRevision, recordedAt);
    } catch (error) {
      throw this.translate(error, `append to stream '${stream}'`);
    }
    this.watched.notify(stream, lastRevision);
    return { lastRevision, recordedAt };
  }

  async read(stream: string, options: ReadOptions = {}): Promise<readonly RecordedEvent[]> {
    const { statements } = this.open();
    const fromRevision = readFromRevision(stream, options);
    return statements.readEvents.all(stream, fromRevision).map((row) => ({
      stream,
      revision: row.revision,
      type: row.type,
      data: JSON.parse(row.data) as JsonObject,
      metadata: JSON.parse(row.metadata) as JsonObject,
      recordedAt: row.recorded_at,
    }));
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const { statements } = this.open();
    const { prefix, limit } = resolveListStreamsOptions(options);
    const after = options.after === undefined ? 0 : decodeCursor(options.after);
    // One row more than asked tells whether another page follows.
    const rows = statements.listStreams.all({ after, prefix, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const streams = page.map((row) => ({ stream: row.stream, lastRevision: row.last_revision, createdAt: row.created_at }));
    const last = page.at(-1);
    return rows.length > limit && last !== undefined ? { streams, nextCursor: encodeCursor(last.created_position) } : { streams };
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    this.open();
    const unsubscribe = this.watched.add(stream, listener);
    this.startPolling();
    return unsubscribe;
  }

  private startPolling(): void {
    if (this.poller !== undefined) return;
    this.poller = setInterval(() => this.poll(), this.watchPollMs);
    // A forgotten watcher must not keep the process alive; the engine's own timers do that.
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller === undefined) return;
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private poll(): void {
    const opened = this.opened;
    if (opened === undefined || this.watched.size === 0) return;
    try {
      const version = this.dataVersion();
      // Unchanged: no other connection committed anything since the last look.
      if (version === this.lastDataVersion) return;
      this.lastDataVersion = version;
      for (const stream of this.watched.streams()) {
        const lastRevision = opened.statements.lastRevision.get(stream)?.last_revision;
        if (lastRevision !== undefined) this.watched.notify(stream, lastRevision);
      }
    } catch {
      // Busy or briefly unreadable: the next tick tries again.
    }
  }

  private dataVersion(): number {
    return (this.opened?.db.pragma('data_version', { simple: true }) as number | undefined) ?? -1;
  }

  private open(): Open {
    if (this.destroyed) {
      throw new SagaError(`This SqliteEventStore ('${this.filename}') was destroyed: create a new one to use the file again.`);
    }
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
      this.opened = prepare(db);
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

const prepare = (db: BetterSqlite3.Database): Open => {
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
  };
  const appendTransaction = db.transaction(
    (stream: string, rows: readonly SerializedEvent[], expected: ExpectedRevision, recordedAt: string): number => {
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
      return revision;
    },
  );
  // IMMEDIATE: the write lock is taken before the revision is read, so the check and the insert
  // cannot interleave with another process's append.
  return { db, statements, append: (...args) => appendTransaction.immediate(...args) };
};

const positive = (name: string, value: number, allowZero = false): number => {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SagaError(`SqliteEventStore option ${name} must be a number ${allowZero ? '≥ 0' : '> 0'}, got ${String(value)}.`);
  }
  return value;
};
