/**
 * Against a real EventStoreDB/KurrentDB: SAGA_TEST_EVENTSTOREDB_URL, else a Testcontainers server
 * (insecure, in memory, projections off), else skipped with one line saying what to set.
 */
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Saga, SagaManager, StoreFeed, type GlobalEvent } from '@saga/core';
import { engineScenarios, eventStoreContract, uniqueName, waitFor } from '@saga/testing';
import { EventStoreDbEventStore } from './eventStoreDbEventStore.js';
import { positionPastEnd } from './testPositions.js';
import { eventStoreDbTestServer } from './testServer.js';

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
