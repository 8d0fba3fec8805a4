/**
 * Fills `saga_executions` from the streams a file already holds: what the schema migration that
 * creates the index runs on a file written before it existed. Each `saga-` stream is read, decoded and
 * folded as the engine would (`indexEntryOf(fold(decodeHistory(events)))`); a stream that does not
 * decode (a history this engine cannot read, or one whose `SagaStarted` names another execution than
 * the stream) gets no entry and does not stop the rebuild.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { assertIndexEntry, decodeHistory, fold, indexEntryOf } from '@saga/core';
import type { ExecutionIndexEntry } from '@saga/core';
import { prepareUpsert, toRow } from './executionRow.js';
import { parseStoredJson } from './storedJson.js';

export interface RebuildReport {
  readonly indexed: number;
  /** Streams that did not decode, with the reason. */
  readonly skipped: ReadonlyArray<{ readonly stream: string; readonly reason: string }>;
}

interface StreamRow {
  readonly stream: string;
  readonly created_position: number;
}

interface EventRow {
  readonly revision: number;
  readonly type: string;
  readonly data: string;
  readonly recorded_at: string;
}

/** Streams per batch: bounds what one step holds in memory. */
const batchSize = 500;
/** The streams of executions (`executionStream` of the core). */
const executionPrefix = 'saga-';

/** Runs inside the caller's (write) transaction. */
export const rebuildExecutionIndex = (db: BetterSqlite3.Database): RebuildReport => {
  const streams = db.prepare<[number, string, string, number], StreamRow>(
    'SELECT stream, created_position FROM streams WHERE created_position > ? AND substr(stream, 1, length(?)) = ? ORDER BY created_position LIMIT ?',
  );
  const events = db.prepare<[string], EventRow>('SELECT revision, type, data, recorded_at FROM events WHERE stream = ? ORDER BY revision');
  const upsert = prepareUpsert(db);
  let indexed = 0;
  const skipped: Array<{ stream: string; reason: string }> = [];
  let after = 0;
  for (;;) {
    const batch = streams.all(after, executionPrefix, executionPrefix, batchSize);
    for (const { stream } of batch) {
      const history = events.all(stream);
      let entry: ExecutionIndexEntry;
      try {
        const decoded = decodeHistory(
          history.map((row) => ({ stream, revision: row.revision, type: row.type, data: parseStoredJson(row.data, 'data', stream, row.revision), recordedAt: row.recorded_at })),
          stream,
        );
        entry = indexEntryOf(fold(decoded));
        const named = stream.slice(executionPrefix.length);
        if (entry.executionId !== named) throw new Error(`SagaStarted names execution '${entry.executionId}', not '${named}' (the stream's name)`);
        assertIndexEntry(entry);
      } catch (error) {
        skipped.push({ stream, reason: error instanceof Error ? error.message : String(error) });
        continue;
      }
      // Outside the try: a failing write (disk full, …) fails the migration, it is not a skipped stream.
      upsert.run(toRow(entry));
      indexed += 1;
    }
    const last = batch.at(-1);
    if (last === undefined || batch.length < batchSize) break;
    after = last.created_position;
  }
  return { indexed, skipped };
};
