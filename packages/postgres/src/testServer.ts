/**
 * How this package's integration tests find a PostgreSQL server (not part of the public API, not
 * built into dist): SAGA_TEST_POSTGRES_URL, else a Testcontainers PostgreSQL when a container
 * runtime answers, else the suites are skipped with one line saying what to set.
 *
 *   const server = await postgresTestServer();          // once per test file, at the top level
 *   eventStoreContract('…', makeStore, { skip: server.skip });
 *   afterAll(() => server.stop());
 */
import { randomUUID } from 'node:crypto';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { getContainerRuntimeClient } from 'testcontainers';
import { quoteIdentifier } from './sqlIdentifiers.js';

export const urlVariable = 'SAGA_TEST_POSTGRES_URL';
const imageVariable = 'SAGA_TEST_POSTGRES_IMAGE';
const defaultImage = 'postgres:16-alpine';

export interface PostgresTestServer {
  /** The server's URL; undefined when the suites are skipped. */
  readonly url: string | undefined;
  /** Why the suites are skipped, naming the variable to set; undefined when they run. */
  readonly skip: string | undefined;
  /** Where the server came from. */
  readonly source: 'environment' | 'testcontainers' | 'none';
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

const serverAt = (url: string | undefined, source: PostgresTestServer['source'], skip: string | undefined, stopContainer: () => Promise<unknown>): PostgresTestServer => {
  const schemas: string[] = [];
  return {
    url,
    skip,
    source,
    freshSchema: (label = 'test') => {
      const schema = `saga_${label}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      schemas.push(schema);
      return schema;
    },
    stop: async () => {
      if (url !== undefined) await dropSchemas(url, schemas.splice(0));
      await stopContainer();
    },
  };
};

export const postgresTestServer = async (): Promise<PostgresTestServer> => {
  const explicit = process.env[urlVariable]?.trim();
  if (explicit) return serverAt(explicit, 'environment', undefined, async () => undefined);
  try {
    // Throws when no Docker/Podman answers; asked once per test file.
    await getContainerRuntimeClient();
  } catch {
    const skip = `no PostgreSQL: set ${urlVariable}=postgres://user@host:5432/database, or start a container runtime for Testcontainers`;
    console.warn(`[@saga/postgres] integration tests skipped: ${skip}`);
    return serverAt(undefined, 'none', skip, async () => undefined);
  }
  const container = await new PostgreSqlContainer(process.env[imageVariable] ?? defaultImage).start();
  return serverAt(container.getConnectionUri(), 'testcontainers', undefined, () => container.stop());
};
