/**
 * The adapter on a real Kafka server (`apache/kafka:4.0.0` through Testcontainers, or
 * SAGA_TEST_KAFKA_BROKERS): the shared suites, then what issue 15 found a real cluster would expose.
 * Not run on the machines this was written on (no Kafka, no Docker): the same cases run on the
 * stand-in in `kafkaBroker.unit.spec.ts` and `kafkaFailures.unit.spec.ts`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { DeadLetterHeaders, PoisonMessageError, deadLetterTopic } from '@saga/core';
import type { DeliveredMessage } from '@saga/core';
import { badInputScenario, brokerAdapterSuite, brokerContract, brokerTestKit, captureLogger, uniqueName, waitFor } from '@saga/testing';
import type { RawPublisher } from '@saga/testing';
import { KafkaBroker, kafkaGroupId } from './kafkaBroker.js';
import type { KafkaBrokerOptions } from './kafkaBroker.js';
import { idHeader } from './kafkaMessage.js';
import { KafkaJoinError } from './kafkaSubscription.js';
import { parseKafkaUrl } from './kafkaUrl.js';
import { kafkaTestServer } from './testServer.js';

const server = await kafkaTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
const broker = (options: Partial<KafkaBrokerOptions> = {}): KafkaBroker => new KafkaBroker({ url, ...options });
const kafka = (): Kafka => new Kafka({ brokers: parseKafkaUrl(url).brokers, logLevel: logLevel.NOTHING });

/** A kafkajs producer of its own; the message id goes where KafkaBroker puts it, in a header. */
const rawPublisher = async (): Promise<RawPublisher> => {
  const producer = kafka().producer();
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
});

badInputScenario('Kafka', { skip: server.skip, broker: (logger) => broker({ logger }), rawPublisher });

describe.skipIf(server.skip !== undefined)('KafkaBroker on a real server', { timeout: 120_000 }, () => {
  const { started, inbox, cleanup } = brokerTestKit();

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

  it('a dead-letter topic that does not exist yet (3 partitions): letters wait, nothing after them is committed, nothing is skipped', async () => {
    const logger = captureLogger();
    const topic = uniqueName('kafka.dlqdown.');
    const group = uniqueName('g-');
    const admin = kafka().admin();
    await admin.connect();
    cleanup(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    // Topics managed elsewhere, and the dead-letter topic missing: its writes fail until it exists.
    const on = await started(broker({ createTopics: false, logger }));
    const handled = new Set<string>();
    await on.subscribe(topic, group, async (m) => {
      if ((m.body as { poison?: boolean }).poison === true) throw new PoisonMessageError('cannot be handled');
      handled.add(m.id);
    });
    const poison = new Set<string>();
    for (let n = 0; n < 30; n += 1) {
      const isPoison = n % 7 === 3;
      if (isPoison) poison.add(`m-${n}`);
      await on.publish(topic, { id: `m-${n}`, headers: { sagaId: `exec-${n % 5}` }, body: { n, poison: isPoison } });
    }
    await waitFor(() => logger.entries.some((e) => e.message.startsWith('Could not store a dead letter')), { timeoutMs: 60_000, message: 'a failed dead letter' });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: deadLetterTopic(topic), numPartitions: 1 }] });
    await waitFor(() => handled.size === 30 - poison.size, { timeoutMs: 60_000, message: 'every good message handled' });
    const ends = await admin.fetchTopicOffsets(topic);
    await waitFor(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId: kafkaGroupId(group, topic), topics: [topic] });
        return ends.every((end) => committed?.partitions.find((p) => p.partition === end.partition)?.offset === end.offset);
      },
      { timeoutMs: 60_000, message: 'every partition committed to its end' },
    );
    const letters = kafka().consumer({ groupId: uniqueName('read-') });
    const read: string[] = [];
    await letters.connect();
    cleanup(() => letters.disconnect());
    await letters.subscribe({ topics: [deadLetterTopic(topic)], fromBeginning: true });
    await letters.run({ eachMessage: async ({ message }) => void read.push(String(message.headers?.[idHeader])) });
    await waitFor(() => read.length === poison.size, { timeoutMs: 60_000, message: 'every poison message dead-lettered' });
    expect(new Set(read)).toEqual(poison);
  });

  it('a member joining while handlers run: no message is handled by two members at once', async () => {
    const a = await started(broker({ numPartitions: 3 }));
    const b = await started(broker({ numPartitions: 3 }));
    const topic = uniqueName('kafka.rebalance.');
    const group = uniqueName('g-');
    const deliveries = new Map<string, number>();
    const running = new Map<string, number>();
    let overlaps = 0;
    const gates: Array<() => void> = [];
    const handler = async (message: DeliveredMessage): Promise<void> => {
      deliveries.set(message.id, (deliveries.get(message.id) ?? 0) + 1);
      running.set(message.id, (running.get(message.id) ?? 0) + 1);
      if ((running.get(message.id) ?? 0) > 1) overlaps += 1;
      await new Promise<void>((resolve) => gates.push(resolve));
      running.set(message.id, (running.get(message.id) ?? 0) - 1);
    };
    await a.subscribe(topic, group, handler);
    for (let n = 0; n < 12; n += 1) await a.publish(topic, { id: `m-${n}`, headers: { sagaId: `exec-${n % 6}` }, body: { n } });
    await waitFor(() => running.size === 6, { timeoutMs: 30_000, message: 'one handler per execution running' });
    await b.subscribe(topic, group, handler);
    while (deliveries.size < 12 || gates.length > 0) {
      const release = gates.shift();
      if (release !== undefined) release();
      else await waitFor(() => gates.length > 0 || deliveries.size === 12, { timeoutMs: 30_000, message: 'the next handler' });
    }
    expect(overlaps).toBe(0);
    expect([...deliveries].filter(([, n]) => n > 1)).toEqual([]);
  });

  it('a handler that kills its process every time ends dead-lettered after maxDeliveries', async () => {
    const on = await started(broker());
    const topic = uniqueName('kafka.killer.');
    const group = uniqueName('g-');
    const dead = await inbox(on, deadLetterTopic(topic));
    const script = fileURLToPath(new URL('../test/killerMember.mjs', import.meta.url));
    /** A process of its own (test/killerMember.mjs, on the built package): it dies on its first delivery. */
    const member = (): { output: () => string; exited: Promise<void> } => {
      const child = spawn(process.execPath, [script, url, topic, group, '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      cleanup(async () => void child.kill());
      return { output: () => out, exited: new Promise((resolve) => child.on('exit', () => resolve())) };
    };
    const first = member();
    await waitFor(() => first.output().includes('joined'), { timeoutMs: 60_000, message: 'the first member joined' });
    await on.publish(topic, { id: 'kills-its-consumer', headers: {}, body: {} });
    await first.exited;
    expect(first.output()).toMatch(/delivery 1/);
    const second = member();
    await second.exited;
    expect(second.output()).toMatch(/delivery 2/);
    const last = await inbox(on, topic, group, { maxDeliveries: 2 });
    await waitFor(() => dead.received.length === 1, { timeoutMs: 60_000, message: 'the dead letter' });
    expect(last.received).toEqual([]);
    expect(dead.received[0]?.headers[DeadLetterHeaders.deliveries]).toBe('2');
  });

  it('a join the group refuses rejects subscribe, with the reason', async () => {
    // Below the broker's group.min.session.timeout.ms (6 s by default): JoinGroup fails for good.
    const on = await started(broker({ sessionTimeoutMs: 1_000, heartbeatIntervalMs: 300 }));
    const error = await on.subscribe(uniqueName('kafka.nojoin.'), uniqueName('g-'), async () => {}).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaJoinError);
  });

  it.skipIf(server.restart === undefined)('a broker restart: what was published before and after it is all delivered', async () => {
    const on = await started(broker({ heartbeatIntervalMs: 500 }));
    const topic = uniqueName('kafka.restart.');
    const got = await inbox(on, topic, uniqueName('g-'));
    for (let n = 0; n < 5; n += 1) await on.publish(topic, { id: `before-${n}`, headers: {}, body: { n } });
    await server.restart?.();
    for (let n = 0; n < 5; n += 1) {
      await waitFor(
        () =>
          on.publish(topic, { id: `after-${n}`, headers: {}, body: { n } }).then(
            () => true,
            () => false,
          ),
        { timeoutMs: 60_000, message: `publishing after-${n} once the broker is back` },
      );
    }
    await waitFor(() => new Set(got.received.map((m) => m.id)).size === 10, { timeoutMs: 90_000, message: 'the ten messages' });
  });
});
