import { afterAll } from 'vitest';
import { InMemoryBroker } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { PostgresEventStore } from './postgresEventStore.js';
import { PostgresInbox } from './postgresInbox.js';
import { postgresTestServer } from './testServer.js';

// Issue 6's fault injection on the real store: crashes after each append, racing managers, … .
const server = await postgresTestServer();
afterAll(() => server.stop());

faultSuite(
  'PostgresEventStore + InMemoryBroker',
  async () => {
    const schema = server.freshSchema('faults');
    return {
      store: new PostgresEventStore({ connectionString: server.url ?? '', schema, pool: { max: 4 } }),
      broker: new InMemoryBroker(),
      // The restarted participant's inbox: its records outlive the participant object.
      inbox: () => new PostgresInbox({ connectionString: server.url ?? '', schema, pool: { max: 4 } }),
    };
  },
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1' },
);
