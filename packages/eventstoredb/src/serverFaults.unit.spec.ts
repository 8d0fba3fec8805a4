/**
 * What a real server and client 6.x do that the happy path never shows, on the stand-in
 * (`FakeEventStoreDbClient` reproduces each as the client's and server's sources describe it): the
 * 100 streams of a connection, calls that never answer, a node that cancels calls as it stops (also
 * in the middle of a read), `throwOnAppendFailure=false`, the maximum append size, soft and hard
 * deletes, listings that run out of time, `requiresLeader`. The same cases against a real server are
 * in `eventStoreDbEventStore.int.spec.ts`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreFeed, isConcurrencyConflictError, isSagaError, type ExecutionIndexEntry, type NewEvent } from '@saga/core';
import { waitFor } from '@saga/testing';
import { FakeEventStoreDbClient } from '../test/fakeEventStoreDbClient.js';
import { isAppendTooLargeError } from './appendTooLargeError.js';
import { isDeletedStreamError } from './deletedStreamError.js';
import { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventStoreDbEventStore.js';

const event = (type = 'A', data: NewEvent['data'] = {}): NewEvent => ({ type, data });

const openEntry = (executionId: string): ExecutionIndexEntry => ({
  executionId,
  service: 's',
  definitionName: 'd',
  definitionVersion: '1',
  status: 'running',
  phase: 'forward',
  open: true,
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  user: null,
  nextDueAt: null,
  waitingFor: null,
  revision: 0,
});

describe('EventStoreDbEventStore against what a real server does (stand-in)', () => {
  const opened: EventStoreDbEventStore[] = [];
  const open = (fake: FakeEventStoreDbClient, options: Partial<EventStoreDbEventStoreOptions> = {}): EventStoreDbEventStore => {
    const store = new EventStoreDbEventStore({ client: fake.asClient(), retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 }, ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
  });

  /** The raw events of a stream, as the server's own tools would show them. */
  const raw = async (fake: FakeEventStoreDbClient, stream: string) => {
    const events = [];
    for await (const resolved of fake.asClient().readStream(stream)) events.push(resolved.event);
    return events;
  };

  describe('the 100 streams of a connection', () => {
    it('never has more than maxConcurrentCalls streams open on a shared connection, and every call completes', async () => {
      const fake = new FakeEventStoreDbClient();
      fake.callDelayMs = 2; // calls overlap, as on a busy server
      // Two stores on one client share its budget (64 by default).
      const a = open(fake);
      const b = open(fake);
      const stops = Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).onAppended(() => undefined));
      await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).append(`saga-s${i}`, [event()], 'no_stream')));
      const reads = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a : b).read(`saga-s${i % 60}`)));
      expect(reads.every((events) => events.length === 1)).toBe(true);
      const [listing] = await Promise.all([a.listStreams({ limit: 1_000 }), ...Array.from({ length: 100 }, (_, i) => b.append(`saga-s${i % 60}`, [event('B')], 'any'))]);
      expect(listing.streams).toHaveLength(60);
      expect(fake.peakOpenStreams).toBeGreaterThan(32); // the calls did overlap
      expect(fake.peakOpenStreams).toBeLessThanOrEqual(64);
      for (const stop of stops) stop();
    });

    it('counts subscriptions against the budget: one beyond it waits for a free permit, then opens', async () => {
      const fake = new FakeEventStoreDbClient();
      const stores = [0, 1, 2].map(() => open(fake, { maxConcurrentCalls: 2 }));
      for (const store of stores) store.onAppended(() => undefined);
      await waitFor(() => fake.openSubscriptions === 2);
      // The third has not reached the client: it waits for a permit, not for a stream of the server.
      expect(fake.subscribedFrom).toHaveLength(2);
      await stores[0]?.destroy();
      await waitFor(() => fake.subscribedFrom.length === 3 && fake.openSubscriptions === 2, { message: 'the waiting subscription to open' });
      expect(fake.peakOpenStreams).toBe(2);
    });

    it('fails a read and an append after their deadline when every stream of the connection is taken, instead of waiting for ever', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake, { deadlineMs: 50, retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
      await store.append('saga-d', [event()], 'no_stream');
      // Someone else's subscriptions on the same client hold all 100 streams.
      const release = await fake.holdStreams(100);
      const read = await store.read('saga-d').catch((error: unknown) => error);
      expect(isSagaError(read)).toBe(true);
      expect((read as Error).message).toMatch(/did not finish within its deadline of 50 ms/);
      const late: NewEvent = { id: 'f3b0c442-98fc-4c14-9afb-f4c8996fb924', type: 'Late', data: {} };
      await expect(store.append('saga-d', [late], 0)).rejects.toThrow(/deadline of 50 ms/);
      release();
      // The streams are free again. An append that missed its deadline may still be written (the
      // client cannot take back a request it sent) ...
      await waitFor(async () => (await store.read('saga-d')).length === 2, { message: 'the late append to land' });
      // ... and the same append again (same ids, same expected revision) is acknowledged, not written twice.
      expect((await store.append('saga-d', [late], 0)).lastRevision).toBe(1);
      expect((await store.read('saga-d')).map((e) => e.type)).toEqual(['A', 'Late']);
    });
  });

  describe('a node that cancels calls as it stops (CancelledError, server 24.4+)', () => {
    it('retries a cancelled append, also one that was written before the reply was lost, and writes it once', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      fake.failNextWith('cancelled', 2, 'appendToStream');
      expect((await store.append('saga-c', [event()], 'no_stream')).lastRevision).toBe(0);
      fake.loseNextAppendReply('cancelled');
      // Same event ids and expected revision on the retry: the server acknowledges, writes nothing more.
      expect((await store.append('saga-c', [event('B'), event('C')], 0)).lastRevision).toBe(2);
      expect((await raw(fake, 'saga-c')).map((e) => e?.type)).toEqual(['A', 'B', 'C']);
    });

    it('reads a stream again whole when the read fails in the middle', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      await store.append('saga-m', [event('A'), event('B'), event('C'), event('D')], 'no_stream');
      fake.failMidStream('readStream', 2, 'cancelled');
      expect((await store.read('saga-m')).map((e) => [e.revision, e.type])).toEqual([
        [0, 'A'],
        [1, 'B'],
        [2, 'C'],
        [3, 'D'],
      ]);
    });

    it('re-opens the $all subscription that failed in the middle, after the last event it delivered', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      const writer = open(fake);
      const head = await store.headPosition();
      fake.failMidStream('subscribe', 1, 'cancelled'); // one event, then the node stops the call
      let notices = 0;
      store.onAppended(() => (notices += 1));
      await waitFor(() => store.subscribed);
      await writer.append('saga-x1', [event()], 'no_stream');
      await waitFor(() => notices > 0, { message: 'the notice of the first append' });
      await writer.append('saga-x2', [event()], 'no_stream');
      await waitFor(() => fake.subscribedFrom.length === 2 && store.subscribed, { message: 'the re-opened subscription' });
      // From the last event it delivered (x1): x2, which came while it was down, is delivered again.
      const [x1] = (await store.readAll({ after: head as string })).events;
      expect(fake.subscribedFrom[1]).toEqual(x1 === undefined ? undefined : { commit: BigInt(x1.position.split(':')[0] ?? ''), prepare: BigInt(x1.position.split(':')[1] ?? '') });
      const before = notices;
      await writer.append('saga-x3', [event()], 'no_stream');
      await waitFor(() => notices > before, { message: 'a notice through the re-opened subscription' });
    });
  });

  describe('throwOnAppendFailure=false', () => {
    it('refuses the option in a connection string, saying why', () => {
      expect(() => new EventStoreDbEventStore({ connectionString: 'esdb://localhost:2113?tls=false&throwOnAppendFailure=false' })).toThrow(
        /throwOnAppendFailure=false makes the client resolve a conflicting append with success: false/,
      );
      expect(() => new EventStoreDbEventStore({ connectionString: 'esdb://localhost:2113?tls=false&throw-on-append_failure=false' })).toThrow(/remove the option/);
    });

    it('takes success: false from a client made with it as a conflict, with the revision read from the stream', async () => {
      const fake = new FakeEventStoreDbClient();
      fake.throwOnAppendFailure = false;
      const store = open(fake);
      await store.append('saga-f', [event(), event(), event()], 'no_stream');
      const error = await store.append('saga-f', [event('X')], 0).catch((e: unknown) => e);
      expect(isConcurrencyConflictError(error)).toBe(true);
      // Not the 0 or 1 the client's batch append reports, the stream's real revision.
      expect(error).toMatchObject({ stream: 'saga-f', expectedRevision: 0, actualRevision: 2 });
      await expect(store.append('saga-new', [event()], 0)).rejects.toMatchObject({ actualRevision: 'no_stream' });
      expect(await raw(fake, 'saga-f')).toHaveLength(3);
    });
  });

  describe('the maximum append size', () => {
    it("fails an append over the server's MaxAppendSize with AppendTooLargeError naming the setting, at once", async () => {
      const fake = new FakeEventStoreDbClient(); // 1 MiB: the default up to 24.10
      const store = open(fake);
      const big = event('Big', { blob: 'y'.repeat(1_200_000) });
      const error = await store.append('saga-big', [big], 'no_stream').catch((e: unknown) => e);
      expect(isAppendTooLargeError(error)).toBe(true);
      expect(error).toMatchObject({ stream: 'saga-big', maxAppendSize: 1_048_576 });
      expect((error as Error).message).toMatch(/MaxAppendSize \(EVENTSTORE_MAX_APPEND_SIZE/);
      expect(fake.calls.filter((c) => c === 'appendToStream')).toHaveLength(1); // not retried
      fake.maxAppendSize = 4 * 1024 * 1024; // the server's setting raised
      expect((await store.append('saga-big', [big], 'no_stream')).lastRevision).toBe(0);
    });
  });

  describe('deleted streams', () => {
    it('refuses a soft-deleted stream: an append with no stream would continue at the old revisions; out of the index', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      await store.append('saga-soft', [event(), event()], 'no_stream', { index: openEntry('soft') });
      expect(await store.index.get('soft')).toBeDefined();
      await fake.deleteStream('saga-soft');
      store.index.poke(); // the '$$' stream of a soft delete sends no notice: the index reads it on its poll
      await waitFor(async () => (await store.index.get('soft')) === undefined, { message: 'the entry to leave the index' });
      expect(await store.read('saga-soft')).toEqual([]); // the server says: not found
      const error = await store.append('saga-soft', [event('Again')], 'no_stream').catch((e: unknown) => e);
      expect(isDeletedStreamError(error)).toBe(true);
      expect(error).toMatchObject({ stream: 'saga-soft', deletion: 'soft-deleted', firstRevision: 2 });
      // The server wrote it at revision 2; every read of the stream refuses it from now on.
      await expect(store.read('saga-soft')).rejects.toSatisfy(isDeletedStreamError);
      expect(await store.read('saga-soft', { fromRevision: 2 })).toHaveLength(1);
    });

    it('refuses a tombstoned stream at once (read, append), skips the tombstone in readAll, leaves it out of listings and the index, and its waiter retries nothing', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake);
      const writer = open(fake); // another process: its index learns of the delete from $all only
      const head = await store.headPosition();
      const feed = StoreFeed.of(store, { pollMs: 0, lingerMs: 1 });
      const heard: string[] = [];
      const waiters = await Promise.all(['saga-hard', 'saga-kept'].map((s) => feed.subscribe(s, (events) => heard.push(...events.map((e) => `${e.stream}@${e.revision}`)))));
      await writer.append('saga-hard', [event()], 'no_stream', { index: openEntry('hard') });
      await waitFor(async () => (await store.index.get('hard')) !== undefined, { message: 'the entry to be projected' });
      await fake.tombstoneStream('saga-hard');
      await store.append('saga-kept', [event()], 'no_stream');
      // The waiter of the deleted stream got what was written before the delete, and nothing after it.
      await waitFor(() => heard.includes('saga-kept@0'), { message: 'the other waiter to hear its stream' });
      expect(heard).toEqual(['saga-hard@0', 'saga-kept@0']);
      for (const stop of waiters) stop();
      feed.stop();
      // Nothing re-subscribed or re-read because of the delete.
      expect(fake.calls.filter((c) => c === 'subscribeToAll')).toHaveLength(1);
      const readsBefore = fake.calls.filter((c) => c === 'readStream').length;
      await expect(store.read('saga-hard')).rejects.toSatisfy(isDeletedStreamError);
      expect(fake.calls.filter((c) => c === 'readStream').length - readsBefore).toBe(1); // never retried
      await expect(store.append('saga-hard', [event()], 0)).rejects.toMatchObject({ name: 'DeletedStreamError', deletion: 'tombstoned' });
      const page = await store.readAll({ after: head as string });
      expect(page.events.map((e) => [e.stream, e.type])).toEqual([
        ['saga-hard', 'A'],
        ['saga-kept', 'A'],
      ]);
      expect((await store.listStreams()).streams.map((s) => s.stream)).toEqual(['saga-kept']);
      // Out of the index: recovery and timers no longer pick an execution nobody can read.
      await waitFor(async () => (await store.index.get('hard')) === undefined, { message: 'the entry to leave the index' });
      expect((await store.index.claim({ service: 's', owner: 'w', leaseMs: 1_000 })).map((e) => e.executionId)).toEqual([]);
    });
  });

  describe('listings', () => {
    it('returns the progress of a listing that runs out of time with a cursor, and the next pages go on from there', async () => {
      const fake = new FakeEventStoreDbClient();
      const store = open(fake, { listTimeoutMs: 40 });
      await store.append('saga-l0', [event()], 'no_stream');
      await store.append('saga-l1', [event()], 'no_stream');
      fake.writeForeignEvents(3_000); // another application's events
      await store.append('saga-l2', [event()], 'no_stream');
      fake.writeSystemEvent(); // the head of $all is not a saga event
      fake.scanDelayMs = 3; // per 32 events looked at: a scan of everything takes about 300 ms
      const seen: string[] = [];
      let pages = 0;
      let after: string | undefined;
      do {
        const page = await store.listStreams(after === undefined ? {} : { after });
        seen.push(...page.streams.map((s) => s.stream));
        after = page.nextCursor;
        pages += 1;
      } while (after !== undefined && pages < 1_000);
      expect(seen).toEqual(['saga-l0', 'saga-l1', 'saga-l2']);
      expect(pages).toBeGreaterThan(2); // pages that found nothing moved on through checkpoints
    });
  });

  it('asks for the leader on every call: the engine reads its own writes', async () => {
    const fake = new FakeEventStoreDbClient();
    const store = open(fake, { index: { snapshotEvery: 1 } });
    const head = await store.headPosition();
    await store.append('saga-own', [event()], 'no_stream', { index: openEntry('own') });
    await store.read('saga-own');
    await store.readAll({ after: head as string });
    await store.listStreams();
    await store.index.query({ open: true });
    store.onAppended(() => undefined);
    await waitFor(() => store.subscribed);
    expect(new Set(fake.calls)).toEqual(new Set(['readStream', 'appendToStream', 'readAll', 'subscribeToAll', 'setStreamMetadata']));
    expect(fake.callsWithoutLeader).toEqual([]);
  });

  it('the stand-in, like the client, cancels every subscription on dispose: it goes silent', async () => {
    const fake = new FakeEventStoreDbClient();
    const store = open(fake);
    store.onAppended(() => undefined);
    await waitFor(() => store.subscribed);
    expect(fake.openSubscriptions).toBe(1);
    await fake.dispose();
    expect(fake.openSubscriptions).toBe(0);
    expect(fake.openStreams).toBe(0);
  });
});
