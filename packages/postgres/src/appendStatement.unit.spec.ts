import { describe, expect, it } from 'vitest';
import { appendStatement, type AppendStatementInput } from './appendStatement.js';
import type { ExecutionRecord } from './executionRow.js';

const record = (id: string): ExecutionRecord => ({
  execution_id: id,
  service: 'orders',
  definition_name: 'order',
  definition_version: '1',
  status: 'running',
  phase: 'forward',
  open: true,
  started_at: '2030-01-01T00:00:00.000Z',
  updated_at: '2030-01-01T00:00:01.000Z',
  user_name: null,
  next_due_at: null,
  waiting_for: null,
  revision: 3,
});

const input = (overrides: Partial<AppendStatementInput> = {}): AppendStatementInput => ({
  schema: 'app',
  stream: 'saga-1',
  eventsJson: '[]',
  expected: 2,
  recordedAt: null,
  index: record('1'),
  lease: { owner: 'worker-a', leaseMs: 30_000 },
  ...overrides,
});

/** The highest `$n` the text uses: every value must have its placeholder, and no more. */
const highestPlaceholder = (text: string): number => Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1])));

const shapes: ReadonlyArray<[string, Partial<AppendStatementInput>]> = [
  ['a revision, index and lease', {}],
  ['no stream yet', { expected: 'no_stream' }],
  ['any revision', { expected: 'any' }],
  ['no index', { index: undefined, lease: undefined }],
  ['an index without a lease', { lease: undefined }],
  ['a notify', { notify: { channel: 'c', payload: 'p' } }],
  ['another schema', { schema: 'other' }],
];

describe('appendStatement', () => {
  it('gives every append of one shape the very same text (its prepared statement is found without hashing the SQL again), with its own values', () => {
    const first = appendStatement(input({ stream: 'saga-1', expected: 2, index: record('1') }));
    const second = appendStatement(input({ stream: 'saga-2', expected: 7, index: record('2') }));
    expect(second.text).toBe(first.text);
    expect(second.values).not.toEqual(first.values);
    expect(second.values).toContain('saga-2');
    expect(second.values).toContain(7);
  });

  it.each(shapes)('numbers one placeholder per value: %s', (_, overrides) => {
    const statement = appendStatement(input(overrides));
    expect(highestPlaceholder(statement.text)).toBe(statement.values.length);
  });

  it('keeps the shapes apart: each has a text of its own', () => {
    const texts = new Set(shapes.map(([, overrides]) => appendStatement(input(overrides)).text));
    expect(texts.size).toBe(shapes.length);
  });

  it('sends the index entry as plain parameters in column order, the lease after the time', () => {
    const { values } = appendStatement(input());
    expect(values).toEqual([
      'saga-1',
      2,
      null,
      'worker-a',
      30_000,
      '1',
      'orders',
      'order',
      '1',
      'running',
      'forward',
      true,
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T00:00:01.000Z',
      null,
      null,
      null,
      3,
      '[]',
    ]);
  });
});
