/**
 * An `ExecutionIndexEntry` as a row of `saga_executions`, and back.
 *
 * Timestamps are stored as `Date#toISOString()` gives them (UTC, milliseconds, `Z`): in that one form
 * text order is time order, so SQLite compares and sorts them with plain text indexes, as PostgreSQL
 * would its timestamps. An entry read back therefore has its times in that form.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ExecutionIndexEntry } from '@saga/core';

export interface ExecutionRow {
  readonly execution_id: string;
  readonly service: string;
  readonly definition_name: string;
  readonly definition_version: string;
  readonly status: string;
  readonly phase: string;
  readonly open: number;
  readonly started_at: string;
  readonly updated_at: string;
  readonly user: string | null;
  readonly next_due_at: string | null;
  readonly waiting_for: string | null;
  readonly revision: number;
}

/** The columns of an entry, without the lease (which only `claim` writes). */
export const entryColumns =
  'execution_id, service, definition_name, definition_version, status, phase, open, started_at, updated_at, user, next_due_at, waiting_for, revision';

/** The one form timestamps are stored and compared in. Callers have checked the value parses. */
export const storedTime = (iso: string): string => new Date(iso).toISOString();

export const toRow = (entry: ExecutionIndexEntry): ExecutionRow => ({
  execution_id: entry.executionId,
  service: entry.service,
  definition_name: entry.definitionName,
  definition_version: entry.definitionVersion,
  status: entry.status,
  phase: entry.phase,
  open: entry.open ? 1 : 0,
  started_at: storedTime(entry.startedAt),
  updated_at: storedTime(entry.updatedAt),
  user: entry.user ?? null,
  next_due_at: entry.nextDueAt === null ? null : storedTime(entry.nextDueAt),
  waiting_for: entry.waitingFor ?? null,
  revision: entry.revision,
});

export const fromRow = (row: ExecutionRow): ExecutionIndexEntry => ({
  executionId: row.execution_id,
  service: row.service,
  definitionName: row.definition_name,
  definitionVersion: row.definition_version,
  status: row.status,
  phase: row.phase as ExecutionIndexEntry['phase'],
  open: row.open === 1,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
  user: row.user,
  nextDueAt: row.next_due_at,
  waitingFor: row.waiting_for,
  revision: row.revision,
});

/**
 * Writes an entry, replacing the one of the same execution. The lease columns are left as they were:
 * an append by the worker holding the lease does not release it, nor does a rebuild.
 */
export const prepareUpsert = (db: BetterSqlite3.Database): BetterSqlite3.Statement<[ExecutionRow]> =>
  db.prepare<[ExecutionRow]>(
    `INSERT INTO saga_executions (${entryColumns}) VALUES (` +
      '@execution_id, @service, @definition_name, @definition_version, @status, @phase, @open, @started_at, @updated_at, @user, @next_due_at, @waiting_for, @revision' +
      ') ON CONFLICT (execution_id) DO UPDATE SET ' +
      'service = excluded.service, definition_name = excluded.definition_name, definition_version = excluded.definition_version, ' +
      'status = excluded.status, phase = excluded.phase, open = excluded.open, started_at = excluded.started_at, ' +
      'updated_at = excluded.updated_at, user = excluded.user, next_due_at = excluded.next_due_at, ' +
      'waiting_for = excluded.waiting_for, revision = excluded.revision',
  );
