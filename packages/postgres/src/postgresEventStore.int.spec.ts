import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  InMemoryBroker,
  InMemoryEventStore,
  Saga,
  SagaManager,
  SagaRequest,
  executionStream,
  indexEntryOf,
  isConcurrencyConflictError,
  isSagaError,
  silentLogger,
  type EventStore,
  type NewEvent,
} from '@saga/core';
import { eventStoreContract, FakeClock, uniqueName, waitFor } from '@saga/testing';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgresEventStore.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';
import { indexEntry } from '../test/fixtures/indexEntry.js';

const server = await postgresTestServer();
afterAll(() => server.stop());
const url = server.url ?? '';

// One schema for the whole contract suite: every test opens a new store (a new pool) on it, as
// successive processes would, and the streams of earlier tests are still there.
const contractSchema = server.freshSchema('contract');
eventStoreContract('PostgresEventStore', async () => new PostgresEventStore({ connectionString: url, schema: contractSchema, pool: { max: 5 } }), {
  ...(server.skip === undefined ? {} : { skip: server.skip }),
  // Positions are '<transaction id>:<global position>': a transaction a billion ids later is past the end.
  positionPastEnd: (head) => {
    const [transactionId, position] = (head ?? '0:0').split(':');
    return `${BigInt(transactionId ?? '0') + 1_000_000_000n}:${position ?? '0'}`;
  },
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

  /** Notifications as they reach the stores' own connections (their LISTEN connections), in order. */
  const unwatch: Array<() => void> = [];
  const watchNotices = (): Array<{ readonly channel: string; readonly payload: string }> => {
    const arrived: Array<{ channel: string; payload: string }> = [];
    const prototype = pg.Client.prototype as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
    const emit = prototype.emit;
    prototype.emit = function (this: pg.Client, event, ...args) {
      if (event === 'notification' && !admins.includes(this)) {
        const { channel, payload } = args[0] as pg.Notification;
        arrived.push({ channel, payload: payload ?? '' });
      }
      return emit.call(this, event, ...args);
    };
    unwatch.push(() => {
      prototype.emit = emit;
    });
    return arrived;
  };
  /** One turn of the event loop: a notice that arrived has been told (or skipped) by then. */
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  afterEach(async () => {
    for (const restore of unwatch.splice(0).reverse()) restore();
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
      expect(tables.rows.map((r) => r.table_name)).toEqual(['saga_events', 'saga_executions', 'saga_schema_migrations']);
      const versions = await db.query<{ version: number }>(`SELECT version FROM ${quoteIdentifier(schema)}.saga_schema_migrations ORDER BY version`);
      expect(versions.rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
      // Version 4: room on the index table's pages for HOT updates between the steps of an execution.
      const options = await db.query<{ reloptions: string[] | null }>(
        "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'saga_executions'",
        [schema],
      );
      expect(options.rows[0]?.reloptions).toEqual(['fillfactor=70']);
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
        ['transaction_id', 'xid8'],
      ]);
      const indexes = await db.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema]);
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        'saga_events_global_order',
        'saga_events_pkey',
        'saga_events_stream_created',
        'saga_events_stream_revision',
        'saga_executions_due',
        'saga_executions_newest',
        'saga_executions_pkey',
        'saga_executions_status',
        'saga_schema_migrations_pkey',
      ]);
    });

    it('lets several stores set up one new schema at once', async () => {
      const schema = server.freshSchema();
      const stores = Array.from({ length: 5 }, () => new PostgresEventStore({ connectionString: url, schema, pool: { max: 2 } }));
      opened.push(...stores);
      await Promise.all(stores.map((store) => store.setup()));
      const db = await admin();
      const versions = await db.query(`SELECT version FROM ${quoteIdentifier(schema)}.saga_schema_migrations`);
      expect(versions.rowCount).toBe(4);
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

    // Replacement patterns of String.replace: a migration once put `$$` → `$` and `$&` → `$schema`
    // into the DDL, and ran it in whichever schema that named.
    it.each([
      ['a$$b', (name: string) => name.replaceAll('$$', '$')],
      ['a$&b', (name: string) => name.replaceAll('$&', '$schema')],
      ["$'x", (name: string) => name.replaceAll("$'", '')],
      ['$`x', (name: string) => name.replaceAll('$`', '')],
    ])('creates its tables in a schema named %j, not in the schema a replacement pattern would name', async (label, decoyOf) => {
      const schema = server.freshSchema(label);
      const decoy = decoyOf(schema);
      const db = await admin();
      await db.query(`CREATE SCHEMA ${quoteIdentifier(decoy)}`);
      try {
        const store = await open({ schema });
        await store.append('saga-pattern', [{ type: 'A', data: { n: 1 } }], 'no_stream');
        expect((await store.read('saga-pattern')).map((event) => event.data)).toEqual([{ n: 1 }]);
        const tablesIn = async (name: string): Promise<string[]> =>
          (await db.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [name])).rows.map(
            (row) => row.table_name,
          );
        expect(await tablesIn(schema)).toEqual(['saga_events', 'saga_executions', 'saga_schema_migrations']);
        expect(await tablesIn(decoy)).toEqual([]);
      } finally {
        await db.query(`DROP SCHEMA ${quoteIdentifier(decoy)} CASCADE`);
      }
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

    // Hostile passwords (an unescaped '@', ':', '%', or ?password= in the query), and a message that
    // speaks to the application's user: this repository's test variable means nothing to them.
    it.each([
      ['postgres://saga:s3cr@t:x%y@127.0.0.1:1/orders'],
      ['postgres://saga@127.0.0.1:1/orders?password=s3cr3t&x=1'],
      ['postgres://saga:s3cr3t@127.0.0.1:1/orders?sslmode=disable&password=s3cr3t'],
    ])('fails setup of an unreachable %s naming the host, never the password', async (connectionString) => {
      const store = new PostgresEventStore({ connectionString, retry: { retries: 0 } });
      opened.push(store);
      const error = await store.setup().catch((e: unknown) => e);
      expect(isSagaError(error)).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain('127.0.0.1:1/orders');
      expect(message).toContain('SAGA_STORE_URL');
      expect(message).not.toMatch(/s3cr|x%y/);
      expect(message).not.toContain('SAGA_TEST_POSTGRES_URL');
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
      expect((error as Error).message).not.toContain('SAGA_TEST_POSTGRES_URL');
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
      // The store's own pool, counting the append statements it is sent: a retry would send it again.
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      const appends: string[] = [];
      const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
      (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args) => {
        const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '');
        if (text.includes('INSERT INTO') && text.includes('saga_events')) appends.push(text);
        return query(...args);
      };
      try {
        const store = await open({ pool, retry: { retries: 5, minDelayMs: 20, maxDelayMs: 20 } });
        await store.append('saga-conflict', [{ type: 'A', data: {} }], 'no_stream');
        expect(appends).toHaveLength(1);
        await expect(store.append('saga-conflict', [{ type: 'B', data: {} }], 'no_stream')).rejects.toSatisfy(isConcurrencyConflictError);
        expect(appends, 'the conflicting append was sent once').toHaveLength(2);
        await store.destroy();
      } finally {
        await pool.end();
      }
    });

    it('uses a pool it is given without ending it', async () => {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      try {
        const store = await open({ pool });
        await store.append('saga-given-pool', [{ type: 'A', data: {} }], 'no_stream');
        await store.destroy();
        expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        await expect(store.read('saga-given-pool')).rejects.toThrow(/was destroyed/);
        expect(() => store.onAppended(() => {})).toThrow(/was destroyed/);
      } finally {
        await pool.end();
      }
    });
  });

  describe('onAppended (LISTEN/NOTIFY)', () => {
    it("tells its listeners of its own appends at once, and of another store's appends through NOTIFY", async () => {
      // The only LISTEN connection here is the listener's: what arrives on it is what it hears.
      const arrived = watchNotices();
      const schema = server.freshSchema();
      const listener = await open({ schema });
      const writer = await open({ schema });
      let told = 0;
      listener.onAppended(() => (told += 1));
      const db = await admin();
      await waitFor(() => listening(db, listener), { message: 'the LISTEN connection' });
      await waitFor(() => told >= 1, { message: 'the notice that LISTEN is up' });
      told = 0;
      await listener.append('saga-own', [{ type: 'A', data: {} }], 'no_stream');
      await Promise.resolve();
      expect(told).toBe(1);
      // Its own NOTIFY comes back on its LISTEN connection (awaited there, not for a while), and is
      // skipped: it is not told twice.
      const own = await waitFor(() => arrived[0], { message: 'its own NOTIFY back on its LISTEN connection' });
      await turn();
      expect(told, 'told again by its own NOTIFY').toBe(1);
      await writer.append('saga-other', [{ type: 'A', data: {} }], 'no_stream');
      await waitFor(() => told >= 2, { message: "the notice of the other store's append" });
      expect(arrived).toHaveLength(2);
      expect(arrived[1]?.payload, "the other store's NOTIFY").not.toBe(own.payload);
      expect(told).toBe(2);
    });

    it('sends its NOTIFYs after the appends, coalesced, with its id as the payload', async () => {
      const store = await open();
      const db = await admin();
      const channel = `saga_events:${store.schema}`;
      const heard: string[] = [];
      db.on('notification', (message) => heard.push(message.payload ?? ''));
      await db.query(`LISTEN ${quoteIdentifier(channel)}`);
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(`saga-burst-${i}`, [{ type: 'A', data: {} }], 'no_stream')));
      await waitFor(() => heard.length >= 1, { message: 'a NOTIFY' });
      // Destroyed, the store has sent every NOTIFY it will ever send; a NOTIFY sent after that
      // arrives after them (PostgreSQL delivers in commit order): once it is heard, all were.
      await store.destroy();
      const fence = uniqueName('fence-');
      await (await admin()).query('SELECT pg_notify($1, $2)', [channel, fence]);
      await waitFor(() => heard.includes(fence), { message: 'the NOTIFY sent after the store was destroyed' });
      const fromStore = heard.slice(0, heard.indexOf(fence));
      expect(fromStore.length).toBeLessThan(20);
      expect(new Set(fromStore).size).toBe(1);
      expect(fromStore[0]).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('lets an append carry its NOTIFY (heard once, from its commit); an append that writes nothing sends none', async () => {
      // The store's own pool, watched: a NOTIFY sent alone would be a query of its own.
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      const alone: string[] = [];
      const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
      Object.assign(pool, {
        query: (...args: unknown[]) => {
          const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string }).text;
          if (text?.includes('pg_notify') && !text.includes('saga_events')) alone.push(text);
          return query(...args);
        },
      });
      const store = await open({ pool });
      const db = await admin();
      const channel = `saga_events:${store.schema}`;
      const heard: string[] = [];
      db.on('notification', (message) => heard.push(message.payload ?? ''));
      await db.query(`LISTEN ${quoteIdentifier(channel)}`);
      await store.append('saga-carrier', [{ type: 'A', data: {} }], 'no_stream');
      await waitFor(() => heard.length === 1, { message: 'the NOTIFY the append carried' });
      // Due again, the next append carries one too, but it conflicts: nothing written, nothing heard.
      await new Promise((resolve) => setTimeout(resolve, 30));
      await expect(store.append('saga-carrier', [{ type: 'B', data: {} }], 5)).rejects.toSatisfy(isConcurrencyConflictError);
      const fence = uniqueName('fence-');
      await new Promise((resolve) => setTimeout(resolve, 50));
      await (await admin()).query('SELECT pg_notify($1, $2)', [channel, fence]);
      await waitFor(() => heard.includes(fence), { message: 'the fence NOTIFY' });
      expect(heard.slice(0, heard.indexOf(fence)), 'one NOTIFY, from the append that wrote').toHaveLength(1);
      expect(alone, 'no NOTIFY sent alone').toEqual([]);
      await store.destroy();
      await pool.end();
    });

    it('holds one LISTEN connection for all its listeners, and lets it go when the last one leaves', async () => {
      const store = await open();
      const db = await admin();
      const stops = [store.onAppended(() => {}), store.onAppended(() => {}), store.onAppended(() => {})];
      await waitFor(() => listening(db, store));
      expect(await listenConnections(db, store)).toBe(1);
      for (const stop of stops) stop();
      await waitFor(async () => (await listenConnections(db, store)) === 0, { message: 'the LISTEN connection to close' });
      store.onAppended(() => {});
      await waitFor(() => listening(db, store), { message: 'a new LISTEN connection' });
    });

    it('does not hear the appends of another schema', async () => {
      // The only LISTEN connection here is the store's: what arrives on it is what it hears.
      const arrived = watchNotices();
      const store = await open();
      const other = await open();
      let told = 0;
      store.onAppended(() => (told += 1));
      const db = await admin();
      await waitFor(() => listening(db, store));
      await waitFor(() => told >= 1);
      told = 0;
      const elsewhere: string[] = [];
      db.on('notification', (message) => elsewhere.push(message.payload ?? ''));
      await db.query(`LISTEN ${quoteIdentifier(`saga_events:${other.schema}`)}`);
      await other.append('saga-elsewhere', [{ type: 'A', data: {} }], 'no_stream');
      // Heard here, the other schema's NOTIFY is committed: had it reached the store, it would reach
      // it before the witness's, which is sent after (PostgreSQL delivers in commit order).
      const [otherPayload] = await waitFor(() => (elsewhere.length > 0 ? elsewhere : undefined), { message: "the other schema's NOTIFY" });
      const witness = await open({ schema: store.schema });
      await witness.append('saga-witness', [{ type: 'A', data: {} }], 'no_stream');
      await waitFor(() => told >= 1, { message: 'the notice of the same schema' });
      await waitFor(() => arrived.some((notice) => notice.payload !== otherPayload), { message: "the witness's NOTIFY on the store's LISTEN connection" });
      await turn();
      expect(arrived.map((notice) => notice.payload)).not.toContain(otherPayload);
      expect(arrived.every((notice) => notice.channel === `saga_events:${store.schema}`)).toBe(true);
      expect(told).toBe(1);
    });

    it('reconnects when its LISTEN connection dies, and tells its listeners once it is back', async () => {
      const schema = server.freshSchema();
      const store = await open({ schema });
      const writer = await open({ schema });
      let told = 0;
      store.onAppended(() => (told += 1));
      const db = await admin();
      await waitFor(() => listening(db, store));
      await waitFor(() => told >= 1);
      const killed = await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [listenQuery(schema)]);
      expect(killed.rowCount).toBe(1);
      told = 0;
      // Appended while the listener may be disconnected: covered by the notice after reconnecting.
      await writer.append('saga-meanwhile', [{ type: 'A', data: {} }], 'no_stream');
      await waitFor(() => told >= 1, { timeoutMs: 10_000, message: 'a notice' });
      await waitFor(() => listening(db, store), { timeoutMs: 10_000, message: 'a new LISTEN connection' });
      const before = told;
      await writer.append('saga-meanwhile', [{ type: 'B', data: {} }], 0);
      await waitFor(() => told > before, { message: 'the notice on the new connection' });
    });
  });

  describe('global order', () => {
    const insertSql = (schema: string, stream: string): string =>
      `INSERT INTO ${quoteIdentifier(schema)}.saga_events (stream_id, revision, event_id, type, data, metadata, recorded_at)
       VALUES ('${stream}', 0, NULL, 'A', '{}', '{}', now()) RETURNING global_position::text AS position`;

    const readEverything = async (store: EventStore, after?: string): Promise<{ streams: string[]; position?: string }> => {
      const streams: string[] = [];
      let position = after;
      for (;;) {
        const page = await store.readAll({ limit: 2, ...(position === undefined ? {} : { after: position }) });
        streams.push(...page.events.map((e) => e.stream));
        if (page.events.length === 0) return position === undefined ? { streams } : { streams, position };
        position = page.position;
      }
    };

    /**
     * What `read` gives once it satisfies `done`. An append becomes readable when every transaction
     * older than its own has ended, and other jobs on a shared test server hold transactions open for
     * a moment: immediately after an append, its events may not be readable yet.
     */
    const eventually = async <T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
      let value = await read();
      await waitFor(async () => done((value = await read())), { message: 'the events to become readable' });
      return value;
    };

    it('does not skip a row whose transaction commits after one with a higher global_position', async () => {
      const store = await open();
      await store.append('saga-first', [{ type: 'A', data: {} }], 'no_stream');
      const start = await eventually(() => readEverything(store), (read) => read.streams.length === 1);
      expect(start.streams).toEqual(['saga-first']);
      const late = await admin();
      const early = await admin();
      // `late` inserts first (the lower global_position) and commits last.
      await late.query('BEGIN');
      const lowPosition = (await late.query<{ position: string }>(insertSql(store.schema, 'saga-late'))).rows[0]?.position;
      await early.query('BEGIN');
      const highPosition = (await early.query<{ position: string }>(insertSql(store.schema, 'saga-early'))).rows[0]?.position;
      await early.query('COMMIT');
      expect(Number(lowPosition)).toBeLessThan(Number(highPosition));
      // A reader of `global_position > X` would now read saga-early and move past saga-late for good.
      // This one waits: saga-early is held back while an older transaction is open.
      const meanwhile = await readEverything(store, start.position);
      expect(meanwhile.streams).toEqual([]);
      expect(await store.headPosition()).toBe(start.position);
      await late.query('COMMIT');
      const after = await eventually(() => readEverything(store, meanwhile.position ?? start.position), (read) => read.streams.length === 2);
      expect(after.streams).toEqual(['saga-late', 'saga-early']);
      expect((await readEverything(store)).streams).toEqual(['saga-first', 'saga-late', 'saga-early']);
    });

    it('orders by transaction: a transaction that began first comes first, whatever the positions', async () => {
      const store = await open();
      const older = await admin();
      const newer = await admin();
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()'); // takes its transaction id now
      await newer.query('BEGIN');
      await newer.query(insertSql(store.schema, 'saga-newer')); // the lower global_position
      await older.query(insertSql(store.schema, 'saga-older'));
      await newer.query('COMMIT');
      expect((await readEverything(store)).streams).toEqual([]);
      await older.query('COMMIT');
      const page = await eventually(() => store.readAll(), (read) => read.events.length === 2);
      expect(page.events.map((e) => e.stream)).toEqual(['saga-older', 'saga-newer']);
      expect(page.position).toBe(page.events.at(-1)?.position);
    });

    it('gives "<transaction>:<position>" positions, continues past other prefixes, and refuses positions it never gave', async () => {
      const store = await open();
      expect(await store.headPosition()).toBeUndefined();
      expect(await store.readAll()).toEqual({ events: [] });
      await store.append('saga-a', [{ type: 'A', data: {} }, { type: 'B', data: {} }], 'no_stream');
      await store.append('other-b', [{ type: 'A', data: {} }], 'no_stream');
      const all = await eventually(() => store.readAll({ prefix: '' }), (read) => read.events.length === 3);
      expect(all.events.map((e) => [e.stream, e.revision])).toEqual([
        ['saga-a', 0],
        ['saga-a', 1],
        ['other-b', 0],
      ]);
      for (const event of all.events) expect(event.position).toMatch(/^\d+:\d+$/);
      const [first, second] = all.events;
      // One append, one transaction.
      expect(first?.position.split(':')[0]).toBe(second?.position.split(':')[0]);
      const head = await store.headPosition();
      expect(head).toBe(all.events.at(-1)?.position);
      // Only saga- streams by default; the position moves past the other stream's event all the same.
      const sagas = await store.readAll();
      expect(sagas.events.map((e) => e.stream)).toEqual(['saga-a', 'saga-a']);
      expect(sagas.position).toBe(head);
      expect(await store.readAll({ after: head ?? '' })).toEqual({ events: [], position: head });
      await expect(store.readAll({ after: '17' })).rejects.toThrow(/'17' is not a position of this store/);
      await expect(store.readAll({ after: '1:2:3' })).rejects.toThrow(/'1:2:3' is not a position/);
      await expect(store.readAll({ after: '18446744073709551616:1' })).rejects.toThrow(/is not a position/);
      const [tx, position] = (head ?? '').split(':');
      const pastEnd = `${tx}:${Number(position) + 1}`;
      await expect(store.readAll({ after: pastEnd })).rejects.toThrow(new RegExp(`position ${pastEnd} is past the end of the store \\(its last is ${head}\\)`));
      await expect(store.readAll({ after: `${BigInt(tx ?? 0) + 1000n}:1` })).rejects.toThrow(/past the end/);
    });
  });

  describe('execution index', () => {
    const entry = indexEntry;

    it('writes the entry in the append, and nothing for an append that conflicts or fails', async () => {
      const store = await open();
      await store.append('saga-x1', [{ type: 'A', data: {} }], 'no_stream', { index: entry('x1') });
      expect(await store.index.get('x1')).toEqual(entry('x1'));
      await expect(store.append('saga-x1', [{ type: 'B', data: {} }], 'no_stream', { index: entry('x1', { revision: 1, status: 'finished' }) })).rejects.toSatisfy(
        isConcurrencyConflictError,
      );
      await expect(store.append('saga-x1', [{ type: 'B', data: {} }], 5, { index: entry('x1', { revision: 6, status: 'finished' }) })).rejects.toSatisfy(
        isConcurrencyConflictError,
      );
      await expect(store.append('saga-x1', [{ type: 'B', data: { text: '\u0000' } }], 0, { index: entry('x1', { revision: 1, status: 'finished' }) })).rejects.toThrow(
        /\\u0000/,
      );
      expect(await store.index.get('x1')).toEqual(entry('x1'));
      await store.append('saga-x1', [{ type: 'B', data: {} }], 0, { index: entry('x1', { revision: 1, status: 'finished', open: false }) });
      expect(await store.index.get('x1')).toEqual(entry('x1', { revision: 1, status: 'finished', open: false }));
      // Refused before anything is written.
      await expect(store.append('saga-x2', [{ type: 'A', data: {} }], 'no_stream', { index: { ...entry('x2'), startedAt: 'yesterday' } })).rejects.toThrow(
        /startedAt/,
      );
      expect(await store.read('saga-x2')).toEqual([]);
    });

    it('keeps the lease when an append or put rewrites the entry', async () => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const store = await open({ clock });
      await store.append('saga-l1', [{ type: 'A', data: {} }], 'no_stream', { index: entry('l1') });
      expect(await store.index.claim({ service: 'order', owner: 'w1', leaseMs: 60_000 })).toHaveLength(1);
      await store.append('saga-l1', [{ type: 'B', data: {} }], 0, { index: entry('l1', { revision: 1 }) });
      await store.index.put([entry('l1', { revision: 1, waitingFor: null })]);
      expect(await store.index.claim({ service: 'order', owner: 'w2', leaseMs: 60_000 })).toEqual([]);
      expect(await store.index.claim({ service: 'order', owner: 'w1', leaseMs: 60_000 })).toEqual([]);
      clock.advance(60_000);
      expect(await store.index.claim({ service: 'order', owner: 'w2', leaseMs: 60_000 })).toEqual([entry('l1', { revision: 1, waitingFor: null })]);
    });

    it('lets 4 owners claiming at once take disjoint sets, and an expired lease go to another owner', async () => {
      const schema = server.freshSchema();
      const store = await open({ schema, pool: { max: 8 } });
      const ids = Array.from({ length: 60 }, (_, i) => `c${String(i).padStart(2, '0')}`);
      await store.index.put(ids.map((id, i) => entry(id, { nextDueAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString() })));
      await store.index.put([entry('closed', { open: false }), entry('elsewhere', { service: 'payment' })]);
      // Four processes, each its own store, four rounds of claims of 10.
      const owners = await Promise.all(['w1', 'w2', 'w3', 'w4'].map(async (owner) => ({ owner, store: await open({ schema, pool: { max: 2 } }) })));
      const claimed = new Map<string, string[]>(owners.map(({ owner }) => [owner, []]));
      await Promise.all(
        owners.map(async ({ owner, store: own }) => {
          for (let round = 0; round < 4; round += 1) {
            const got = await own.index.claim({ service: 'order', owner, leaseMs: 60_000, limit: 5 });
            claimed.get(owner)?.push(...got.map((e) => e.executionId));
          }
        }),
      );
      // 4 owners × 4 rounds × 5: 80 asked, 60 there. Nobody got an entry twice, nor one another got.
      const all = [...claimed.values()].flat();
      expect(all.length).toBeLessThanOrEqual(60);
      expect(new Set(all).size).toBe(all.length);
      expect(all.every((id) => ids.includes(id))).toBe(true);
      for (const list of claimed.values()) expect(list.length).toBeGreaterThan(0);

      // What is left goes to a fifth owner; nothing more while the leases last; everything once they expired.
      const rest = await store.index.claim({ service: 'order', owner: 'w5', leaseMs: 60_000, limit: 100 });
      expect([...all, ...rest.map((e) => e.executionId)].sort()).toEqual(ids);
      expect(await store.index.claim({ service: 'order', owner: 'w5', leaseMs: 60_000, limit: 100 })).toEqual([]);
      const db = await admin();
      await db.query(`UPDATE ${quoteIdentifier(schema)}.saga_executions SET lease_until = now() - interval '1 second'`);
      const retaken = await store.index.claim({ service: 'order', owner: 'w1', leaseMs: 60_000, limit: 100 });
      expect(retaken.map((e) => e.executionId)).toEqual(ids);
    });

    it('claims earliest due first, only due ones with dueBefore, and leases on the injected clock when it has one', async () => {
      const clock = new FakeClock('2030-01-01T00:00:00.000Z');
      const store = await open({ clock });
      await store.index.put([
        entry('late', { nextDueAt: '2030-01-01T00:05:00.000Z' }),
        entry('none', { nextDueAt: null }),
        entry('soon', { nextDueAt: '2030-01-01T00:01:00.000Z' }),
      ]);
      expect((await store.index.claim({ service: 'order', owner: 'a', leaseMs: 1_000, dueBefore: '2030-01-01T00:02:00.000Z' })).map((e) => e.executionId)).toEqual([
        'soon',
      ]);
      expect((await store.index.claim({ service: 'order', owner: 'b', leaseMs: 1_000 })).map((e) => e.executionId)).toEqual(['late', 'none']);
      clock.advance(1_001);
      expect((await store.index.claim({ service: 'order', owner: 'c', leaseMs: 1_000, limit: 2 })).map((e) => e.executionId)).toEqual(['soon', 'late']);
    });

    it('pages newest first with ties broken by execution id in code-point order', async () => {
      const store = await open();
      const ids = ['B', 'a', 'A', 'b', 'é', 'Z'];
      await store.index.put(ids.map((id) => entry(id)));
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await store.index.query({ limit: 4, ...(after === undefined ? {} : { after }) });
        seen.push(...page.entries.map((e) => e.executionId));
        after = page.nextCursor;
      } while (after !== undefined);
      expect(seen).toEqual([...ids].sort().reverse());
    });

    it('answers a listing of a service from the status index and a due query from the partial index', async () => {
      const store = await open();
      const db = await admin();
      await db.query(`SET enable_seqscan = off`);
      const table = `${quoteIdentifier(store.schema)}.saga_executions`;
      const plan = async (sql: string): Promise<string> => (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(await plan(`SELECT * FROM ${table} ORDER BY started_at DESC, execution_id DESC LIMIT 10`)).toMatch(/saga_executions_newest/);
      expect(await plan(`SELECT * FROM ${table} WHERE status = 'running' ORDER BY started_at DESC, execution_id DESC LIMIT 10`)).toMatch(/saga_executions_status/);
      expect(await plan(`SELECT * FROM ${table} WHERE service = 'order' AND open AND next_due_at <= now() ORDER BY next_due_at LIMIT 10`)).toMatch(
        /saga_executions_due/,
      );
    });
  });

  describe('upgrade from schema version 1', () => {
    it('migrates a store written by version 1: the index holds its executions, old events come first in the global order', async () => {
      // Executions as the engine writes them, in memory, then copied as version 1 rows.
      const memory = new InMemoryEventStore();
      const manager = new SagaManager({ store: memory, broker: new InMemoryBroker(), service: 'order' });
      await manager.setup();
      const finished = await manager.run({ definition: new Saga('local_one').localStep().onExecute((ctx) => ctx.with({ ok: true })).commit(), user: 'ann' });
      const waiting = await manager.run({
        definition: new Saga('remote_one').remoteStep().onExecute(() => new SagaRequest('nobody.listens', { sku: 'A1' })).commit(),
        pauseOnDisk: true,
      });
      const expected = [indexEntryOf(await manager.get(finished.id)), indexEntryOf(await manager.get(waiting.id))];
      const histories = await Promise.all([finished.id, waiting.id].map((id) => memory.read(executionStream(id))));
      await manager.destroy();

      const schema = server.freshSchema('upgrade');
      const quoted = quoteIdentifier(schema);
      const db = await admin();
      await db.query(`CREATE SCHEMA ${quoted}`);
      await db.query(versionOneSql.replaceAll('$schema', quoted));
      const insert = async (stream: string, revision: number, type: string, data: unknown, recordedAt: string): Promise<void> => {
        await db.query(
          `INSERT INTO ${quoted}.saga_events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES ($1, $2, $3, $4, $5::jsonb, '{}', $6)`,
          [stream, revision, `id-${stream}-${revision}`, type, JSON.stringify(data), recordedAt],
        );
      };
      for (const history of histories) for (const e of history) await insert(e.stream, e.revision, e.type, e.data, e.recordedAt);
      await insert('saga-broken', 0, 'SomethingElse', { path: '0' }, '2030-01-01T00:00:00.000Z');
      await insert('orders-not-a-saga', 0, 'OrderPlaced', {}, '2030-01-01T00:00:00.000Z');
      const oldRows = histories.flat().length + 2;

      const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
      const logger = { ...silentLogger, warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }) };
      const store = await open({ schema, logger });
      const versions = await db.query<{ version: number }>(`SELECT version FROM ${quoted}.saga_schema_migrations ORDER BY version`);
      expect(versions.rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);

      expect(await store.index.get(finished.id)).toEqual(expected[0]);
      expect(await store.index.get(waiting.id)).toEqual(expected[1]);
      expect(expected[0]).toMatchObject({ status: 'finished', open: false, user: 'ann', definitionName: 'local_one' });
      expect(expected[1]).toMatchObject({ open: true, waitingFor: 'reply from nobody.listens', definitionName: 'remote_one' });
      expect((await store.index.query()).entries.map((e) => e.executionId).sort()).toEqual([finished.id, waiting.id].sort());
      expect((await store.index.claim({ service: 'order', owner: 'w', leaseMs: 1_000 })).map((e) => e.executionId)).toEqual([waiting.id]);
      // The stream that does not decode is skipped, and said so.
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.fields).toMatchObject({ indexed: 2, skipped: 1, streams: [{ stream: 'saga-broken' }] });
      expect(warnings[0]?.message).toMatch(/saga verify --all/);

      // Old rows have transaction id 0: first, in global_position order; new appends follow.
      await store.append('saga-new', [{ type: 'A', data: {} }], 'no_stream');
      // Readable once every older transaction on the (shared) server has ended.
      let page = await store.readAll({ prefix: '' });
      await waitFor(async () => (page = await store.readAll({ prefix: '' })).events.length === oldRows + 1, { message: 'the new append to be readable' });
      expect(page.events).toHaveLength(oldRows + 1);
      expect(page.events.slice(0, oldRows).map((e) => e.position)).toEqual(Array.from({ length: oldRows }, (_, i) => `0:${i + 1}`));
      expect(page.events.at(-1)).toMatchObject({ stream: 'saga-new', position: expect.stringMatching(/^[1-9]\d*:\d+$/) });
      expect(await store.headPosition()).toBe(page.events.at(-1)?.position);
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

/** The version 1 tables, as @saga/postgres 0.1 created them (migrations.ts, version 1). */
const versionOneSql = `
  CREATE TABLE $schema.saga_events (
    global_position BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       TEXT        NOT NULL,
    revision        INTEGER     NOT NULL CHECK (revision >= 0),
    event_id        TEXT,
    type            TEXT        NOT NULL,
    data            JSONB       NOT NULL,
    metadata        JSONB       NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT saga_events_stream_revision UNIQUE (stream_id, revision)
  );
  CREATE INDEX saga_events_stream_created ON $schema.saga_events (global_position) WHERE revision = 0;
  CREATE TABLE $schema.saga_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
  INSERT INTO $schema.saga_schema_migrations (version) VALUES (1);
`;

const listenConnections = async (db: pg.Client, store: PostgresEventStore): Promise<number> =>
  (await db.query('SELECT 1 FROM pg_stat_activity WHERE query = $1', [listenQuery(store.schema)])).rowCount ?? 0;

/** LISTEN is up when the server shows it: from then on no notice can be missed. */
const listening = async (db: pg.Client, store: PostgresEventStore): Promise<boolean> =>
  (await db.query('SELECT 1 FROM pg_stat_activity WHERE query = $1', [listenQuery(store.schema)])).rowCount === 1;

const listenQuery = (schema: string): string => `LISTEN "saga_events:${schema}"`;
