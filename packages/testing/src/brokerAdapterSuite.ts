import { describe, expect, it } from 'vitest';
import { DeadLetterHeaders, deadLetterTopic } from '@saga/core';
import type { Broker, Logger } from '@saga/core';
import { brokerTestKit } from './brokerTestKit.js';
import { captureLogger } from './captureLogger.js';
import type { RawPublisher } from './rawMessage.js';
import { uniqueName } from './uniqueName.js';
import { waitFor } from './waitFor.js';

/** Where `unreachable` must point: nothing listens there, and the password must never show. */
export interface UnreachableTarget {
  /** `127.0.0.1:1`. */
  readonly host: string;
  readonly user: string;
  readonly password: string;
}

export interface BrokerAdapterSuiteOptions {
  /** Skips the whole suite; the reason is shown in the suite's title. */
  readonly skip?: string | undefined;
  /** A broker on the test server, not set up yet; `logger` replaces its logger when given. */
  readonly broker: (options?: { readonly logger?: Logger }) => Broker;
  /** A broker whose URL names `target` (user, password and host), with a connect timeout of a second or two. */
  readonly unreachable: (target: UnreachableTarget) => Broker;
  /** Opens the broker's own client, to publish what the adapter would refuse to. */
  readonly rawPublisher: () => Promise<RawPublisher>;
  /** How long to wait for a delivery. Default 10 000 ms; a test may take twice as long. */
  readonly timeoutMs?: number;
  /**
   * Whether the deliveries of a message to members that closed without acknowledging it are counted,
   * so that it is dead-lettered past `maxDeliveries`. Default true; Kafka counts per member only.
   */
  readonly countsDeliveriesAcrossMembers?: boolean;
}

/**
 * What every broker adapter must do on a real server, beyond the `brokerContract`: fail setup with
 * a message that says what to fix (and hides the password), dead-letter what any client may publish
 * but no handler can take, and refuse to work once destroyed. Call it at the top level of a spec file,
 * next to `brokerContract`:
 *
 *   brokerAdapterSuite('RabbitMqBroker', { broker: (options) => new RabbitMqBroker({ url, ...options }), unreachable, rawPublisher });
 */
export const brokerAdapterSuite = (name: string, options: BrokerAdapterSuiteOptions): void => {
  if (options.skip !== undefined) {
    describe.skip(`${name} — Broker adapter suite skipped: ${options.skip}`, () => {
      it('is skipped', () => {});
    });
    return;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;

  describe(`${name} — Broker adapter suite`, { timeout: 2 * timeoutMs }, () => {
    const { started, inbox, cleanup } = brokerTestKit();

    it('fails setup with an error naming the host and the variable to fix, without the password', async () => {
      const unreachable = options.unreachable({ host: '127.0.0.1:1', user: 'saga', password: 's3cret' });
      const error = await unreachable.setup().then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toContain('127.0.0.1:1');
      expect(error?.message).toContain('SAGA_BROKER_URL');
      expect(error?.message).not.toContain('s3cret');
      await unreachable.destroy();
    });

    it('dead-letters a body that is not JSON, and a message without an id, with the reason; the handler never sees them', async () => {
      const logger = captureLogger();
      const on = await started(options.broker({ logger }));
      const topic = uniqueName('adapter.raw.');
      const dead = await inbox(on, deadLetterTopic(topic));
      const handled = await inbox(on, topic);
      const raw = await options.rawPublisher();
      cleanup(() => raw.close());
      await raw.publish([
        { topic, id: 'raw-1', headers: { 'x-trace': 't' }, body: Buffer.from('{not json') },
        { topic, id: undefined, headers: { 'x-trace': 'no-id' }, body: Buffer.from('{"fine":true}') },
      ]);
      await waitFor(() => dead.received.length === 2, { timeoutMs, message: 'two dead letters' });
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
      // The adapter logs once the broker confirmed the letter, which may be after a reader got it.
      const logged = (): number => logger.entries.filter((e) => e.message === 'Dead-lettered a message').length;
      await waitFor(() => logged() >= 2, { timeoutMs, message: 'the two dead letters logged' });
      expect(logged()).toBe(2);
    });

    it.skipIf(options.countsDeliveriesAcrossMembers === false)(
      'counts deliveries whose consumer closed before acknowledging, and dead-letters past maxDeliveries',
      async () => {
        const on = await started(options.broker());
        const topic = uniqueName('adapter.closing.');
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
          await waitFor(() => got, { timeoutMs, message: `delivery ${member + 1}` });
          await subscription.close();
        }
        const last = await inbox(on, topic, group, { maxDeliveries: 2 });
        await waitFor(() => dead.received.length === 1, { timeoutMs, message: `the dead letter ${JSON.stringify({ counts, last: last.received })}` });
        expect(counts).toEqual([1, 2]);
        expect(last.received).toEqual([]);
        expect(dead.received[0]?.headers[DeadLetterHeaders.deliveries]).toBe('2');
        expect(dead.received[0]?.headers[DeadLetterHeaders.reason]).toMatch(/closed or died before acknowledging/);
      },
    );

    it('refuses to publish or subscribe after destroy, saying what to do', async () => {
      const on = options.broker();
      await on.setup();
      await on.destroy();
      await expect(on.publish('x', { id: '1', headers: {}, body: null })).rejects.toThrow(/destroyed: create a new broker/);
    });
  });
};
