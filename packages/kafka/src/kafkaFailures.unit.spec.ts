/**
 * What a real Kafka cluster does to the adapter, on the stand-in (`test/fakeKafka.ts`): a dead-letter
 * topic that refuses writes, a member joining while handlers run, a handler that kills its
 * process every time, a group that cannot be joined, a lost acknowledgement, a new group.
 * `kafkaBroker.int.spec.ts` has the same cases for a real server.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DeadLetterHeaders, PoisonMessageError, deadLetterTopic } from '@saga/core';
import type { DeliveredMessage, Subscription } from '@saga/core';
import { captureLogger, uniqueName, waitFor } from '@saga/testing';
import { FakeKafkaCluster } from '../test/fakeKafka.js';
import type { FakeKafkaClient } from '../test/fakeKafka.js';
import { KafkaBroker, kafkaGroupId } from './kafkaBroker.js';
import type { KafkaBrokerOptions } from './kafkaBroker.js';
import { KafkaJoinError } from './kafkaSubscription.js';

const cluster = new FakeKafkaCluster();
afterAll(() => cluster.close());

const never = (): Promise<void> => new Promise(() => {});

/** One process: a broker with its own kafkajs client, which the test can kill. */
interface Process {
  readonly broker: KafkaBroker;
  readonly client: () => FakeKafkaClient;
}

const opened: KafkaBroker[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((broker) => broker.destroy()));
});

const process = (options: Partial<KafkaBrokerOptions> = {}): Process => {
  let client: FakeKafkaClient | undefined;
  const broker = new KafkaBroker({
    url: 'kafka://stand-in:9092',
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 50,
    rebalanceTimeoutMs: 5_000,
    ...options,
    client: (config) => (client = cluster.factory(config)),
  });
  opened.push(broker);
  return {
    broker,
    client: () => {
      if (client === undefined) throw new Error('the broker made no client');
      return client;
    },
  };
};

const inbox = async (broker: KafkaBroker, topic: string): Promise<DeliveredMessage[]> => {
  const received: DeliveredMessage[] = [];
  await broker.subscribe(topic, uniqueName('inbox-'), async (message) => void received.push(message));
  return received;
};

describe('KafkaBroker on the stand-in: what a real cluster does', { timeout: 60_000 }, () => {
  it('a dead-letter topic that refuses writes: the letter is retried in place with its partition paused, nothing after it is committed, nothing is skipped (3 partitions)', async () => {
    const logger = captureLogger();
    const { broker } = process({ numPartitions: 3, logger });
    const topic = uniqueName('dlq.down.');
    const group = uniqueName('g-');
    const handled = new Set<string>();
    await broker.subscribe(
      topic,
      group,
      async (message) => {
        if ((message.body as { poison?: boolean }).poison === true) throw new PoisonMessageError('cannot be handled');
        handled.add(message.id);
      },
      { concurrency: 4 },
    );
    const dead = await inbox(broker, deadLetterTopic(topic));
    cluster.makeUnavailable(deadLetterTopic(topic));
    const poison = new Set<string>();
    for (let n = 0; n < 30; n += 1) {
      const isPoison = n % 7 === 3;
      const id = `m-${n}`;
      if (isPoison) poison.add(id);
      await broker.publish(topic, { id, headers: { sagaId: isPoison ? `poison-${n}` : `exec-${n % 5}` }, body: { n, poison: isPoison } });
    }
    const records = cluster.records(topic);
    const idOf = (r: (typeof records)[number]): string => String(r.headers?.['saga-message-id']);
    const poisoned = [...new Set(records.filter((r) => poison.has(idOf(r))).map((r) => r.partition))];
    expect(poisoned.length).toBeGreaterThan(1);
    await waitFor(() => new Set(logger.entries.filter((e) => e.message.startsWith('Could not store a dead letter')).map((e) => e.fields.partition)).size === poisoned.length, {
      // The producer retries a send for a few seconds before it gives up.
      timeoutMs: 20_000,
      message: 'a failed dead letter on every partition with a poison message',
    });
    for (const partition of poisoned) {
      const firstPoison = records.find((r) => r.partition === partition && poison.has(idOf(r)));
      const committed = BigInt(cluster.committed(kafkaGroupId(group, topic), topic, partition)?.offset ?? '0');
      expect(committed).toBeLessThanOrEqual(BigInt(firstPoison?.offset ?? '-1'));
    }

    cluster.makeAvailable(deadLetterTopic(topic));
    await waitFor(() => handled.size === 30 - poison.size, { message: 'every good message handled' });
    await waitFor(() => dead.length === poison.size, { message: 'every poison message dead-lettered once the topic takes writes' });
    expect(new Set(dead.map((m) => m.id))).toEqual(poison);
    for (let partition = 0; partition < 3; partition += 1) {
      const end = records.filter((r) => r.partition === partition).length;
      await waitFor(() => cluster.committed(kafkaGroupId(group, topic), topic, partition)?.offset === String(end), { message: `partition ${partition} committed to its end` });
    }
  });

  it('a member joining while handlers run: the busy partitions stay with their member, no message is handled twice', async () => {
    const a = process({ numPartitions: 3 });
    const b = process({ numPartitions: 3 });
    const topic = uniqueName('rebalance.');
    const group = uniqueName('g-');
    const deliveries = new Map<string, string[]>();
    const running = new Map<string, number>();
    let overlaps = 0;
    const gates: Array<() => void> = [];
    const handler = (member: string) => async (message: DeliveredMessage) => {
      deliveries.set(message.id, [...(deliveries.get(message.id) ?? []), member]);
      running.set(message.id, (running.get(message.id) ?? 0) + 1);
      if ((running.get(message.id) ?? 0) > 1) overlaps += 1;
      await new Promise<void>((resolve) => gates.push(resolve));
      running.set(message.id, (running.get(message.id) ?? 0) - 1);
    };
    await a.broker.subscribe(topic, group, handler('a'));
    for (let n = 0; n < 12; n += 1) await a.broker.publish(topic, { id: `m-${n}`, headers: { sagaId: `exec-${n % 6}` }, body: { n } });
    await waitFor(() => running.size === 6, { message: 'one handler per execution running on member a' });
    const partitionsInFlight = new Set(cluster.records(topic).filter((r) => running.has(String(r.headers?.['saga-message-id']))).map((r) => r.partition));
    expect(partitionsInFlight.size).toBeGreaterThan(1);

    const generation = cluster.generation(kafkaGroupId(group, topic));
    await b.broker.subscribe(topic, group, handler('b'));
    expect(cluster.generation(kafkaGroupId(group, topic))).toBeGreaterThan(generation);
    while (deliveries.size < 12 || gates.length > 0) {
      const release = gates.shift();
      if (release !== undefined) release();
      else await waitFor(() => gates.length > 0 || deliveries.size === 12, { message: 'the next handler' });
    }
    await waitFor(() => [...running.values()].every((n) => n === 0), { message: 'every handler done' });
    expect(overlaps).toBe(0);
    expect([...deliveries].filter(([, members]) => members.length > 1)).toEqual([]);
  });

  it('a handler that kills its process every time: after maxDeliveries processes died, the message is dead-lettered, not taken again', async () => {
    const topic = uniqueName('killer.');
    const group = uniqueName('g-');
    const watcher = process();
    const dead = await inbox(watcher.broker, deadLetterTopic(topic));
    const deaths: string[] = [];
    const spawn = async (name: string): Promise<Subscription> => {
      const p = process();
      return p.broker.subscribe(
        topic,
        group,
        async (message) => {
          deaths.push(`${name}:${message.deliveryCount}`);
          p.client().kill();
          await never();
        },
        { maxDeliveries: 3 },
      );
    };
    await spawn('p1');
    await watcher.broker.publish(topic, { id: 'kills-its-consumer', headers: {}, body: { boom: true } });
    await waitFor(() => deaths.length === 1, { message: 'the first death' });
    await spawn('p2');
    await waitFor(() => deaths.length === 2, { message: 'the second death' });
    await spawn('p3');
    await waitFor(() => deaths.length === 3, { message: 'the third death' });
    await spawn('p4');
    await waitFor(() => dead.length === 1, { message: 'the dead letter' });
    expect(deaths).toEqual(['p1:1', 'p2:2', 'p3:3']);
    expect(dead[0]?.id).toBe('kills-its-consumer');
    expect(dead[0]?.headers[DeadLetterHeaders.deliveries]).toBe('3');
    expect(dead[0]?.headers[DeadLetterHeaders.reason]).toMatch(/closed or died before acknowledging/);
  });

  it('a group that cannot be joined fails subscribe, with the reason; a join that keeps failing fails it after joinTimeoutMs', async () => {
    const { broker } = process({ joinTimeoutMs: 1_500 });
    const topic = uniqueName('nojoin.');
    const refused = uniqueName('g-');
    cluster.refuseJoins(kafkaGroupId(refused, topic));
    const error = await broker.subscribe(topic, refused, async () => {}).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaJoinError);
    expect(String(error)).toMatch(/could not join.*Not authorized/);

    const flaky = uniqueName('g-');
    cluster.refuseJoins(kafkaGroupId(flaky, topic), 'retriable');
    const timedOut = await broker.subscribe(topic, flaky, async () => {}).then(() => undefined, (e: unknown) => e);
    expect(timedOut).toBeInstanceOf(KafkaJoinError);
    expect(String(timedOut)).toMatch(/did not join .* within 1500 ms/);
  });

  it('a consumer that stops for good after joining says so in the log', async () => {
    const logger = captureLogger();
    const { broker } = process({ logger });
    const topic = uniqueName('fatal.');
    const group = uniqueName('g-');
    await broker.subscribe(topic, group, async () => {});
    cluster.refuseJoins(kafkaGroupId(group, topic));
    // The group rebalances (as when a member joins); the rejoin is refused for good.
    cluster.rebalance(kafkaGroupId(group, topic));
    await waitFor(() => logger.entries.some((e) => e.level === 'error' && e.message.startsWith('The Kafka consumer stopped for good')), { message: 'the error' });
  });

  it('a consumer that crashes (its group coordinator gone for a while) restarts, and every message is handled', async () => {
    const logger = captureLogger();
    const { broker } = process({ logger });
    const topic = uniqueName('crash.');
    const received = new Set<string>();
    await broker.subscribe(topic, uniqueName('g-'), async (message) => void received.add(message.id));
    for (let n = 0; n < 5; n += 1) await broker.publish(topic, { id: `before-${n}`, headers: { sagaId: `e-${n}` }, body: { n } });
    await waitFor(() => received.size === 5, { message: 'the first five' });
    cluster.coordinatorDown(8_000);
    for (let n = 0; n < 5; n += 1) await broker.publish(topic, { id: `during-${n}`, headers: { sagaId: `e-${n}` }, body: { n } });
    await waitFor(() => logger.entries.some((e) => e.message === 'The Kafka consumer crashed; kafkajs restarts it'), { timeoutMs: 20_000, message: 'the crash' });
    const atCrash = received.size;
    await waitFor(() => received.size === 10, { timeoutMs: 30_000, message: `all ten messages (${atCrash} at the crash)` });
  });

  it('more than 10 handlers waiting to be retried at once print no MaxListenersExceededWarning (they all wait on the subscription signal)', async () => {
    const { broker } = process();
    const topic = uniqueName('retries.');
    const failed = new Set<string>();
    const handled = new Set<string>();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    globalThis.process.on('warning', onWarning);
    try {
      await broker.subscribe(
        topic,
        uniqueName('g-'),
        async (message) => {
          // Each fails once, so all of them wait out the redelivery delay together.
          if (!failed.has(message.id)) {
            failed.add(message.id);
            throw new Error('fails once');
          }
          handled.add(message.id);
        },
        { concurrency: 16, redeliveryDelayMs: 300 },
      );
      for (let n = 0; n < 16; n += 1) await broker.publish(topic, { id: `m-${n}`, headers: { sagaId: `e-${n}` }, body: { n } });
      await waitFor(() => handled.size === 16, { message: 'all sixteen handled on their second delivery' });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      globalThis.process.off('warning', onWarning);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });

  it('publishes with an idempotent producer: a send retried after a lost acknowledgement is stored once', async () => {
    const { broker } = process();
    const topic = uniqueName('acks.');
    await inbox(broker, topic);
    cluster.loseAcks(topic, 1);
    await broker.publish(topic, { id: 'once', headers: {}, body: { n: 1 } });
    expect(cluster.records(topic)).toHaveLength(1);
    expect(cluster.producerConfigs.some((config) => config.idempotent === true)).toBe(true);
  });

  it('a new group starts at the end of the topic, committed by its member: it gets what is published after subscribe, not before', async () => {
    const { broker } = process({ numPartitions: 2 });
    const topic = uniqueName('newgroup.');
    await inbox(broker, topic);
    for (let n = 0; n < 4; n += 1) await broker.publish(topic, { id: `before-${n}`, headers: { sagaId: `e-${n}` }, body: { n } });
    const group = uniqueName('g-');
    const received: string[] = [];
    await broker.subscribe(topic, group, async (message) => void received.push(message.id));
    for (let partition = 0; partition < 2; partition += 1) {
      const end = cluster.records(topic).filter((r) => r.partition === partition).length;
      expect(cluster.committed(kafkaGroupId(group, topic), topic, partition)?.offset).toBe(String(end));
    }
    for (let n = 0; n < 4; n += 1) await broker.publish(topic, { id: `after-${n}`, headers: { sagaId: `e-${n}` }, body: { n } });
    await waitFor(() => received.length === 4, { message: 'the four messages published after subscribe' });
    expect(received.sort()).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
  });
});
