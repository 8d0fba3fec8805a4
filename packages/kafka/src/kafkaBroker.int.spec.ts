import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { DeadLetterHeaders, deadLetterTopic } from '@saga/core';
import type { Broker, DeliveredMessage, SubscribeOptions, Subscription } from '@saga/core';
import { brokerContract, captureLogger, uniqueName, waitFor } from '@saga/testing';
import { KafkaBroker } from './kafkaBroker.js';
import type { KafkaBrokerOptions } from './kafkaBroker.js';
import { parseKafkaUrl } from './kafkaUrl.js';
import { kafkaTestServer } from './testServer.js';

const server = await kafkaTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
const broker = (options: Partial<KafkaBrokerOptions> = {}): KafkaBroker => new KafkaBroker({ url, ...options });

// Joining a group and rebalancing take seconds on Kafka: deliveries get more time than elsewhere.
brokerContract('KafkaBroker', async () => broker(), { skip: server.skip, timeoutMs: 30_000, quietMs: 500 });

describe.skipIf(server.skip !== undefined)('KafkaBroker on a real server', { timeout: 60_000 }, () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
  });
  const started = async (options: Partial<KafkaBrokerOptions> = {}): Promise<KafkaBroker> => {
    const made = broker(options);
    cleanup.push(() => made.destroy());
    await made.setup();
    return made;
  };
  const inbox = async (on: Broker, topic: string, group = uniqueName('g-'), options: SubscribeOptions = {}) => {
    const received: DeliveredMessage[] = [];
    const subscription: Subscription = await on.subscribe(topic, group, async (m) => void received.push(m), options);
    cleanup.push(() => subscription.close());
    return { received, subscription };
  };

  it('fails setup with an error naming the broker and the variable to fix, without the password', async () => {
    const unreachable = new KafkaBroker({ url: 'kafka://saga:s3cret@127.0.0.1:1', connectTimeoutMs: 1_000 });
    const error = await unreachable.setup().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain('127.0.0.1:1');
    expect(error?.message).toContain('SAGA_BROKER_URL');
    expect(error?.message).not.toContain('s3cret');
    await unreachable.destroy();
  });

  it('keys every message by its execution id, and keeps one execution in order across partitions', async () => {
    const on = await started({ numPartitions: 3 });
    const topic = uniqueName('kafka.keyed.');
    const got = await inbox(on, topic, uniqueName('g-'), { concurrency: 4 });
    for (let n = 0; n < 30; n += 1) await on.publish(topic, { id: `m-${n}`, headers: { sagaId: `exec-${n % 3}` }, body: { n } });
    await waitFor(() => got.received.length === 30, { timeoutMs: 30_000, message: '30 messages' });
    for (const execution of ['exec-0', 'exec-1', 'exec-2']) {
      const ns = got.received.filter((m) => m.headers.sagaId === execution).map((m) => (m.body as { n: number }).n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
  });

  it('dead-letters a record that is not JSON, or has no id, with the reason', async () => {
    const logger = captureLogger();
    const on = await started({ logger });
    const topic = uniqueName('kafka.raw.');
    const dead = await inbox(on, deadLetterTopic(topic));
    const handled = await inbox(on, topic);
    const native = new Kafka({ brokers: parseKafkaUrl(url).brokers, logLevel: logLevel.NOTHING }).producer();
    await native.connect();
    cleanup.push(() => native.disconnect());
    await native.send({ topic, messages: [{ value: '{not json', headers: { 'saga-message-id': 'raw-1', 'x-trace': 't' } }, { value: '{"fine":true}', headers: { 'x-trace': 'no-id' } }] });
    await waitFor(() => dead.received.length === 2, { timeoutMs: 30_000, message: 'two dead letters' });
    expect(handled.received).toEqual([]);
    const notJson = dead.received.find((m) => m.id === 'raw-1');
    expect(notJson?.headers[DeadLetterHeaders.reason]).toBe('body is not JSON');
    expect(notJson?.headers['x-trace']).toBe('t');
    expect(notJson?.body).toBe('{not json');
    expect(dead.received.find((m) => m.headers['x-trace'] === 'no-id')?.headers[DeadLetterHeaders.reason]).toMatch(/no id/);
    expect(logger.entries.filter((e) => e.message === 'Dead-lettered a message')).toHaveLength(2);
  });

  it('refuses topics Kafka cannot name, saying why', async () => {
    const on = broker();
    await expect(on.publish('has space', { id: '1', headers: {}, body: null })).rejects.toThrow(/cannot be a Kafka topic/);
  });
});
