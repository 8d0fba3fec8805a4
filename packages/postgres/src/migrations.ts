import { SagaError } from '@saga/core';
import type pg from 'pg';
import { quoteIdentifier } from './sqlIdentifiers.js';

interface Migration {
  readonly version: number;
  /** Statements run in one transaction; `$schema` stands for the quoted schema name. */
  readonly sql: string;
}

/**
 * Append-only list: a released migration is never edited, a change is a new entry. The versions
 * applied are rows of `saga_schema_migrations`, in the same schema as the events.
 */
const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE $schema.saga_events (
        global_position BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_id       TEXT        NOT NULL,
        revision        INTEGER     NOT NULL CHECK (revision >= 0),
        event_id        TEXT,
        type            TEXT        NOT NULL,
        data            JSONB       NOT NULL,
        metadata        JSONB       NOT NULL,
        recorded_at     TIMESTAMPTZ NOT NULL,
        CONSTRAINT saga_events_stream_revision UNIQUE (stream_id, revision)
      );
      -- listStreams pages over the first event of each stream, in the order streams were created.
      CREATE INDEX saga_events_stream_created ON $schema.saga_events (global_position) WHERE revision = 0;
    `,
  },
];

export const schemaVersion = migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Same key in every process for one schema, so concurrent setups of one schema take turns. */
const lockKey = (schema: string): string => `saga-event-store:${schema}`;

/**
 * Creates the schema if needed and brings it to `schemaVersion`, in one transaction under an
 * advisory lock: processes that start together do not race, and a failed migration leaves nothing.
 */
export const migrate = async (client: pg.ClientBase, schema: string): Promise<void> => {
  const quoted = quoteIdentifier(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey(schema)]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when the schema exists.
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.saga_schema_migrations (
         version    INTEGER     PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const applied = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoted}.saga_schema_migrations`);
    const current = applied.rows[0]?.version ?? 0;
    if (current > schemaVersion) {
      throw new SagaError(
        `The PostgreSQL event store in schema '${schema}' has schema version ${current}, but this @saga/postgres knows only up to ` +
          `${schemaVersion}: it was written by a newer version. Upgrade @saga/postgres (downgrading a store is not supported).`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        await client.query(migration.sql.replaceAll('$schema', quoted));
      } catch (error) {
        throw new SagaError(
          `Cannot create the event store tables (schema version ${migration.version}) in schema '${schema}': ${(error as Error).message}. ` +
            'Do these tables belong to another application? Give the event store a schema of its own (the `schema` option, or ?schema= in the URL).',
          { cause: error },
        );
      }
      await client.query(`INSERT INTO ${quoted}.saga_schema_migrations (version) VALUES ($1)`, [migration.version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
};
