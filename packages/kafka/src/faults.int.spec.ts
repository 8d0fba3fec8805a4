import { afterAll } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { KafkaBroker } from './kafkaBroker.js';
import { kafkaTestServer } from './testServer.js';

// Issue 6's fault injection over a real Kafka (the same suite runs on the stand-in in faults.unit.spec.ts).
const server = await kafkaTestServer();
afterAll(() => server.stop());

faultSuite(
  'InMemoryEventStore + KafkaBroker',
  async () => ({ store: new InMemoryEventStore(), broker: new KafkaBroker({ url: server.url ?? '' }) }),
  { ...(server.skip === undefined ? {} : { skip: server.skip }), heavy: process.env.SAGA_FAULTS_HEAVY === '1', quietMs: 1_000 },
);
