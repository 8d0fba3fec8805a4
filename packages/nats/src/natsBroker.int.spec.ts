import { afterAll, describe, expect, it } from 'vitest';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { badInputScenario, brokerAdapterSuite, brokerContract, brokerTestKit, captureLogger, startTcpProxy, uniqueName, waitFor } from '@saga/testing';
import type { RawPublisher } from '@saga/testing';
import { DeadLetterHeaders, deadLetterTopic } from '@saga/core';
import type { MsgHdrs } from '@nats-io/transport-node';
import { NatsBroker } from './natsBroker.js';
import type { NatsBrokerOptions } from './natsBroker.js';
import { parseNatsUrl } from './natsConnection.js';
import { createBroker } from './createBroker.js';
import { natsTestServer } from './testServer.js';
import { consumerNameOf, streamOf } from './subjects.js';
import { startHoldingProxy } from './testHoldingProxy.js';

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

/**
 * Publishes a header block as written, past nats.js's checks (a Go client, or a hand-written HPUB,
 * sends names nats.js refuses), and waits for the stream's acknowledgement.
 */
const publishRawHeaders = async (topic: string, headerLines: ReadonlyArray<readonly [string, string]>, body: string): Promise<void> => {
  const native = await connect({ servers: parseNatsUrl(url).servers });
  try {
    const block = new TextEncoder().encode(`NATS/1.0\r\n${headerLines.map(([key, value]) => `${key}: ${value}\r\n`).join('')}\r\n`);
    const headers = { encode: () => block } as unknown as MsgHdrs;
    const ack = await native.request(`${server.naming.subjectPrefix}.${topic}`, new TextEncoder().encode(body), { headers, timeout: 5_000 });
    expect(ack.json<{ error?: unknown }>().error).toBeUndefined();
  } finally {
    await native.close();
  }
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

  // Before: what the server had sent to a closing member and was still on the wire reached a
  // subscription already gone, and stayed "ack pending" until the ack wait (30 s) ran out.
  for (const leave of ['Subscription.close()', 'destroy()'] as const) {
    it(`a member that leaves (${leave}) gives back at once what was on its way to it: another member gets it well before the ack wait, each message handled once`, async () => {
      const { servers } = parseNatsUrl(url);
      const [host = '127.0.0.1', port = '4222'] = (servers[0] ?? '').split(':');
      const proxy = await startHoldingProxy(host, Number(port));
      cleanup(() => proxy.close());
      const native = await connect({ servers });
      cleanup(() => native.close());
      const jsm = await jetstreamManager(native);
      const on = await started(broker());
      // A long ack wait, and a pull request that outlives the test: only a nak can bring the
      // messages back within the deadline below.
      const leaving = await started(broker({ url: `nats://127.0.0.1:${proxy.port}`, ackWaitMs: 30_000, pullExpiresMs: 20_000 }));
      const topic = uniqueName('natsheld.');
      const group = uniqueName('g-');
      const consumer = () => jsm.consumers.info(streamOf(server.naming, topic).stream, consumerNameOf(topic, group));
      const handled: Array<{ readonly by: 'leaving' | 'staying'; readonly id: string }> = [];
      const subscription = await leaving.subscribe(
        topic,
        group,
        async (m) => {
          handled.push({ by: 'leaving', id: m.id });
          await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
        },
        { concurrency: 4 },
      );
      await waitFor(async () => (await consumer()).num_waiting > 0, { timeoutMs: 5_000, message: "the leaving member's pull request at the server" });
      proxy.hold();
      const sent = Array.from({ length: 6 }, (_, n) => ({ id: `${topic}-${n}`, headers: {}, body: n }));
      for (const m of sent) await on.publish(topic, m);
      // The server sent its pull's worth (4) to the leaving member; they are held on the way.
      await waitFor(async () => (await consumer()).num_ack_pending === 4, { timeoutMs: 5_000, message: '4 messages delivered to the leaving member' });
      const left = Date.now();
      const leaving$ = leave === 'destroy()' ? leaving.destroy() : subscription.close();
      // Its UNSUB reaches the server first; then what was sent before it arrives.
      await new Promise((resolve) => setTimeout(resolve, 200));
      proxy.release();
      await leaving$;
      await on.subscribe(topic, group, async (m) => void handled.push({ by: 'staying', id: m.id }));
      await waitFor(() => sent.every((m) => handled.some((h) => h.id === m.id)), { timeoutMs: 5_000, message: 'all six at the staying member, within 5 s of the other leaving (ack wait 30 s)' });
      expect(Date.now() - left).toBeLessThan(10_000);
      // Nothing ran on the member that left, and nothing ran twice.
      expect(handled.filter((h) => h.by === 'leaving')).toEqual([]);
      expect(handled.map((h) => h.id).sort()).toEqual(sent.map((m) => m.id).sort());
      await waitFor(async () => {
        const info = await consumer();
        return info.num_pending + info.num_ack_pending === 0;
      }, { timeoutMs: 5_000, message: 'every message acknowledged' });
      expect(handled).toHaveLength(sent.length);
    });
  }

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

  it('dead-letters at once a message whose header names nats.js cannot read, naming them; the handler never sees it', async () => {
    const on = await started(broker());
    const topic = uniqueName('natsheaders.');
    const dead = await inbox(on, deadLetterTopic(topic));
    const handled = await inbox(on, topic);
    await publishRawHeaders(topic, [['Nats-Msg-Id', 'space-1'], ['x bad', '1'], ['x-trace', 't']], '{"ok":true}');
    await publishRawHeaders(topic, [['Nats-Msg-Id', 'accent-1'], ['x-caf\u00e9', '1']], '{"ok":true}');
    await waitFor(() => dead.received.length === 2, { timeoutMs: 10_000, message: 'two dead letters' });
    expect(handled.received).toEqual([]);
    const space = dead.received.find((m) => m.id === 'space-1');
    expect(space?.headers[DeadLetterHeaders.reason]).toMatch(/header name "x bad" is not allowed on NATS/);
    expect(space?.headers[DeadLetterHeaders.deliveries]).toBe('1');
    expect(space?.headers['x-trace']).toBe('t');
    expect(space?.body).toEqual({ ok: true });
    expect(dead.received.find((m) => m.id === 'accent-1')?.headers[DeadLetterHeaders.reason]).toMatch(/header name "x-café"/);
  });

  it('dead-letters a body so large that its letter would not fit, cut to fit, with the reason kept', async () => {
    const on = await started(broker());
    const topic = uniqueName('natsbig.');
    const dead = await inbox(on, deadLetterTopic(topic));
    const handled = await inbox(on, topic);
    const native = await connect({ servers: parseNatsUrl(url).servers });
    cleanup(() => native.close());
    const maxPayload = native.info?.max_payload ?? 1024 * 1024;
    // Not JSON, and as large as the server takes with its id header: the letter's headers overflow it.
    const body = new Uint8Array(maxPayload - 100).fill(0x78);
    const headers = natsHeaders();
    headers.set('x-trace', 'big');
    await jetstream(native).publish(`${server.naming.subjectPrefix}.${topic}`, body, { msgID: 'big-1', headers });
    await waitFor(() => dead.received.length === 1, { timeoutMs: 10_000, message: 'the dead letter of the large message' });
    expect(handled.received).toEqual([]);
    const letter = dead.received[0];
    expect(letter?.id).toBe('big-1');
    expect(letter?.headers['x-trace']).toBe('big');
    expect(letter?.headers[DeadLetterHeaders.reason]).toMatch(new RegExp(`^body is not JSON \\(dead letter too large for NATS: body cut to \\d+ of ${body.length} bytes\\)$`));
    expect(typeof letter?.body === 'string' && letter.body.length > maxPayload - 1_000).toBe(true);
  });

  it('says at warn when a message goes to a subject no group consumes (the stream drops it), and not when one does', async () => {
    const logger = captureLogger();
    const on = await started(broker({ logger }));
    const service = uniqueName('natsnobody');
    const unheard = `${service}.nobody`;
    const heard = `${service}.somebody`;
    const got = await inbox(on, heard);
    // publish resolves after the check: the warning, if any, is already logged.
    await on.publish(unheard, { id: 'unheard', headers: {}, body: 1 });
    await on.publish(heard, { id: 'heard', headers: {}, body: 2 });
    await waitFor(() => got.received.length === 1, { timeoutMs: 10_000, message: 'the message with a consumer' });
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/no group subscribes/), fields: expect.objectContaining({ topic: unheard, messageId: 'unheard' }) }),
    ]);
  });
});
