/**
 * The execution index of the PostgreSQL store: the table `saga_executions`, which every append writes
 * in its own statement (`consistency: 'inline'`), read by `saga list` and recovery, and leased by
 * `claim` so that the workers of one service share the open executions.
 */
import { SagaError, assertIndexEntry, assertOwner, encodeIndexCursor, resolveClaimOptions, resolveExecutionQuery, resolveLeaseOptions } from '@saga/core';
import type { Clock, ClaimOptions, ExecutionIndex, ExecutionIndexEntry, ExecutionPage, ExecutionQuery, LeaseOptions } from '@saga/core';
import type pg from 'pg';
import { executionQuerySql } from './executionQuerySql.js';
import { entryColumns, fromRow, recordsJson, upsertEntriesSql, type ExecutionRow } from './executionRow.js';

export interface PostgresExecutionIndexOptions {
  /** The quoted `schema.saga_executions`. */
  readonly table: string;
  /** Runs a query on the store's pool once the store is set up, with its retry policy. */
  readonly run: <T>(what: string, operation: (pool: pg.Pool) => Promise<T>) => Promise<T>;
  /** The store's clock, when it was given one: leases then follow it; else the server's `now()`. */
  readonly clock?: Clock;
}

/** The order `claim` takes entries in: earliest due first, then those without a timer, oldest first. */
const claimOrder = 'next_due_at NULLS LAST, started_at, execution_id';

export const postgresExecutionIndex = ({ table, run, clock }: PostgresExecutionIndexOptions): ExecutionIndex => ({
  consistency: 'inline',

  async get(executionId: string): Promise<ExecutionIndexEntry | undefined> {
    if (typeof executionId !== 'string') throw new SagaError(`index.get needs an execution id (a string), got ${String(executionId)}.`);
    const result = await run('read the execution index', (pool) =>
      pool.query<ExecutionRow>(`SELECT ${entryColumns} FROM ${table} WHERE execution_id = $1`, [executionId]),
    );
    const row = result.rows[0];
    return row === undefined ? undefined : fromRow(row);
  },

  async query(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    const resolved = resolveExecutionQuery(query);
    const statement = executionQuerySql(table, resolved);
    const result = await run('query the execution index', (pool) => pool.query<ExecutionRow>(statement.text, [...statement.values]));
    const entries = result.rows.slice(0, resolved.limit).map(fromRow);
    const last = entries.at(-1);
    return result.rows.length > resolved.limit && last !== undefined ? { entries, nextCursor: encodeIndexCursor(last) } : { entries };
  },

  async claim(options: ClaimOptions): Promise<readonly ExecutionIndexEntry[]> {
    const { service, owner, leaseMs, limit, dueBefore } = resolveClaimOptions(options);
    const values: unknown[] = [service, owner, leaseMs, limit, clock?.now().toISOString() ?? null];
    const now = 'COALESCE($5::timestamptz, now())';
    const due = dueBefore === undefined ? '' : `AND next_due_at <= $${values.push(dueBefore)}::timestamptz`;
    // Entries under a live lease are nobody's to claim, the owner's included: claiming again gives the
    // next entries. The candidates are locked with SKIP LOCKED: concurrent claimers (and appends) never
    // wait for one another, and a row another claimer locked is skipped, so no entry goes to two owners.
    const text = `
      WITH claimed AS (
        UPDATE ${table} SET lease_owner = $2, lease_until = ${now} + $3::double precision * interval '1 millisecond'
        WHERE execution_id = ANY(ARRAY(
          SELECT execution_id FROM ${table}
          WHERE service = $1 AND open ${due}
            AND (lease_until IS NULL OR lease_until <= ${now})
          ORDER BY ${claimOrder}
          LIMIT $4
          FOR UPDATE SKIP LOCKED
        ))
        RETURNING ${entryColumns}
      )
      SELECT ${entryColumns} FROM claimed ORDER BY ${claimOrder}`;
    const result = await run(`claim executions of service '${service}'`, (pool) => pool.query<ExecutionRow>(text, values));
    return result.rows.map(fromRow);
  },

  async renew(options: LeaseOptions): Promise<number> {
    const { service, owner, leaseMs } = resolveLeaseOptions(options);
    const result = await run(`renew the leases of ${owner}`, (pool) =>
      pool.query(
        `UPDATE ${table} SET lease_until = COALESCE($4::timestamptz, now()) + $3::double precision * interval '1 millisecond'
         WHERE service = $1 AND lease_owner = $2 AND open`,
        [service, owner, leaseMs, clock?.now().toISOString() ?? null],
      ),
    );
    return result.rowCount ?? 0;
  },

  async release(owner: string): Promise<number> {
    assertOwner(owner);
    const result = await run(`release the leases of ${owner}`, (pool) =>
      pool.query(`UPDATE ${table} SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND open`, [owner]),
    );
    return result.rowCount ?? 0;
  },

  async put(entries: readonly ExecutionIndexEntry[]): Promise<void> {
    if (!Array.isArray(entries)) throw new SagaError('index.put needs a list of index entries.');
    for (const entry of entries) assertIndexEntry(entry);
    if (entries.length === 0) return;
    const json = recordsJson(entries);
    await run('write the execution index', (pool) => pool.query(upsertEntriesSql(table, '$1::text::jsonb'), [json]));
  },

  async remove(executionIds: readonly string[]): Promise<void> {
    if (!Array.isArray(executionIds) || executionIds.some((id) => typeof id !== 'string')) {
      throw new SagaError('index.remove needs a list of execution ids (strings).');
    }
    if (executionIds.length === 0) return;
    await run('remove from the execution index', (pool) => pool.query(`DELETE FROM ${table} WHERE execution_id = ANY($1::text[])`, [executionIds]));
  },

  async lag() {
    return { events: 0 };
  },
});
