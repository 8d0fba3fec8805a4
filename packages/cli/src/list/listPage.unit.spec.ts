import { describe, expect, it } from 'vitest';
import { InMemoryEventStore, executionStream, type ExecutionIndexEntry } from '@saga/core';
import { parseContextFilter } from './contextFilter.js';
import { listPage } from './listPage.js';

/** Executions o-1 … o-n, one minute apart (o-n the newest), each with its stream and its entry. */
const storeOf = async (n: number): Promise<InMemoryEventStore> => {
  const store = new InMemoryEventStore();
  for (let i = 1; i <= n; i += 1) {
    const id = `o-${i}`;
    const startedAt = new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString();
    const data = { executionId: id, definition: { name: 'order', version: '1', fingerprint: 'f' }, context: { sku: i % 2 === 0 ? 'even' : 'odd' }, user: null, autocommit: true, service: 's' };
    await store.append(executionStream(id), [{ type: 'SagaStarted', data }], 'no_stream');
    const entry: ExecutionIndexEntry = {
      executionId: id,
      service: 's',
      definitionName: 'order',
      definitionVersion: '1',
      status: i === 3 ? 'paused' : 'running',
      phase: 'forward',
      open: true,
      startedAt,
      updatedAt: startedAt,
      user: null,
      nextDueAt: null,
      waitingFor: null,
      revision: 0,
    };
    await store.index.put([entry]);
  }
  return store;
};

const ids = (page: { readonly entries: readonly ExecutionIndexEntry[] }): string[] => page.entries.map((e) => e.executionId);

describe('listPage', () => {
  it('is one index query without --context: newest first, and a cursor to the next page', async () => {
    const store = await storeOf(5);
    const read = store.read.bind(store);
    let reads = 0;
    store.read = (...args) => ((reads += 1), read(...args));
    const first = await listPage(store, { query: {}, contextFilters: [], limit: 2 });
    expect(ids(first)).toEqual(['o-5', 'o-4']);
    const second = await listPage(store, { query: {}, contextFilters: [], limit: 2, after: first.nextCursor ?? '' });
    expect(ids(second)).toEqual(['o-3', 'o-2']);
    expect(ids(await listPage(store, { query: { status: 'paused' }, contextFilters: [], limit: 2 }))).toEqual(['o-3']);
    expect(reads).toBe(0);
    expect(first.streamsRead).toBeUndefined();
  });

  it('with --context reads the candidates only, and its cursor continues after the last one shown', async () => {
    const store = await storeOf(7);
    const odd = [parseContextFilter('sku=odd')];
    const first = await listPage(store, { query: {}, contextFilters: odd, limit: 2 });
    expect(ids(first)).toEqual(['o-7', 'o-5']);
    expect(first.streamsRead).toBe(7);
    const second = await listPage(store, { query: {}, contextFilters: odd, limit: 2, after: first.nextCursor ?? '' });
    expect(ids(second)).toEqual(['o-3', 'o-1']);
    expect(second.nextCursor).toBeUndefined();
    const paused = await listPage(store, { query: { status: 'paused' }, contextFilters: odd, limit: 2 });
    expect(ids(paused)).toEqual(['o-3']);
    expect(paused.streamsRead).toBe(1);
  });

  it('with --context names the entries whose stream does not exist', async () => {
    const store = await storeOf(2);
    const entry = (await store.index.get('o-1')) as ExecutionIndexEntry;
    await store.index.put([{ ...entry, executionId: 'ghost' }]);
    const page = await listPage(store, { query: {}, contextFilters: [parseContextFilter('sku=odd')], limit: 10 });
    expect(ids(page)).toEqual(['o-1']);
    expect(page.orphaned).toEqual(['ghost']);
  });
});
