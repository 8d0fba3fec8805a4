import { afterAll, describe, expect, it } from 'vitest';
import { connect } from 'amqplib';
import { badInputScenario, brokerAdapterSuite, brokerContract, brokerTestKit, captureLogger, startTcpProxy, uniqueName, waitFor } from '@saga/testing';
import type { RawPublisher } from '@saga/testing';
import { RabbitMqBroker } from './rabbitMqBroker.js';
import type { RabbitMqBrokerOptions } from './rabbitMqBroker.js';
import { createBroker } from './createBroker.js';
import { amqpTestServer } from './testServer.js';

const server = await amqpTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
// Queues of finished tests vanish a minute after their last consumer left: the server is shared.
const broker = (options: Partial<RabbitMqBrokerOptions> = {}): RabbitMqBroker => new RabbitMqBroker({ url, queueExpiresMs: 60_000, ...options });

/** amqplib on its own, publishing to the exchange RabbitMqBroker routes topics through. */
const rawPublisher = async (): Promise<RawPublisher> => {
  const native = await connect(url);
  return {
    publish: async (messages) => {
      const channel = await native.createConfirmChannel();
      for (const message of messages) {
        channel.publish('saga', message.topic, message.body, { ...(message.id === undefined ? {} : { messageId: message.id }), headers: message.headers });
      }
      await channel.waitForConfirms();
      await channel.close();
    },
    close: () => native.close(),
  };
};

brokerContract('RabbitMqBroker', async () => broker(), { skip: server.skip });

brokerAdapterSuite('RabbitMqBroker', {
  skip: server.skip,
  broker,
  unreachable: ({ user, password, host }) => new RabbitMqBroker({ url: `amqp://${user}:${password}@${host}`, connectTimeoutMs: 2_000 }),
  rawPublisher,
});

badInputScenario('RabbitMQ', { skip: server.skip, broker: (logger) => broker({ logger }), rawPublisher });

describe.skipIf(server.skip !== undefined)('RabbitMqBroker on a real server', () => {
  const { started, inbox, cleanup } = brokerTestKit();

  it('createBroker(url) is the adapter fromConfig loads for amqp:// URLs', async () => {
    const made = createBroker(url);
    expect(made).toBeInstanceOf(RabbitMqBroker);
    await made.setup();
    await made.destroy();
  });

  it('reconnects after the connection drops: publishing and consuming resume', async () => {
    const target = new URL(url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5672));
    cleanup(() => proxy.close());
    target.host = `127.0.0.1:${proxy.port}`;
    const on = await started(broker({ url: target.toString(), reconnect: { minDelayMs: 50, maxDelayMs: 200 } }));
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

  it('says at warn when a message goes to a topic no group subscribes to, instead of dropping it silently', async () => {
    const logger = captureLogger();
    const on = await started(broker({ logger }));
    const topic = uniqueName('rabbit.nobody.');
    await on.publish(topic, { id: 'unheard', headers: {}, body: 1 });
    const said = await waitFor(() => logger.entries.find((e) => e.fields.topic === topic), { timeoutMs: 10_000, message: 'the warning about the returned message' });
    expect(said.level).toBe('warn');
    expect(said.message).toMatch(/no group subscribes/);
    expect(said.fields).toMatchObject({ exchange: 'saga', messageId: 'unheard', reply: '312 NO_ROUTE' });
  });

  it('namespaces queues by exchange: brokers on two exchanges with the same topic and group never share a queue', async () => {
    const topic = uniqueName('rabbit.ns.');
    const group = uniqueName('g-');
    const [left, right] = [uniqueName('saga-left-'), uniqueName('saga-right-')];
    const onLeft = await started(broker({ exchange: left }));
    const onRight = await started(broker({ exchange: right }));
    const gotLeft = await inbox(onLeft, topic, group);
    const gotRight = await inbox(onRight, topic, group);
    for (let n = 0; n < 10; n += 1) await onLeft.publish(topic, { id: `left-${n}`, headers: {}, body: n });
    await onRight.publish(topic, { id: 'right-0', headers: {}, body: 0 });
    await waitFor(() => gotLeft.received.length === 10 && gotRight.received.length === 1, {
      timeoutMs: 10_000,
      message: 'ten messages on the left and one on the right',
    });
    expect(gotRight.received.map((m) => m.id)).toEqual(['right-0']);
    const native = await connect(url);
    cleanup(() => native.close());
    const channel = await native.createChannel();
    await expect(channel.checkQueue(`${left}::${topic}::${group}`)).resolves.toMatchObject({ queue: `${left}::${topic}::${group}` });
    await channel.close();
    for (const exchange of [left, right]) cleanup(async () => {
      const cleaning = await native.createChannel();
      await cleaning.deleteExchange(exchange);
      await cleaning.close();
    });
  });
});
