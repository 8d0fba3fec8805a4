import { afterEach } from 'vitest';
import type { Broker, DeliveredMessage, SubscribeOptions, Subscription } from '@saga/core';
import { uniqueName } from './uniqueName.js';

/** What a subscription has received so far, and the subscription. */
export interface Inbox {
  readonly received: DeliveredMessage[];
  readonly subscription: Subscription;
}

export interface BrokerTestKit {
  /** Sets `broker` up and returns it; it is destroyed after the test. */
  started<B extends Broker>(broker: B): Promise<B>;
  /** Subscribes a handler that keeps what it receives (a fresh group unless given); closed after the test. */
  inbox(on: Broker, topic: string, group?: string, options?: SubscribeOptions): Promise<Inbox>;
  /** Runs `step` after the test; the steps run in the reverse order of their registration, and may fail. */
  cleanup(step: () => Promise<unknown>): void;
}

/**
 * Brokers, subscriptions and connections for tests against a real broker, all closed after each
 * test. Call it inside a `describe`:
 *
 *   describe('my broker on a real server', () => {
 *     const { started, inbox } = brokerTestKit();
 *     it('…', async () => {
 *       const on = await started(new RabbitMqBroker({ url }));
 *       const got = await inbox(on, 'order.reply');
 *       …
 */
export const brokerTestKit = (): BrokerTestKit => {
  const steps: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step().catch(() => {});
  });
  const cleanup = (step: () => Promise<unknown>): void => {
    steps.push(step);
  };
  return {
    cleanup,
    started: async (broker) => {
      cleanup(() => broker.destroy());
      await broker.setup();
      return broker;
    },
    inbox: async (on, topic, group = uniqueName('g-'), options = {}) => {
      const received: DeliveredMessage[] = [];
      const subscription = await on.subscribe(topic, group, async (m) => void received.push(m), options);
      cleanup(() => subscription.close());
      return { received, subscription };
    },
  };
};
