/**
 * Issue 6's fault injection (duplicates, reordering, redelivery storms, crashes at every point,
 * racing managers) over the Kafka adapter on its stand-in (`test/fakeKafka.ts`): the adapter's
 * logic under the engine, on this machine without a Kafka server. `faults.int.spec.ts` runs the same
 * suite on a real one.
 */
import { afterAll } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { faultSuite } from '@saga/testing';
import { FakeKafkaCluster } from '../test/fakeKafka.js';
import { KafkaBroker } from './kafkaBroker.js';

const cluster = new FakeKafkaCluster();
afterAll(() => cluster.close());

faultSuite(
  'InMemoryEventStore + KafkaBroker (stand-in)',
  async () => ({
    store: new InMemoryEventStore(),
    broker: new KafkaBroker({ url: 'kafka://stand-in:9092', client: cluster.factory, sessionTimeoutMs: 1_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 }),
  }),
  { heavy: process.env.SAGA_FAULTS_HEAVY === '1', quietMs: 400 },
);
