/**
 * The global order, the one `$all` subscription and the projected execution index of the
 * EventStoreDB store, against `FakeEventStoreDbClient` (the imitation of client 6.x; no server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreFeed, type ExecutionIndexEntry, type GlobalEvent, type NewEvent } from '@saga/core';
import { uniqueName, waitFor } from '@saga/testing';
import { FakeEventStoreDbClient } from '../test/fakeEventStoreDbClient.js';
import { EventStoreDbEventStore, indexChangesStream, indexCheckpointStream, type EventStoreDbEventStoreOptions } from './eventStoreDbEventStore.js';
import { IndexSnapshots } from './indexSnapshots.js';

const t0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (minutes: number): string => new Date(t0 + minutes * 60_000).toISOString();

const entryOf = (executionId: string, service: string, overrides: Partial<ExecutionIndexEntry> = {}): ExecutionIndexEntry => ({
  executionId,
  service,
  definitionName: 'order',
  definitionVersion: '1',
  status: 'running',
  phase: 'forward',
  open: true,
  startedAt: at(0),
  updatedAt: at(1),
  user: null,
  nextDueAt: null,
  waitingFor: 'reply from stock.reserve',
  revision: 0,
  ...overrides,
});

const finishedOf = (entry: ExecutionIndexEntry, revision: number): ExecutionIndexEntry => ({
  ...entry,
  status: 'finished',
  phase: 'ended',
  open: false,
  waitingFor: null,
  updatedAt: at(2),
  revision,
});

const started: NewEvent = { type: 'SagaStarted', data: {} };
const finished: NewEvent = { type: 'SagaFinished', data: {} };

const sortedIds = (entries: readonly ExecutionIndexEntry[]): string[] => entries.map((e) => e.executionId).sort();

describe('EventStoreDbEventStore: the global order, one subscription, the projected index (imitation client)', () => {
  const opened: EventStoreDbEventStore[] = [];
  const open = (fake: FakeEventStoreDbClient, options: Partial<EventStoreDbEventStoreOptions> = {}): EventStoreDbEventStore => {
    const store = new EventStoreDbEventStore({ client: fake.asClient(), retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 }, ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
  });

  /** Executions of one service: `open` of them stay open, the others finish. */
  const writeExecutions = async (store: EventStoreDbEventStore, service: string, counts: { open: number; finished: number }) => {
    const openIds: string[] = [];
    const finishedIds: string[] = [];
    for (let i = 0; i < counts.open + counts.finished; i += 1) {
      const id = `${service}-${String(i).padStart(3, '0')}`;
      const entry = entryOf(id, service, { startedAt: at(i) });
      await store.append(`saga-${id}`, [started], 'no_stream', { index: entry });
      if (i < counts.open) openIds.push(id);
      else {
        await store.append(`saga-${id}`, [finished], 0, { index: finishedOf(entry, 1) });
        finishedIds.push(id);
      }
    }
    return { openIds, finishedIds };
  };

  describe('readAll and headPosition', () => {
    it("gives '<commit>:<prepare>' positions, skips other streams and the server's, and goes on past what it skipped", async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      const head = await store.headPosition();
      expect(head).toMatch(/^\d+:\d+$/); // A server is never empty: its own events come first.
      await store.append('saga-a', [started], 'no_stream');
      await store.append('other-b', [started], 'no_stream');
      fake.writeSystemEvent();
      const page = await store.readAll({ after: head as string });
      expect(page.events.map((e) => e.stream)).toEqual(['saga-a']);
      // The page ends at the last event looked at (the server's), not at the last one returned.
      expect(page.position).toBe(await store.headPosition());
      expect(page.position).not.toBe(page.events[0]?.position);
      expect(await store.readAll({ after: page.position as string })).toEqual({ events: [], position: page.position });
    });

    it("never returns the store's own index streams, nor lists them", async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake, { index: { snapshotEvery: 1 } });
      const head = await store.headPosition();
      await store.append('saga-x', [started], 'no_stream', { index: entryOf('x', 'svc') });
      await store.index.put([entryOf('y', 'svc')]);
      await waitFor(async () => (await raw(fake, indexCheckpointStream)).length > 0, { message: 'a snapshot' });
      expect(await raw(fake, indexChangesStream)).toHaveLength(1);
      expect((await store.readAll({ after: head as string, prefix: '' })).events.map((e) => e.stream)).toEqual(['saga-x']);
      expect((await store.listStreams({ prefix: '' })).streams.map((s) => s.stream)).toEqual(['saga-x']);
    });

    it('refuses a position past the end, naming it and the head', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      const head = (await store.headPosition()) as string;
      await expect(store.readAll({ after: '999999:999999' })).rejects.toThrow(`position 999999:999999 is past the end of $all (its last event is at ${head})`);
      await expect(store.readAll({ after: '12' })).rejects.toThrow(/'12' is not a position of this store/);
    });
  });

  describe('onAppended: one $all subscription per store', () => {
    it('serves 150 concurrent listeners and store-feed waiters with ONE subscription (the server allows 100 streams per connection)', async () => {
      const fake = new FakeEventStoreDbClient();
      expect(fake.maxConcurrentStreams).toBeLessThan(150);
      const store = open(fake);
      const writer = open(fake); // another process
      const heard = Array.from({ length: 150 }, () => 0);
      const stops = heard.map((_, i) => store.onAppended(() => (heard[i] = (heard[i] ?? 0) + 1)));
      const feed = StoreFeed.of(store, { pollMs: 0, lingerMs: 1 });
      const streams = Array.from({ length: 150 }, (_, i) => `saga-${uniqueName('run-')}-${i}`);
      const received = new Map<string, GlobalEvent[]>();
      const unsubscribes = await Promise.all(streams.map((s) => feed.subscribe(s, (events) => received.set(s, [...(received.get(s) ?? []), ...events]))));
      await store.index.query({ open: true }); // the index follows $all too
      expect(fake.openSubscriptions).toBe(1);
      expect(fake.calls.filter((c) => c === 'subscribeToAll')).toHaveLength(1);
      // Appends of another process reach every listener and every waiter through it.
      await waitFor(() => store.subscribed);
      for (const s of streams) await writer.append(s, [started], 'no_stream', { index: entryOf(s.slice('saga-'.length), 'svc') });
      await waitFor(() => heard.every((n) => n > 0), { message: 'every listener to hear the appends' });
      await waitFor(() => streams.every((s) => received.get(s)?.length === 1), { message: 'every waiter to get its event' });
      await waitFor(async () => (await store.index.query({ service: 'svc', open: true, limit: 1_000 })).entries.length === 150, { message: 'the index to follow' });
      expect(fake.openSubscriptions).toBe(1);
      expect(fake.calls.filter((c) => c === 'subscribeToAll')).toHaveLength(1);
      for (const stop of stops) stop();
      for (const unsubscribe of unsubscribes) unsubscribe();
      feed.stop();
      // The index still listens: the subscription stays until destroy.
      expect(store.subscribed).toBe(true);
      await store.destroy();
      expect(fake.openSubscriptions).toBe(0);
    });

    it('opens the subscription with the first listener, closes it with the last, and re-opens a failed one with a notice', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      const writer = open(fake);
      expect(fake.openSubscriptions).toBe(0);
      let calls = 0;
      fake.failNext(1, 'subscribe');
      const first = store.onAppended(() => (calls += 1));
      const second = store.onAppended(() => (calls += 1));
      expect(fake.openSubscriptions).toBe(1);
      // The failed subscription is replaced after a backoff; the new one tells what may have come meanwhile.
      await waitFor(() => fake.calls.filter((c) => c === 'subscribeToAll').length === 2 && calls >= 2, { message: 'the re-opened subscription' });
      const before = calls;
      await writer.append('saga-w', [started], 'no_stream');
      await waitFor(() => calls > before, { message: 'a notice of the other writer' });
      first();
      expect(fake.openSubscriptions).toBe(1);
      second();
      await waitFor(() => fake.openSubscriptions === 0);
      expect(store.subscribed).toBe(false);
    });

    it('notifies after its own append at once, also without a subscription that works', async () => {
      const fake = new FakeEventStoreDbClient();
      fake.subscriptionsHang = true; // the subscription never hears anything
      const store = open(fake);
      let calls = 0;
      store.onAppended(() => (calls += 1));
      await store.append('saga-own', [started], 'no_stream');
      await waitFor(() => calls === 1, { message: 'the notice of its own append' });
    });
  });

  describe('the projected execution index', () => {
    it('writes the entry into the metadata of the append’s last event, and reads events back without it', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      const entry = entryOf('m-1', 'svc', { revision: 1 });
      await store.append('saga-m-1', [started, { type: 'StepStarted', data: {}, metadata: { note: 'n' } }], 'no_stream', { index: entry });
      const [first, last] = await raw(fake, 'saga-m-1');
      expect(first?.metadata).not.toHaveProperty('$sagaIndex');
      expect(last?.metadata).toMatchObject({ $sagaIndex: entry, sagaStore: { added: expect.arrayContaining(['$sagaIndex']) } });
      expect((await store.read('saga-m-1')).map((e) => e.metadata)).toEqual([{}, { note: 'n' }]);
      await expect(store.append('saga-m-1', [{ type: 'X', data: {}, metadata: { $sagaIndex: 1 } }], 1, { index: entry })).rejects.toThrow(/\$sagaIndex is the store's/);
      expect(store.index.consistency).toBe('projected');
      expect(await store.index.get('m-1')).toEqual(entry);
    });

    it('follows the appends of another process, and reports its lag meanwhile', async () => {
      const fake = new FakeEventStoreDbClient();
      const follower = open(fake, { index: { pollMs: 3_600_000 } });
      const writer = open(fake);
      // The follower's subscription hears nothing of the other process.
      fake.subscriptionsHang = true;
      expect(await follower.index.lag()).toEqual({ events: 0, position: expect.stringMatching(/^\d+:\d+$/) });
      await writeExecutions(writer, 'lagging', { open: 3, finished: 1 });
      const lag = await follower.index.lag();
      expect(lag.events).toBe(5); // 4 starts and 1 finish, not yet read
      expect(lag.position).not.toBe(await follower.headPosition());
      expect((await follower.index.query({ service: 'lagging', open: true })).entries).toEqual([]);
      follower.index.poke(); // a notice, or the poll
      await waitFor(async () => (await follower.index.lag()).events === 0, { message: 'the index to catch up' });
      expect((await follower.index.lag()).position).toBe(await follower.headPosition());
      expect(sortedIds((await follower.index.query({ service: 'lagging', open: true })).entries)).toHaveLength(3);
    });

    it('resumes from its persisted checkpoint after a restart: reads only what came after it, then rebuilds finished entries in the background', async () => {
      const fake = new FakeEventStoreDbClient();
      const before = open(fake, { index: { snapshotEvery: 10 } });
      await before.index.lag(); // the index is in use: it projects and snapshots
      const { openIds, finishedIds } = await writeExecutions(before, 'restart', { open: 20, finished: 40 });
      for (let i = 0; i < 200; i += 1) await before.append(`other-${i}`, [started], 'no_stream'); // not the index's
      await before.destroy(); // writes a last snapshot
      const snapshots = (await raw(fake, indexCheckpointStream)).filter((e) => e?.type === 'SagaIndexSnapshot');
      expect(snapshots.length).toBeGreaterThan(1);
      expect(snapshots.at(-1)?.data).toMatchObject({ entries: 20 });

      // Another process appends after the snapshot: the restarted store must see it.
      const other = open(fake);
      const late = entryOf('restart-late', 'restart', { startedAt: at(500) });
      await other.append('saga-restart-late', [started], 'no_stream', { index: late });

      const readBefore = fake.readAllEvents;
      const after = open(fake);
      const claimed = await after.index.claim({ service: 'restart', owner: 'w', leaseMs: 60_000, limit: 1_000 });
      expect(sortedIds(claimed)).toEqual([...openIds, 'restart-late'].sort());
      // From the checkpoint: the snapshot's own events and the late append, not the 300 and more before.
      const readForRecovery = fake.readAllEvents - readBefore;
      expect(readForRecovery).toBeLessThan(10);
      expect(after.index.complete).toBe(false);
      // A finished execution is found before the rebuild, in its stream.
      expect(await after.index.get(finishedIds[0] as string)).toMatchObject({ executionId: finishedIds[0], open: false });
      // Listing finished executions starts the rebuild; it is eventually complete.
      await after.index.query({ service: 'restart', open: false });
      await after.whenIndexComplete();
      expect(after.index.complete).toBe(true);
      expect(sortedIds((await after.index.query({ service: 'restart', open: false, limit: 1_000 })).entries)).toEqual(finishedIds);
      expect(fake.readAllEvents - readBefore).toBeGreaterThan(300); // the rebuild read $all up to the checkpoint
      expect(sortedIds((await after.index.query({ service: 'restart', open: true, limit: 1_000 })).entries)).toEqual([...openIds, 'restart-late'].sort());
    });

    it('keeps a removal and a put across a restart, and the rebuild does not reopen what was closed', async () => {
      const fake = new FakeEventStoreDbClient();
      const before = open(fake);
      await before.index.lag();
      const a = entryOf('keep-a', 'keep');
      const b = entryOf('keep-b', 'keep');
      await before.append('saga-keep-a', [started], 'no_stream', { index: a });
      await before.append('saga-keep-b', [started], 'no_stream', { index: b });
      await before.index.remove(['keep-a']);
      await before.index.put([finishedOf(b, 5)]);
      await before.destroy();
      const after = open(fake);
      expect(await after.index.claim({ service: 'keep', owner: 'w', leaseMs: 1 })).toEqual([]);
      await after.whenIndexComplete();
      expect(await after.index.get('keep-a')).toBeUndefined();
      expect(await after.index.get('keep-b')).toEqual(finishedOf(b, 5));
      expect((await after.index.query({ service: 'keep' })).entries).toEqual([finishedOf(b, 5)]);
    });

    it('projects from the start when its checkpoint is past the end of $all (a database restored from an older backup)', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      await store.append('saga-r-1', [started], 'no_stream', { index: entryOf('r-1', 'restored') });
      await new IndexSnapshots(fake.asClient(), indexCheckpointStream).save({
        checkpoint: { commit: 10n ** 15n, prepare: 10n ** 15n },
        entries: [{ entry: entryOf('ghost', 'restored'), position: { commit: 10n ** 15n, prepare: 10n ** 15n } }],
      });
      const restarted = open(fake);
      expect(sortedIds((await restarted.index.query({ service: 'restored' })).entries)).toEqual(['r-1']);
      expect(restarted.index.complete).toBe(true);
    });

    it('writes a large snapshot in parts under the maximum append size, keeps only the last few, and loads the newest complete one', async () => {
      const fake = new FakeEventStoreDbClient();
      const snapshots = new IndexSnapshots(fake.asClient(), 'ns.saga_index-checkpoint');
      const entries = Array.from({ length: 3_000 }, (_, i) => ({
        entry: entryOf(`big-${i}`, 'big', { waitingFor: `reply from ${'x'.repeat(200)}` }),
        position: { commit: BigInt(i), prepare: BigInt(i) },
      }));
      for (let round = 1; round <= 8; round += 1) await snapshots.save({ checkpoint: { commit: BigInt(round), prepare: BigInt(round) }, entries });
      const parts = (await raw(fake, 'ns.saga_index-checkpoint')).filter((e) => e?.type === 'SagaIndexSnapshotPart');
      expect(parts.length).toBeGreaterThan(1);
      for (const part of parts) expect(Buffer.byteLength(JSON.stringify(part?.data))).toBeLessThan(1024 * 1024);
      // $maxCount keeps a few snapshots, not all eight.
      expect((await raw(fake, 'ns.saga_index-checkpoint')).filter((e) => e?.type === 'SagaIndexSnapshot').length).toBeLessThan(8);
      const loaded = await snapshots.load();
      expect(loaded?.checkpoint).toEqual({ commit: 8n, prepare: 8n });
      expect(loaded?.entries).toHaveLength(3_000);
      expect(loaded?.entries[2_999]).toEqual(entries[2_999]);
    });

    it('leases hold within one process only: another store instance (process) claims the same entries', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      await writeExecutions(store, 'claims', { open: 3, finished: 2 });
      const a = await store.index.claim({ service: 'claims', owner: 'a', leaseMs: 60_000 });
      const b = await store.index.claim({ service: 'claims', owner: 'b', leaseMs: 60_000 });
      expect(sortedIds(a)).toHaveLength(3);
      expect(b).toEqual([]);
      const elsewhere = open(fake);
      const c = await elsewhere.index.claim({ service: 'claims', owner: 'c', leaseMs: 60_000 });
      expect(sortedIds(c)).toEqual(sortedIds(a));
    });
  });
});

/** The events of a stream as the server stores them (metadata as written). */
const raw = async (fake: FakeEventStoreDbClient, stream: string) => {
  const events = [];
  try {
    for await (const resolved of fake.asClient().readStream(stream)) events.push(resolved.event);
  } catch {
    return [];
  }
  return events;
};
