/**
 * A Broker that records every request message its subscriptions receive, before the participant
 * sees it (so before `SagaParticipant`'s own de-duplication), then hands it on. The participant
 * process stores these records in its `deliveries` table: the crash test compares them with the
 * effects to count duplicate deliveries that changed nothing.
 */
import type { Broker, DeliveredMessage, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';

export const recordingBroker = (inner: Broker, record: (message: DeliveredMessage) => Promise<void>, shouldRecord: (topic: string) => boolean): Broker => ({
  setup: () => inner.setup(),
  destroy: () => inner.destroy(),
  publish: (topic, message) => inner.publish(topic, message),
  subscribe: (topic: string, group: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription> =>
    inner.subscribe(
      topic,
      group,
      async (message) => {
        // A delivery that cannot be recorded is not handled either: the broker redelivers it.
        if (shouldRecord(topic)) await record(message);
        await handler(message);
      },
      options,
    ),
});
