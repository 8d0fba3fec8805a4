// SqliteInbox on real files: the inbox contract (a fresh file per test, the test's effects in a table
// of the same file, written through the inbox's transaction), and a file shared with the event store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { inboxContract } from '@saga/testing';
import { SqliteEventStore } from './sqliteEventStore.js';
import { SqliteInbox } from './sqliteInbox.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-inbox-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

inboxContract('SqliteInbox', async () => {
  const filename = join(root, `inbox-${(files += 1)}.db`);
  const reader = new Database(filename);
  reader.pragma('journal_mode = WAL');
  reader.exec('CREATE TABLE effects (key TEXT NOT NULL)');
  const count = reader.prepare<[string], { n: number }>('SELECT count(*) AS n FROM effects WHERE key = ?');
  return {
    inbox: new SqliteInbox({ filename }),
    reopen: async () => new SqliteInbox({ filename }),
    write: async (tx: Database.Database, key: string) => void tx.prepare('INSERT INTO effects (key) VALUES (?)').run(key),
    count: async (key: string) => count.get(key)?.n ?? 0,
    close: async () => void reader.close(),
  };
});

describe('SqliteInbox', () => {
  it('shares a file with the event store: each keeps its own tables and schema version', async () => {
    const filename = join(root, 'shared.db');
    const store = new SqliteEventStore({ filename });
    const inbox = new SqliteInbox({ filename });
    await store.setup();
    await inbox.setup();
    await inbox.handleOnce({ participant: 'stock', requestId: 'r1', sagaId: 's1' }, async () => ({
      value: { sagaId: 's1', requestId: 'r1', status: 200, relatedServices: ['stock'], payload: null },
      keepEffects: true,
    }));
    await store.destroy();
    await inbox.destroy();
    const db = new Database(filename, { readonly: true });
    try {
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'saga_%inbox%' ORDER BY name").all();
      expect(tables.map((t) => t.name)).toEqual(['saga_inbox_migrations', 'saga_participant_inbox']);
      // The event store's version (PRAGMA user_version) is its own; reopening both works.
      expect(db.pragma('user_version', { simple: true })).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    const again = new SqliteEventStore({ filename });
    await again.setup();
    await again.destroy();
  });

  it('refuses options without a file or a database, naming both', () => {
    expect(() => new SqliteInbox({})).toThrow(/filename .* or an open better-sqlite3 database/);
  });
});
