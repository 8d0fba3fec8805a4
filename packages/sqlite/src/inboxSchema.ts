/**
 * The tables of `SqliteInbox`, apart from the event store's: the event store keeps its version in
 * `PRAGMA user_version`, so the inbox keeps its own in `saga_inbox_migrations`, and a file may hold
 * both, or the inbox beside a service's own tables.
 */
import { SagaError } from '@saga/core';
import type BetterSqlite3 from 'better-sqlite3';

/** Append-only: a released migration is never edited, a change is a new entry. */
const migrations: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      -- One row per slot: a request's reply (key = requestId), a saga's vote and its outcome (key =
      -- sagaId; commit and reject share the 'outcome' slot).
      CREATE TABLE saga_participant_inbox (
        participant TEXT NOT NULL,
        slot        TEXT NOT NULL CHECK (slot IN ('request', 'vote', 'outcome')),
        key         TEXT NOT NULL,
        saga_id     TEXT NOT NULL,
        record      TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (participant, slot, key)
      ) WITHOUT ROWID;
      -- Retention deletes by age.
      CREATE INDEX saga_participant_inbox_recorded ON saga_participant_inbox (recorded_at);
    `,
  },
];

export const inboxSchemaVersion = migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Brings the inbox tables up to date in one write transaction (other processes wait on the lock). */
export const migrateInbox = (db: BetterSqlite3.Database, where: string, now: () => string): void => {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS saga_inbox_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const current = (db.prepare('SELECT max(version) AS version FROM saga_inbox_migrations').get() as { version: number | null }).version ?? 0;
    if (current > inboxSchemaVersion) {
      throw new SagaError(`The participant inbox in ${where} has schema version ${current}, but this @saga/sqlite knows only up to ${inboxSchemaVersion}: upgrade @saga/sqlite.`);
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new SagaError(
          `Cannot create the participant inbox table (version ${migration.version}) in ${where}: ${(error as Error).message}. ` +
            'Does a table saga_participant_inbox of another application exist in this file? Give the inbox a file of its own, or rename that table.',
          { cause: error },
        );
      }
      db.prepare('INSERT INTO saga_inbox_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, now());
    }
  }).immediate();
};
