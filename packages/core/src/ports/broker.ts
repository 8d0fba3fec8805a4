/**
 * The Broker port: topics, consumer groups, at-least-once delivery.
 *
 * Semantics every adapter guarantees (enforced by `brokerContract` in `@saga/testing`):
 * - `publish` resolves only once the broker has accepted the message (publisher confirms).
 * - `subscribe(topic, group, handler)`: subscriptions with the same `group` compete (each message
 *   goes to one of them); different groups each get every message.
 * - A message is acknowledged only after `handler` resolved. When `handler` throws, the message is
 *   redelivered (to any member of the group) up to `maxDeliveries` deliveries in all; then it is
 *   dead-lettered with the last error as the reason.
 * - A handler that throws `PoisonMessageError` (malformed input that no retry can fix) sends the
 *   message to the dead-letter topic at once.
 * - Dead letters are published to `deadLetterTopic(topic)` with headers `x-dead-letter-reason`,
 *   `x-original-topic` and `x-deliveries`, and the original id, headers and body.
 * - A message whose consumer dies before acknowledging is delivered again.
 * - Order is kept per topic for a single consumer, except around redeliveries.
 */
import type { JsonValue } from '@saga/definitions';

export interface BrokerMessage {
  /** Unique per message; adapters use it for de-duplication where the broker supports it. */
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: JsonValue;
}

export interface DeliveredMessage extends BrokerMessage {
  readonly topic: string;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  readonly deliveryCount: number;
}

export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Deliveries in all before the message is dead-lettered. Default 5. */
  readonly maxDeliveries?: number;
  /** Delay before a failed message is redelivered. Default 100 ms (adapters may add backoff). */
  readonly redeliveryDelayMs?: number;
  /** Messages handled at once by this subscription. Default 16. */
  readonly concurrency?: number;
}

export interface Subscription {
  /** Stops consuming; messages not yet acknowledged are redelivered to other members. */
  close(): Promise<void>;
}

export interface Broker {
  setup(): Promise<void>;
  destroy(): Promise<void>;
  publish(topic: string, message: BrokerMessage): Promise<void>;
  subscribe(topic: string, group: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription>;
  /**
   * True when one execution's messages (keyed by the `sagaId` header) reach a group one at a time,
   * in order (Kafka: one partition key after the other): a handler of one can never see the next
   * one of the same execution arrive while it waits, so the engine does not wait for it
   * (`voteLingerMs` defaults to 0). Absent: false.
   */
  readonly deliversEachExecutionInOrder?: boolean;
}

/** Where the dead letters of `topic` go. */
export const deadLetterTopic = (topic: string): string => `${topic}.dead-letter`;

/** Whether `topic` is the dead-letter topic of another topic. */
export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith(deadLetterTopic('')) && topic.length > deadLetterTopic('').length;

export const DeadLetterHeaders = {
  reason: 'x-dead-letter-reason',
  originalTopic: 'x-original-topic',
  deliveries: 'x-deliveries',
} as const;

export const defaultSubscribeOptions = {
  maxDeliveries: 5,
  redeliveryDelayMs: 100,
  concurrency: 16,
} as const satisfies Required<SubscribeOptions>;
