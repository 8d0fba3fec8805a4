import { afterAll } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { NatsBroker } from './natsBroker.js';
import { natsTestServer } from './testServer.js';

// Issue 6's fault injection over a real broker: duplicates, reordering, redelivery storms, … .
const server = await natsTestServer();
afterAll(() => server.stop());

faultSuite(
  'InMemoryEventStore + NatsBroker',
  async () => ({ store: new InMemoryEventStore(), broker: new NatsBroker({ url: server.url ?? '', ...server.naming }) }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1' },
);
