import type { ExpectedRevision } from '@saga/core';
import { recordValues, upsertEntrySql, type ExecutionRecord } from './executionRow.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { textMemo } from './textMemo.js';

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

export interface AppendStatementInput {
  readonly schema: string;
  readonly stream: string;
  /** `JSON.stringify` of the events as `AppendRow`s. */
  readonly eventsJson: string;
  readonly expected: ExpectedRevision;
  readonly recordedAt: string | null;
  /** `toRecord(entry)`: the execution's index entry, written only when the events are. */
  readonly index?: ExecutionRecord;
  /** With `index`: the writer takes the entry's lease (the worker driving the execution). */
  readonly lease?: { readonly owner: string; readonly leaseMs: number };
  /**
   * A NOTIFY sent by the append's own commit, evaluated only when the events were written: at most
   * one append per interval carries one (`AppendNotices.carry`, see `appendNotices.ts`).
   */
  readonly notify?: { readonly channel: string; readonly payload: string };
}

/**
 * The revision the new events follow, as a one-row relation. With a revision number the row exists
 * only when the stream has an event at exactly that revision: a stream that is behind gives no row
 * (nothing is inserted), and one that is ahead makes the insert hit the unique (stream, revision)
 * key. With 'no_stream' the first insert is revision 0, which the same key lets only one writer have.
 */
const baseRelation = (table: string, expected: ExpectedRevision, stream: string, revision: string): string => {
  if (expected === 'no_stream') return 'SELECT -1 AS revision';
  if (expected === 'any') return `SELECT COALESCE(max(revision), -1) AS revision FROM ${table} WHERE stream_id = ${stream}`;
  return `SELECT revision FROM ${table} WHERE stream_id = ${stream} AND revision = ${revision}::integer`;
};

/**
 * Statement texts by shape (schema, kind of expected revision, index, lease, notify): a handful per
 * store. The same string object every time, so the prepared statement's name is found by a lookup
 * whose hash the string already holds, instead of hashing 1.5 kB of SQL on every append.
 */
const texts = textMemo();

/**
 * One append as one statement, so it is one transaction and one round trip: insert the events
 * after the base revision and, when they were inserted, upsert the execution's index entry (never out
 * of step with the events: a conflicting or failed append writes neither). The events' transaction id
 * (`transaction_id`, the column's default) places them in the global order.
 * Returns one row `{ last_revision, recorded_at }`, or no row when the expected revision is missing.
 */
export const appendStatement = (input: AppendStatementInput): AppendStatement => {
  const values: unknown[] = [];
  const parameter = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  // The parameters, in the order the text below numbers them (the same for every append of a shape).
  const stream = parameter(input.stream);
  const revision = typeof input.expected === 'number' ? parameter(input.expected) : '';
  const recordedAt = parameter(input.recordedAt);
  const lease = input.lease === undefined || input.index === undefined ? undefined : { owner: parameter(input.lease.owner), ms: parameter(input.lease.leaseMs) };
  const firstColumn = values.length + 1;
  if (input.index !== undefined) values.push(...recordValues(input.index));
  const notify = input.notify === undefined ? undefined : { channel: parameter(input.notify.channel), payload: parameter(input.notify.payload) };
  const events = parameter(input.eventsJson);

  const expectedKind = typeof input.expected === 'number' ? 'revision' : input.expected;
  const key = `${input.schema}\u0000${expectedKind}\u0000${input.index !== undefined}\u0000${lease !== undefined}\u0000${notify !== undefined}`;
  const text = texts(key, () => {
    const quoted = quoteIdentifier(input.schema);
    const table = `${quoted}.saga_events`;
    const upsert =
      input.index === undefined
        ? ''
        : `, upsert AS (${upsertEntrySql(
            `${quoted}.saga_executions`,
            (column) => `$${firstColumn + column}`,
            'WHERE EXISTS (SELECT 1 FROM inserted)',
            lease === undefined
              ? undefined
              : {
                  owner: `${lease.owner}::text`,
                  until: `COALESCE(${recordedAt}::timestamptz, now()) + ${lease.ms}::double precision * interval '1 millisecond'`,
                },
          )})`;
    const notifyColumn = notify === undefined ? '' : `, pg_notify(${notify.channel}, ${notify.payload}) AS notified`;
    return `
    WITH base AS (${baseRelation(table, input.expected, stream, revision)}),
    input AS (
      SELECT e.value AS event, e.n
      FROM jsonb_array_elements(${events}::text::jsonb) WITH ORDINALITY AS e(value, n)
    ),
    inserted AS (
      INSERT INTO ${table} (stream_id, revision, event_id, type, data, metadata, recorded_at)
      SELECT ${stream}, (base.revision + input.n)::integer, input.event->>'id', input.event->>'type',
             input.event->'data', input.event->'metadata', COALESCE(${recordedAt}::timestamptz, now())
      FROM base CROSS JOIN input
      ORDER BY input.n
      RETURNING revision, recorded_at
    )${upsert}
    SELECT max(revision) AS last_revision, min(recorded_at) AS recorded_at${notifyColumn}
    FROM inserted
    HAVING count(*) > 0`;
  });
  return { text, values };
};
