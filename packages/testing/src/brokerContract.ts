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
   * How long the one check that no event can prove watches: that a subscription whose `concurrency`
   * handlers are all blocked starts no more (see `concurrencyQuietMs`). Default 200 ms.
   */
  readonly quietMs?: number;
}

/**
 * The only fixed wait of the contract. Every other "must NOT be delivered" check waits on an event
 * that comes after what must not come (a sentinel message behind it in the same queue, or a probe's
 * dead letter behind any redelivery or dead letter the message under test could still cause). But a
 * subscription whose `concurrency` handlers are all blocked receives nothing by design, and what its
 * broker does elsewhere says nothing about its flow control: no event can show that a third handler
 * will not start, so that one check watches for a bounded while.
 */
const concurrencyQuietMs = 200;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Marks the messages a test sends only to prove that nothing more is coming (sentinels and probes). */
const markerHeader = 'x-contract-marker';
const isMarker = (message: DeliveredMessage): boolean => message.headers[markerHeader] !== undefined;
/** The messages under test: what a recorder received, less sentinels and probes. */
const tested = (received: readonly DeliveredMessage[]): DeliveredMessage[] => received.filter((m) => !isMarker(m));

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
 * The behaviour of the redelivery tests' handlers: a probe fails once (so it is redelivered through
 * the same delayed path as the message under test) and then as poison (so it goes to the dead-letter
 * topic at once); the messages under test get `behaviour`, with only their own deliveries.
 */
const probing =
  (behaviour: (message: DeliveredMessage, received: readonly DeliveredMessage[]) => Promise<void>) =>
  async (message: DeliveredMessage, received: readonly DeliveredMessage[]): Promise<void> => {
    if (!isMarker(message)) return behaviour(message, tested(received));
    if (message.deliveryCount === 1) throw new Error('contract probe: fails once, to be redelivered');
    throw new PoisonMessageError('contract probe: dead-lettered on its second delivery');
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
  const quietMs = options.quietMs ?? concurrencyQuietMs;

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

    const marker = (kind: 'sentinel' | 'probe'): BrokerMessage => message({ [kind]: true }, { [markerHeader]: kind });

    /**
     * Proves that the message under test will cause nothing more (no redelivery, no dead letter,
     * beyond what the test saw) by an event rather than a while: a probe published now, on a
     * subscription with `concurrency: 1` whose handler is `probing(…)`, is first delivered only once
     * the message under test is settled, so any redelivery that settling scheduled is queued before
     * the probe's own (same delay, same path) and any dead letter it sent is before the probe's. The
     * probe's dead letter is awaited: by then whatever the message under test could still cause has
     * arrived.
     */
    const probeAfter = async (topic: string, dead: Recorder): Promise<void> => {
      const probe = marker('probe');
      await broker.publish(topic, probe);
      await until(() => dead.received.some((m) => m.id === probe.id), "the probe's dead letter, behind anything more of the message under test");
    };

    /**
     * Proves that no more copies are on their way to `members`, by a sentinel published behind the
     * messages under test: each member receives its queue in order, so a member that received a
     * sentinel has received every copy queued before it. Competing members share sentinels, so more
     * are sent until each member that received anything has one (or ten went to the others: a broker
     * may give all of a group's messages to one member).
     */
    const sentinelsThrough = async (topic: string, members: readonly Recorder[]): Promise<void> => {
      const sentinels = (member: Recorder): number => member.received.filter(isMarker).length;
      for (let sent = 0; sent < 10; sent += 1) {
        if (members.every((member) => tested(member.received).length === 0 || sentinels(member) > 0)) return;
        const sentinel = marker('sentinel');
        await broker.publish(topic, sentinel);
        await until(() => members.some((member) => member.received.some((m) => m.id === sentinel.id)), 'the sentinel behind the messages under test');
      }
    };

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
      // A second copy (the group treated as two) would be queued before the sentinels.
      await sentinelsThrough(topic, [first, second]);
      const ids = [...tested(first.received), ...tested(second.received)].map((m) => m.id);
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
      // A second copy in a group would be queued before the sentinel.
      const sentinel = marker('sentinel');
      await broker.publish(topic, sentinel);
      await until(() => [one, two].every((group) => group.received.some((m) => m.id === sentinel.id)), 'the sentinel in each group');
      expect(tested(one.received).map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort());
      expect(tested(two.received).map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort());
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
      const inbox = recorder(
        probing(async (_message, received) => {
          if (received.length < 3) throw new Error(`transient failure ${received.length}`);
        }),
      );
      await subscribe(topic, uniqueName('g-'), inbox.handler, { ...fast, maxDeliveries: 5, concurrency: 1 });
      const sent = message({ retry: true });
      await broker.publish(topic, sent);
      await until(() => inbox.received.length >= 3, 'two redeliveries');
      // No fourth delivery and no dead letter can come after the probe's dead letter.
      await probeAfter(topic, dead);
      const got = tested(inbox.received);
      expect(got.map((m) => m.id)).toEqual([sent.id, sent.id, sent.id]);
      expect(got.map((m) => m.deliveryCount)).toEqual([1, 2, 3]);
      expect(got[2]?.body).toEqual(sent.body);
      expect(tested(dead.received)).toEqual([]);
    });

    it('dead-letters a message after maxDeliveries, with the reason and the original topic', async () => {
      const topic = uniqueName('contract.dead.');
      const dead = recorder();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-'), dead.handler);
      const failure = uniqueName('always failing ');
      const inbox = recorder(
        probing(async () => {
          throw new Error(failure);
        }),
      );
      await subscribe(topic, uniqueName('g-'), inbox.handler, { ...fast, maxDeliveries: 3, concurrency: 1 });
      const sent = message({ doomed: true }, { 'x-trace': 't-1' });
      await broker.publish(topic, sent);
      await until(() => dead.received.length >= 1, 'the dead letter');
      // No fourth delivery and no second dead letter can come after the probe's dead letter.
      await probeAfter(topic, dead);
      expect(tested(inbox.received).map((m) => m.deliveryCount)).toEqual([1, 2, 3]);
      expect(tested(dead.received)).toHaveLength(1);
      const [letter] = tested(dead.received);
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
      const inbox = recorder(
        probing(async () => {
          throw new PoisonMessageError('the body is not a reply: no requestId');
        }),
      );
      await subscribe(topic, uniqueName('g-'), inbox.handler, { ...fast, maxDeliveries: 5, concurrency: 1 });
      const sent = message({ garbage: true });
      await broker.publish(topic, sent);
      await until(() => dead.received.length >= 1, 'the dead letter');
      // No redelivery and no second dead letter can come after the probe's dead letter.
      await probeAfter(topic, dead);
      expect(tested(inbox.received)).toHaveLength(1);
      expect(tested(dead.received)).toHaveLength(1);
      const [letter] = tested(dead.received);
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

    it('hands one execution\'s messages over one at a time, in order, when it says so (deliversEachExecutionInOrder)', async (context) => {
      // Only a broker that makes the claim is held to it (the engine then does not wait for the next one).
      if (broker.deliversEachExecutionInOrder !== true) return context.skip();
      const topic = uniqueName('contract.in-order.');
      let active = 0;
      let maxActive = 0;
      const handled: number[] = [];
      await subscribe(
        topic,
        uniqueName('g-'),
        async (delivered) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await sleep(20);
          handled.push((delivered.body as { n: number }).n);
          active -= 1;
        },
        { concurrency: 8 },
      );
      for (let n = 0; n < 4; n += 1) await broker.publish(topic, message({ n }, { sagaId: 'one-execution' }));
      await until(() => handled.length === 4, 'the four messages of one execution');
      expect(maxActive).toBe(1);
      expect(handled).toEqual([0, 1, 2, 3]);
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
      // The one bounded quiet period of the contract (see concurrencyQuietMs): nothing can show
      // that a third handler will not start while these two are blocked.
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
