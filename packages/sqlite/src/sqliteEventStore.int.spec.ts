import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { isConcurrencyConflictError, isSagaError, StoreFeed } from '@saga/core';
import type { EventStore } from '@saga/core';
import { eventStoreContract, FakeClock, waitFor } from '@saga/testing';
import { SqliteEventStore } from './sqliteEventStore.js';
import { sqliteEventStoreFromUrl } from './sqliteUrl.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// One file for the whole suite, in a directory that does not exist yet: every test reopens it, as
// successive processes would, and streams of earlier tests are still there.
const sharedFile = join(root, 'contract', 'nested', 'events.db');
eventStoreContract('SqliteEventStore (file)', async () => new SqliteEventStore({ filename: sharedFile }));
eventStoreContract('SqliteEventStore (:memory:)', async () => new SqliteEventStore({ filename: ':memory:' }));

describe('SqliteEventStore', () => {
  const opened: EventStore[] = [];
  const open = async (filename: string, options: { clock?: FakeClock } = {}): Promise<SqliteEventStore> => {
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
      expect(raw.pragma('user_version', { simple: true })).toBe(2);
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['events', 'streams', 'saga_executions']));
      const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'saga_executions' AND sql IS NOT NULL").pluck().all();
      expect(indexes).toEqual(expect.arrayContaining(['saga_executions_newest', 'saga_executions_status', 'saga_executions_recovery']));
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

  it('tells onAppended listeners after its own appends only, once the append resolved', async () => {
    const store = await open(freshFile());
    let told = 0;
    const stop = store.onAppended(() => void (told += 1));
    await store.append('saga-told', [{ type: 'A', data: {} }], 'no_stream');
    await Promise.resolve();
    expect(told).toBe(1);
    // A conflicting append appended nothing: nobody is told.
    await expect(store.append('saga-told', [{ type: 'B', data: {} }], 'no_stream')).rejects.toSatisfy(isConcurrencyConflictError);
    await Promise.resolve();
    expect(told).toBe(1);
    stop();
    stop(); // twice is harmless
    await store.append('saga-told', [{ type: 'C', data: {} }], 0);
    await Promise.resolve();
    expect(told).toBe(1);
  });

  it('keeps telling other listeners when one throws, and the append still succeeds', async () => {
    const store = await open(':memory:');
    let told = 0;
    store.onAppended(() => {
      throw new Error('listener bug');
    });
    store.onAppended(() => void (told += 1));
    await expect(store.append('saga-x', [{ type: 'A', data: {} }], 'no_stream')).resolves.toMatchObject({ lastRevision: 0 });
    await Promise.resolve();
    expect(told).toBe(1);
  });

  it("leaves another process's appends to the StoreFeed, which finds them by polling readAll", async () => {
    const filename = freshFile();
    const reader = await open(filename);
    const writer = await open(filename);
    let told = 0;
    reader.onAppended(() => void (told += 1));
    const feed = StoreFeed.of(reader, { pollMs: 20 });
    const seen: string[] = [];
    const stop = await feed.subscribe('saga-fed', (events) => seen.push(...events.map((e) => `${e.revision}:${e.type}:${e.position}`)));
    try {
      await writer.append('saga-fed', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
      await waitFor(() => seen.length === 2, { timeoutMs: 5_000, message: "the feed to deliver the other store's append" });
      const page = await reader.readAll();
      expect(seen).toEqual(page.events.map((e) => `${e.revision}:${e.type}:${e.position}`));
      expect(told).toBe(0);
    } finally {
      stop();
    }
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
    await expect(store.readAll()).rejects.toThrow(/was destroyed/);
    await expect(store.index.get('lazy')).rejects.toThrow(/was destroyed/);
    expect(() => store.onAppended(() => {})).toThrow(/was destroyed/);
  });

  it('rejects an invalid cursor and an event without an object payload', async () => {
    const store = await open(':memory:');
    await expect(store.listStreams({ after: 'garbage' })).rejects.toThrow(/Invalid listStreams cursor/);
    await expect(store.append('saga-bad', [{ type: 'A', data: [] as never }], 'no_stream')).rejects.toThrow(/must be a JSON object/);
    expect(await store.read('saga-bad')).toEqual([]);
  });
  describe('global order', () => {
    it('gives the events table key as the position, in commit order across streams', async () => {
      const store = await open(freshFile());
      expect(await store.headPosition()).toBeUndefined();
      expect(await store.readAll()).toEqual({ events: [] });
      await store.append('saga-1', [{ type: 'A', data: { n: 1 } }, { type: 'B', data: {} }], 'no_stream');
      await store.append('saga-2', [{ type: 'C', data: {} }], 'no_stream');
      await store.append('saga-1', [{ type: 'D', data: {} }], 1);
      const page = await store.readAll();
      expect(page.events.map((e) => [e.position, e.stream, e.revision, e.type])).toEqual([
        ['1', 'saga-1', 0, 'A'],
        ['2', 'saga-1', 1, 'B'],
        ['3', 'saga-2', 0, 'C'],
        ['4', 'saga-1', 2, 'D'],
      ]);
      expect(page.events[0]).toMatchObject({ data: { n: 1 }, metadata: {} });
      expect(page.position).toBe('4');
      expect(await store.headPosition()).toBe('4');
      expect(await store.readAll({ after: '4' })).toEqual({ events: [], position: '4' });
      expect((await store.readAll({ after: '2', limit: 1 })).events.map((e) => e.type)).toEqual(['C']);
    });

    it('moves past events of other prefixes, so the next read does not scan them again', async () => {
      const store = await open(':memory:');
      await store.append('saga-a', [{ type: 'A', data: {} }], 'no_stream');
      await store.append('other-b', [{ type: 'B', data: {} }, { type: 'B', data: {} }], 'no_stream');
      const page = await store.readAll();
      expect(page.events.map((e) => e.stream)).toEqual(['saga-a']);
      expect(page.position).toBe('3');
      // A full page stops at its last event.
      await store.append('saga-c', [{ type: 'C', data: {} }, { type: 'C', data: {} }], 'no_stream');
      const full = await store.readAll({ after: page.position, limit: 1 });
      expect(full).toMatchObject({ position: '4' });
      expect((await store.readAll({ prefix: 'other-' })).events.map((e) => e.position)).toEqual(['2', '3']);
    });

    it('refuses a position it never gave, naming it and the file', async () => {
      const filename = freshFile();
      const store = await open(filename);
      await store.append('saga-a', [{ type: 'A', data: {} }], 'no_stream');
      await expect(store.readAll({ after: '2' })).rejects.toThrow(/position 2 is past the end of the store \(its last is 1\)/);
      await expect(store.readAll({ after: '2' })).rejects.toThrow(filename);
      for (const bad of ['-1', '01', '1.5', 'abc', ' 1']) {
        await expect(store.readAll({ after: bad })).rejects.toSatisfy(isSagaError);
      }
      await expect(store.readAll({ limit: 0 })).rejects.toThrow(/limit/);
    });
  });
});
