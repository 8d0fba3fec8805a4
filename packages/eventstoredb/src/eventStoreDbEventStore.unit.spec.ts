/**
 * The adapter's logic against `FakeEventStoreDbClient`, an in-memory imitation of the client calls
 * it makes: runs everywhere, with no server. It proves the mapping (expected revisions, conflicts,
 * metadata, listing, the global order, the one subscription, the projected index, retries) — not
 * the server; `eventStoreDbEventStore.int.spec.ts` runs the same suites against a real
 * EventStoreDB/KurrentDB.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isConcurrencyConflictError, type NewEvent } from '@saga/core';
import { engineScenarios, eventStoreContract, FakeClock } from '@saga/testing';
import { FakeEventStoreDbClient } from '../test/fakeEventStoreDbClient.js';
import { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventStoreDbEventStore.js';
import { positionPastEnd } from './testPositions.js';
import { containerMaxAppendSize } from './testServer.js';

// Configured like the test container: the contract appends about 1.2 MB at once.
const shared = new FakeEventStoreDbClient({ maxAppendSize: containerMaxAppendSize });
eventStoreContract('EventStoreDbEventStore (imitation client)', async () => new EventStoreDbEventStore({ client: shared.asClient() }), {
  // Leases hold within one process on EventStoreDB (the contract runs in one).
  positionPastEnd,
});

// A namespace per test gives the engine scenarios the empty store they expect on one shared server.
engineScenarios('EventStoreDbEventStore (imitation client)', async () => new EventStoreDbEventStore({ client: shared.asClient(), namespace: `t${randomUUID().slice(0, 8)}.` }));

describe('EventStoreDbEventStore on the imitation client', () => {
  const opened: EventStoreDbEventStore[] = [];
  const open = async (options: Partial<EventStoreDbEventStoreOptions> & { fake?: FakeEventStoreDbClient } = {}) => {
    const fake = options.fake ?? new FakeEventStoreDbClient();
    const store = new EventStoreDbEventStore({ client: fake.asClient(), retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 }, ...options });
    opened.push(store);
    await store.setup();
    return { store, fake };
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
  });

  /** The raw events on the fake server, as the server's own tools would show them. */
  const raw = async (fake: FakeEventStoreDbClient, stream: string) => {
    const events = [];
    for await (const resolved of fake.asClient().readStream(stream)) events.push(resolved.event);
    return events;
  };

  it("writes one server stream per execution, with the engine's event ids and a causal chain", async () => {
    const { store, fake } = await open({ clock: new FakeClock('2030-01-01T00:00:00.000Z') });
    const id = '5a0ba7e2-8c8b-4c0e-9f52-1f5b0c3d2e10';
    const events: NewEvent[] = [
      { id, type: 'SagaStarted', data: { n: 0 }, metadata: { executionId: 'e-1', $correlationId: 'e-1' } },
      { type: 'StepFinished', data: { n: 1 }, metadata: { executionId: 'e-1', $correlationId: 'e-1' } },
    ];
    await store.append('saga-e-1', events, 'no_stream');
    await store.read('saga-e-1'); // the engine folds before it decides
    await store.append('saga-e-1', [{ type: 'SagaCompleted', data: {}, metadata: { $correlationId: 'e-1' } }], 1);
    const stored = await raw(fake, 'saga-e-1');
    expect(stored.map((e) => e?.id)[0]).toBe(id);
    expect(stored.map((e) => e?.metadata)).toEqual([
      { executionId: 'e-1', $correlationId: 'e-1', sagaStore: { recordedAt: '2030-01-01T00:00:00.000Z', added: [] } },
      { executionId: 'e-1', $correlationId: 'e-1', $causationId: id, sagaStore: { recordedAt: '2030-01-01T00:00:00.000Z', added: ['$causationId'] } },
      { $correlationId: 'e-1', $causationId: stored[1]?.id, sagaStore: { recordedAt: '2030-01-01T00:00:00.000Z', added: ['$causationId'] } },
    ]);
    // What the port returns is exactly what was appended.
    expect((await store.read('saga-e-1')).map((e) => e.metadata)).toEqual([events[0]?.metadata, events[1]?.metadata, { $correlationId: 'e-1' }]);
  });

  it('adds a $correlationId when the caller gave none, and finds the cause with one read when it has not seen the stream', async () => {
    const { fake } = await open();
    const writer = (await open({ fake })).store;
    await writer.append('saga-x', [{ type: 'A', data: {} }], 'no_stream');
    const other = (await open({ fake })).store;
    await other.append('saga-x', [{ type: 'B', data: {} }], 0);
    const [first, second] = await raw(fake, 'saga-x');
    expect(first?.metadata).toMatchObject({ $correlationId: 'saga-x', sagaStore: { added: ['$correlationId'] } });
    expect(second?.metadata).toMatchObject({ $correlationId: 'saga-x', $causationId: first?.id });
    expect((await other.read('saga-x')).map((e) => e.metadata)).toEqual([{}, {}]);
  });

  it('turns an id that is not a UUID into the same UUID on every attempt', async () => {
    const { store, fake } = await open();
    await store.append('saga-ids', [{ id: 'decision-1', type: 'A', data: {} }], 'no_stream');
    // The same append again (a retry whose first reply was lost): acknowledged, not written twice.
    expect(await store.append('saga-ids', [{ id: 'decision-1', type: 'A', data: {} }], 'no_stream')).toMatchObject({ lastRevision: 0 });
    const stored = await raw(fake, 'saga-ids');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("maps the client's WrongExpectedVersionError to ConcurrencyConflictError with both revisions", async () => {
    const { store } = await open();
    await store.append('saga-c', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
    const error = await store.append('saga-c', [{ type: 'X', data: {} }], 0).catch((e: unknown) => e);
    expect(isConcurrencyConflictError(error)).toBe(true);
    expect(error).toMatchObject({ stream: 'saga-c', expectedRevision: 0, actualRevision: 1 });
  });

  it('retries transient failures of appends and reads, never a conflict', async () => {
    const { store, fake } = await open();
    fake.failNext(2, 'appendToStream');
    expect((await store.append('saga-r', [{ type: 'A', data: {} }], 'no_stream')).lastRevision).toBe(0);
    fake.failNext(2, 'readStream');
    expect(await store.read('saga-r')).toHaveLength(1);
    const before = fake.calls.filter((c) => c === 'appendToStream').length;
    await expect(store.append('saga-r', [{ type: 'B', data: {} }], 'no_stream')).rejects.toSatisfy(isConcurrencyConflictError);
    expect(fake.calls.filter((c) => c === 'appendToStream').length - before).toBe(1);
  });

  it('lists only its namespace, stops at the head of $all even when the head is a server event, and pages', async () => {
    const fake = new FakeEventStoreDbClient();
    const a = (await open({ fake, namespace: 'tenant-a.' })).store;
    const b = (await open({ fake, namespace: 'tenant-b.' })).store;
    for (let i = 0; i < 5; i += 1) await a.append(`saga-${i}`, [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
    await b.append('saga-b', [{ type: 'A', data: {} }], 'no_stream');
    fake.writeSystemEvent();
    const first = await a.listStreams({ limit: 3 });
    expect(first.streams.map((s) => [s.stream, s.lastRevision])).toEqual([
      ['saga-0', 1],
      ['saga-1', 1],
      ['saga-2', 1],
    ]);
    const second = await a.listStreams({ limit: 3, after: first.nextCursor ?? '' });
    expect(second.streams.map((s) => s.stream)).toEqual(['saga-3', 'saga-4']);
    expect(second.nextCursor).toBeUndefined();
    expect((await b.listStreams()).streams.map((s) => s.stream)).toEqual(['saga-b']);
    expect(fake.calls).toContain('subscribeToAll');
  });

  it('says what to do when the server never signals that a listing caught up (before 23.10)', async () => {
    const fake = new FakeEventStoreDbClient();
    fake.caughtUpSignal = false;
    const { store } = await open({ fake, listTimeoutMs: 100 });
    await store.append('saga-old', [{ type: 'A', data: {} }], 'no_stream');
    // The head of $all is a saga event: reached, so no signal is needed.
    expect((await store.listStreams()).streams.map((s) => s.stream)).toEqual(['saga-old']);
    fake.writeSystemEvent();
    // Out of time: the page holds what it found and where it got to ...
    const page = await store.listStreams();
    expect(page.streams.map((s) => s.stream)).toEqual(['saga-old']);
    expect(page.nextCursor).toBeDefined();
    // ... and a page that gets nowhere says why.
    await expect(store.listStreams({ after: page.nextCursor ?? '' })).rejects.toThrow(/caught-up signal \(EventStoreDB 23.10 and later, KurrentDB\)/);
  });

  it('disposes only a client it created, and is unusable after destroy', async () => {
    const fake = new FakeEventStoreDbClient();
    const { store } = await open({ fake });
    store.onAppended(() => {});
    await store.destroy();
    expect(fake.disposed).toBe(false);
    expect(fake.openSubscriptions).toBe(0);
    await expect(store.read('saga-s')).rejects.toThrow(/was destroyed/);
    expect(() => store.onAppended(() => {})).toThrow(/was destroyed/);
  });
});
