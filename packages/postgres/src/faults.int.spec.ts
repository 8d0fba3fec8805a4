import { afterAll } from 'vitest';
import { InMemoryBroker } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { PostgresEventStore } from './postgresEventStore.js';
import { postgresTestServer } from './testServer.js';

// Issue 6's fault injection on the real store: crashes after each append, racing managers, … .
const server = await postgresTestServer();
afterAll(() => server.stop());

faultSuite(
  'PostgresEventStore + InMemoryBroker',
  async () => ({
    store: new PostgresEventStore({ connectionString: server.url ?? '', schema: server.freshSchema('faults'), pool: { max: 4 } }),
    broker: new InMemoryBroker(),
  }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1' },
);
