import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isConcurrencyConflictError, isSagaError } from '@saga/core';
import type { EventStore } from '@saga/core';
import { eventStoreContract, FakeClock, waitFor } from '@saga/testing';
import { SqliteEventStore } from './sqliteEventStore.js';
import { sqliteEventStoreFromUrl } from './sqliteUrl.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// One file for the whole suite, in a directory that does not exist yet: every test reopens it, as
// successive processes would, and streams of earlier tests are still there.
const sharedFile = join(root, 'contract', 'nested', 'events.db');
eventStoreContract('SqliteEventStore (file)', async () => new SqliteEventStore({ filename: sharedFile, watchPollMs: 20 }));
eventStoreContract('SqliteEventStore (:memory:)', async () => new SqliteEventStore({ filename: ':memory:' }));

describe('SqliteEventStore', () => {
  const opened: EventStore[] = [];
  const open = async (filename: string, options: { watchPollMs?: number; clock?: FakeClock } = {}): Promise<SqliteEventStore> => {
    const store = new SqliteEventStore({ filename, ...options });
    opened.push(store);
    await store.setup();
    return store;
  };
  let fileCount = 0;
  const freshFile = (): string => join(root, `store-${++fileCount}.db`);

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
    vi.restoreAllMocks();
  });

  it('creates the file and its directory, in WAL mode, with the versioned schema', async () => {
    const filename = join(root, 'a', 'b', 'c', 'saga.db');
    await open(filename);
    expect(existsSync(filename)).toBe(true);
    const raw = new Database(filename, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(1);
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['events', 'streams']));
    } finally {
      raw.close();
    }
  });

  it('keeps the data across close and reopen', async () => {
    const filename = freshFile();
    const first = await open(filename);
    await first.append('saga-kept', [{ type: 'Started', data: { n: 1 }, metadata: { by: 'first' } }], 'no_stream');
    await first.append('saga-kept', [{ type: 'Stepped', data: { n: 2 } }], 0);
    const before = await first.read('saga-kept');
    await first.destroy();

    const second = await open(filename);
    expect(await second.read('saga-kept')).toEqual(before);
    expect((await second.listStreams()).streams.map((s) => [s.stream, s.lastRevision])).toEqual([['saga-kept', 1]]);
    await expect(second.append('saga-kept', [{ type: 'Again', data: {} }], 0)).rejects.toSatisfy(isConcurrencyConflictError);
    expect((await second.append('saga-kept', [{ type: 'Finished', data: {} }], 1)).lastRevision).toBe(2);
  });

  it('lets two stores on one file (two processes) see and race each other', async () => {
    const filename = freshFile();
    const a = await open(filename);
    const b = await open(filename);
    await a.append('saga-shared', [{ type: 'FromA', data: {} }], 'no_stream');
    expect((await b.read('saga-shared')).map((e) => e.type)).toEqual(['FromA']);
    await b.append('saga-shared', [{ type: 'FromB', data: {} }], 0);
    expect((await a.read('saga-shared')).map((e) => e.type)).toEqual(['FromA', 'FromB']);

    const outcomes = await Promise.allSettled([
      a.append('saga-shared', [{ type: 'RaceA', data: {} }], 1),
      b.append('saga-shared', [{ type: 'RaceB', data: {} }], 1),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(isConcurrencyConflictError(rejected?.status === 'rejected' ? rejected.reason : undefined)).toBe(true);
    expect(await a.read('saga-shared')).toHaveLength(3);
  });

  it("notifies a watcher of another store's append by polling", async () => {
    const filename = freshFile();
    const watcher = await open(filename, { watchPollMs: 20 });
    const writer = await open(filename, { watchPollMs: 20 });
    await writer.append('saga-watched', [{ type: 'A', data: {} }], 'no_stream');
    const seen: number[] = [];
    watcher.watch('saga-watched', (revision) => seen.push(revision));
    await writer.append('saga-watched', [{ type: 'B', data: {} }, { type: 'C', data: {} }], 0);
    await waitFor(() => seen.includes(2), { timeoutMs: 5_000, message: 'the polled notice of revision 2' });
    // Existing revision 0 was there before watching: no notice for it.
    expect(seen).toEqual([2]);

    // A stream created by the other store after the watch began is noticed too.
    const created: number[] = [];
    watcher.watch('saga-later', (revision) => created.push(revision));
    await writer.append('saga-later', [{ type: 'A', data: {} }], 'no_stream');
    await waitFor(() => created.includes(0), { timeoutMs: 5_000, message: 'the polled notice of a new stream' });
  });

  it('polls only while some listener is registered, and stops on destroy', async () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval');
    const store = await open(freshFile(), { watchPollMs: 15 });
    expect(setIntervalSpy).not.toHaveBeenCalled();

    const stopOne = store.watch('saga-x', () => {});
    const stopTwo = store.watch('saga-y', () => {});
    expect(setIntervalSpy).toHaveBeenCalledTimes(1);
    stopOne();
    expect(clearIntervalSpy).not.toHaveBeenCalled();
    stopTwo();
    expect(clearIntervalSpy).toHaveBeenCalledTimes(1);

    store.watch('saga-z', () => {});
    expect(setIntervalSpy).toHaveBeenCalledTimes(2);
    await store.destroy();
    expect(clearIntervalSpy).toHaveBeenCalledTimes(2);
  });

  it('takes recordedAt from the injected clock', async () => {
    const clock = new FakeClock('2031-02-03T04:05:06.789Z');
    const store = await open(':memory:', { clock });
    expect(await store.append('saga-clock', [{ type: 'A', data: {} }], 'no_stream')).toEqual({ lastRevision: 0, recordedAt: '2031-02-03T04:05:06.789Z' });
    clock.advance(1_000);
    await store.append('saga-clock', [{ type: 'B', data: {} }], 0);
    expect((await store.read('saga-clock')).map((e) => e.recordedAt)).toEqual(['2031-02-03T04:05:06.789Z', '2031-02-03T04:05:07.789Z']);
    expect((await store.listStreams()).streams[0]?.createdAt).toBe('2031-02-03T04:05:06.789Z');
  });

  it('fails with a SagaError naming a file that is not a SQLite database, and what to do', async () => {
    const filename = join(root, 'not-a-database.db');
    writeFileSync(filename, 'These are meeting notes, not a database. '.repeat(200));
    const store = new SqliteEventStore({ filename });
    opened.push(store);
    const error = await store.setup().catch((e: unknown) => e);
    expect(isSagaError(error)).toBe(true);
    expect((error as Error).message).toContain(filename);
    expect((error as Error).message).toMatch(/not a SQLite database/);
    expect((error as Error).message).toMatch(/restore this file from a backup/);
  });

  it('refuses a file written by a newer schema version', async () => {
    const filename = freshFile();
    const raw = new Database(filename);
    raw.pragma('user_version = 99');
    raw.close();
    await expect(open(filename)).rejects.toThrow(/schema version 99.*Upgrade @saga\/sqlite/);
  });

  it("refuses a file whose tables belong to another application", async () => {
    const filename = freshFile();
    const raw = new Database(filename);
    raw.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT)');
    raw.close();
    await expect(open(filename)).rejects.toThrow(/another application\? Give the event store a file of its own/);
  });

  it('opens lazily on first use and is unusable after destroy', async () => {
    const store = sqliteEventStoreFromUrl('sqlite::memory:');
    await store.append('saga-lazy', [{ type: 'A', data: {} }], 'no_stream');
    expect(await store.read('saga-lazy')).toHaveLength(1);
    await store.destroy();
    await store.destroy();
    await expect(store.read('saga-lazy')).rejects.toThrow(/was destroyed/);
    expect(() => store.watch('saga-lazy', () => {})).toThrow(/was destroyed/);
  });

  it('rejects an invalid cursor and an event without an object payload', async () => {
    const store = await open(':memory:');
    await expect(store.listStreams({ after: 'garbage' })).rejects.toThrow(/Invalid listStreams cursor/);
    await expect(store.append('saga-bad', [{ type: 'A', data: [] as never }], 'no_stream')).rejects.toThrow(/must be a JSON object/);
    expect(await store.read('saga-bad')).toEqual([]);
  });
});
