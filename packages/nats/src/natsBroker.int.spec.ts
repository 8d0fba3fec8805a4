import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { DeadLetterHeaders, deadLetterTopic } from '@saga/core';
import type { Broker, DeliveredMessage, SubscribeOptions, Subscription } from '@saga/core';
import { brokerContract, captureLogger, uniqueName, waitFor } from '@saga/testing';
import { NatsBroker } from './natsBroker.js';
import type { NatsBrokerOptions } from './natsBroker.js';
import { parseNatsUrl } from './natsConnection.js';
import { createBroker } from './createBroker.js';
import { startTcpProxy } from './tcpProxy.js';
import { natsTestServer } from './testServer.js';

const server = await natsTestServer();
afterAll(() => server.stop());

const url = server.url ?? '';
const broker = (options: Partial<NatsBrokerOptions> = {}): NatsBroker => new NatsBroker({ url, ...server.naming, ...options });

brokerContract('NatsBroker', async () => broker(), { skip: server.skip });

describe.skipIf(server.skip !== undefined)('NatsBroker on a real server', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
  });
  const started = async (options: Partial<NatsBrokerOptions> = {}): Promise<NatsBroker> => {
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
    const unreachable = new NatsBroker({ url: 'nats://saga:s3cret@127.0.0.1:1', connectTimeoutMs: 2_000 });
    const error = await unreachable.setup().then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toContain('127.0.0.1:1');
    expect(error?.message).toContain('SAGA_BROKER_URL');
    expect(error?.message).not.toContain('s3cret');
    await unreachable.destroy();
  });

  it('createBroker(url) is the adapter fromConfig loads for nats:// URLs', async () => {
    const made = createBroker(url);
    expect(made).toBeInstanceOf(NatsBroker);
  });

  it('refuses topics that are not subjects and headers NATS cannot carry, saying why', async () => {
    const on = await started();
    await expect(on.publish('a..b', { id: '1', headers: {}, body: null })).rejects.toThrow(/cannot be a NATS subject/);
    await expect(on.publish('a.*', { id: '1', headers: {}, body: null })).rejects.toThrow(/cannot be a NATS subject/);
    await expect(on.publish('a.b', { id: '1', headers: { note: 'two\nlines' }, body: null })).rejects.toThrow(/line breaks/);
  });

  it('dead-letters a body that is not JSON, and a message without an id, with the reason; the handler never sees them', async () => {
    const logger = captureLogger();
    const on = await started({ logger });
    const topic = uniqueName('natsraw.');
    const dead = await inbox(on, deadLetterTopic(topic));
    const handled = await inbox(on, topic);
    const { servers } = parseNatsUrl(url);
    const native = await connect({ servers });
    cleanup.push(() => native.close());
    const js = jetstream(native);
    const traced = (value: string) => {
      const h = natsHeaders();
      h.set('x-trace', value);
      return h;
    };
    await js.publish(`${server.naming.subjectPrefix}.${topic}`, '{not json', { msgID: 'raw-1', headers: traced('t') });
    await js.publish(`${server.naming.subjectPrefix}.${topic}`, '{"fine":true}', { headers: traced('no-id') });
    await waitFor(() => dead.received.length === 2, { timeoutMs: 10_000, message: 'two dead letters' });
    expect(handled.received).toEqual([]);
    const notJson = dead.received.find((m) => m.id === 'raw-1');
    expect(notJson?.headers[DeadLetterHeaders.reason]).toBe('body is not JSON');
    expect(notJson?.headers[DeadLetterHeaders.originalTopic]).toBe(topic);
    expect(notJson?.headers['x-trace']).toBe('t');
    expect(notJson?.body).toBe('{not json');
    const noId = dead.received.find((m) => m.headers['x-trace'] === 'no-id');
    expect(noId?.headers[DeadLetterHeaders.reason]).toMatch(/no id/);
    expect(noId?.body).toEqual({ fine: true });
    expect(logger.entries.filter((e) => e.message === 'Dead-lettered a message')).toHaveLength(2);
  });

  it('counts deliveries whose consumer closed before acknowledging, and dead-letters past maxDeliveries', async () => {
    const on = await started();
    const topic = uniqueName('natsclosing.');
    const group = uniqueName('g-');
    const dead = await inbox(on, deadLetterTopic(topic));
    const counts: number[] = [];
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

  it('a member that closed takes no more messages: the rest of the group gets them at once', async () => {
    const on = await started();
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
    cleanup.push(() => proxy.close());
    const on = await started({ url: `nats://127.0.0.1:${proxy.port}`, reconnectDelayMs: 100, pullExpiresMs: 1_000, publishTimeoutMs: 2_000 });
    const topic = uniqueName('natsreconnect.');
    const got = await inbox(on, topic);
    await on.publish(topic, { id: 'before', headers: {}, body: 1 });
    await waitFor(() => got.received.length === 1, { timeoutMs: 10_000, message: 'the first message' });
    proxy.cut();
    await waitFor(async () => {
      await on.publish(topic, { id: 'after', headers: {}, body: 2 });
      return true;
    }, { timeoutMs: 15_000, intervalMs: 200, message: 'a publish after the reconnect' });
    await waitFor(() => got.received.some((m) => m.id === 'after'), { timeoutMs: 15_000, message: 'a message after the reconnect' });
  });

  it('refuses to publish or subscribe after destroy, saying what to do', async () => {
    const on = broker();
    await on.setup();
    await on.destroy();
    await expect(on.publish('x', { id: '1', headers: {}, body: null })).rejects.toThrow(/destroyed: create a new broker/);
  });
});
