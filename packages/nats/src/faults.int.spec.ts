import { afterAll } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { NatsBroker } from './natsBroker.js';
import { natsBacklog } from './testBacklog.js';
import { natsTestServer } from './testServer.js';

// Issue 6's fault injection over a real broker: duplicates, reordering, redelivery storms, … .
const server = await natsTestServer();
// "Nothing more arrives" is read from the durable consumers (see testBacklog.ts), not waited out.
const consumers = server.url === undefined ? undefined : await natsBacklog(server.url, server.naming);
afterAll(async () => {
  await consumers?.close();
  await server.stop();
});

faultSuite(
  'InMemoryEventStore + NatsBroker',
  async () => ({
    store: new InMemoryEventStore(),
    broker: new NatsBroker({ url: server.url ?? '', ...server.naming }),
    ...(consumers === undefined ? {} : { backlog: consumers.backlog }),
  }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1' },
);
