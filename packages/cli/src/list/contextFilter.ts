/**
 * `--context key=value`: a value of the execution's context. The context is not indexed (it is
 * whatever the application puts there), so this filter reads the streams of the executions the
 * indexed filters leave.
 */
import type { JsonObject, JsonValue } from '@saga/core';
import { UsageError } from '../cliError.js';

export interface ContextFilter {
  readonly path: readonly string[];
  readonly value: string;
}

export const parseContextFilter = (text: string): ContextFilter => {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`--context '${text}': use key=value, e.g. --context orderId=order-1234 (a dotted key reaches into objects: payment.id=C-7).`);
  return { path: text.slice(0, equals).split('.'), value: text.slice(equals + 1) };
};

/** Whether the context holds the value at the path: a string compares as is, anything else as JSON. */
export const contextMatches = (context: JsonObject, filter: ContextFilter): boolean => {
  let value: JsonValue | undefined = context;
  for (const key of filter.path) {
    value = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as JsonObject)[key] : undefined;
  }
  if (value === undefined) return false;
  return typeof value === 'string' ? value === filter.value : JSON.stringify(value) === filter.value;
};
