/**
 * Fills `saga_executions` from the streams a store already holds: what the migration that creates the
 * index runs on a store written before it existed. Each `saga-` stream is read, decoded and folded as
 * the engine would (`indexEntryOf(fold(decodeHistory(events)))`); a stream that does not decode (a
 * history this engine cannot read) gets no entry and does not stop the rebuild: it is reported, and
 * `saga verify --all` names it too.
 */
import type pg from 'pg';
import { assertIndexEntry, decodeHistory, fold, indexEntryOf } from '@saga/core';
import type { ExecutionIndexEntry, JsonObject } from '@saga/core';
import { recordsJson, upsertEntriesSql } from './executionRow.js';

export interface RebuildReport {
  readonly indexed: number;
  /** Streams that did not decode, with the reason. */
  readonly skipped: ReadonlyArray<{ readonly stream: string; readonly reason: string }>;
}

interface StreamRow {
  readonly stream_id: string;
  readonly created: string;
}

interface EventRow {
  readonly stream_id: string;
  readonly revision: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly recorded_at: Date;
}

/** Streams per batch: bounds what one step holds in memory. */
const batchSize = 200;
const executionPrefix = 'saga-';

const entryOf = (stream: string, rows: readonly EventRow[]): ExecutionIndexEntry => {
  const decoded = decodeHistory(
    rows.map((row) => ({ stream, revision: row.revision, type: row.type, data: row.data, recordedAt: row.recorded_at.toISOString() })),
    stream,
  );
  const entry = indexEntryOf(fold(decoded));
  assertIndexEntry(entry);
  return entry;
};

/** Runs inside the caller's transaction (the migration's). `quotedSchema` is quoted already. */
export const rebuildExecutionIndex = async (client: pg.ClientBase, quotedSchema: string): Promise<RebuildReport> => {
  const events = `${quotedSchema}.saga_events`;
  const upsert = upsertEntriesSql(`${quotedSchema}.saga_executions`, '$1::text::jsonb');
  let indexed = 0;
  const skipped: Array<{ stream: string; reason: string }> = [];
  let after = '0';
  for (;;) {
    // Streams in creation order, over the partial index on first events.
    const batch = await client.query<StreamRow>(
      `SELECT stream_id, global_position::text AS created FROM ${events}
       WHERE revision = 0 AND global_position > $1::bigint AND starts_with(stream_id, $2)
       ORDER BY global_position LIMIT $3`,
      [after, executionPrefix, batchSize],
    );
    const streams = batch.rows.map((row) => row.stream_id);
    if (streams.length > 0) {
      const history = await client.query<EventRow>(
        `SELECT stream_id, revision, type, data, recorded_at FROM ${events} WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, revision`,
        [streams],
      );
      const byStream = new Map<string, EventRow[]>(streams.map((stream) => [stream, []]));
      for (const row of history.rows) byStream.get(row.stream_id)?.push(row);
      const entries: ExecutionIndexEntry[] = [];
      for (const [stream, rows] of byStream) {
        try {
          entries.push(entryOf(stream, rows));
        } catch (error) {
          skipped.push({ stream, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      // Outside the try: a failing write fails the migration, it is not a skipped stream.
      if (entries.length > 0) await client.query(upsert, [recordsJson(entries)]);
      indexed += entries.length;
    }
    const last = batch.rows.at(-1);
    if (last === undefined || batch.rows.length < batchSize) break;
    after = last.created;
  }
  return { indexed, skipped };
};
