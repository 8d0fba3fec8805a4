import { afterAll } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { RabbitMqBroker } from './rabbitMqBroker.js';
import { amqpBacklog } from './testBacklog.js';
import { amqpTestServer } from './testServer.js';

// Issue 6's fault injection over a real broker: duplicates, reordering, redelivery storms, … .
const server = await amqpTestServer();
// "Nothing more arrives" is read from the queues (see testBacklog.ts), not waited out.
const queues = server.url === undefined ? undefined : await amqpBacklog(server.url);
afterAll(async () => {
  await queues?.close();
  await server.stop();
});

faultSuite(
  'InMemoryEventStore + RabbitMqBroker',
  async () => ({
    store: new InMemoryEventStore(),
    broker: new RabbitMqBroker({ url: server.url ?? '', queueExpiresMs: 60_000 }),
    ...(queues === undefined ? {} : { backlog: queues.backlog }),
  }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1' },
);
