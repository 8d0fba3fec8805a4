import { afterAll } from 'vitest';
import { engineScenarios } from '@saga/testing';
import { PostgresEventStore } from './postgresEventStore.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
afterAll(() => server.stop());

// The scenarios expect a fresh, empty store per test (they look at listStreams): a schema each,
// all dropped when the file is done.
engineScenarios(
  'PostgresEventStore',
  async () => new PostgresEventStore({ connectionString: server.url ?? '', schema: server.freshSchema('engine'), pool: { max: 4 } }),
  server.skip === undefined ? {} : { skip: server.skip },
);
