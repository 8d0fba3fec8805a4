/**
 * Reading the events table in the global order without skipping a row whose transaction commits
 * late. `global_position` is assigned when a row is inserted, but transactions commit in another
 * order: a reader of `global_position > X` can pass X while a transaction holding a lower position
 * is still open, and never see that row. So the order is (transaction_id, global_position), and a
 * reader only reads rows of transactions older than the oldest one still running
 * (`pg_snapshot_xmin(pg_current_snapshot())`): every row that commits later sorts after what it read.
 * (As Marten and Emmett do.) The price: a transaction that stays open holds the reader back until it ends.
 *
 * Every statement reads the head in the same statement, hence the same snapshot, as its page.
 */
import type { GlobalPositionPair } from './globalPosition.js';

export interface GlobalOrderStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** Rows of transactions older than every running one: committed for good, and final in order. */
const horizon = 'transaction_id < pg_snapshot_xmin(pg_current_snapshot())';

const headSelect = (table: string): string =>
  `SELECT transaction_id, global_position FROM ${table} WHERE ${horizon} ORDER BY transaction_id DESC, global_position DESC LIMIT 1`;

/** One row `{ head_tx, head_pos }`, or none when nothing is visible yet. */
export const headStatement = (table: string): GlobalOrderStatement => ({
  text: `SELECT h.transaction_id::text AS head_tx, h.global_position::text AS head_pos FROM (${headSelect(table)}) h`,
  values: [],
});

/**
 * Up to `limit` events of streams starting with `prefix` after `after`, each row carrying the head as
 * well; one row with only the head when there is no such event; no row when nothing is visible.
 */
export const readAllStatement = (table: string, after: GlobalPositionPair, prefix: string, limit: number): GlobalOrderStatement => ({
  text: `
    WITH head AS (${headSelect(table)}),
    page AS (
      SELECT transaction_id, global_position, stream_id, revision, type, data, metadata, recorded_at
      FROM ${table}
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND ${horizon} AND starts_with(stream_id, $3)
      ORDER BY transaction_id, global_position
      LIMIT $4
    )
    SELECT head.transaction_id::text AS head_tx, head.global_position::text AS head_pos,
           page.transaction_id::text AS tx, page.global_position::text AS pos,
           page.stream_id, page.revision, page.type, page.data, page.metadata, page.recorded_at
    FROM head LEFT JOIN page ON true
    ORDER BY page.transaction_id, page.global_position`,
  values: [after.transactionId, after.position, prefix, limit],
});
