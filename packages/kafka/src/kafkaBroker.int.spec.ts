import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { brokerAdapterSuite, brokerContract, brokerTestKit, uniqueName, waitFor } from '@saga/testing';
import type { RawPublisher } from '@saga/testing';
import { KafkaBroker } from './kafkaBroker.js';
import type { KafkaBrokerOptions } from './kafkaBroker.js';
import { idHeader } from './kafkaMessage.js';
import { parseKafkaUrl } from './kafkaUrl.js';
import { kafkaTestServer } from './testServer.js';

const server = await kafkaTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
const broker = (options: Partial<KafkaBrokerOptions> = {}): KafkaBroker => new KafkaBroker({ url, ...options });

/** A kafkajs producer of its own; the message id goes where KafkaBroker puts it, in a header. */
const rawPublisher = async (): Promise<RawPublisher> => {
  const producer = new Kafka({ brokers: parseKafkaUrl(url).brokers, logLevel: logLevel.NOTHING }).producer();
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

// Joining a group and rebalancing take seconds on Kafka: deliveries get more time than elsewhere.
brokerContract('KafkaBroker', async () => broker(), { skip: server.skip, timeoutMs: 30_000, quietMs: 500 });

brokerAdapterSuite('KafkaBroker', {
  skip: server.skip,
  broker,
  unreachable: ({ user, password, host }) => new KafkaBroker({ url: `kafka://${user}:${password}@${host}`, connectTimeoutMs: 1_000 }),
  rawPublisher,
  timeoutMs: 30_000,
  // deliveryCount counts the deliveries of one member only (see the README).
  countsDeliveriesAcrossMembers: false,
});

describe.skipIf(server.skip !== undefined)('KafkaBroker on a real server', { timeout: 60_000 }, () => {
  const { started, inbox } = brokerTestKit();

  it('keys every message by its execution id, and keeps one execution in order across partitions', async () => {
    const on = await started(broker({ numPartitions: 3 }));
    const topic = uniqueName('kafka.keyed.');
    const got = await inbox(on, topic, uniqueName('g-'), { concurrency: 4 });
    for (let n = 0; n < 30; n += 1) await on.publish(topic, { id: `m-${n}`, headers: { sagaId: `exec-${n % 3}` }, body: { n } });
    await waitFor(() => got.received.length === 30, { timeoutMs: 30_000, message: '30 messages' });
    for (const execution of ['exec-0', 'exec-1', 'exec-2']) {
      const ns = got.received.filter((m) => m.headers.sagaId === execution).map((m) => (m.body as { n: number }).n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });

  it('refuses topics Kafka cannot name, saying why', async () => {
    const on = broker();
    await expect(on.publish('has space', { id: '1', headers: {}, body: null })).rejects.toThrow(/cannot be a Kafka topic/);
  });
});
