// What the contract suite in @saga/testing cannot check from outside: errors, the clock, isolation
// of listeners. (The contract itself runs against this store in @saga/testing.)
import { describe, expect, it } from 'vitest';
import { isSagaError } from '@saga/definitions';
import type { Clock } from '../ports/clock.js';
import { ConcurrencyConflictError, isConcurrencyConflictError } from '../ports/concurrencyConflictError.js';
import { InMemoryEventStore } from './inMemoryEventStore.js';

const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso), setTimeout: () => () => {} });

describe('InMemoryEventStore', () => {
  it('throws a SagaError for an empty append', async () => {
    const store = new InMemoryEventStore();
    const error = await store.append('saga-x', [], 'no_stream').catch((e: unknown) => e);
    expect(isSagaError(error)).toBe(true);
    expect((error as Error).message).toMatch(/list of events is empty/);
  });

  it('throws the ConcurrencyConflictError class of the ports', async () => {
    const store = new InMemoryEventStore();
    const error = await store.append('saga-x', [{ type: 'A', data: {} }], 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrencyConflictError);
    expect(isConcurrencyConflictError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Re-read the stream and decide again/);
  });

  it('stamps recordedAt with the injected clock', async () => {
    const store = new InMemoryEventStore({ clock: fixedClock('2030-01-02T03:04:05.006Z') });
    expect(await store.append('saga-x', [{ type: 'A', data: {} }], 'no_stream')).toEqual({ lastRevision: 0, recordedAt: '2030-01-02T03:04:05.006Z' });
    const [event] = await store.read('saga-x');
    expect(event?.recordedAt).toBe('2030-01-02T03:04:05.006Z');
    expect((await store.listStreams()).streams[0]?.createdAt).toBe('2030-01-02T03:04:05.006Z');
  });

  it('stores what JSON would: no undefined, no class instances', async () => {
    const store = new InMemoryEventStore();
    const data = { kept: 1, dropped: undefined, when: new Date('2030-01-01T00:00:00.000Z') } as never;
    await store.append('saga-x', [{ type: 'A', data }], 'no_stream');
    const [event] = await store.read('saga-x');
    expect(event?.data).toEqual({ kept: 1, when: '2030-01-01T00:00:00.000Z' });
    expect(Object.keys(event?.data ?? {})).toEqual(['kept', 'when']);
  });

  it('writes nothing when a payload cannot be stored as JSON', async () => {
    const store = new InMemoryEventStore();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(
      store.append('saga-x', [{ type: 'A', data: {} }, { type: 'B', data: cyclic as never }], 'no_stream'),
    ).rejects.toThrow();
    expect(await store.read('saga-x')).toEqual([]);
  });

  it('rejects invalid read and list arguments with a SagaError', async () => {
    const store = new InMemoryEventStore();
    await expect(store.read('saga-x', { fromRevision: -1 })).rejects.toThrow(/whole number/);
    await expect(store.listStreams({ limit: 0 })).rejects.toThrow(/limit/);
    await expect(store.listStreams({ after: 'not-a-cursor' })).rejects.toThrow(/Invalid listStreams cursor/);
    await expect(store.append('', [{ type: 'A', data: {} }], 'any')).rejects.toThrow(/non-empty/);
  });

  it('skips streams of other prefixes without ending the page early', async () => {
    const store = new InMemoryEventStore();
    for (let i = 0; i < 6; i += 1) {
      await store.append(`saga-${i}`, [{ type: 'A', data: {} }], 'no_stream');
      await store.append(`other-${i}`, [{ type: 'A', data: {} }], 'no_stream');
    }
    const first = await store.listStreams({ limit: 3 });
    expect(first.streams.map((s) => s.stream)).toEqual(['saga-0', 'saga-1', 'saga-2']);
    const second = await store.listStreams({ limit: 3, after: first.nextCursor });
    expect(second.streams.map((s) => s.stream)).toEqual(['saga-3', 'saga-4', 'saga-5']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('keeps notifying other listeners when one throws, and the append still succeeds', async () => {
    const store = new InMemoryEventStore();
    let told = 0;
    store.onAppended(() => {
      throw new Error('listener bug');
    });
    store.onAppended(() => void (told += 1));
    await expect(store.append('saga-x', [{ type: 'A', data: {} }], 'no_stream')).resolves.toMatchObject({ lastRevision: 0 });
    await Promise.resolve();
    expect(told).toBe(1);
  });

  it('lets the same function listen twice, each unsubscribe removing one', async () => {
    const store = new InMemoryEventStore();
    let told = 0;
    const listener = (): void => void (told += 1);
    const stopFirst = store.onAppended(listener);
    store.onAppended(listener);
    stopFirst();
    await store.append('saga-x', [{ type: 'A', data: {} }], 'no_stream');
    await Promise.resolve();
    expect(told).toBe(1);
  });

  it('is unusable after destroy', async () => {
    const store = new InMemoryEventStore();
    await store.setup();
    await store.destroy();
    await expect(store.read('saga-x')).rejects.toThrow(/destroyed/);
    await expect(store.setup()).rejects.toThrow(/destroyed/);
    expect(() => store.onAppended(() => {})).toThrow(/destroyed/);
  });
});
