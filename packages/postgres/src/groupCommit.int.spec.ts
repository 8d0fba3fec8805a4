/**
 * Group commit on a server: appends issued together go in one call of `saga_append_batch`, each with
 * its own expected revision and result. The contract suite runs with group commit on (the default)
 * and off; these tests force batches (one round trip in flight, many appends issued at once) and
 * check what a batch must keep: a conflict or a failure in the middle fails that append alone, the
 * index entry is written with its events or not at all, the lease is taken, and the appends of a
 * batch take one transaction, in the order of the batch.
 */
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isConcurrencyConflictError, type GlobalEvent } from '@saga/core';
import { eventStoreContract, FakeClock, waitFor } from '@saga/testing';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgresEventStore.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';
import { indexEntry } from '../test/fixtures/indexEntry.js';

const server = await postgresTestServer();
afterAll(() => server.stop());
const url = server.url ?? '';

const positionPastEnd = (head: string | undefined): string => {
  const [transactionId, position] = (head ?? '0:0').split(':');
  return `${BigInt(transactionId ?? '0') + 1_000_000_000n}:${position ?? '0'}`;
};

// The contract once more with every append on its own (group commit off), and once with one round trip
// of appends in flight, so that whatever the suite issues at once goes in batches.
const unbatchedSchema = server.freshSchema('contract_unbatched');
eventStoreContract(
  'PostgresEventStore (group commit off)',
  async () => new PostgresEventStore({ connectionString: url, schema: unbatchedSchema, pool: { max: 5 }, groupCommit: false }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), positionPastEnd },
);
const batchedSchema = server.freshSchema('contract_batched');
eventStoreContract(
  'PostgresEventStore (group commit, one round trip in flight)',
  async () => new PostgresEventStore({ connectionString: url, schema: batchedSchema, pool: { max: 5 }, groupCommit: { maxInFlight: 1 } }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), positionPastEnd },
);

const suite = server.skip === undefined ? describe : describe.skip;

const entry = indexEntry;

const settle = (promise: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

suite('PostgresEventStore group commit', () => {
  const opened: PostgresEventStore[] = [];
  const admins: pg.Client[] = [];

  const open = async (options: Partial<PostgresEventStoreOptions> = {}): Promise<PostgresEventStore> => {
    const store = new PostgresEventStore({ connectionString: url, schema: server.freshSchema('group'), pool: { max: 4 }, groupCommit: { maxInFlight: 1 }, ...options });
    opened.push(store);
    await store.setup();
    return store;
  };

  const admin = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    admins.push(client);
    return client;
  };

  /**
   * The global order shows an append once no older transaction of the cluster is still open, so a
   * loaded server (other suites' transactions) can hold it back: wait for the events, not a fixed time.
   */
  const readAllOf = async (store: PostgresEventStore, count: number): Promise<GlobalEvent[]> => {
    let events: GlobalEvent[] = [];
    await waitFor(
      async () => {
        events = [...(await store.readAll({ limit: 1_000 })).events];
        return events.length >= count;
      },
      { timeoutMs: 30_000, intervalMs: 20, message: `readAll to show ${count} events` },
    );
    return events;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
    await Promise.all(admins.splice(0).map((client) => client.end()));
  });

  it('sends what is issued while a round trip is in flight in one batch; a conflict or a failure in the middle fails that append alone', async () => {
    const store = await open();
    await store.append('saga-behind', [{ type: 'A', data: {} }], 'no_stream');
    await store.append('saga-taken', [{ type: 'A', data: {} }], 'no_stream');
    const before = store.groupCommitStats;
    // The first goes alone; the others wait for it and go together.
    const results = await Promise.all([
      settle(store.append('saga-first', [{ type: 'A', data: {} }], 'no_stream', { index: entry('first') })),
      settle(store.append('saga-ok1', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream', { index: entry('ok1', { revision: 1 }) })),
      settle(store.append('saga-behind', [{ type: 'B', data: {} }], 5, { index: entry('behind', { revision: 6 }) })),
      settle(store.append('saga-taken', [{ type: 'B', data: {} }], 'no_stream', { index: entry('taken') })),
      settle(store.append('saga-nul', [{ type: 'A', data: { text: '\u0000' } }], 'no_stream', { index: entry('nul') })),
      settle(store.append('saga-ok2', [{ type: 'A', data: {} }], 'no_stream', { index: entry('ok2') })),
      settle(store.append('saga-behind', [{ type: 'C', data: {} }], 0, { index: entry('behind', { revision: 1 }) })),
    ]);
    const after = store.groupCommitStats;
    expect(after.batches - before.batches).toBe(2);
    expect(after.largest).toBe(6);

    const [first, ok1, behind, taken, nul, ok2, behindNext] = results;
    expect(first).toMatchObject({ ok: true, value: { lastRevision: 0 } });
    expect(ok1).toMatchObject({ ok: true, value: { lastRevision: 1 } });
    expect(behind?.ok === false && isConcurrencyConflictError(behind.error) ? behind.error : behind).toMatchObject({ stream: 'saga-behind', expectedRevision: 5 });
    expect(taken?.ok === false && isConcurrencyConflictError(taken.error) ? taken.error : taken).toMatchObject({ stream: 'saga-taken', expectedRevision: 'no_stream', actualRevision: 0 });
    expect(nul?.ok === false ? String(nul.error) : nul).toMatch(/\\u0000/);
    expect(ok2).toMatchObject({ ok: true, value: { lastRevision: 0 } });
    // After the conflict on the same stream in the same batch, the next append of that stream still goes.
    expect(behindNext).toMatchObject({ ok: true, value: { lastRevision: 1 } });

    expect((await store.read('saga-ok1')).map((e) => e.type)).toEqual(['A', 'B']);
    expect((await store.read('saga-behind')).map((e) => e.type)).toEqual(['A', 'C']);
    expect((await store.read('saga-taken')).map((e) => e.type)).toEqual(['A']);
    expect(await store.read('saga-nul')).toEqual([]);
    // The index entries of the appends that were written, and none of those that were not.
    expect(await store.index.get('first')).toEqual(entry('first'));
    expect(await store.index.get('ok1')).toEqual(entry('ok1', { revision: 1 }));
    expect(await store.index.get('ok2')).toEqual(entry('ok2'));
    expect(await store.index.get('behind')).toEqual(entry('behind', { revision: 1 }));
    expect(await store.index.get('taken')).toBeUndefined();
    expect(await store.index.get('nul')).toBeUndefined();
  });

  it('gives the appends of a batch one transaction, in the order of the batch, after what went before, and tells listeners of each', async () => {
    const store = await open();
    const heard: number[] = [];
    const stop = store.onAppended(() => heard.push(1));
    await store.append('saga-0', [{ type: 'A', data: {} }], 'no_stream');
    const streams = Array.from({ length: 8 }, (_, index) => `saga-${index + 1}`);
    await Promise.all(streams.map((stream) => store.append(stream, [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream')));
    const events = await readAllOf(store, 1 + 2 * streams.length);
    stop();
    expect(events.map((e) => [e.stream, e.revision])).toEqual([['saga-0', 0], ...streams.flatMap((stream) => [[stream, 0], [stream, 1]])]);
    const transactions = events.map((e) => e.position.split(':')[0]);
    // saga-1 went alone (its own transaction); saga-2 … saga-8 waited for it and went together.
    expect(new Set(transactions.slice(3)).size).toBe(1);
    expect(transactions[1]).toBe(transactions[2]);
    expect(transactions[1]).not.toBe(transactions[3]);
    expect(new Set(transactions.slice(1)).size).toBe(2);
    const positions = events.map((e) => BigInt(e.position.split(':')[1] ?? '0'));
    expect([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(positions);
    expect(heard.length).toBeGreaterThanOrEqual(1);
  });

  it("gives concurrent 'any' appends of one stream dense revisions in a batch, and takes the lease an append asks for", async () => {
    const clock = new FakeClock('2030-01-01T00:00:00.000Z');
    const store = await open({ clock });
    await Promise.all(Array.from({ length: 10 }, (_, index) => store.append('saga-any', [{ type: 'N', data: { index } }], 'any')));
    expect((await store.read('saga-any')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    await Promise.all([
      store.append('saga-l0', [{ type: 'A', data: {} }], 'no_stream', { index: entry('l0'), lease: { owner: 'w1', leaseMs: 60_000 } }),
      store.append('saga-l1', [{ type: 'A', data: {} }], 'no_stream', { index: entry('l1'), lease: { owner: 'w1', leaseMs: 60_000 } }),
      store.append('saga-l2', [{ type: 'A', data: {} }], 'no_stream', { index: entry('l2') }),
    ]);
    const db = await admin();
    const leases = await db.query<{ execution_id: string; lease_owner: string | null; lease_until: Date | null }>(
      `SELECT execution_id, lease_owner, lease_until FROM ${quoteIdentifier(store.schema)}.saga_executions ORDER BY execution_id`,
    );
    expect(leases.rows.map((row) => [row.execution_id, row.lease_owner, row.lease_until?.toISOString() ?? null])).toEqual([
      ['l0', 'w1', '2030-01-01T00:01:00.000Z'],
      ['l1', 'w1', '2030-01-01T00:01:00.000Z'],
      ['l2', null, null],
    ]);
    // Another owner gets none of the leased ones.
    expect((await store.index.claim({ service: 'order', owner: 'w2', leaseMs: 60_000 })).map((e) => e.executionId)).toEqual(['l2']);
  });

  it('acknowledges a batched append whose events are already stored with the same ids (a retry after a lost reply)', async () => {
    const store = await open();
    const events = [{ id: '7f0e2c9a-3b1d-4e5f-8a6b-0c1d2e3f4a5b', type: 'A', data: {} }];
    const first = await store.append('saga-retry', events, 'no_stream');
    const [, again] = await Promise.all([
      store.append('saga-other', [{ type: 'A', data: {} }], 'no_stream'),
      store.append('saga-retry', events, 'no_stream'),
      store.append('saga-other2', [{ type: 'A', data: {} }], 'no_stream'),
    ]);
    expect(again).toEqual(first);
    expect(await store.read('saga-retry')).toHaveLength(1);
  });

  it('sends every append on its own when group commit is off', async () => {
    const store = await open({ groupCommit: false });
    await Promise.all(Array.from({ length: 5 }, (_, index) => store.append(`saga-${index}`, [{ type: 'A', data: {} }], 'no_stream')));
    expect(store.groupCommitStats).toEqual({ batches: 0, items: 0, largest: 0 });
    const events = await readAllOf(store, 5);
    expect(new Set(events.map((e) => e.position.split(':')[0])).size).toBe(5);
  });
});
