/**
 * An execution query (checked by `resolveExecutionQuery`) as SQL: every filter of `ExecutionQuery`,
 * newest first by (started_at, execution_id), a page after the cursor's boundary (keyset pagination),
 * and one row more than the page to tell whether another page follows.
 */
import type { ResolvedExecutionQuery } from '@saga/core';
import { entryColumns } from './executionRow.js';

export interface ExecutionQueryStatement {
  readonly text: string;
  readonly values: readonly unknown[];
}

export const executionQuerySql = (executionsTable: string, query: ResolvedExecutionQuery): ExecutionQueryStatement => {
  const values: unknown[] = [];
  const parameter = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions: string[] = [];
  if (query.service !== undefined) conditions.push(`service = ${parameter(query.service)}`);
  if (query.statuses !== undefined) conditions.push(`status = ANY(${parameter(query.statuses)}::text[])`);
  if (query.definitionName !== undefined) conditions.push(`definition_name = ${parameter(query.definitionName)}`);
  if (query.definitionVersion !== undefined) conditions.push(`definition_version = ${parameter(query.definitionVersion)}`);
  if (query.user !== undefined) conditions.push(`user_name = ${parameter(query.user)}`);
  if (query.startedFrom !== undefined) conditions.push(`started_at >= ${parameter(query.startedFrom)}::timestamptz`);
  if (query.startedTo !== undefined) conditions.push(`started_at < ${parameter(query.startedTo)}::timestamptz`);
  if (query.open !== undefined) conditions.push(`open = ${parameter(query.open)}::boolean`);
  if (query.dueBefore !== undefined) conditions.push(`next_due_at <= ${parameter(query.dueBefore)}::timestamptz`);
  if (query.after !== undefined) {
    // Strictly after the boundary in newest-first order; both columns descend, so one row comparison.
    const startedAt = parameter(new Date(query.after.startedAt).toISOString());
    conditions.push(`(started_at, execution_id) < (${startedAt}::timestamptz, ${parameter(query.after.executionId)}::text)`);
  }
  const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
  const text = `SELECT ${entryColumns} FROM ${executionsTable} ${where} ORDER BY started_at DESC, execution_id DESC LIMIT ${parameter(query.limit + 1)}`;
  return { text, values };
};
