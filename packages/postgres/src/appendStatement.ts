import type { ExpectedRevision } from '@saga/core';
import { quoteIdentifier } from './sqlIdentifiers.js';

export interface AppendStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export interface AppendRow {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

/**
 * The revision the new events follow, as a one-row relation. With a revision number the row exists
 * only when the stream has an event at exactly that revision: a stream that is behind gives no row
 * (nothing is inserted), and one that is ahead makes the insert hit the unique (stream, revision)
 * key. With 'no_stream' the first insert is revision 0, which the same key lets only one writer have.
 */
const baseRelation = (table: string, expected: ExpectedRevision): string => {
  if (expected === 'no_stream') return 'SELECT -1 AS revision';
  if (expected === 'any') return `SELECT COALESCE(max(revision), -1) AS revision FROM ${table} WHERE stream_id = $1`;
  return `SELECT revision FROM ${table} WHERE stream_id = $1 AND revision = $5::integer`;
};

/**
 * One append as one statement, so it is one transaction and one round trip: insert the events
 * after the base revision, and NOTIFY watchers (delivered at commit, never for a failed append).
 * Returns one row `{ last_revision, recorded_at }`, or no row when the expected revision is missing.
 */
export const appendStatement = (
  schema: string,
  channel: string,
  stream: string,
  /** `JSON.stringify` of the events as `AppendRow`s. */
  eventsJson: string,
  expected: ExpectedRevision,
  recordedAt: string | null,
): AppendStatement => {
  const table = `${quoteIdentifier(schema)}.saga_events`;
  const text = `
    WITH base AS (${baseRelation(table, expected)}),
    input AS (
      SELECT e.value AS event, e.n
      FROM jsonb_array_elements($2::text::jsonb) WITH ORDINALITY AS e(value, n)
    ),
    inserted AS (
      INSERT INTO ${table} (stream_id, revision, event_id, type, data, metadata, recorded_at)
      SELECT $1, (base.revision + input.n)::integer, input.event->>'id', input.event->>'type',
             input.event->'data', input.event->'metadata', COALESCE($3::timestamptz, now())
      FROM base CROSS JOIN input
      ORDER BY input.n
      RETURNING revision, recorded_at
    )
    SELECT max(revision) AS last_revision, min(recorded_at) AS recorded_at,
           pg_notify($4, json_build_object('stream', $1::text, 'lastRevision', max(revision))::text) AS notified
    FROM inserted
    HAVING count(*) > 0`;
  const values: unknown[] = [stream, eventsJson, recordedAt, channel];
  if (typeof expected === 'number') values.push(expected);
  return { text, values };
};
