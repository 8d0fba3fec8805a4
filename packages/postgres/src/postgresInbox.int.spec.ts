// PostgresInbox on a real server: the inbox contract (fresh schema per test, the test's effects in a
// table of that schema, written through the inbox's transaction), and what only PostgreSQL shows:
// two processes handling the same request at once, the second blocked by the first's row.
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { SagaResponseStatus, type ReplyEnvelope } from '@saga/core';
import { inboxContract, uniqueName, waitFor } from '@saga/testing';
import { PostgresInbox } from './postgresInbox.js';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
afterAll(() => server.stop());
const url = server.url ?? '';

/** A schema with the test's own effects table, as a service's database would have beside the inbox. */
const effectsSchema = async (admin: pg.Pool): Promise<{ schema: string; write: (tx: pg.PoolClient, key: string) => Promise<void>; count: (key: string) => Promise<number> }> => {
  const schema = server.freshSchema('inbox');
  const table = `${quoteIdentifier(schema)}.effects`;
  await admin.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  await admin.query(`CREATE TABLE ${table} (key TEXT NOT NULL)`);
  return {
    schema,
    write: async (tx, key) => void (await tx.query(`INSERT INTO ${table} (key) VALUES ($1)`, [key])),
    count: async (key) => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE key = $1`, [key])).rows[0]?.n ?? 0),
  };
};

inboxContract(
  'PostgresInbox',
  async () => {
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    const { schema, write, count } = await effectsSchema(admin);
    return {
      inbox: new PostgresInbox({ connectionString: url, schema, pool: { max: 4 } }),
      reopen: async () => new PostgresInbox({ connectionString: url, schema, pool: { max: 4 } }),
      write,
      count,
      close: () => admin.end(),
    };
  },
  server.skip === undefined ? {} : { skip: server.skip },
);

const reply = (payload: string): ReplyEnvelope => ({ sagaId: 's1', requestId: 'r1', status: SagaResponseStatus.SUCCESS, relatedServices: ['stock'], payload });

describe.skipIf(server.skip !== undefined)('PostgresInbox across processes', () => {
  it('two processes get the same request at once: the second waits on the first one’s row, then answers from the inbox', async () => {
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    const { schema, write, count } = await effectsSchema(admin);
    const app = uniqueName('inbox-race');
    const first = new PostgresInbox({ connectionString: url, schema, pool: { max: 2, application_name: `${app}-a` } });
    const second = new PostgresInbox({ connectionString: url, schema, pool: { max: 2, application_name: `${app}-b` } });
    try {
      await first.setup();
      await second.setup();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let runs = 0;
      const request = { participant: 'stock', requestId: 'r1', sagaId: 's1' };
      const handle = (inbox: PostgresInbox, name: string) =>
        inbox.handleOnce(request, async (tx) => {
          runs += 1;
          await write(tx, 'r1');
          await gate;
          return { value: reply(name), keepEffects: true };
        });
      const one = handle(first, 'first');
      await waitFor(() => runs === 1, { message: 'the first delivery to run' });
      const two = handle(second, 'second');
      await waitFor(
        async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [`${app}-b`])).rowCount === 1,
        { message: 'the second delivery to wait for the first one’s row', timeoutMs: 10_000 },
      );
      release();
      expect(await Promise.all([one, two])).toEqual([
        { reply: reply('first'), duplicate: false },
        { reply: reply('first'), duplicate: true },
      ]);
      expect(runs).toBe(1);
      expect(await count('r1')).toBe(1);
    } finally {
      await first.destroy();
      await second.destroy();
      await admin.end();
    }
  });

  it('keeps its tables apart from the event store’s: its own migrations table, and setup twice is harmless', async () => {
    const schema = server.freshSchema('inbox');
    const inbox = new PostgresInbox({ connectionString: url, schema });
    const admin = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await inbox.setup();
      await inbox.setup();
      const other = new PostgresInbox({ connectionString: url, schema });
      await other.setup();
      await other.destroy();
      const tables = await admin.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]);
      expect(tables.rows.map((r) => r.table_name)).toEqual(['saga_inbox_migrations', 'saga_participant_inbox']);
    } finally {
      await inbox.destroy();
      await admin.end();
    }
  });
});
