import { afterAll, describe, expect, it } from 'vitest';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { badInputScenario, brokerAdapterSuite, brokerContract, brokerTestKit, startTcpProxy, uniqueName, waitFor } from '@saga/testing';
import type { RawPublisher } from '@saga/testing';
import { NatsBroker } from './natsBroker.js';
import type { NatsBrokerOptions } from './natsBroker.js';
import { parseNatsUrl } from './natsConnection.js';
import { createBroker } from './createBroker.js';
import { natsTestServer } from './testServer.js';

const server = await natsTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
const broker = (options: Partial<NatsBrokerOptions> = {}): NatsBroker => new NatsBroker({ url, ...server.naming, ...options });

/** JetStream's own client, publishing where NatsBroker would put a message of the topic. */
const rawPublisher = async (): Promise<RawPublisher> => {
  const native = await connect({ servers: parseNatsUrl(url).servers });
  const js = jetstream(native);
  return {
    publish: async (messages) => {
      for (const message of messages) {
        const headers = natsHeaders();
        for (const [key, value] of Object.entries(message.headers)) headers.set(key, value);
        await js.publish(`${server.naming.subjectPrefix}.${message.topic}`, message.body, { ...(message.id === undefined ? {} : { msgID: message.id }), headers });
      }
    },
    close: () => native.close(),
  };
};

brokerContract('NatsBroker', async () => broker(), { skip: server.skip });

brokerAdapterSuite('NatsBroker', {
  skip: server.skip,
  broker,
  unreachable: ({ user, password, host }) => new NatsBroker({ url: `nats://${user}:${password}@${host}`, connectTimeoutMs: 2_000 }),
  rawPublisher,
});

badInputScenario('NATS JetStream', { skip: server.skip, broker: (logger) => broker({ logger }), rawPublisher });

describe.skipIf(server.skip !== undefined)('NatsBroker on a real server', () => {
  const { started, inbox, cleanup } = brokerTestKit();

  it('createBroker(url) is the adapter fromConfig loads for nats:// URLs', async () => {
    const made = createBroker(url);
    expect(made).toBeInstanceOf(NatsBroker);
  });

  it('refuses topics that are not subjects and headers NATS cannot carry, saying why', async () => {
    const on = await started(broker());
    await expect(on.publish('a..b', { id: '1', headers: {}, body: null })).rejects.toThrow(/cannot be a NATS subject/);
    await expect(on.publish('a.*', { id: '1', headers: {}, body: null })).rejects.toThrow(/cannot be a NATS subject/);
    await expect(on.publish('a.b', { id: '1', headers: { note: 'two\nlines' }, body: null })).rejects.toThrow(/line breaks/);
  });

  it('a member that closed takes no more messages: the rest of the group gets them at once', async () => {
    const on = await started(broker());
    const topic = uniqueName('natsleave.');
    const group = uniqueName('g-');
    const leaving = await inbox(on, topic, group);
    const staying = await inbox(on, topic, group);
    await leaving.subscription.close();
    const sent = Array.from({ length: 10 }, (_, n) => ({ id: `after-close-${n}`, headers: {}, body: n }));
    for (const m of sent) await on.publish(topic, m);
    await waitFor(() => staying.received.length === 10, { timeoutMs: 5_000, message: 'all ten at the staying member' });
    expect(leaving.received).toEqual([]);
  });

  it('reconnects after the connection drops: publishing and consuming resume', async () => {
    const { servers } = parseNatsUrl(url);
    const [host = '127.0.0.1', port = '4222'] = (servers[0] ?? '').split(':');
    const proxy = await startTcpProxy(host, Number(port));
    cleanup(() => proxy.close());
    const on = await started(broker({ url: `nats://127.0.0.1:${proxy.port}`, reconnectDelayMs: 100, pullExpiresMs: 1_000, publishTimeoutMs: 2_000 }));
    const topic = uniqueName('natsreconnect.');
    const got = await inbox(on, topic);
    await on.publish(topic, { id: 'before', headers: {}, body: 1 });
    await waitFor(() => got.received.length === 1, { timeoutMs: 10_000, message: 'the first message' });
    proxy.cut();
    // A publish may fail while the connection is down: tried again until one goes through.
    await waitFor(async () => {
      await on.publish(topic, { id: 'after', headers: {}, body: 2 });
      return true;
    }, { timeoutMs: 15_000, intervalMs: 200, message: 'a publish after the reconnect' });
    await waitFor(() => got.received.some((m) => m.id === 'after'), { timeoutMs: 15_000, message: 'a message after the reconnect' });
  });
});
