// A row written behind the store's back (a manual UPDATE, another tool) with text that is not JSON:
// reads name the stream and revision instead of throwing a bare SyntaxError.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CorruptedHistoryError } from '@saga/core';
import { SqliteEventStore } from './sqliteEventStore.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-corrupt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a SQLite row whose JSON does not parse', () => {
  let store: SqliteEventStore | undefined;
  let fileCount = 0;
  afterEach(async () => {
    await store?.destroy();
    store = undefined;
  });

  /** A store holding `saga-order-1` at revisions 0 and 1, with `column` of revision 1 overwritten by `text`. */
  const corrupted = async (column: 'data' | 'metadata', text: string): Promise<SqliteEventStore> => {
    const filename = join(root, `store-${++fileCount}.db`);
    store = new SqliteEventStore({ filename });
    await store.append('saga-order-1', [{ type: 'Started', data: { n: 0 } }, { type: 'Stepped', data: { n: 1 } }], 'no_stream');
    const raw = new Database(filename);
    try {
      raw.prepare(`UPDATE events SET ${column} = ? WHERE stream = ? AND revision = 1`).run(text, 'saga-order-1');
    } finally {
      raw.close();
    }
    return store;
  };

  const expectCorrupted = (error: unknown, column: string): void => {
    expect(error).toBeInstanceOf(CorruptedHistoryError);
    expect(error).toMatchObject({ stream: 'saga-order-1', revision: 1 });
    expect((error as Error).message).toContain(`The history of 'saga-order-1' is corrupted at revision 1: its ${column} column is not JSON`);
  };

  it.each([
    ['data', '{"n": 1'],
    ['data', ''],
    ['metadata', 'not json'],
  ] as const)('read: CorruptedHistoryError naming the stream and revision (%s = %j)', async (column, text) => {
    const broken = await corrupted(column, text);
    expectCorrupted(await broken.read('saga-order-1').catch((error: unknown) => error), column);
  });

  it.each([
    ['data', '{"n": 1'],
    ['metadata', '}'],
  ] as const)('readAll: CorruptedHistoryError naming the stream and revision (%s = %j)', async (column, text) => {
    const broken = await corrupted(column, text);
    expectCorrupted(await broken.readAll().catch((error: unknown) => error), column);
  });
});
