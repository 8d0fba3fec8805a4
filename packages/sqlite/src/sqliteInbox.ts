/**
 * A participant's inbox in its own SQLite file: the handler's work and the record of its reply
 * commit in one transaction, so a participant is exactly once in effect across restarts.
 *
 *   const inbox = new SqliteInbox({ filename: './stock.db' });       // the file of the service's data
 *   const participant = new SagaParticipant({ broker, service: 'stock', inbox });
 *   participant.handle('stock.reserve', (payload, { transaction }) => {
 *     transaction.prepare('UPDATE stock SET held = held + 1 WHERE sku = ?').run(sku);
 *   });
 *
 * How: each request is handled inside `BEGIN IMMEDIATE … COMMIT` on the inbox's connection, which
 * looks the slot up, runs the handler after a savepoint, and inserts the record. better-sqlite3 has
 * one connection and SQLite one writer, so the inbox runs one handler at a time (in this process,
 * by a queue; across processes, by SQLite's write lock: a concurrent duplicate finds the record).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import {
  SagaError,
  defaultLogger,
  pruneOnSchedule,
  resolveInboxRetention,
  transactionSlot,
  type InboxCommand,
  type InboxReply,
  type InboxRequest,
  type InboxRetentionOptions,
  type InboxSlot,
  type InboxTransaction,
  type InboxWork,
  type Logger,
  type ParticipantInbox,
  type ReplyEnvelope,
  type ResolvedInboxRetention,
  type TransactionAction,
} from '@saga/core';
import { migrateInbox } from './inboxSchema.js';

export interface SqliteInboxOptions extends InboxRetentionOptions {
  /** Path of the database file of the service's data (created if missing). Or give `database`. */
  readonly filename?: string;
  /**
   * An open better-sqlite3 database that the inbox uses but never closes. Everything done on it
   * while a handler runs joins the handler's transaction: use it only through `meta.transaction`.
   */
  readonly database?: BetterSqlite3.Database;
  /** How long a write waits for another process's write lock before failing. Default 5 000 ms. */
  readonly busyTimeoutMs?: number;
  /** Where failed prunes are reported. Default: the core's default logger. */
  readonly logger?: Logger;
}

interface TransactionRecord {
  readonly action: TransactionAction;
  readonly value: boolean;
}

interface Opened {
  readonly db: BetterSqlite3.Database;
  readonly find: BetterSqlite3.Statement<[string, string, string], { record: string }>;
  readonly insert: BetterSqlite3.Statement<[string, string, string, string, string, string]>;
  readonly prune: BetterSqlite3.Statement<[string]>;
}

export class SqliteInbox implements ParticipantInbox<BetterSqlite3.Database> {
  /** The file, for messages (`'(given database)'` when one was given). */
  readonly where: string;
  readonly #options: SqliteInboxOptions;
  readonly #retention: ResolvedInboxRetention;
  #opened: Opened | undefined;
  /** One transaction at a time on the one connection: the tail of the queue. */
  #queue: Promise<unknown> = Promise.resolve();
  #stopPruning: (() => void) | undefined;

  constructor(options: SqliteInboxOptions) {
    if (typeof options !== 'object' || options === null || (options.filename === undefined) === (options.database === undefined)) {
      throw new SagaError('SqliteInbox needs either a filename (the SQLite file of the participant’s own data) or an open better-sqlite3 database, not both.');
    }
    this.#options = options;
    this.where = options.filename === undefined ? 'the given SQLite database' : `SQLite file '${options.filename}'`;
    this.#retention = resolveInboxRetention('SqliteInbox', options);
  }

  /** Opens the file if needed, creates or migrates the inbox table (idempotent), starts pruning by the retention. */
  async setup(): Promise<void> {
    this.#open();
    this.#stopPruning ??= pruneOnSchedule(`SqliteInbox ${this.where}`, (olderThan) => this.prune(olderThan), this.#retention, this.#options.logger ?? defaultLogger());
  }

  async destroy(): Promise<void> {
    this.#stopPruning?.();
    this.#stopPruning = undefined;
    await this.#queue.catch(() => undefined);
    if (this.#options.database === undefined) this.#opened?.db.close();
    this.#opened = undefined;
  }

  async handleOnce(request: InboxRequest, run: (transaction: BetterSqlite3.Database) => Promise<InboxWork<ReplyEnvelope>>): Promise<InboxReply> {
    const { record, duplicate } = await this.#once('request', request.participant, request.requestId, request.sagaId, run);
    return { reply: record, duplicate };
  }

  async transactionOnce(command: InboxCommand, run: (transaction: BetterSqlite3.Database) => Promise<InboxWork<boolean>>): Promise<InboxTransaction> {
    const { record, duplicate } = await this.#once<TransactionRecord>(transactionSlot(command.action), command.participant, command.sagaId, command.sagaId, async (db) => {
      const work = await run(db);
      return { value: { action: command.action, value: work.value }, keepEffects: work.keepEffects };
    });
    return { ...record, duplicate };
  }

  async prune(olderThan: Date): Promise<number> {
    const { prune } = this.#open();
    // Queued: a statement run while a handler's transaction is open would join it.
    return this.#serially(async () => prune.run(olderThan.toISOString()).changes);
  }

  #once<T>(slot: InboxSlot, participant: string, key: string, sagaId: string, run: (db: BetterSqlite3.Database) => Promise<InboxWork<T>>): Promise<{ record: T; duplicate: boolean }> {
    const { db, find, insert } = this.#open();
    return this.#serially(async () => {
      // IMMEDIATE takes the write lock first: another process's duplicate waits here, then finds the record.
      db.exec('BEGIN IMMEDIATE');
      try {
        const found = find.get(participant, slot, key);
        if (found !== undefined) {
          db.exec('COMMIT');
          return { record: JSON.parse(found.record) as T, duplicate: true };
        }
        db.exec('SAVEPOINT saga_inbox_run');
        const work = await run(db);
        if (!work.keepEffects) db.exec('ROLLBACK TO saga_inbox_run');
        db.exec('RELEASE saga_inbox_run');
        insert.run(participant, slot, key, sagaId, JSON.stringify(work.value), this.#retention.clock.now().toISOString());
        db.exec('COMMIT');
        return { record: work.value, duplicate: false };
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #open(): Opened {
    if (this.#opened !== undefined) return this.#opened;
    const given = this.#options.database;
    let db: BetterSqlite3.Database;
    if (given !== undefined) {
      db = given;
    } else {
      const filename = this.#options.filename as string;
      const busyTimeoutMs = this.#options.busyTimeoutMs ?? 5_000;
      try {
        if (filename !== ':memory:' && filename !== '') mkdirSync(dirname(resolve(filename)), { recursive: true });
        db = new Database(filename, { timeout: busyTimeoutMs });
        db.pragma('journal_mode = WAL');
        db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      } catch (error) {
        throw new SagaError(`SqliteInbox cannot open ${this.where}: ${(error as Error).message}. Choose a writable path.`, { cause: error });
      }
    }
    try {
      migrateInbox(db, this.where, () => this.#retention.clock.now().toISOString());
    } catch (error) {
      if (given === undefined) db.close();
      throw error;
    }
    this.#opened = {
      db,
      find: db.prepare('SELECT record FROM saga_participant_inbox WHERE participant = ? AND slot = ? AND key = ?'),
      insert: db.prepare('INSERT INTO saga_participant_inbox (participant, slot, key, saga_id, record, recorded_at) VALUES (?, ?, ?, ?, ?, ?)'),
      prune: db.prepare('DELETE FROM saga_participant_inbox WHERE recorded_at < ?'),
    };
    return this.#opened;
  }
}
