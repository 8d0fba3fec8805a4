/**
 * Group commit: several appends, to any streams, sent as one call of a server-side function, so they
 * take one round trip and one transaction (one commit, one WAL flush) instead of one each.
 *
 * Each append of the batch runs in a block of its own (a subtransaction): it does exactly what the
 * one-append statement (`appendStatement.ts`) does — insert after the expected revision, then upsert
 * the execution's index entry, both or neither — and a failure of one (a unique violation, no event at
 * the expected revision, a `\u0000` in its data) rolls back that append alone and is reported in its
 * row; the others go on and commit together. The client turns each row into what the one-append
 * statement would have given (a row, no row, or the error with its SQLSTATE), so the rest of the
 * append (conflict, retry of a lost reply, 'any' races) is the same code for both paths.
 *
 * The appends of a batch share the transaction id, so in the global order (transaction id, then
 * `global_position`) they sit together, in the order of the batch; they become visible at once.
 */
import type { CarriedNotice } from './appendNotices.js';
import type { AppendStatementInput } from './appendStatement.js';
import { upsertEntriesSql } from './executionRow.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { textMemo } from './textMemo.js';

/** One append of a batch, as the client sends it: what the single statement takes, less the schema (one per store). */
export type BatchAppend = Pick<AppendStatementInput, 'stream' | 'eventsJson' | 'expected' | 'recordedAt' | 'index' | 'lease'>;

/** The function's row for one append, in the order of the batch. */
export interface BatchResultRow {
  readonly item: number;
  /** Null when nothing was written (no event at the expected revision, or an error). */
  readonly last_revision: number | null;
  readonly recorded_at: Date | null;
  readonly error_code: string | null;
  readonly error_message: string | null;
}

/**
 * `CREATE FUNCTION <schema>.saga_append_batch(…)`, for the migration (`schema` may be the
 * migration's `$schema` placeholder). The arguments are parallel arrays, one element per append.
 */
export const appendBatchFunctionSql = (schema: string): string => {
  const events = `${schema}.saga_events`;
  const executions = `${schema}.saga_executions`;
  const records = 'p_index[i]::jsonb';
  const upsert = upsertEntriesSql(executions, records);
  const upsertWithLease = upsertEntriesSql(executions, records, '', {
    owner: 'p_lease_owner[i]',
    until: "v_at + p_lease_ms[i] * interval '1 millisecond'",
  });
  return `
    CREATE FUNCTION ${schema}.saga_append_batch(
      p_stream text[], p_events text[], p_expected text[], p_recorded_at timestamptz[],
      p_index text[], p_lease_owner text[], p_lease_ms double precision[])
    RETURNS TABLE (item integer, last_revision integer, recorded_at timestamptz, error_code text, error_message text)
    LANGUAGE plpgsql AS $fn$
    #variable_conflict use_column
    DECLARE
      i integer;
      v_base integer;
      v_at timestamptz;
      v_count integer;
    BEGIN
      FOR i IN 1 .. coalesce(array_length(p_stream, 1), 0) LOOP
        item := i;
        last_revision := NULL;
        recorded_at := NULL;
        error_code := NULL;
        error_message := NULL;
        BEGIN
          v_at := COALESCE(p_recorded_at[i], now());
          v_base := NULL;
          IF p_expected[i] = 'no_stream' THEN
            v_base := -1;
          ELSIF p_expected[i] = 'any' THEN
            SELECT COALESCE(max(e.revision), -1) INTO v_base FROM ${events} e WHERE e.stream_id = p_stream[i];
          ELSE
            SELECT e.revision INTO v_base FROM ${events} e WHERE e.stream_id = p_stream[i] AND e.revision = p_expected[i]::integer;
          END IF;
          IF v_base IS NOT NULL THEN
            INSERT INTO ${events} (stream_id, revision, event_id, type, data, metadata, recorded_at)
            SELECT p_stream[i], (v_base + x.n)::integer, x.value->>'id', x.value->>'type', x.value->'data', x.value->'metadata', v_at
            FROM jsonb_array_elements(p_events[i]::jsonb) WITH ORDINALITY AS x(value, n)
            ORDER BY x.n;
            GET DIAGNOSTICS v_count = ROW_COUNT;
            IF v_count > 0 THEN
              IF p_index[i] IS NOT NULL AND p_lease_owner[i] IS NULL THEN
                ${upsert};
              ELSIF p_index[i] IS NOT NULL THEN
                ${upsertWithLease};
              END IF;
              last_revision := v_base + v_count;
              recorded_at := v_at;
            END IF;
          END IF;
        EXCEPTION WHEN OTHERS THEN
          last_revision := NULL;
          recorded_at := NULL;
          error_code := SQLSTATE;
          error_message := SQLERRM;
        END;
        RETURN NEXT;
      END LOOP;
    END
    $fn$;
  `;
};

/** Statement texts by schema and notice: one string object each, as for the single append. */
const texts = textMemo();

const batchText = (schema: string, notify: boolean): string =>
  // The NOTIFY a batch carries is sent by its commit: any of its appends may have written events.
  texts(
    `${schema}\u0000${notify}`,
    () => `SELECT item, last_revision, recorded_at, error_code, error_message
         FROM ${quoteIdentifier(schema)}.saga_append_batch($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::double precision[])${
           notify ? ' CROSS JOIN (SELECT pg_notify($8, $9)) AS notified' : ''
         }`,
  );

/** The call of the function for `appends` (one statement, so one transaction), carrying `notify` when given. */
export const appendBatchStatement = (
  schema: string,
  appends: readonly BatchAppend[],
  notify?: CarriedNotice,
): { readonly text: string; readonly values: readonly unknown[] } => ({
  text: batchText(schema, notify !== undefined),
  values: [
    appends.map((append) => append.stream),
    appends.map((append) => append.eventsJson),
    appends.map((append) => String(append.expected)),
    appends.map((append) => append.recordedAt),
    appends.map((append) => (append.index === undefined ? null : JSON.stringify([append.index]))),
    appends.map((append) => (append.index === undefined ? null : (append.lease?.owner ?? null))),
    appends.map((append) => (append.index === undefined ? null : (append.lease?.leaseMs ?? null))),
    ...(notify === undefined ? [] : [notify.channel, notify.payload]),
  ],
});

/** An error of one append of a batch, as the driver would have thrown it for the one-append statement. */
export class BatchedAppendError extends Error {
  override readonly name = 'BatchedAppendError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}
