import { SagaError } from '@saga/core';
import type BetterSqlite3 from 'better-sqlite3';
import { rebuildExecutionIndex } from './rebuildExecutionIndex.js';

interface Migration {
  readonly version: number;
  readonly sql: string;
  /** Runs after `sql`, in the same transaction: data the new tables need from the old ones. */
  readonly then?: (db: BetterSqlite3.Database) => void;
}

/**
 * Append-only list: a released migration is never edited, a change is a new entry. The version
 * reached is kept in `PRAGMA user_version` (in the file header, so no bookkeeping table is needed).
 */
const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE events (
        global_position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream          TEXT    NOT NULL,
        revision        INTEGER NOT NULL,
        type            TEXT    NOT NULL,
        data            TEXT    NOT NULL,
        metadata        TEXT    NOT NULL,
        recorded_at     TEXT    NOT NULL,
        UNIQUE (stream, revision)
      );
      CREATE TABLE streams (
        stream           TEXT    PRIMARY KEY NOT NULL,
        created_position INTEGER NOT NULL UNIQUE,
        last_revision    INTEGER NOT NULL,
        created_at       TEXT    NOT NULL
      );
    `,
  },
  {
    // The execution index, written by every append in the append's transaction. On an existing file
    // it is filled from the streams it already holds.
    version: 2,
    sql: `
      CREATE TABLE saga_executions (
        execution_id       TEXT    PRIMARY KEY NOT NULL,
        service            TEXT    NOT NULL,
        definition_name    TEXT    NOT NULL,
        definition_version TEXT    NOT NULL,
        status             TEXT    NOT NULL,
        phase              TEXT    NOT NULL,
        open               INTEGER NOT NULL,
        started_at         TEXT    NOT NULL,
        updated_at         TEXT    NOT NULL,
        user               TEXT,
        next_due_at        TEXT,
        waiting_for        TEXT,
        revision           INTEGER NOT NULL,
        lease_owner        TEXT,
        lease_until        TEXT
      );
      CREATE INDEX saga_executions_newest ON saga_executions (started_at DESC, execution_id DESC);
      CREATE INDEX saga_executions_status ON saga_executions (status, started_at DESC, execution_id DESC);
      CREATE INDEX saga_executions_recovery ON saga_executions (service, open, next_due_at);
    `,
    then: rebuildExecutionIndex,
  },
];

export const schemaVersion = migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);

const userVersion = (db: BetterSqlite3.Database): number => db.pragma('user_version', { simple: true }) as number;

/** Brings the file's schema up to `schemaVersion`. Safe to run from several processes at once. */
export const migrate = (db: BetterSqlite3.Database, filename: string): void => {
  const tooNew = (found: number): SagaError =>
    new SagaError(
      `The SQLite event store '${filename}' has schema version ${found}, but this @saga/sqlite knows only up to ` +
        `${schemaVersion}: it was written by a newer version. Upgrade @saga/sqlite (downgrading a store is not supported).`,
    );
  if (userVersion(db) === schemaVersion) return;
  if (userVersion(db) > schemaVersion) throw tooNew(userVersion(db));
  // IMMEDIATE takes the write lock before reading the version, so two processes starting together
  // cannot both run the same migration.
  db.transaction(() => {
    const current = userVersion(db);
    if (current > schemaVersion) throw tooNew(current);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        db.exec(migration.sql);
        migration.then?.(db);
      } catch (error) {
        throw new SagaError(
          `Cannot create the event store schema (version ${migration.version}) in '${filename}': ${String((error as Error).message)}. ` +
            'Is this file used by another application? Give the event store a file of its own.',
          { cause: error },
        );
      }
      db.pragma(`user_version = ${migration.version}`);
    }
  }).immediate();
};
