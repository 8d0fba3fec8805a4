/**
 * An `ExecutionIndexEntry` as a row of `saga_executions`, and back, and the upsert every writer of
 * entries uses (the append, `index.put`, group commit, the rebuild of the migration): one conflict
 * rule, from two sources.
 *
 * Batches travel to the server as JSON records (`jsonb_to_recordset`), so a batch of any size is one
 * parameter; a single append sends its one entry as plain parameters (no JSON to build or parse on
 * the hot path). Timestamps are normalised to `Date#toISOString()` (UTC, milliseconds) before they are
 * written: what is read back is in that form, and index cursors, which hold it, compare exactly.
 */
import { normalizedTime, type ExecutionIndexEntry } from '@saga/core';

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
const storedTime = (iso: string): string => normalizedTime(iso) ?? iso;

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

/** What an upsert does when the execution already has an entry: replace it (the lease only with `lease`). */
const onConflict = (lease: boolean): string => `
  ON CONFLICT (execution_id) DO UPDATE SET
    service = EXCLUDED.service, definition_name = EXCLUDED.definition_name, definition_version = EXCLUDED.definition_version,
    status = EXCLUDED.status, phase = EXCLUDED.phase, open = EXCLUDED.open, started_at = EXCLUDED.started_at,
    updated_at = EXCLUDED.updated_at, user_name = EXCLUDED.user_name, next_due_at = EXCLUDED.next_due_at,
    waiting_for = EXCLUDED.waiting_for, revision = EXCLUDED.revision${lease ? ', lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until' : ''}`;

/** The lease an append takes: `owner` and `until` are SQL expressions (parameters). */
export interface LeaseSql {
  readonly owner: string;
  readonly until: string;
}

/**
 * Upserts entries given as the JSON array `recordsParameter` (an SQL expression of type jsonb): a
 * batch of any size is one parameter. `where` filters the records. Without `lease` the lease
 * columns are left as they were (a rebuild or a `put` does not release anyone's lease); with it
 * (an append by the worker driving the execution), the writer takes the lease.
 */
export const upsertEntriesSql = (executionsTable: string, recordsParameter: string, where = '', lease?: LeaseSql): string => `
  INSERT INTO ${executionsTable} (${entryColumns}${lease ? ', lease_owner, lease_until' : ''})
  SELECT ${entryColumns}${lease ? `, ${lease.owner}, ${lease.until}` : ''} FROM jsonb_to_recordset(${recordsParameter}) AS r(${recordColumns})
  ${where}${onConflict(lease !== undefined)}`;

/** The SQL types of the entry's columns, in `entryColumns` order. */
const columnTypes = ['text', 'text', 'text', 'text', 'text', 'text', 'boolean', 'timestamptz', 'timestamptz', 'text', 'timestamptz', 'text', 'bigint'] as const;

/** The record's values in `entryColumns` order: the parameters of `upsertEntrySql`. */
export const recordValues = (record: ExecutionRecord): readonly unknown[] => [
  record.execution_id,
  record.service,
  record.definition_name,
  record.definition_version,
  record.status,
  record.phase,
  record.open,
  record.started_at,
  record.updated_at,
  record.user_name,
  record.next_due_at,
  record.waiting_for,
  record.revision,
];

/**
 * Upserts one entry given as parameters, one per column (`parameter` returns the placeholder of the
 * column at that index of `entryColumns`): what an append sends, with no JSON for the server to parse.
 */
export const upsertEntrySql = (executionsTable: string, parameter: (column: number) => string, where = '', lease?: LeaseSql): string => `
  INSERT INTO ${executionsTable} (${entryColumns}${lease ? ', lease_owner, lease_until' : ''})
  SELECT ${columnTypes.map((type, column) => `${parameter(column)}::${type}`).join(', ')}${lease ? `, ${lease.owner}, ${lease.until}` : ''}
  ${where}${onConflict(lease !== undefined)}`;
