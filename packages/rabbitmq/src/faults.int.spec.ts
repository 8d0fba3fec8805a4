import { afterAll } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { RabbitMqBroker } from './rabbitMqBroker.js';
import { amqpTestServer } from './testServer.js';

// Issue 6's fault injection over a real broker: duplicates, reordering, redelivery storms, … .
const server = await amqpTestServer();
afterAll(() => server.stop());

faultSuite(
  'InMemoryEventStore + RabbitMqBroker',
  async () => ({ store: new InMemoryEventStore(), broker: new RabbitMqBroker({ url: server.url ?? '', queueExpiresMs: 60_000 }) }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1' },
);
