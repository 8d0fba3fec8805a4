import { SagaError } from '@saga/core';
import type pg from 'pg';
import { appendBatchFunctionSql } from './appendBatch.js';
import { rebuildExecutionIndex, type RebuildReport } from './rebuildExecutionIndex.js';
import { quoteIdentifier } from './sqlIdentifiers.js';

interface Migration {
  readonly version: number;
  /** Statements run in one transaction; `$schema` stands for the quoted schema name. */
  readonly sql: string;
  /** Runs after `sql`, in the same transaction: data the new tables need from the old ones. */
  readonly fill?: (client: pg.ClientBase, quotedSchema: string) => Promise<RebuildReport>;
  /** Statements run last, in the same transaction (what locks the events table, as briefly as can be). */
  readonly finish?: string;
}

/** What `migrate` did. */
export interface MigrationReport {
  /** The versions applied now (none when the schema was up to date). */
  readonly applied: readonly number[];
  /** The index rebuild of version 2, when it ran now. */
  readonly rebuild?: RebuildReport;
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
  {
    // The execution index, written by every append in the append's statement, filled from the streams
    // a store already holds; and the global order, by (transaction_id, global_position) (see globalOrder.ts).
    version: 2,
    sql: `
      CREATE TABLE $schema.saga_executions (
        execution_id       TEXT COLLATE "C" PRIMARY KEY,
        service            TEXT        NOT NULL,
        definition_name    TEXT        NOT NULL,
        definition_version TEXT        NOT NULL,
        status             TEXT        NOT NULL,
        phase              TEXT        NOT NULL,
        open               BOOLEAN     NOT NULL,
        started_at         TIMESTAMPTZ NOT NULL,
        updated_at         TIMESTAMPTZ NOT NULL,
        user_name          TEXT,
        next_due_at        TIMESTAMPTZ,
        waiting_for        TEXT,
        revision           BIGINT      NOT NULL,
        lease_owner        TEXT,
        lease_until        TIMESTAMPTZ
      );
      -- saga list: newest first, and by status.
      CREATE INDEX saga_executions_newest ON $schema.saga_executions (started_at DESC, execution_id DESC);
      CREATE INDEX saga_executions_status ON $schema.saga_executions (status, started_at DESC, execution_id DESC);
      -- Recovery and timers: the open executions of a service, earliest due first.
      CREATE INDEX saga_executions_due ON $schema.saga_executions (service, next_due_at) WHERE open;
    `,
    fill: rebuildExecutionIndex,
    // Rows written before have transaction id 0 (a constant default: no table rewrite), so they come
    // first in the global order, in global_position order; new rows get their transaction's id.
    finish: `
      ALTER TABLE $schema.saga_events ADD COLUMN transaction_id xid8 NOT NULL DEFAULT '0';
      ALTER TABLE $schema.saga_events ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();
      CREATE INDEX saga_events_global_order ON $schema.saga_events (transaction_id, global_position);
    `,
  },
  {
    // Group commit: several appends (of any streams) in one call, one transaction, one round trip.
    // A later change of the function is a new migration that replaces it (CREATE OR REPLACE).
    version: 3,
    sql: appendBatchFunctionSql('$schema'),
  },
  {
    // Every append updates its execution's index row. Room on each page lets PostgreSQL keep the new
    // row version beside the old one (a HOT update) when no indexed column changed, as between the
    // steps of a running execution, instead of inserting into all four of the table's indexes.
    // Applies to pages written from now on; VACUUM FULL or pg_repack spreads existing rows.
    version: 4,
    sql: `ALTER TABLE $schema.saga_executions SET (fillfactor = 70);`,
  },
];

/**
 * The statements with `$schema` replaced by the quoted schema. Not `replaceAll(pattern, string)`:
 * there `$$`, `$&`, `$'` and `` $` `` in the replacement are patterns, so a schema named `a$&b` would
 * run the DDL in schema `a$schemab` (or, with `$'`, splice the rest of the statement into the name).
 */
const withSchema = (sql: string, quotedSchema: string): string => sql.split('$schema').join(quotedSchema);

export const schemaVersion = migrations.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** Same key in every process for one schema, so concurrent setups of one schema take turns. */
const lockKey = (schema: string): string => `saga-event-store:${schema}`;

/**
 * Creates the schema if needed and brings it to `schemaVersion`, in one transaction under an
 * advisory lock: processes that start together do not race, and a failed migration leaves nothing.
 */
export const migrate = async (client: pg.ClientBase, schema: string): Promise<MigrationReport> => {
  const quoted = quoteIdentifier(schema);
  const applied: number[] = [];
  let rebuild: RebuildReport | undefined;
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
    const latest = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${quoted}.saga_schema_migrations`);
    const current = latest.rows[0]?.version ?? 0;
    if (current > schemaVersion) {
      throw new SagaError(
        `The PostgreSQL event store in schema '${schema}' has schema version ${current}, but this @saga/postgres knows only up to ` +
          `${schemaVersion}: it was written by a newer version. Upgrade @saga/postgres (downgrading a store is not supported).`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      try {
        await client.query(withSchema(migration.sql, quoted));
        if (migration.fill !== undefined) rebuild = await migration.fill(client, quoted);
        if (migration.finish !== undefined) await client.query(withSchema(migration.finish, quoted));
      } catch (error) {
        throw new SagaError(
          `Cannot create the event store tables (schema version ${migration.version}) in schema '${schema}': ${(error as Error).message}. ` +
            'Do these tables belong to another application? Give the event store a schema of its own (the `schema` option, or ?schema= in the URL).',
          { cause: error },
        );
      }
      await client.query(`INSERT INTO ${quoted}.saga_schema_migrations (version) VALUES ($1)`, [migration.version]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return rebuild === undefined ? { applied } : { applied, rebuild };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
};
