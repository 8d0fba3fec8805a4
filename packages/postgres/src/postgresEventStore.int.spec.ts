import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isConcurrencyConflictError, isSagaError, SagaManager, type EventStore, type NewEvent } from '@saga/core';
import { eventStoreContract, FakeClock, uniqueName, waitFor } from '@saga/testing';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgresEventStore.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
afterAll(() => server.stop());
const url = server.url ?? '';

// One schema for the whole contract suite: every test opens a new store (a new pool) on it, as
// successive processes would, and the streams of earlier tests are still there.
const contractSchema = server.freshSchema('contract');
eventStoreContract('PostgresEventStore', async () => new PostgresEventStore({ connectionString: url, schema: contractSchema, pool: { max: 5 } }), {
  ...(server.skip === undefined ? {} : { skip: server.skip }),
});

const suite = server.skip === undefined ? describe : describe.skip;

suite('PostgresEventStore', () => {
  const opened: EventStore[] = [];
  const admins: pg.Client[] = [];

  const open = async (options: Partial<PostgresEventStoreOptions> = {}): Promise<PostgresEventStore> => {
    const store = new PostgresEventStore({ connectionString: url, schema: options.schema ?? server.freshSchema(), pool: { max: 4 }, ...options });
    opened.push(store);
    await store.setup();
    return store;
  };

  /** A plain connection for what a test does behind the store's back. */
  const admin = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    admins.push(client);
    return client;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.destroy()));
    await Promise.all(admins.splice(0).map((client) => client.end().catch(() => undefined)));
  });

  describe('schema', () => {
    it('creates its schema and tables on setup, records the migration, and is idempotent', async () => {
      const schema = server.freshSchema();
      const store = await open({ schema });
      await store.setup();
      const db = await admin();
      const tables = await db.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(['saga_events', 'saga_schema_migrations']);
      const versions = await db.query<{ version: number }>(`SELECT version FROM ${quoteIdentifier(schema)}.saga_schema_migrations`);
      expect(versions.rows).toEqual([{ version: 1 }]);
      const columns = await db.query<{ column_name: string; data_type: string }>(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'saga_events' ORDER BY ordinal_position",
        [schema],
      );
      expect(columns.rows.map((c) => [c.column_name, c.data_type])).toEqual([
        ['global_position', 'bigint'],
        ['stream_id', 'text'],
        ['revision', 'integer'],
        ['event_id', 'text'],
        ['type', 'text'],
        ['data', 'jsonb'],
        ['metadata', 'jsonb'],
        ['recorded_at', 'timestamp with time zone'],
      ]);
    });

    it('lets several stores set up one new schema at once', async () => {
      const schema = server.freshSchema();
      const stores = Array.from({ length: 5 }, () => new PostgresEventStore({ connectionString: url, schema, pool: { max: 2 } }));
      opened.push(...stores);
      await Promise.all(stores.map((store) => store.setup()));
      const db = await admin();
      const versions = await db.query(`SELECT version FROM ${quoteIdentifier(schema)}.saga_schema_migrations`);
      expect(versions.rowCount).toBe(1);
    });

    it('refuses a schema written by a newer version', async () => {
      const schema = server.freshSchema();
      await open({ schema });
      const db = await admin();
      await db.query(`INSERT INTO ${quoteIdentifier(schema)}.saga_schema_migrations (version) VALUES (99)`);
      const store = new PostgresEventStore({ connectionString: url, schema });
      opened.push(store);
      await expect(store.setup()).rejects.toThrow(/schema version 99.*Upgrade @saga\/postgres/);
    });

    it('refuses tables of another application, and says to give the store a schema of its own', async () => {
      const schema = server.freshSchema();
      const db = await admin();
      await db.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
      await db.query(`CREATE TABLE ${quoteIdentifier(schema)}.saga_events (id serial PRIMARY KEY, what text)`);
      const store = new PostgresEventStore({ connectionString: url, schema });
      opened.push(store);
      await expect(store.setup()).rejects.toThrow(/another application\? Give the event store a schema of its own/);
    });

    it('takes any schema name, quoted', async () => {
      const store = await open({ schema: server.freshSchema('We"ird Name') });
      await store.append('saga-quoted', [{ type: 'A', data: {} }], 'no_stream');
      expect(await store.read('saga-quoted')).toHaveLength(1);
    });
  });

  describe('appends', () => {
    it('keeps data across stores (processes) and sees their appends', async () => {
      const schema = server.freshSchema();
      const first = await open({ schema });
      const second = await open({ schema });
      await first.append('saga-shared', [{ type: 'FromFirst', data: { n: 1 }, metadata: { by: 'first' } }], 'no_stream');
      expect((await second.read('saga-shared')).map((e) => e.type)).toEqual(['FromFirst']);
      await expect(second.append('saga-shared', [{ type: 'Late', data: {} }], 'no_stream')).rejects.toSatisfy(isConcurrencyConflictError);
      await second.append('saga-shared', [{ type: 'FromSecond', data: {} }], 0);
      expect((await first.read('saga-shared')).map((e) => [e.revision, e.type])).toEqual([
        [0, 'FromFirst'],
        [1, 'FromSecond'],
      ]);
    });

    it("takes recordedAt from the injected clock, else from the database server's clock", async () => {
      const clock = new FakeClock('2031-02-03T04:05:06.789Z');
      const store = await open({ clock });
      expect(await store.append('saga-clock', [{ type: 'A', data: {} }], 'no_stream')).toEqual({ lastRevision: 0, recordedAt: '2031-02-03T04:05:06.789Z' });
      clock.advance(1_000);
      await store.append('saga-clock', [{ type: 'B', data: {} }], 0);
      expect((await store.read('saga-clock')).map((e) => e.recordedAt)).toEqual(['2031-02-03T04:05:06.789Z', '2031-02-03T04:05:07.789Z']);

      const serverClock = await open();
      const before = Date.now();
      const { recordedAt } = await serverClock.append('saga-server-clock', [{ type: 'A', data: {} }], 'no_stream');
      expect(Math.abs(Date.parse(recordedAt ?? '') - before)).toBeLessThan(60_000);
    });

    it('stores the event id, and acknowledges an append whose events are already stored with the same ids (a retry)', async () => {
      const store = await open();
      const events: NewEvent[] = [
        { id: '0a4a1c43-2ad5-4c2b-9b8f-1b2c3d4e5f60', type: 'A', data: { a: 1 } },
        { id: '0a4a1c43-2ad5-4c2b-9b8f-1b2c3d4e5f61', type: 'B', data: { b: 2 } },
      ];
      const first = await store.append('saga-idempotent', events, 'no_stream');
      // The same append again, as after a reply lost to a broken connection: not written twice.
      expect(await store.append('saga-idempotent', events, 'no_stream')).toEqual(first);
      expect(await store.read('saga-idempotent')).toHaveLength(2);
      // Different events at those revisions are a conflict.
      await expect(store.append('saga-idempotent', [{ type: 'A', data: { a: 1 }, id: 'other' }], 'no_stream')).rejects.toSatisfy(isConcurrencyConflictError);
      const db = await admin();
      const ids = await db.query(`SELECT event_id FROM ${quoteIdentifier(store.schema)}.saga_events ORDER BY revision`);
      expect(ids.rows.map((r: { event_id: string }) => r.event_id)).toEqual(events.map((e) => e.id));
    });

    it("gives every concurrent 'any' append its own dense revisions", async () => {
      const store = await open();
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.append('saga-any', [{ type: 'A', data: { i } }, { type: 'B', data: { i } }], 'any')));
      const events = await store.read('saga-any');
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      // Each append's two events stayed together.
      for (let i = 0; i < 20; i += 2) expect(events[i]?.data).toEqual(events[i + 1]?.data);
    });

    it('says that jsonb cannot hold \\u0000, and writes nothing', async () => {
      const store = await open();
      await expect(store.append('saga-nul', [{ type: 'A', data: { text: 'a\u0000b' } }], 'no_stream')).rejects.toThrow(/cannot store the character \\u0000/);
      expect(await store.read('saga-nul')).toEqual([]);
    });

    it('rejects events that are not JSON objects, and a bad cursor', async () => {
      const store = await open();
      await expect(store.append('saga-bad', [{ type: 'A', data: [] as never }], 'no_stream')).rejects.toThrow(/must be a JSON object/);
      await expect(store.append('saga-bad', [{ type: '', data: {} }], 'no_stream')).rejects.toThrow(/has no type/);
      await expect(store.append('saga-bad', [{ type: 'A', data: {} }], -1)).rejects.toThrow(/expected revision -1/);
      await expect(store.listStreams({ after: 'garbage' })).rejects.toThrow(/Invalid listStreams cursor/);
      expect(await store.read('saga-bad')).toEqual([]);
    });
  });

  describe('faults', () => {
    it('fails setup of an unreachable server naming the host and the variable to fix, never the password', async () => {
      const store = new PostgresEventStore({
        connectionString: 'postgres://saga:s3cr3t-pa55@127.0.0.1:1/orders',
        retry: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
      });
      opened.push(store);
      const error = await store.setup().catch((e: unknown) => e);
      expect(isSagaError(error)).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain('127.0.0.1:1/orders');
      expect(message).toContain('SAGA_STORE_URL');
      expect(message).toContain('after 3 attempts');
      expect(message).not.toContain('s3cr3t-pa55');
      expect(message).not.toContain('saga:');
    });

    it('fails setup naming the server when it refuses the database, never the password', async () => {
      const target = new URL(url);
      target.pathname = '/saga_database_that_does_not_exist';
      target.password = 'n0t-the-pa55word';
      const store = new PostgresEventStore({ connectionString: target.toString(), retry: { retries: 0 } });
      opened.push(store);
      const error = await store.setup().catch((e: unknown) => e);
      expect(isSagaError(error)).toBe(true);
      expect((error as Error).message).toContain(`${target.hostname}:${target.port || '5432'}/saga_database_that_does_not_exist`);
      expect((error as Error).message).toMatch(/SAGA_STORE_URL/);
      expect((error as Error).message).not.toContain('n0t-the-pa55word');
    });

    it('retries an append whose connection is killed mid-statement, and writes it once', async () => {
      const applicationName = uniqueName('saga-kill-');
      const store = await open({ pool: { max: 1, application_name: applicationName }, retry: { retries: 5, minDelayMs: 20, maxDelayMs: 100 } });
      await store.append('saga-killed', [{ type: 'Start', data: {} }], 'no_stream');
      const locker = await admin();
      const killer = await admin();
      // Hold a lock the append needs, so it is certainly in flight when its backend is terminated.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${quoteIdentifier(store.schema)}.saga_events IN EXCLUSIVE MODE`);
      const append = store.append('saga-killed', [{ type: 'Next', data: { n: 1 } }, { type: 'Next', data: { n: 2 } }], 0);
      await waitFor(
        async () =>
          (await killer.query("SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName])).rowCount === 1,
        { message: 'the append to wait for the lock' },
      );
      const killed = await killer.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      expect(killed.rowCount).toBe(1);
      await locker.query('COMMIT');
      expect(await append).toMatchObject({ lastRevision: 2 });
      expect((await store.read('saga-killed')).map((e) => e.type)).toEqual(['Start', 'Next', 'Next']);
    });

    it('never retries a conflict', async () => {
      const store = await open({ retry: { retries: 5, minDelayMs: 200, maxDelayMs: 200 } });
      await store.append('saga-conflict', [{ type: 'A', data: {} }], 'no_stream');
      const started = Date.now();
      await expect(store.append('saga-conflict', [{ type: 'B', data: {} }], 'no_stream')).rejects.toSatisfy(isConcurrencyConflictError);
      expect(Date.now() - started).toBeLessThan(200);
    });

    it('uses a pool it is given without ending it', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      try {
        const store = await open({ pool });
        await store.append('saga-given-pool', [{ type: 'A', data: {} }], 'no_stream');
        await store.destroy();
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        await expect(store.read('saga-given-pool')).rejects.toThrow(/was destroyed/);
        expect(() => store.watch('saga-given-pool', () => {})).toThrow(/was destroyed/);
      } finally {
        await pool.end();
      }
    });
  });

  describe('watch (LISTEN/NOTIFY)', () => {
    it("notifies a watcher of another store's append", async () => {
      const schema = server.freshSchema();
      const watcher = await open({ schema });
      const writer = await open({ schema });
      const seen: number[] = [];
      watcher.watch('saga-watched', (revision) => seen.push(revision));
      const db = await admin();
      await waitFor(() => listening(db, watcher), { message: 'the LISTEN connection' });
      await writer.append('saga-watched', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
      await waitFor(() => seen.includes(1), { message: 'the notice of revision 1' });
      expect(seen).toEqual([1]);
    });

    it('does not hear the appends of another schema', async () => {
      const watcher = await open();
      const other = await open();
      const seen: number[] = [];
      watcher.watch('saga-same-name', (revision) => seen.push(revision));
      const witness: number[] = [];
      watcher.watch('saga-witness', (revision) => witness.push(revision));
      const db = await admin();
      await waitFor(() => listening(db, watcher));
      await other.append('saga-same-name', [{ type: 'A', data: {} }], 'no_stream');
      const writer = await open({ schema: watcher.schema });
      await writer.append('saga-witness', [{ type: 'A', data: {} }], 'no_stream');
      await waitFor(() => witness.includes(0));
      expect(seen).toEqual([]);
    });

    it('reconnects when its LISTEN connection dies, and announces what was appended meanwhile', async () => {
      const schema = server.freshSchema();
      const watcher = await open({ schema });
      const writer = await open({ schema });
      const seen: number[] = [];
      watcher.watch('saga-reconnect', (revision) => seen.push(revision));
      const db = await admin();
      await waitFor(() => listening(db, watcher));
      const killed = await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [listenQuery(schema)]);
      expect(killed.rowCount).toBe(1);
      // Appended while the watcher may be disconnected: announced by the catch-up after reconnecting.
      await writer.append('saga-reconnect', [{ type: 'A', data: {} }], 'no_stream');
      await waitFor(() => seen.includes(0), { timeoutMs: 10_000, message: 'the notice of revision 0' });
      await waitFor(() => listening(db, watcher), { timeoutMs: 10_000, message: 'a new LISTEN connection' });
      await writer.append('saga-reconnect', [{ type: 'B', data: {} }], 0);
      await waitFor(() => seen.includes(1), { message: 'the notice of revision 1 on the new connection' });
      expect(seen).toEqual([0, 1]);
    });
  });

  describe('with the engine', () => {
    it('is what SagaManager.fromConfig builds from a postgres:// URL, and the manager closes it', async () => {
      const schema = server.freshSchema();
      const separator = url.includes('?') ? '&' : '?';
      const manager = await SagaManager.fromConfig({ store: `${url}${separator}schema=${schema}&poolSize=3`, broker: 'memory:' });
      expect(manager.store).toBeInstanceOf(PostgresEventStore);
      expect((manager.store as PostgresEventStore).schema).toBe(schema);
      await manager.setup();
      const { Saga } = await import('@saga/core');
      const execution = await manager.run({ definition: new Saga('from_config').localStep().onExecute((ctx) => ctx.with({ ok: true })).commit() });
      expect(execution.context).toEqual({ ok: true });
      await manager.destroy();
      await expect(manager.store.read('saga-x')).rejects.toThrow(/was destroyed/);
    });
  });
});

/** LISTEN is up when the server shows it: from then on no notice can be missed. */
const listening = async (db: pg.Client, store: PostgresEventStore): Promise<boolean> =>
  (await db.query('SELECT 1 FROM pg_stat_activity WHERE query = $1', [listenQuery(store.schema)])).rowCount === 1;

const listenQuery = (schema: string): string => `LISTEN "saga_events:${schema}"`;
