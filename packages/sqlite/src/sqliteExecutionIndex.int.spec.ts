// The execution index on SQLite: what the contract cannot see from outside (the append's transaction,
// the stored form of timestamps, leases against the injected clock).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isConcurrencyConflictError, isSagaError } from '@saga/core';
import type { ExecutionIndexEntry } from '@saga/core';
import { FakeClock } from '@saga/testing';
import { SqliteEventStore } from './sqliteEventStore.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const entry = (executionId: string, overrides: Partial<ExecutionIndexEntry> = {}): ExecutionIndexEntry => ({
  executionId,
  service: 'orders',
  definitionName: 'order',
  definitionVersion: '1',
  status: 'running',
  phase: 'forward',
  open: true,
  startedAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  user: null,
  nextDueAt: null,
  waitingFor: null,
  revision: 0,
  ...overrides,
});

const event = { type: 'Happened', data: {} };

describe('SqliteEventStore execution index', () => {
  const opened: SqliteEventStore[] = [];
  let fileCount = 0;
  const open = async (options: { filename?: string; clock?: FakeClock } = {}): Promise<SqliteEventStore> => {
    const store = new SqliteEventStore({ filename: options.filename ?? join(root, `index-${++fileCount}.db`), ...(options.clock ? { clock: options.clock } : {}) });
    opened.push(store);
    await store.setup();
    return store;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
  });

  it("is 'inline', never behind", async () => {
    const store = await open();
    expect(store.index.consistency).toBe('inline');
    expect(await store.index.lag()).toEqual({ events: 0 });
  });

  describe('append', () => {
    it("writes the entry with the events, and a conflicting append changes neither", async () => {
      const store = await open();
      await store.append('saga-e1', [event], 'no_stream', { index: entry('e1') });
      expect(await store.index.get('e1')).toEqual(entry('e1'));
      await store.append('saga-e1', [event, event], 0, { index: entry('e1', { status: 'finished', phase: 'ended', open: false, revision: 2 }) });
      expect(await store.index.get('e1')).toMatchObject({ status: 'finished', open: false, revision: 2 });

      const conflict = await store.append('saga-e1', [event], 0, { index: entry('e1', { status: 'errored', revision: 1 }) }).catch((e: unknown) => e);
      expect(isConcurrencyConflictError(conflict)).toBe(true);
      expect(await store.index.get('e1')).toMatchObject({ status: 'finished', revision: 2 });
      expect(await store.read('saga-e1')).toHaveLength(3);

      // Without an entry, an append leaves the index as it is.
      await store.append('saga-e1', [event], 2);
      expect(await store.index.get('e1')).toMatchObject({ revision: 2 });
    });

    it('writes no events when the index write fails: one transaction', async () => {
      const filename = join(root, 'atomic.db');
      const store = await open({ filename });
      const raw = new Database(filename);
      raw.exec("CREATE TRIGGER refuse_boom BEFORE INSERT ON saga_executions WHEN NEW.execution_id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
      raw.close();
      await expect(store.append('saga-boom', [event], 'no_stream', { index: entry('boom') })).rejects.toThrow(/refused by the test/);
      expect(await store.read('saga-boom')).toEqual([]);
      expect((await store.listStreams({ prefix: 'saga-boom' })).streams).toEqual([]);
      expect(await store.headPosition()).toBeUndefined();
      expect(await store.index.get('boom')).toBeUndefined();
    });

    it('checks the entry before writing anything', async () => {
      const store = await open();
      const bad = { ...entry('bad'), open: 'yes' } as unknown as ExecutionIndexEntry;
      await expect(store.append('saga-bad', [event], 'no_stream', { index: bad })).rejects.toThrow(/open must be a boolean/);
      expect(await store.read('saga-bad')).toEqual([]);
      await expect(store.index.put([entry('fine'), bad])).rejects.toSatisfy(isSagaError);
      expect(await store.index.get('fine')).toBeUndefined();
    });

    it('stores times in the one ISO form, so that they compare as times', async () => {
      const store = await open();
      await store.index.put([
        entry('early', { startedAt: '2030-01-01T00:00:00Z', nextDueAt: '2030-01-01T01:00:00+01:00' }),
        entry('late', { startedAt: '2030-01-01T00:00:00.500Z' }),
      ]);
      expect(await store.index.get('early')).toMatchObject({ startedAt: '2030-01-01T00:00:00.000Z', nextDueAt: '2030-01-01T00:00:00.000Z' });
      const page = await store.index.query({ startedTo: '2030-01-01T00:00:00.250Z' });
      expect(page.entries.map((e) => e.executionId)).toEqual(['early']);
      expect((await store.index.query({ dueBefore: '2030-01-01T00:00:00Z' })).entries.map((e) => e.executionId)).toEqual(['early']);
    });
  });

  describe('query', () => {
    const fill = async (store: SqliteEventStore): Promise<void> => {
      await store.index.put([
        entry('a', { startedAt: '2030-01-01T00:00:01.000Z', status: 'finished', phase: 'ended', open: false, user: 'ann' }),
        entry('b', { startedAt: '2030-01-01T00:00:02.000Z', service: 'billing', nextDueAt: '2030-01-02T00:00:00.000Z' }),
        entry('c', { startedAt: '2030-01-01T00:00:03.000Z', status: 'errored', definitionVersion: '2', nextDueAt: '2030-01-03T00:00:00.000Z' }),
        entry('d', { startedAt: '2030-01-01T00:00:03.000Z', definitionName: 'refund', user: 'ann' }),
        entry('e', { startedAt: '2030-01-01T00:00:04.000Z', status: 'paused' }),
      ]);
    };
    const ids = async (store: SqliteEventStore, query: Parameters<SqliteEventStore['index']['query']>[0]): Promise<string[]> =>
      (await store.index.query(query)).entries.map((e) => e.executionId);

    it('applies every filter, newest first (ties by execution id, descending)', async () => {
      const store = await open();
      await fill(store);
      expect(await ids(store, {})).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect(await ids(store, { service: 'billing' })).toEqual(['b']);
      expect(await ids(store, { status: 'errored' })).toEqual(['c']);
      expect(await ids(store, { status: ['paused', 'finished'] })).toEqual(['e', 'a']);
      expect(await ids(store, { status: [] })).toEqual([]);
      expect(await ids(store, { definitionName: 'refund' })).toEqual(['d']);
      expect(await ids(store, { definitionVersion: '2' })).toEqual(['c']);
      expect(await ids(store, { user: 'ann' })).toEqual(['d', 'a']);
      expect(await ids(store, { open: false })).toEqual(['a']);
      expect(await ids(store, { open: true, service: 'orders' })).toEqual(['e', 'd', 'c']);
      expect(await ids(store, { startedFrom: '2030-01-01T00:00:02.000Z', startedTo: '2030-01-01T00:00:04.000Z' })).toEqual(['d', 'c', 'b']);
      expect(await ids(store, { dueBefore: '2030-01-02T12:00:00.000Z' })).toEqual(['b']);
      expect(await ids(store, { user: 'nobody' })).toEqual([]);
    });

    it('pages with a keyset cursor, each entry exactly once, also across equal start times', async () => {
      const store = await open();
      await fill(store);
      const seen: string[][] = [];
      let after: string | undefined;
      do {
        const page = await store.index.query(after === undefined ? { limit: 2 } : { limit: 2, after });
        seen.push(page.entries.map((e) => e.executionId));
        after = page.nextCursor;
      } while (after !== undefined);
      expect(seen).toEqual([['e', 'd'], ['c', 'b'], ['a']]);
      // A page that ends exactly at the last entry has no next cursor.
      expect((await store.index.query({ limit: 5 })).nextCursor).toBeUndefined();
      await expect(store.index.query({ after: 'garbage' })).rejects.toThrow(/Invalid execution index cursor/);
      await expect(store.index.query({ limit: 1001 })).rejects.toThrow(/limit/);
    });
  });

  describe('claim', () => {
    it('leases open entries of the service, soonest due first, and keeps every owner away until the lease expires', async () => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const store = await open({ clock });
      await store.index.put([
        entry('later', { nextDueAt: '2030-01-01T00:10:00.000Z' }),
        entry('sooner', { nextDueAt: '2030-01-01T00:05:00.000Z' }),
        entry('undue', { startedAt: '2029-12-31T23:00:00.000Z' }),
        entry('closed', { open: false, status: 'finished', phase: 'ended' }),
        entry('elsewhere', { service: 'billing' }),
      ]);
      const claim = async (owner: string, extra: { dueBefore?: string; limit?: number } = {}): Promise<string[]> =>
        (await store.index.claim({ service: 'orders', owner, leaseMs: 60_000, ...extra })).map((e) => e.executionId);

      expect(await claim('w1', { dueBefore: '2030-01-01T00:06:00.000Z' })).toEqual(['sooner']);
      expect(await claim('w2')).toEqual(['undue', 'later']);
      expect(await claim('w3')).toEqual([]);
      // A live lease keeps its holder away too: claiming again gives the next entries, here none.
      expect(await claim('w1')).toEqual([]);
      clock.advance(59_999);
      expect(await claim('w3')).toEqual([]);
      clock.advance(1);
      expect(await claim('w3', { limit: 2 })).toEqual(['undue', 'sooner']);

      const raw = new Database(store.filename, { readonly: true });
      try {
        expect(raw.prepare("SELECT lease_owner, lease_until FROM saga_executions WHERE execution_id = 'undue'").get()).toEqual({
          lease_owner: 'w3',
          lease_until: '2030-01-01T00:02:00.000Z',
        });
      } finally {
        raw.close();
      }
    });

    it('keeps the lease when the entry is rewritten by an append or a put; remove drops it', async () => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const store = await open({ clock });
      await store.append('saga-held', [event], 'no_stream', { index: entry('held') });
      expect(await store.index.claim({ service: 'orders', owner: 'w1', leaseMs: 60_000 })).toHaveLength(1);
      await store.append('saga-held', [event], 0, { index: entry('held', { revision: 1, waitingFor: 'votes' }) });
      await store.index.put([entry('held', { revision: 1, waitingFor: 'votes' })]);
      expect(await store.index.claim({ service: 'orders', owner: 'w2', leaseMs: 60_000 })).toEqual([]);
      clock.advance(60_000);
      expect(await store.index.claim({ service: 'orders', owner: 'w2', leaseMs: 60_000 })).toEqual([entry('held', { revision: 1, waitingFor: 'votes' })]);
      await store.index.remove(['held', 'never-there']);
      expect(await store.index.get('held')).toBeUndefined();
      await store.index.put([entry('held')]);
      expect(await store.index.claim({ service: 'orders', owner: 'w2', leaseMs: 60_000 })).toHaveLength(1);
    });

    it('checks its options', async () => {
      const store = await open();
      await expect(store.index.claim({ service: '', owner: 'w', leaseMs: 1 })).rejects.toThrow(/service/);
      await expect(store.index.claim({ service: 's', owner: 'w', leaseMs: 0 })).rejects.toThrow(/leaseMs/);
      await expect(store.index.claim({ service: 's', owner: 'w', leaseMs: 1, dueBefore: 'soon' })).rejects.toThrow(/ISO-8601/);
    });
  });
});
