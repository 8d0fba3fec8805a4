/**
 * The shared broker suites on the Kafka stand-in (`test/fakeKafka.ts`, an imitation of the kafkajs
 * calls the adapter makes, with consumer groups, generations and rebalances): the adapter's logic
 * on this machine, which has no Kafka server. `kafkaBroker.int.spec.ts` runs them on a real one.
 */
import { afterAll } from 'vitest';
import { badInputScenario, brokerAdapterSuite, brokerContract } from '@saga/testing';
import type { RawPublisher } from '@saga/testing';
import { FakeKafkaCluster } from '../test/fakeKafka.js';
import { KafkaBroker } from './kafkaBroker.js';
import type { KafkaBrokerOptions } from './kafkaBroker.js';
import { idHeader } from './kafkaMessage.js';

const cluster = new FakeKafkaCluster();
afterAll(() => cluster.close());

/** Short sessions, so a member that closed or died is replaced in a second. */
export const standInOptions = { sessionTimeoutMs: 1_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 } as const;

const broker = (options: Partial<KafkaBrokerOptions> = {}): KafkaBroker =>
  new KafkaBroker({ url: 'kafka://stand-in:9092', client: cluster.factory, ...standInOptions, ...options });

/** Another client on the same cluster, producing what the adapter would refuse to. */
const rawPublisher = async (): Promise<RawPublisher> => {
  const producer = cluster.factory({ brokers: ['stand-in:9092'] }).producer({});
  await producer.connect();
  return {
    publish: async (messages) => {
      for (const message of messages) {
        const headers = message.id === undefined ? message.headers : { ...message.headers, [idHeader]: message.id };
        await producer.send({ topic: message.topic, messages: [{ value: message.body, headers }] });
      }
    },
    close: () => producer.disconnect(),
  };
};

brokerContract('KafkaBroker (stand-in)', async () => broker(), { timeoutMs: 10_000, quietMs: 300 });

brokerAdapterSuite('KafkaBroker (stand-in)', {
  broker,
  unreachable: ({ user, password, host }) => {
    const down = new FakeKafkaCluster();
    down.reachable = false;
    return new KafkaBroker({ url: `kafka://${user}:${password}@${host}`, connectTimeoutMs: 1_000, client: down.factory });
  },
  rawPublisher,
  timeoutMs: 10_000,
});

badInputScenario('Kafka (stand-in)', { broker: (logger) => broker({ logger }), rawPublisher });
