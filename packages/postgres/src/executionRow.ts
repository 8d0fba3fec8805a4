/**
 * An `ExecutionIndexEntry` as a row of `saga_executions`, and back, and the one upsert every writer
 * of entries uses (the append, `index.put`, the rebuild of the migration).
 *
 * Entries travel to the server as JSON records (`jsonb_to_recordset`), so a batch of any size is one
 * parameter. Timestamps are normalised to `Date#toISOString()` (UTC, milliseconds) before they are
 * written: what is read back is in that form, and index cursors, which hold it, compare exactly.
 */
import type { ExecutionIndexEntry } from '@saga/core';

/** The JSON record of an entry, named as the columns. */
export interface ExecutionRecord {
  readonly execution_id: string;
  readonly service: string;
  readonly definition_name: string;
  readonly definition_version: string;
  readonly status: string;
  readonly phase: string;
  readonly open: boolean;
  readonly started_at: string;
  readonly updated_at: string;
  readonly user_name: string | null;
  readonly next_due_at: string | null;
  readonly waiting_for: string | null;
  readonly revision: number;
}

/** A row as `pg` returns it: timestamps as `Date`, the bigint revision as text. */
export interface ExecutionRow {
  readonly execution_id: string;
  readonly service: string;
  readonly definition_name: string;
  readonly definition_version: string;
  readonly status: string;
  readonly phase: string;
  readonly open: boolean;
  readonly started_at: Date;
  readonly updated_at: Date;
  readonly user_name: string | null;
  readonly next_due_at: Date | null;
  readonly waiting_for: string | null;
  readonly revision: string | number;
}

/** The columns of an entry, without the lease (which only `claim` writes). */
export const entryColumns =
  'execution_id, service, definition_name, definition_version, status, phase, open, started_at, updated_at, user_name, next_due_at, waiting_for, revision';

const recordColumns =
  'execution_id text, service text, definition_name text, definition_version text, status text, phase text, open boolean, ' +
  'started_at timestamptz, updated_at timestamptz, user_name text, next_due_at timestamptz, waiting_for text, revision bigint';

/** The one form timestamps are written in. Callers have checked the value parses (`assertIndexEntry`). */
const storedTime = (iso: string): string => new Date(iso).toISOString();

export const toRecord = (entry: ExecutionIndexEntry): ExecutionRecord => ({
  execution_id: entry.executionId,
  service: entry.service,
  definition_name: entry.definitionName,
  definition_version: entry.definitionVersion,
  status: entry.status,
  phase: entry.phase,
  open: entry.open,
  started_at: storedTime(entry.startedAt),
  updated_at: storedTime(entry.updatedAt),
  user_name: entry.user ?? null,
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
  open: row.open,
  startedAt: row.started_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  user: row.user_name,
  nextDueAt: row.next_due_at === null ? null : row.next_due_at.toISOString(),
  waitingFor: row.waiting_for,
  revision: Number(row.revision),
});

/** The records of `entries` as one JSON array; the last entry of an execution wins (one row, one write). */
export const recordsJson = (entries: readonly ExecutionIndexEntry[]): string => {
  const byExecution = new Map<string, ExecutionRecord>();
  for (const entry of entries) byExecution.set(entry.executionId, toRecord(entry));
  return JSON.stringify([...byExecution.values()]);
};

/**
 * Writes the records of the JSON array `recordsParameter` (an SQL expression of type jsonb), each
 * replacing the entry of its execution. `where` filters the records (the append writes its entry only
 * when its events were inserted). The lease columns are left as they were: an append by the worker
 * holding the lease does not release it, nor does a rebuild.
 */
/**
 * Upserts entries. Without `lease` the lease columns are left as they were (a rebuild or a `put` does
 * not release anyone's lease); with it (an append by the worker driving the execution), the writer
 * takes the lease: `owner` and `until` are SQL expressions (parameters).
 */
export const upsertEntriesSql = (executionsTable: string, recordsParameter: string, where = '', lease?: { readonly owner: string; readonly until: string }): string => `
  INSERT INTO ${executionsTable} (${entryColumns}${lease ? ', lease_owner, lease_until' : ''})
  SELECT ${entryColumns}${lease ? `, ${lease.owner}, ${lease.until}` : ''} FROM jsonb_to_recordset(${recordsParameter}) AS r(${recordColumns})
  ${where}
  ON CONFLICT (execution_id) DO UPDATE SET
    service = EXCLUDED.service, definition_name = EXCLUDED.definition_name, definition_version = EXCLUDED.definition_version,
    status = EXCLUDED.status, phase = EXCLUDED.phase, open = EXCLUDED.open, started_at = EXCLUDED.started_at,
    updated_at = EXCLUDED.updated_at, user_name = EXCLUDED.user_name, next_due_at = EXCLUDED.next_due_at,
    waiting_for = EXCLUDED.waiting_for, revision = EXCLUDED.revision${lease ? ', lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until' : ''}`;
