/**
 * The execution index of a SQLite store: the `saga_executions` table, which `append` writes in the
 * append's own transaction (so the index is `'inline'`: never behind the streams, and a conflicting
 * append changes nothing in it).
 *
 * Leases: `claim` takes, in one `BEGIN IMMEDIATE` transaction (SQLite's write lock, so processes on
 * the same file claim one after the other), the open entries of a service whose lease is absent or
 * expired, and records `lease_owner` and `lease_until` on them. A live lease keeps the entry out of
 * every claim, its holder's included (claiming again gives the next entries), until it expires.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { assertIndexEntry, assertOwner, encodeIndexCursor, resolveClaimOptions, resolveExecutionQuery, resolveLeaseOptions } from '@saga/core';
import type { ClaimOptions, Clock, ExecutionIndex, ExecutionIndexEntry, ExecutionPage, ExecutionQuery, LeaseOptions } from '@saga/core';
import { entryColumns, fromRow, prepareUpsert, storedTime, toRow } from './executionRow.js';
import type { ExecutionRow } from './executionRow.js';
import { executionQuerySql } from './executionQuerySql.js';

interface ClaimParams {
  readonly service: string;
  readonly now: string;
  readonly dueBefore?: string;
  readonly limit: number;
}

/** The index's operations on one open database, synchronous (better-sqlite3 is). */
export interface PreparedExecutionIndex {
  /** Writes one entry; called by `append` inside its transaction. */
  readonly upsert: (row: ExecutionRow) => void;
  readonly get: (executionId: string) => ExecutionIndexEntry | undefined;
  readonly query: (query: ExecutionQuery) => ExecutionPage;
  readonly claim: (params: ClaimParams, owner: string, leaseUntil: string) => readonly ExecutionIndexEntry[];
  readonly put: (rows: readonly ExecutionRow[]) => void;
  readonly remove: (executionIds: readonly string[]) => void;
  /** Gives `owner` the lease of one entry until `until` (an append by the worker driving it). */
  readonly lease: (executionId: string, owner: string, until: string) => void;
  readonly renew: (service: string, owner: string, until: string) => number;
  readonly release: (owner: string) => number;
}

/** Queries differ by which filters they set; a handful of shapes are in use, each prepared once. */
const maxCachedQueries = 256;

export const prepareExecutionIndex = (db: BetterSqlite3.Database): PreparedExecutionIndex => {
  const upsert = prepareUpsert(db);
  const get = db.prepare<[string], ExecutionRow>(`SELECT ${entryColumns} FROM saga_executions WHERE execution_id = ?`);
  const remove = db.prepare<[string]>('DELETE FROM saga_executions WHERE execution_id = ?');
  // A free entry: never leased, or its lease ran out (a live lease keeps even its holder away, so
  // that claiming again gives the next entries).
  // Soonest due first (an entry without a timer counts from its start).
  const claimable = (dueFilter: string, order: string): BetterSqlite3.Statement<[ClaimParams], ExecutionRow> =>
    db.prepare<[ClaimParams], ExecutionRow>(
      `SELECT ${entryColumns} FROM saga_executions WHERE service = @service AND open = 1${dueFilter} ` +
        'AND (lease_until IS NULL OR lease_until <= @now) ' +
        `ORDER BY ${order}, execution_id LIMIT @limit`,
    );
  const claimAll = claimable('', 'coalesce(next_due_at, started_at)');
  // Every candidate has a due time here: ordered by it, the recovery index gives the order.
  const claimDue = claimable(' AND next_due_at IS NOT NULL AND next_due_at <= @dueBefore', 'next_due_at');
  const lease = db.prepare<[string, string, string]>('UPDATE saga_executions SET lease_owner = ?, lease_until = ? WHERE execution_id = ?');
  const renew = db.prepare<[string, string, string]>('UPDATE saga_executions SET lease_until = ? WHERE service = ? AND lease_owner = ? AND open = 1');
  const release = db.prepare<[string]>('UPDATE saga_executions SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND open = 1');
  const queries = new Map<string, BetterSqlite3.Statement<[Record<string, string | number>], ExecutionRow>>();

  const claim = db.transaction((params: ClaimParams, owner: string, leaseUntil: string): ExecutionIndexEntry[] => {
    const rows = (params.dueBefore === undefined ? claimAll : claimDue).all(params);
    for (const row of rows) lease.run(owner, leaseUntil, row.execution_id);
    return rows.map(fromRow);
  });
  const put = db.transaction((rows: readonly ExecutionRow[]) => {
    for (const row of rows) upsert.run(row);
  });
  const removeAll = db.transaction((executionIds: readonly string[]) => {
    for (const executionId of executionIds) remove.run(executionId);
  });

  return {
    upsert: (row) => void upsert.run(row),
    get: (executionId) => {
      const row = get.get(executionId);
      return row === undefined ? undefined : fromRow(row);
    },
    query: (query) => {
      const resolved = resolveExecutionQuery(query);
      const { sql, params } = executionQuerySql(resolved);
      let statement = queries.get(sql);
      if (statement === undefined) {
        if (queries.size >= maxCachedQueries) queries.clear();
        statement = db.prepare<[Record<string, string | number>], ExecutionRow>(sql);
        queries.set(sql, statement);
      }
      const rows = statement.all(params);
      const entries = rows.slice(0, resolved.limit).map(fromRow);
      const last = entries.at(-1);
      return rows.length > resolved.limit && last !== undefined ? { entries, nextCursor: encodeIndexCursor(last) } : { entries };
    },
    // IMMEDIATE: the write lock is taken before the free entries are read, so two processes never
    // lease the same entry.
    claim: (params, owner, leaseUntil) => claim.immediate(params, owner, leaseUntil),
    put: (rows) => put.immediate(rows),
    remove: (executionIds) => removeAll.immediate(executionIds),
    lease: (executionId, owner, until) => void lease.run(owner, until, executionId),
    renew: (service, owner, until) => renew.run(until, service, owner).changes,
    release: (owner) => release.run(owner).changes,
  };
};

/** What the index needs of its store: the open database (opened on first use), the clock, error wording. */
export interface ExecutionIndexHost {
  readonly prepared: () => PreparedExecutionIndex;
  readonly clock: Clock;
  readonly translate: (error: unknown, action: string) => unknown;
}

export class SqliteExecutionIndex implements ExecutionIndex {
  readonly consistency = 'inline' as const;
  readonly #host: ExecutionIndexHost;

  constructor(host: ExecutionIndexHost) {
    this.#host = host;
  }

  async get(executionId: string): Promise<ExecutionIndexEntry | undefined> {
    return this.#run('read the execution index of', (index) => index.get(executionId));
  }

  async query(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    return this.#run('query the execution index of', (index) => index.query(query));
  }

  async claim(options: ClaimOptions): Promise<readonly ExecutionIndexEntry[]> {
    const { service, owner, leaseMs, limit, dueBefore } = resolveClaimOptions(options);
    return this.#run('claim executions in', (index) => {
      const now = this.#host.clock.now().getTime();
      const params: ClaimParams = { service, now: new Date(now).toISOString(), limit, ...(dueBefore === undefined ? {} : { dueBefore: storedTime(dueBefore) }) };
      return index.claim(params, owner, new Date(now + leaseMs).toISOString());
    });
  }

  async renew(options: LeaseOptions): Promise<number> {
    const { service, owner, leaseMs } = resolveLeaseOptions(options);
    return this.#run('renew leases in', (index) => index.renew(service, owner, new Date(this.#host.clock.now().getTime() + leaseMs).toISOString()));
  }

  async release(owner: string): Promise<number> {
    assertOwner(owner);
    return this.#run('release leases in', (index) => index.release(owner));
  }

  async put(entries: readonly ExecutionIndexEntry[]): Promise<void> {
    for (const entry of entries) assertIndexEntry(entry);
    const rows = entries.map(toRow);
    this.#run('write the execution index of', (index) => index.put(rows));
  }

  async remove(executionIds: readonly string[]): Promise<void> {
    this.#run('remove entries from the execution index of', (index) => index.remove(executionIds));
  }

  /** Always up to date: entries are written in the appends' transactions. */
  async lag(): Promise<{ readonly events: number }> {
    return { events: 0 };
  }

  #run<T>(action: string, operation: (index: PreparedExecutionIndex) => T): T {
    const index = this.#host.prepared();
    try {
      return operation(index);
    } catch (error) {
      throw this.#host.translate(error, action);
    }
  }
}
