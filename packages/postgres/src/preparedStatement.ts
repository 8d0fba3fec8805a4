/**
 * A query the store sends on every decision, as a named prepared statement: PostgreSQL parses and
 * plans it once per connection instead of on every call (the append's CTE costs more to plan than
 * to run). The name is a hash of the text, so each schema (its name is in the text) and each form
 * of a statement gets its own, the same in every process.
 */
import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import { textMemo } from './textMemo.js';

/**
 * Names by text: hashing the text on every call was 4 % of the process's CPU (profile, W1-durable on
 * PostgreSQL, sequential).
 */
const names = textMemo();
const nameOf = (text: string): string => names(text, () => `saga_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`);

export const prepared = (text: string, values: readonly unknown[]): QueryConfig => ({
  name: nameOf(text),
  text,
  values: [...values],
});
