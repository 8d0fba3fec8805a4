/**
 * How this package's integration tests find a PostgreSQL server (not part of the public API, not
 * built into dist): `testServer` from @saga/testing on SAGA_TEST_POSTGRES_URL, else the server on
 * 127.0.0.1:5432 (database `test`), plus a fresh schema per test that `stop()` drops.
 *
 *   const server = await postgresTestServer();          // once per test file, at the top level
 *   eventStoreContract('…', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 */
import { randomUUID } from 'node:crypto';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { testServer, type TestServer } from '@saga/testing';
import { quoteIdentifier } from './sqlIdentifiers.js';

export const urlVariable = 'SAGA_TEST_POSTGRES_URL';
const imageVariable = 'SAGA_TEST_POSTGRES_IMAGE';
const defaultImage = 'postgres:16-alpine';

export interface PostgresTestServer extends TestServer {
  /** A schema name no other test uses; `stop()` drops every schema it handed out. */
  freshSchema(label?: string): string;
  /** Drops the schemas handed out, and stops the container if one was started. */
  stop(): Promise<void>;
}

const dropSchemas = async (url: string, schemas: readonly string[]): Promise<void> => {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
};

export const postgresTestServer = async (): Promise<PostgresTestServer> => {
  const server = await testServer({
    name: 'PostgreSQL',
    variable: urlVariable,
    example: 'postgres://user@host:5432/database',
    local: 'postgres://postgres@127.0.0.1:5432/test',
    start: async () => {
      const container = await new PostgreSqlContainer(process.env[imageVariable] ?? defaultImage).start();
      return { url: container.getConnectionUri(), stop: () => container.stop() };
    },
  });
  const schemas: string[] = [];
  return {
    ...server,
    freshSchema: (label = 'test') => {
      const schema = `saga_${label}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      return schema;
    },
    stop: async () => {
      if (server.url !== undefined) await dropSchemas(server.url, schemas.splice(0));
      await server.stop();
    },
  };
};
