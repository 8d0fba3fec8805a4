/**
 * The participants' own record of what they did: one row per effect applied and per commit/reject
 * hook run, in a table (or file) with no key of any kind, so that a handler that ran twice for one
 * request shows as two rows.
 *
 * Where it lives follows the participants' inbox:
 * - no durable inbox: an append-only file; a line is in the kernel once `appendFileSync` returned,
 *   so it survives the SIGKILL that follows (and a handler run again after a restart shows twice);
 * - a durable inbox (`PostgresInbox` on PostgreSQL, `SqliteInbox` on SQLite): a table in the
 *   participants' database, written through the inbox's transaction (`meta.transaction`), so the
 *   record commits with the inbox's record of the request, or not at all.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ParticipantInbox } from '@saga/core';
import type Database from 'better-sqlite3';
import pg from 'pg';
import type { CaseConfig } from './caseConfig.js';

export type LedgerRecord =
  | { readonly kind: 'effect'; readonly service: string; readonly target: string; readonly requestId: string; readonly sagaId: string; readonly purpose: string; readonly pid: number }
  | { readonly kind: 'hook'; readonly service: string; readonly hook: 'reserve' | 'commit' | 'reject'; readonly sagaId: string; readonly pid: number };

export interface ParticipantStorage {
  /** The inbox the participants record their replies and hooks in; undefined: the in-memory default. */
  readonly inbox: ParticipantInbox<unknown> | undefined;
  /** Records what a handler or hook did, through `transaction` when there is an inbox. */
  record(record: LedgerRecord, transaction: unknown): Promise<void>;
  close(): Promise<void>;
}

const table = 'participant_ledger';
const columns = '(kind TEXT NOT NULL, record TEXT NOT NULL)';

export const openParticipantStorage = async (config: CaseConfig): Promise<ParticipantStorage> => {
  if (config.inbox === 'none') {
    return { inbox: undefined, record: async (record) => appendFileSync(config.ledgerFile, `${JSON.stringify(record)}\n`), close: async () => undefined };
  }
  if (config.store === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.storeLocation, max: 6 });
    await pool.query(`CREATE TABLE IF NOT EXISTS "${config.namespace}".${table} ${columns}`); // the schema: prepareCase
    const { PostgresInbox } = await import('@saga/postgres');
    const inbox = new PostgresInbox({ pool, schema: config.namespace });
    return {
      inbox: inbox as ParticipantInbox<unknown>,
      record: async (record, transaction) => void (await (transaction as pg.PoolClient).query(`INSERT INTO "${config.namespace}".${table} VALUES ($1, $2)`, [record.kind, JSON.stringify(record)])),
      close: () => pool.end(),
    };
  }
  const { default: Sqlite } = await import('better-sqlite3');
  const { SqliteInbox } = await import('@saga/sqlite');
  const db = new Sqlite(config.participantDbFile);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} ${columns}`);
  const inbox = new SqliteInbox({ database: db });
  return {
    inbox: inbox as ParticipantInbox<unknown>,
    record: async (record, transaction) => void (transaction as Database.Database).prepare(`INSERT INTO ${table} VALUES (?, ?)`).run(record.kind, JSON.stringify(record)),
    close: async () => void db.close(),
  };
};

/** Everything the participants recorded, in order. */
export const readLedger = async (config: CaseConfig): Promise<LedgerRecord[]> => {
  if (config.inbox === 'none') {
    return existsSync(config.ledgerFile)
      ? readFileSync(config.ledgerFile, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as LedgerRecord)
      : [];
  }
  if (config.store === 'postgres') {
    const client = new pg.Client({ connectionString: config.storeLocation });
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass($1) AS t`, [`"${config.namespace}".${table}`]);
      if (exists.rows[0]?.t === null) return [];
      return (await client.query<{ record: string }>(`SELECT record FROM "${config.namespace}".${table}`)).rows.map((r) => JSON.parse(r.record) as LedgerRecord);
    } finally {
      await client.end();
    }
  }
  if (!existsSync(config.participantDbFile)) return [];
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(config.participantDbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT record FROM ${table} ORDER BY rowid`).all() as { record: string }[]).map((r) => JSON.parse(r.record) as LedgerRecord);
  } finally {
    db.close();
  }
};
