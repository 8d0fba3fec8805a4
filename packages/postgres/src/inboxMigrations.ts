/**
 * The tables of `PostgresInbox`, apart from the event store's: their own migrations table, their
 * own advisory lock. A participant's database need not hold an event store, and an event store's
 * schema version says nothing of these.
 */
import { SagaError } from '@saga/core';
import type pg from 'pg';
import { quoteIdentifier } from './sqlIdentifiers.js';

/** Append-only: a released migration is never edited, a change is a new entry. `$schema` is the quoted schema. */
const migrations: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
      -- One row per slot: a request's reply (key = requestId), a saga's vote and its outcome (key =
      -- sagaId; commit and reject share the 'outcome' slot). The primary key is what makes a
      -- concurrent duplicate wait for the first to commit. record is NULL only inside the
      -- transaction that claimed the slot, so no other transaction ever reads it NULL.
      CREATE TABLE $schema.saga_participant_inbox (
        participant TEXT COLLATE "C" NOT NULL,
        slot        TEXT        NOT NULL CHECK (slot IN ('request', 'vote', 'outcome')),
        key         TEXT COLLATE "C" NOT NULL,
        saga_id     TEXT        NOT NULL,
        record      JSONB,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (participant, slot, key)
      );
      -- Retention deletes by age.
      CREATE INDEX saga_participant_inbox_recorded ON $schema.saga_participant_inbox (recorded_at);
    `,
  },
];

export const inboxSchemaVersion = migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Not `replaceAll(pattern, string)`: `$&` and the like in a schema name would be patterns. */
const withSchema = (sql: string, quotedSchema: string): string => sql.split('$schema').join(quotedSchema);

/** Creates the schema if needed and brings the inbox tables up to date, in one transaction under an advisory lock. */
export const migrateInbox = async (client: pg.ClientBase, schema: string): Promise<readonly number[]> => {
  const quoted = quoteIdentifier(schema);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`saga-participant-inbox:${schema}`]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoted}.saga_inbox_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const latest = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoted}.saga_inbox_migrations`);
    const current = latest.rows[0]?.version ?? 0;
    if (current > inboxSchemaVersion) {
      throw new SagaError(
        `The participant inbox in schema '${schema}' has schema version ${current}, but this @saga/postgres knows only up to ${inboxSchemaVersion}: ` +
          'it was written by a newer version. Upgrade @saga/postgres.',
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        await client.query(withSchema(migration.sql, quoted));
      } catch (error) {
        throw new SagaError(
          `Cannot create the participant inbox table (version ${migration.version}) in schema '${schema}': ${(error as Error).message}. ` +
            'Does a table saga_participant_inbox of another application exist there? Give the inbox a schema of its own (the `schema` option).',
          { cause: error },
        );
      }
      await client.query(`INSERT INTO ${quoted}.saga_inbox_migrations (version) VALUES ($1)`, [migration.version]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
};
