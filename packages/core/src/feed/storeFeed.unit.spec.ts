import { afterEach, describe, expect, it, vi } from 'vitest';
import { InMemoryEventStore } from '../inMemory/inMemoryEventStore.js';
import type { EventStore, GlobalEvent } from '../ports/eventStore.js';
import { StoreFeed } from './storeFeed.js';

/** An in-memory store that counts its append listeners and global reads. */
const countingStore = () => {
  const inner = new InMemoryEventStore();
  const counts = { listeners: 0, readAll: 0 };
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    onAppended: (listener: () => void) => {
      counts.listeners += 1;
      const stop = inner.onAppended(listener);
      return () => {
        counts.listeners -= 1;
        stop();
      };
    },
    readAll: (options?: Parameters<EventStore['readAll']>[0]) => {
      counts.readAll += 1;
      return inner.readAll(options);
    },
  });
  return { store, counts };
};

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
};

afterEach(() => vi.useRealTimers());

describe('StoreFeed', () => {
  it('serves any number of stream listeners with one store listener, each getting its stream in order', async () => {
    const { store, counts } = countingStore();
    const feed = StoreFeed.of(store, { pollMs: 0 });
    expect(StoreFeed.of(store)).toBe(feed);
    const seen = new Map<string, number[]>();
    const stops = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => feed.subscribe(`saga-${i}`, (events) => seen.set(`saga-${i}`, [...(seen.get(`saga-${i}`) ?? []), ...events.map((e) => e.revision)]))),
    );
    expect(counts.listeners).toBe(1);
    expect(feed.listenerCount).toBe(1_000);
    await store.append('saga-7', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
    await store.append('saga-9', [{ type: 'A', data: {} }], 'no_stream');
    await store.append('saga-7', [{ type: 'C', data: {} }], 1);
    await until(() => seen.get('saga-7')?.length === 3 && seen.get('saga-9')?.length === 1);
    expect(seen.get('saga-7')).toEqual([0, 1, 2]);
    expect(seen.size).toBe(2);
    for (const stop of stops) stop();
    feed.stop();
    expect(counts.listeners).toBe(0);
    expect(feed.active).toBe(false);
  });

  it('delivers only what was appended after it started, and whole-store listeners get everything', async () => {
    const { store } = countingStore();
    await store.append('saga-old', [{ type: 'A', data: {} }], 'no_stream');
    const feed = StoreFeed.of(store, { pollMs: 0 });
    const all: GlobalEvent[] = [];
    const stop = await feed.subscribeAll((events) => all.push(...events));
    await store.append('saga-new', [{ type: 'A', data: {} }], 'no_stream');
    await store.append('saga-old', [{ type: 'B', data: {} }], 0);
    await until(() => all.length === 2);
    expect(all.map((e) => [e.stream, e.type])).toEqual([
      ['saga-new', 'A'],
      ['saga-old', 'B'],
    ]);
    stop();
    feed.stop();
  });

  it('keeps its store listener while lingering after the last listener left, then lets go', async () => {
    const { store, counts } = countingStore();
    const feed = StoreFeed.of(store, { pollMs: 0, lingerMs: 30 });
    const stop = await feed.subscribe('saga-a', () => undefined);
    stop();
    expect(counts.listeners).toBe(1);
    const again = await feed.subscribe('saga-b', () => undefined);
    expect(counts.listeners).toBe(1);
    again();
    await until(() => counts.listeners === 0);
    expect(feed.active).toBe(false);
  });

  it('reads appends the store could not announce (another process) when it polls', async () => {
    const { store } = countingStore();
    const silent: EventStore = Object.assign(Object.create(store) as EventStore, { onAppended: () => () => undefined });
    const feed = StoreFeed.of(silent, { pollMs: 10 });
    const seen: number[] = [];
    const stop = await feed.subscribe('saga-x', (events) => seen.push(...events.map((e) => e.revision)));
    await store.append('saga-x', [{ type: 'A', data: {} }], 'no_stream');
    await until(() => seen.length === 1);
    stop();
    feed.stop();
  });

  it('a read that fails is retried from the same position: nothing is skipped', async () => {
    const { store } = countingStore();
    let fail = true;
    const flaky: EventStore = Object.assign(Object.create(store) as EventStore, {
      readAll: (options?: Parameters<EventStore['readAll']>[0]) => (fail ? Promise.reject(new Error('connection reset')) : store.readAll(options)),
    });
    const feed = StoreFeed.of(flaky, { pollMs: 0 });
    const seen: number[] = [];
    const stop = await feed.subscribe('saga-y', (events) => seen.push(...events.map((e) => e.revision)));
    await store.append('saga-y', [{ type: 'A', data: {} }], 'no_stream');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]);
    fail = false;
    await store.append('saga-y', [{ type: 'B', data: {} }], 0);
    await until(() => seen.length === 2);
    expect(seen).toEqual([0, 1]);
    stop();
    feed.stop();
  });

  describe('watch: a stream listener that lets the feed rest until it attends', () => {
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('costs no read while it does not attend, however much is appended', async () => {
      const { store, counts } = countingStore();
      const feed = StoreFeed.of(store, { pollMs: 0, coalesceMs: 0 });
      const watch = await feed.watch('saga-w', () => undefined);
      for (let i = 0; i < 20; i += 1) await store.append(`saga-other-${i}`, [{ type: 'A', data: {} }], 'no_stream');
      await store.append('saga-w', [{ type: 'A', data: {} }], 'no_stream');
      await pause(20);
      expect(counts.readAll).toBe(0);
      watch.stop();
      feed.stop();
    });

    it('once it attends, gets what was appended to its stream since the watch began (the position was kept), and nothing is passed over', async () => {
      const { store, counts } = countingStore();
      const feed = StoreFeed.of(store, { pollMs: 0, coalesceMs: 0 });
      const seen: number[] = [];
      const watch = await feed.watch('saga-w', (events) => seen.push(...events.map((e) => e.revision)));
      await store.append('saga-w', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
      await pause(10);
      expect(seen).toEqual([]);
      expect(watch.attend()).toBe(false);
      await until(() => seen.length === 2);
      expect(seen).toEqual([0, 1]);
      await store.append('saga-w', [{ type: 'C', data: {} }], 1);
      await until(() => seen.length === 3);
      expect(counts.readAll).toBeGreaterThan(0);
      watch.stop();
      feed.stop();
    });

    it('while nobody attends, a poll moves to the head without reading; a watch passed over is told so when it attends', async () => {
      const { store, counts } = countingStore();
      const feed = StoreFeed.of(store, { pollMs: 10, coalesceMs: 0 });
      const seen: number[] = [];
      const watch = await feed.watch('saga-w', (events) => seen.push(...events.map((e) => e.revision)));
      await store.append('saga-w', [{ type: 'A', data: {} }], 'no_stream');
      await pause(40);
      expect(counts.readAll).toBe(0);
      expect(watch.attend()).toBe(true);
      // What comes after the head it moved to is delivered as usual.
      await store.append('saga-w', [{ type: 'B', data: {} }], 0);
      await until(() => seen.includes(1));
      expect(seen).toEqual([1]);
      watch.stop();
      feed.stop();
    });

    it('reads as before while any listener attends: a subscribe attends from the start', async () => {
      const { store } = countingStore();
      const feed = StoreFeed.of(store, { pollMs: 10, coalesceMs: 0 });
      const seen: number[] = [];
      const watch = await feed.watch('saga-w', (events) => seen.push(...events.map((e) => e.revision)));
      const stop = await feed.subscribe('saga-s', () => undefined);
      await store.append('saga-w', [{ type: 'A', data: {} }], 'no_stream');
      await until(() => seen.length === 1);
      await pause(40);
      expect(watch.attend()).toBe(false);
      stop();
      watch.stop();
      feed.stop();
    });
  });
});
