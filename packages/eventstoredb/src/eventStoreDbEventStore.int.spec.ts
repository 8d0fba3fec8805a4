/**
 * Against a real EventStoreDB/KurrentDB: SAGA_TEST_EVENTSTOREDB_URL, else a Testcontainers server
 * (insecure, in memory, projections off, MaxAppendSize raised to 4 MiB), else skipped with one line
 * saying what to set. The cases that need a server of their own (the image's default settings, a
 * restart) start more containers, and run only where Testcontainers does.
 */
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, FORWARDS, START, jsonEvent } from '@eventstore/db-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaManager, StoreFeed, type GlobalEvent } from '@saga/core';
import { engineScenarios, eventStoreContract, uniqueName, waitFor } from '@saga/testing';
import { isAppendTooLargeError } from './appendTooLargeError.js';
import { isDeletedStreamError } from './deletedStreamError.js';
import { EventStoreDbEventStore } from './eventStoreDbEventStore.js';
import { positionPastEnd } from './testPositions.js';
import { eventStoreDbTestServer, startEventStoreDbContainer, type EventStoreDbContainer } from './testServer.js';

const server = await eventStoreDbTestServer();
afterAll(() => server.stop());
const url = server.url ?? '';
const skip = server.skip === undefined ? {} : { skip: server.skip };

eventStoreContract('EventStoreDbEventStore', async () => new EventStoreDbEventStore({ connectionString: url }), { ...skip, positionPastEnd });

// The scenarios expect an empty store per test (they look at listStreams): a namespace each.
engineScenarios('EventStoreDbEventStore', async () => new EventStoreDbEventStore({ connectionString: url, namespace: `t${randomUUID().slice(0, 8)}.` }), skip);

(server.skip === undefined ? describe : describe.skip)('EventStoreDbEventStore on a server', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const open = async (namespace = ''): Promise<EventStoreDbEventStore> => {
    const store = new EventStoreDbEventStore({ connectionString: url, namespace });
    cleanups.push(() => store.destroy());
    await store.setup();
    return store;
  };
  /** A plain client: what the server's own tools see. */
  const rawClient = (): EventStoreDBClient => {
    const client = EventStoreDBClient.connectionString(url);
    cleanups.push(() => client.dispose());
    return client;
  };

  it("stores the engine's ids and a $correlationId/$causationId chain the server's tools can follow", async () => {
    const store = await open();
    const stream = uniqueName('saga-chain-');
    const first = randomUUID();
    await store.append(stream, [{ id: first, type: 'SagaStarted', data: {}, metadata: { $correlationId: 'exec-1' } }], 'no_stream');
    await store.read(stream);
    await store.append(stream, [{ type: 'StepFinished', data: {}, metadata: { $correlationId: 'exec-1' } }], 0);
    const raw = [];
    for await (const resolved of rawClient().readStream(stream, { direction: FORWARDS, fromRevision: START })) raw.push(resolved.event);
    expect(raw.map((e) => e?.id)[0]).toBe(first);
    expect(raw[0]?.metadata).toMatchObject({ $correlationId: 'exec-1' });
    expect(raw[1]?.metadata).toMatchObject({ $correlationId: 'exec-1', $causationId: first });
    expect((await store.read(stream)).map((e) => e.metadata)).toEqual([{ $correlationId: 'exec-1' }, { $correlationId: 'exec-1' }]);
  });

  it('writes a retried append once: the server recognises its event ids', async () => {
    const store = await open();
    const stream = uniqueName('saga-retry-');
    const events = [
      { id: randomUUID(), type: 'A', data: { n: 1 } },
      { id: randomUUID(), type: 'B', data: { n: 2 } },
    ];
    await store.append(stream, events, 'no_stream');
    expect((await store.append(stream, events, 'no_stream')).lastRevision).toBe(1);
    expect(await store.read(stream)).toHaveLength(2);
  });

  it("tells 150 listeners and store-feed waiters of another client's appends through ONE subscription (the server allows 100 streams per connection)", async () => {
    const listener = await open();
    const writer = await open();
    let heard = 0;
    const stops = Array.from({ length: 150 }, () => listener.onAppended(() => (heard += 1)));
    const feed = StoreFeed.of(listener, { pollMs: 0, lingerMs: 1 });
    const streams = Array.from({ length: 150 }, (_, i) => `${uniqueName('saga-feed-')}-${i}`);
    const received = new Set<string>();
    const unsubscribes = await Promise.all(streams.map((s) => feed.subscribe(s, (events: readonly GlobalEvent[]) => events.forEach((e) => received.add(e.stream)))));
    for (const s of streams) await writer.append(s, [{ type: 'A', data: {} }], 'no_stream');
    await waitFor(() => received.size === 150 && heard >= 150, { timeoutMs: 20_000, message: 'every waiter to get its event' });
    for (const stop of [...stops, ...unsubscribes]) stop();
    feed.stop();
  });

  it("projects another client's appends into the index, and resumes from its snapshot after a restart", async () => {
    const namespace = `i${randomUUID().slice(0, 8)}.`;
    const writer = await open(namespace);
    const reader = await open(namespace);
    const entry = { executionId: 'x-1', service: 'svc', definitionName: 'd', definitionVersion: '1', status: 'running', phase: 'forward' as const, open: true, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), user: null, nextDueAt: null, waitingFor: null, revision: 0 };
    await reader.index.lag();
    await writer.append('saga-x-1', [{ type: 'A', data: {} }], 'no_stream', { index: entry });
    await waitFor(async () => (await reader.index.get('x-1'))?.revision === 0, { timeoutMs: 10_000, message: 'the entry to be projected' });
    await reader.destroy();
    const restarted = await open(namespace);
    expect(await restarted.index.claim({ service: 'svc', owner: 'w', leaseMs: 1_000 })).toEqual([entry]);
  });

  it('lists executions without projections, each namespace on its own', async () => {
    const a = await open(`a${randomUUID().slice(0, 8)}.`);
    const b = await open(`b${randomUUID().slice(0, 8)}.`);
    await a.append('saga-1', [{ type: 'A', data: {} }], 'no_stream');
    await b.append('saga-1', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
    expect((await a.listStreams()).streams.map((s) => [s.stream, s.lastRevision])).toEqual([['saga-1', 0]]);
    expect((await b.listStreams()).streams.map((s) => [s.stream, s.lastRevision])).toEqual([['saga-1', 1]]);
  });

  it('is what SagaManager.fromConfig builds from an esdb:// or kurrentdb:// URL', async () => {
    for (const scheme of ['esdb', 'kurrentdb']) {
      const manager = await SagaManager.fromConfig({ store: url.replace(/^esdb/, scheme), broker: 'memory:' });
      cleanups.push(() => manager.destroy());
      expect(manager.store).toBeInstanceOf(EventStoreDbEventStore);
      await manager.setup();
      const execution = await manager.run({ definition: new Saga(`from_config_${scheme}`).localStep().onExecute((ctx) => ctx.with({ ok: true })).commit() });
      expect((await manager.get(execution.id)).context).toEqual({ ok: true });
    }
  });
});

(server.skip === undefined ? describe : describe.skip)('EventStoreDbEventStore on a server: what the stand-in imitates (issue 15)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const open = async (options: { namespace?: string; listTimeoutMs?: number; connectionString?: string } = {}): Promise<EventStoreDbEventStore> => {
    const store = new EventStoreDbEventStore({ connectionString: url, ...options });
    cleanups.push(() => store.destroy());
    await store.setup();
    return store;
  };
  const rawClient = (connectionString = url): EventStoreDBClient => {
    const client = EventStoreDBClient.connectionString(connectionString);
    cleanups.push(() => client.dispose());
    return client;
  };

  it('serves 150 waiters and 300 concurrent reads on one connection (the server allows 100 streams on it)', async () => {
    const store = await open();
    const writer = await open();
    const feed = StoreFeed.of(store, { pollMs: 0, lingerMs: 1 });
    const streams = Array.from({ length: 150 }, (_, i) => `${uniqueName('saga-wait-')}-${i}`);
    const received = new Set<string>();
    const unsubscribes = await Promise.all(streams.map((s) => feed.subscribe(s, (events: readonly GlobalEvent[]) => events.forEach((e) => received.add(e.stream)))));
    await Promise.all(streams.map((s) => writer.append(s, [{ type: 'A', data: {} }], 'no_stream')));
    const reads = await Promise.all(Array.from({ length: 300 }, (_, i) => store.read(streams[i % 150] ?? '')));
    expect(reads.every((events) => events.length === 1)).toBe(true);
    await waitFor(() => received.size === 150, { timeoutMs: 20_000, message: 'every waiter to get its event' });
    for (const unsubscribe of unsubscribes) unsubscribe();
    feed.stop();
  }, 60_000);

  it('soft delete: reads say nothing is there, an append that would continue at the old revisions is refused, listings leave it out, waiters go on', async () => {
    const namespace = `s${randomUUID().slice(0, 8)}.`;
    const store = await open({ namespace });
    const feed = StoreFeed.of(store, { pollMs: 0, lingerMs: 1 });
    const heard: string[] = [];
    const waiters = await Promise.all(['saga-soft', 'saga-other'].map((s) => feed.subscribe(s, (events: readonly GlobalEvent[]) => heard.push(...events.map((e) => `${e.stream}@${e.revision}`)))));
    const entry = { executionId: 'soft', service: 'svc', definitionName: 'd', definitionVersion: '1', status: 'running', phase: 'forward' as const, open: true, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), user: null, nextDueAt: null, waitingFor: null, revision: 1 };
    await store.append('saga-soft', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream', { index: entry });
    await rawClient().deleteStream(`${namespace}saga-soft`);
    store.index.poke();
    await waitFor(async () => (await store.index.get('soft')) === undefined, { timeoutMs: 10_000, message: 'the entry to leave the index' });
    expect(await store.read('saga-soft')).toEqual([]);
    expect((await store.listStreams()).streams).toEqual([]);
    const error = await store.append('saga-soft', [{ type: 'Again', data: {} }], 'no_stream').catch((e: unknown) => e);
    expect(isDeletedStreamError(error)).toBe(true);
    expect(error).toMatchObject({ deletion: 'soft-deleted', firstRevision: 2 });
    await expect(store.read('saga-soft')).rejects.toSatisfy(isDeletedStreamError);
    await store.append('saga-other', [{ type: 'A', data: {} }], 'no_stream');
    await waitFor(() => heard.includes('saga-other@0'), { timeoutMs: 10_000, message: 'the other waiter to hear its stream' });
    expect(store.subscribed).toBe(true);
    for (const stop of waiters) stop();
    feed.stop();
  });

  it('tombstone: read and append refused at once, readAll without the tombstone, out of listings and the index, the one subscription unaffected', async () => {
    const namespace = `h${randomUUID().slice(0, 8)}.`;
    const store = await open({ namespace });
    const head = await store.headPosition();
    const feed = StoreFeed.of(store, { pollMs: 0, lingerMs: 1 });
    const heard: string[] = [];
    const stopHard = await feed.subscribe('saga-hard', () => heard.push('saga-hard'));
    const stopKept = await feed.subscribe('saga-kept', () => heard.push('saga-kept'));
    const entry = { executionId: 'hard', service: 'svc', definitionName: 'd', definitionVersion: '1', status: 'running', phase: 'forward' as const, open: true, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(), user: null, nextDueAt: null, waitingFor: null, revision: 0 };
    await store.append('saga-hard', [{ type: 'A', data: {} }], 'no_stream', { index: entry });
    await rawClient().tombstoneStream(`${namespace}saga-hard`);
    await waitFor(async () => (await store.index.get('hard')) === undefined, { timeoutMs: 10_000, message: 'the entry to leave the index' });
    await expect(store.read('saga-hard')).rejects.toSatisfy(isDeletedStreamError);
    await expect(store.append('saga-hard', [{ type: 'B', data: {} }], 0)).rejects.toMatchObject({ name: 'DeletedStreamError', deletion: 'tombstoned' });
    await store.append('saga-kept', [{ type: 'A', data: {} }], 'no_stream');
    // The waiter of the deleted stream does not stop the feed: the other one still hears its stream.
    await waitFor(() => heard.includes('saga-kept'), { timeoutMs: 10_000, message: 'the other waiter to hear its append' });
    expect(store.subscribed).toBe(true);
    expect((await store.readAll({ after: head as string })).events.map((e) => [e.stream, e.type])).toEqual([
      ['saga-hard', 'A'],
      ['saga-kept', 'A'],
    ]);
    expect((await store.listStreams()).streams.map((s) => s.stream)).toEqual(['saga-kept']);
    stopHard();
    stopKept();
    feed.stop();
  });

  it('pages a listing through 200 000 foreign events with a short timeout: progress and a cursor on every page, nothing skipped or repeated', async () => {
    const namespace = `l${randomUUID().slice(0, 8)}.`;
    const writer = await open({ namespace });
    await writer.append('saga-before', [{ type: 'A', data: {} }], 'no_stream');
    const raw = rawClient();
    for (let batch = 0; batch < 200; batch += 1) {
      await raw.appendToStream(
        `${namespace}orders-${batch}`,
        Array.from({ length: 1_000 }, (_, i) => jsonEvent({ type: 'OrderPlaced', data: { i } })),
      );
    }
    await writer.append('saga-after', [{ type: 'A', data: {} }], 'no_stream');
    const store = await open({ namespace, listTimeoutMs: 200 });
    const seen: string[] = [];
    let pages = 0;
    let after: string | undefined;
    do {
      const page = await store.listStreams(after === undefined ? {} : { after });
      seen.push(...page.streams.map((s) => s.stream));
      after = page.nextCursor;
      pages += 1;
    } while (after !== undefined && pages < 10_000);
    expect(seen).toEqual(['saga-before', 'saga-after']);
  }, 300_000);

  (server.source === 'testcontainers' ? describe : describe.skip)('with containers of their own (Testcontainers only: a server from the environment is not reconfigured nor restarted)', () => {
    let own: EventStoreDbContainer | undefined;
    afterEach(async () => {
      await own?.stop();
      own = undefined;
    });

    it("fails a 1.2 MB append on the image's default settings with AppendTooLargeError naming MaxAppendSize", async () => {
      own = await startEventStoreDbContainer();
      const store = await open({ connectionString: own.url });
      const error = await store.append(uniqueName('saga-big-'), [{ type: 'Big', data: { blob: 'y'.repeat(1_200_000) } }], 'no_stream').catch((e: unknown) => e);
      expect(isAppendTooLargeError(error)).toBe(true);
      expect(error).toMatchObject({ maxAppendSize: 1_048_576 });
      expect((error as Error).message).toContain('EVENTSTORE_MAX_APPEND_SIZE');
    }, 180_000);

    it('goes on through a server restart during appends and waits: every append written once, every waiter told', async () => {
      own = await startEventStoreDbContainer({ restartable: true });
      const connectionString = own.url;
      const store = new EventStoreDbEventStore({ connectionString, retry: { retries: 30, minDelayMs: 100, maxDelayMs: 2_000 } });
      cleanups.push(() => store.destroy());
      const waiter = new EventStoreDbEventStore({ connectionString, retry: { retries: 30, minDelayMs: 100, maxDelayMs: 2_000 } });
      cleanups.push(() => waiter.destroy());
      const feed = StoreFeed.of(waiter, { pollMs: 500, lingerMs: 1 });
      const streams = Array.from({ length: 40 }, (_, i) => `${uniqueName('saga-restart-')}-${i}`);
      const received = new Set<string>();
      const unsubscribes = await Promise.all(streams.map((s) => feed.subscribe(s, (events: readonly GlobalEvent[]) => events.forEach((e) => received.add(e.stream)))));
      const appends = (async () => {
        for (const s of streams) {
          await store.append(s, [{ id: randomUUID(), type: 'A', data: {} }], 'no_stream');
          await store.append(s, [{ id: randomUUID(), type: 'B', data: {} }], 0);
        }
      })();
      await waitFor(async () => (await store.read(streams[5] ?? '')).length > 0, { timeoutMs: 30_000, message: 'the appends to be under way' });
      await own.restart();
      await appends;
      for (const s of streams) expect((await store.read(s)).map((e) => e.type)).toEqual(['A', 'B']);
      await waitFor(() => received.size === streams.length, { timeoutMs: 60_000, message: 'every waiter to hear its stream after the restart' });
      for (const unsubscribe of unsubscribes) unsubscribe();
      feed.stop();
    }, 300_000);
  });
});
