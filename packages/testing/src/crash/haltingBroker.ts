/**
 * A Broker decorator that stops its process at a chosen message, for crash tests in real processes:
 * before a publish reaches the broker, after the broker confirmed it (before the engine hears so), or
 * when a delivery arrives (before the handler runs, so it is never acknowledged and comes back to
 * another consumer). `halt` never returns: the test kills the process there (see `haltForKill`).
 *
 * Test code only: the engine and the participant run unchanged on top of it.
 */
import type { Broker, BrokerMessage, DeliveredMessage, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';

export type PublishMatcher = (topic: string, message: BrokerMessage) => boolean;

export interface HaltingBrokerOptions {
  readonly beforePublish?: PublishMatcher;
  readonly afterPublish?: PublishMatcher;
  readonly onDelivery?: (message: DeliveredMessage) => boolean;
  readonly halt: (point: string, details: Readonly<Record<string, unknown>>) => Promise<never>;
  /** True once the process halted anywhere: every later publish and delivery waits forever too. */
  readonly halted?: () => boolean;
}

const never = (): Promise<never> => new Promise<never>(() => undefined);

export const haltingBroker = (inner: Broker, options: HaltingBrokerOptions): Broker => {
  const frozen = options.halted ?? (() => false);
  return {
    setup: () => inner.setup(),
    destroy: () => inner.destroy(),
    publish: async (topic: string, message: BrokerMessage): Promise<void> => {
      if (frozen()) return never();
      if (options.beforePublish?.(topic, message)) return options.halt('before publish', { topic, headers: message.headers });
      await inner.publish(topic, message);
      if (options.afterPublish?.(topic, message)) return options.halt('after publish', { topic, headers: message.headers });
    },
    subscribe: (topic: string, group: string, handler: MessageHandler, subscribeOptions?: SubscribeOptions): Promise<Subscription> =>
      inner.subscribe(
        topic,
        group,
        async (message) => {
          if (frozen()) return never();
          if (options.onDelivery?.(message)) return options.halt('on delivery', { topic: message.topic, headers: message.headers });
          await handler(message);
        },
        subscribeOptions,
      ),
  };
};
