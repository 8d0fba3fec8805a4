/**
 * An execution query (already checked by `resolveExecutionQuery`) as SQL on `saga_executions`: every
 * filter of the port, newest first by (started_at, execution_id), and the page boundary as a keyset
 * (a row-value comparison SQLite answers from the `saga_executions_newest` index).
 */
import type { ResolvedExecutionQuery } from '@saga/core';
import { entryColumns, storedTime } from './executionRow.js';

export interface ExecutionQuerySql {
  /** Depends only on which filters are set (and how many statuses), so it can be prepared once. */
  readonly sql: string;
  readonly params: Record<string, string | number>;
}

/** Asks one row more than the page holds: whether it comes back tells whether another page follows. */
export const executionQuerySql = (query: ResolvedExecutionQuery): ExecutionQuerySql => {
  const where: string[] = [];
  const params: Record<string, string | number> = { limit: query.limit + 1 };
  const equal = (column: string, name: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    where.push(`${column} = @${name}`);
    params[name] = value;
  };
  equal('service', 'service', query.service);
  equal('definition_name', 'definitionName', query.definitionName);
  equal('definition_version', 'definitionVersion', query.definitionVersion);
  equal('user', 'user', query.user);
  equal('open', 'open', query.open === undefined ? undefined : query.open ? 1 : 0);
  if (query.statuses !== undefined) {
    const names = query.statuses.map((status, index) => {
      params[`status${index}`] = status;
      return `@status${index}`;
    });
    // No status at all matches nothing (SQLite reads `IN ()` as false).
    where.push(`status IN (${names.join(', ')})`);
  }
  if (query.startedFrom !== undefined) {
    where.push('started_at >= @startedFrom');
    params.startedFrom = storedTime(query.startedFrom);
  }
  if (query.startedTo !== undefined) {
    where.push('started_at < @startedTo');
    params.startedTo = storedTime(query.startedTo);
  }
  if (query.dueBefore !== undefined) {
    where.push('next_due_at IS NOT NULL AND next_due_at <= @dueBefore');
    params.dueBefore = storedTime(query.dueBefore);
  }
  if (query.after !== undefined) {
    where.push('(started_at, execution_id) < (@afterStartedAt, @afterExecutionId)');
    params.afterStartedAt = storedTime(query.after.startedAt);
    params.afterExecutionId = query.after.executionId;
  }
  const sql =
    `SELECT ${entryColumns} FROM saga_executions` +
    (where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`) +
    ' ORDER BY started_at DESC, execution_id DESC LIMIT @limit';
  return { sql, params };
};
