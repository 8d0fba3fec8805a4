import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from 'amqplib';
import { DeadLetterHeaders, deadLetterTopic } from '@saga/core';
import type { Broker, DeliveredMessage, SubscribeOptions, Subscription } from '@saga/core';
import { brokerContract, captureLogger, uniqueName, waitFor } from '@saga/testing';
import { RabbitMqBroker } from './rabbitMqBroker.js';
import type { RabbitMqBrokerOptions } from './rabbitMqBroker.js';
import { createBroker } from './createBroker.js';
import { startTcpProxy } from './tcpProxy.js';
import { amqpTestServer } from './testServer.js';

const server = await amqpTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
// Queues of finished tests vanish a minute after their last consumer left: the server is shared.
const broker = (options: Partial<RabbitMqBrokerOptions> = {}): RabbitMqBroker => new RabbitMqBroker({ url, queueExpiresMs: 60_000, ...options });

brokerContract('RabbitMqBroker', async () => broker(), { skip: server.skip });

describe.skipIf(server.skip !== undefined)('RabbitMqBroker on a real server', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
  });
  const started = async (options: Partial<RabbitMqBrokerOptions> = {}): Promise<RabbitMqBroker> => {
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

  it('fails setup with an error naming the host and the variable to fix, without the password', async () => {
    const unreachable = new RabbitMqBroker({ url: 'amqp://saga:s3cret@127.0.0.1:1', connectTimeoutMs: 2_000 });
    const error = await unreachable.setup().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain('127.0.0.1:1');
    expect(error?.message).toContain('SAGA_BROKER_URL');
    expect(error?.message).not.toContain('s3cret');
    await unreachable.destroy();
  });

  it('createBroker(url) is the adapter fromConfig loads for amqp:// URLs', async () => {
    const made = createBroker(url);
    expect(made).toBeInstanceOf(RabbitMqBroker);
    await made.setup();
    await made.destroy();
  });

  it('dead-letters a body that is not JSON, and a message without an id, with the reason; the handler never sees them', async () => {
    const logger = captureLogger();
    const on = await started({ logger });
    const topic = uniqueName('rabbit.raw.');
    const dead = await inbox(on, deadLetterTopic(topic));
    const handled = await inbox(on, topic);
    const native = await connect(url);
    cleanup.push(() => native.close());
    const channel = await native.createConfirmChannel();
    channel.publish('saga', topic, Buffer.from('{not json'), { messageId: 'raw-1', headers: { 'x-trace': 't' } });
    channel.publish('saga', topic, Buffer.from('{"fine":true}'), { headers: { 'x-trace': 'no-id' } });
    await channel.waitForConfirms();
    await waitFor(() => dead.received.length === 2, { timeoutMs: 10_000, message: 'two dead letters' });
    expect(handled.received).toEqual([]);
    const notJson = dead.received.find((m) => m.id === 'raw-1');
    expect(notJson?.headers[DeadLetterHeaders.reason]).toBe('body is not JSON');
    expect(notJson?.headers[DeadLetterHeaders.originalTopic]).toBe(topic);
    expect(notJson?.headers['x-trace']).toBe('t');
    // The dead letter keeps the bytes; its readers get them as text.
    expect(notJson?.body).toBe('{not json');
    const noId = dead.received.find((m) => m.headers['x-trace'] === 'no-id');
    expect(noId?.headers[DeadLetterHeaders.reason]).toMatch(/no id/);
    expect(noId?.body).toEqual({ fine: true });
    expect(logger.entries.filter((e) => e.message === 'Dead-lettered a message')).toHaveLength(2);
  });

  it('counts deliveries whose consumer closed before acknowledging, and dead-letters past maxDeliveries', async () => {
    const on = await started();
    const topic = uniqueName('rabbit.closing.');
    const group = uniqueName('g-');
    const dead = await inbox(on, deadLetterTopic(topic));
    const counts: number[] = [];
    // Each member takes the message and closes without acknowledging, like a crashing process.
    for (let member = 0; member < 2; member += 1) {
      let got = false;
      const subscription = await on.subscribe(topic, group, async (m) => {
        counts.push(m.deliveryCount);
        got = true;
        await new Promise(() => {});
      }, { maxDeliveries: 2 });
      if (member === 0) await on.publish(topic, { id: 'dies-twice', headers: {}, body: { n: 1 } });
      await waitFor(() => got, { timeoutMs: 10_000, message: `delivery ${member + 1}` });
      await subscription.close();
    }
    const last = await inbox(on, topic, group, { maxDeliveries: 2 });
    await waitFor(() => dead.received.length === 1, { timeoutMs: 10_000, message: `the dead letter ${JSON.stringify({ counts, last: last.received })}` });
    expect(counts).toEqual([1, 2]);
    expect(last.received).toEqual([]);
    expect(dead.received[0]?.headers[DeadLetterHeaders.deliveries]).toBe('2');
    expect(dead.received[0]?.headers[DeadLetterHeaders.reason]).toMatch(/closed or died before acknowledging/);
  });

  it('reconnects after the connection drops: publishing and consuming resume', async () => {
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5672));
    cleanup.push(() => proxy.close());
    target.host = `127.0.0.1:${proxy.port}`;
    const on = await started({ url: target.toString(), reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    const topic = uniqueName('rabbit.reconnect.');
    const got = await inbox(on, topic);
    await on.publish(topic, { id: 'before', headers: {}, body: 1 });
    await waitFor(() => got.received.length === 1, { timeoutMs: 10_000, message: 'the first message' });
    proxy.cut();
    // Published while the connection is down: waits for the reconnect, then is confirmed.
    await on.publish(topic, { id: 'after', headers: {}, body: 2 });
    await waitFor(() => got.received.some((m) => m.id === 'after'), { timeoutMs: 15_000, message: 'a message after the reconnect' });
    expect(got.received.map((m) => m.id)).toContain('before');
  });

  it('refuses to publish or subscribe after destroy, saying what to do', async () => {
    const on = broker();
    await on.setup();
    await on.destroy();
    await expect(on.publish('x', { id: '1', headers: {}, body: null })).rejects.toThrow(/destroyed: create a new broker/);
  });
});
