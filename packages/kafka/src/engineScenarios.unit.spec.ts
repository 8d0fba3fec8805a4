/**
 * The engine scenarios of `@saga/testing` (the reference's semantics and every fix of DESIGN.md:
 * remote steps, compensation, timeouts, the transaction, exactly-once, parallel steps, child sagas)
 * with every request, reply and transaction command going through KafkaBroker on its stand-in
 * (`test/fakeKafka.ts`): sagas run over the Kafka adapter, on this machine without a Kafka server.
 * The few scenarios that steer the in-memory broker are skipped here; the broker contract and the
 * fault suite (`faults.unit.spec.ts`) check those on Kafka.
 */
import { afterEach } from 'vitest';
import { InMemoryEventStore } from '@saga/core';
import { engineScenarios } from '@saga/testing';
import { FakeKafkaCluster } from '../test/fakeKafka.js';
import { KafkaBroker } from './kafkaBroker.js';

// A cluster per scenario: the scenarios reuse services, topics and groups, and a group's committed
// offsets would carry one scenario's leftover requests and replies into the next.
const clusters: FakeKafkaCluster[] = [];
afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.close();
});

engineScenarios('InMemoryEventStore + KafkaBroker (stand-in)', async () => new InMemoryEventStore(), {
  broker: () => {
    const cluster = new FakeKafkaCluster();
    clusters.push(cluster);
    return new KafkaBroker({ url: 'kafka://stand-in:9092', client: cluster.factory, sessionTimeoutMs: 1_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 });
  },
});
