import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterHeaders, PoisonMessageError, deadLetterTopic } from '@saga/core';
import type { Broker, BrokerMessage, DeliveredMessage, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import { uniqueName } from './uniqueName.js';
import { waitFor } from './waitFor.js';

export interface BrokerContractOptions {
  /** Skips the whole suite; the reason is shown in the suite's title (e.g. "no server: set SAGA_TEST_…"). */
  readonly skip?: string;
  /** How long to wait for a delivery before failing. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * How long to watch for a delivery that must NOT happen (a second copy, a redelivery after a
   * poison message, …). Only these negative checks wait a fixed time. Default 200 ms.
   */
  readonly quietMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A handler that stores what it receives, and the subscription to close at the end of the test. */
interface Recorder {
  readonly received: DeliveredMessage[];
  readonly handler: MessageHandler;
}

const recorder = (behaviour: (message: DeliveredMessage, received: readonly DeliveredMessage[]) => Promise<void> = async () => {}): Recorder => {
  const received: DeliveredMessage[] = [];
  return {
    received,
    handler: async (message) => {
      received.push(message);
      await behaviour(message, received);
    },
  };
};

/**
 * The behaviour every `Broker` adapter must have (see the header of the Broker port). Call it at the
 * top level of a spec file:
 *
 *   brokerContract('RabbitMqBroker', async () => new RabbitMqBroker({ url }));
 *
 * `makeBroker` is called before every test; the suite calls `setup()` and, after the test, closes
 * its subscriptions and calls `destroy()`. Topics and groups get random names, so the suite can run
 * against a shared server. `subscribe` must resolve only once the subscription receives messages
 * published after it, and `Subscription.close()` must not wait for handlers that never finish.
 */
export const brokerContract = (name: string, makeBroker: () => Promise<Broker>, options: BrokerContractOptions = {}): void => {
  if (options.skip !== undefined) {
    describe.skip(`${name} — Broker contract skipped: ${options.skip}`, () => {
      it('is skipped', () => {});
    });
    return;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const quietMs = options.quietMs ?? 200;

  describe(`${name} — Broker contract`, () => {
    let broker: Broker;
    let subscriptions: Subscription[] = [];
    /** Releases handlers that a test left blocked, so nothing dangles after it. */
    let releases: Array<() => void> = [];

    beforeEach(async () => {
      broker = await makeBroker();
      await broker.setup();
    });

    afterEach(async () => {
      for (const release of releases) release();
      releases = [];
      await Promise.allSettled(subscriptions.map((subscription) => subscription.close()));
      subscriptions = [];
      await broker.destroy();
    });

    const subscribe = async (topic: string, group: string, handler: MessageHandler, subscribeOptions?: SubscribeOptions): Promise<Subscription> => {
      const subscription = await broker.subscribe(topic, group, handler, subscribeOptions);
      subscriptions.push(subscription);
      return subscription;
    };

    const message = (body: BrokerMessage['body'] = { n: 1 }, headers: Record<string, string> = {}): BrokerMessage => ({
      id: uniqueName('msg-'),
      headers,
      body,
    });

    const until = (predicate: () => boolean, what: string): Promise<boolean> => waitFor(predicate, { timeoutMs, message: what });

    const fast: SubscribeOptions = { redeliveryDelayMs: 10 };

    it('delivers id, headers and body as published, with the topic and deliveryCount 1', async () => {
      const topic = uniqueName('contract.roundtrip.');
      const inbox = recorder();
      await subscribe(topic, uniqueName('g-'), inbox.handler);
      const sent = message(
        { text: 'héllo 🌍 مرحبا', list: [1, 2.5, null, true], nested: { deep: { ok: false } }, empty: {} },
        { 'content-kind': 'test', 'x-saga-id': 'abc-123', 'x-unicode': 'żółć' },
      );
      await broker.publish(topic, sent);
      await until(() => inbox.received.length === 1, 'the message');
      const [got] = inbox.received;
      expect(got?.id).toBe(sent.id);
      expect(got?.topic).toBe(topic);
      expect(got?.deliveryCount).toBe(1);
      expect(got?.headers).toMatchObject(sent.headers);
      expect(got?.body).toEqual(sent.body);
    });

    it('gives each message to one member of a group (competing consumers)', async () => {
      const topic = uniqueName('contract.compete.');
      const group = uniqueName('g-');
      const first = recorder();
      const second = recorder();
      await subscribe(topic, group, first.handler);
      await subscribe(topic, group, second.handler);
      const sent = Array.from({ length: 20 }, (_, n) => message({ n }));
      for (const m of sent) await broker.publish(topic, m);
      const total = (): number => first.received.length + second.received.length;
      await until(() => total() >= 20, '20 deliveries across the group');
      await sleep(quietMs);
      const ids = [...first.received, ...second.received].map((m) => m.id);
      expect(ids).toHaveLength(20);
      expect(new Set(ids)).toEqual(new Set(sent.map((m) => m.id)));
    });

    it('gives every message to every group (fan-out)', async () => {
      const topic = uniqueName('contract.fanout.');
      const one = recorder();
      const two = recorder();
      await subscribe(topic, uniqueName('g1-'), one.handler);
      await subscribe(topic, uniqueName('g2-'), two.handler);
      const sent = Array.from({ length: 5 }, (_, n) => message({ n }));
      for (const m of sent) await broker.publish(topic, m);
      await until(() => one.received.length >= 5 && two.received.length >= 5, '5 messages in each group');
      await sleep(quietMs);
      expect(one.received.map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort());
      expect(two.received.map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort());
    });

    it('keeps the order of messages for a single consumer', async () => {
      const topic = uniqueName('contract.order.');
      const inbox = recorder();
      await subscribe(topic, uniqueName('g-'), inbox.handler, { concurrency: 1 });
      for (let n = 0; n < 10; n += 1) await broker.publish(topic, message({ n }));
      await until(() => inbox.received.length >= 10, '10 messages');
      expect(inbox.received.map((m) => (m.body as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('redelivers a message whose handler threw, counting deliveries', async () => {
      const topic = uniqueName('contract.retry.');
      const dead = recorder();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-'), dead.handler);
      const inbox = recorder(async (_message, received) => {
        if (received.length < 3) throw new Error(`transient failure ${received.length}`);
      });
      await subscribe(topic, uniqueName('g-'), inbox.handler, { ...fast, maxDeliveries: 5 });
      const sent = message({ retry: true });
      await broker.publish(topic, sent);
      await until(() => inbox.received.length >= 3, 'two redeliveries');
      await sleep(quietMs);
      expect(inbox.received.map((m) => m.id)).toEqual([sent.id, sent.id, sent.id]);
      expect(inbox.received.map((m) => m.deliveryCount)).toEqual([1, 2, 3]);
      expect(inbox.received[2]?.body).toEqual(sent.body);
      expect(dead.received).toEqual([]);
    });

    it('dead-letters a message after maxDeliveries, with the reason and the original topic', async () => {
      const topic = uniqueName('contract.dead.');
      const dead = recorder();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-'), dead.handler);
      const failure = uniqueName('always failing ');
      const inbox = recorder(async () => {
        throw new Error(failure);
      });
      await subscribe(topic, uniqueName('g-'), inbox.handler, { ...fast, maxDeliveries: 3 });
      const sent = message({ doomed: true }, { 'x-trace': 't-1' });
      await broker.publish(topic, sent);
      await until(() => dead.received.length >= 1, 'the dead letter');
      await sleep(quietMs);
      expect(inbox.received.map((m) => m.deliveryCount)).toEqual([1, 2, 3]);
      expect(dead.received).toHaveLength(1);
      const [letter] = dead.received;
      expect(letter?.id).toBe(sent.id);
      expect(letter?.topic).toBe(deadLetterTopic(topic));
      expect(letter?.body).toEqual(sent.body);
      expect(letter?.headers['x-trace']).toBe('t-1');
      expect(letter?.headers[DeadLetterHeaders.reason]).toContain(failure);
      expect(letter?.headers[DeadLetterHeaders.originalTopic]).toBe(topic);
      expect(letter?.headers[DeadLetterHeaders.deliveries]).toBe('3');
    });

    it('dead-letters at once, without redelivery, when the handler throws PoisonMessageError', async () => {
      const topic = uniqueName('contract.poison.');
      const dead = recorder();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-'), dead.handler);
      const inbox = recorder(async () => {
        throw new PoisonMessageError('the body is not a reply: no requestId');
      });
      await subscribe(topic, uniqueName('g-'), inbox.handler, { ...fast, maxDeliveries: 5 });
      const sent = message({ garbage: true });
      await broker.publish(topic, sent);
      await until(() => dead.received.length >= 1, 'the dead letter');
      await sleep(quietMs);
      expect(inbox.received).toHaveLength(1);
      const [letter] = dead.received;
      expect(letter?.id).toBe(sent.id);
      expect(letter?.body).toEqual(sent.body);
      expect(letter?.headers[DeadLetterHeaders.reason]).toContain('the body is not a reply: no requestId');
      expect(letter?.headers[DeadLetterHeaders.originalTopic]).toBe(topic);
      expect(letter?.headers[DeadLetterHeaders.deliveries]).toBe('1');
    });

    it('redelivers to another member a message whose consumer closed before acknowledging', async () => {
      const topic = uniqueName('contract.death.');
      const group = uniqueName('g-');
      // The dying consumer never finishes its handler, like a process that hangs and is killed.
      const dying = recorder(
        () =>
          new Promise<void>((resolve) => {
            releases.push(resolve);
          }),
      );
      const dyingSubscription = await subscribe(topic, group, dying.handler, fast);
      const sent = message({ survive: true });
      await broker.publish(topic, sent);
      await until(() => dying.received.length === 1, 'the first delivery');

      const survivor = recorder();
      await subscribe(topic, group, survivor.handler, fast);
      await dyingSubscription.close();
      await until(() => survivor.received.length >= 1, 'the redelivery to the surviving member');
      expect(survivor.received[0]?.id).toBe(sent.id);
      expect(survivor.received[0]?.body).toEqual(sent.body);
    });

    it('runs at most `concurrency` handlers at once per subscription', async () => {
      const topic = uniqueName('contract.concurrency.');
      let active = 0;
      let maxActive = 0;
      let done = 0;
      const waiting: Array<() => void> = [];
      await subscribe(
        topic,
        uniqueName('g-'),
        async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            releases.push(resolve);
          });
          active -= 1;
          done += 1;
        },
        { concurrency: 2 },
      );
      for (let n = 0; n < 6; n += 1) await broker.publish(topic, message({ n }));
      await until(() => active >= 2, 'two handlers running');
      await sleep(quietMs);
      expect(active).toBe(2);
      while (done < 6) {
        const release = waiting.shift();
        if (release === undefined) {
          await until(() => waiting.length > 0 || done === 6, 'the next handler to start');
          continue;
        }
        release();
        await sleep(0);
      }
      expect(maxActive).toBe(2);
    });
  });
};
