/**
 * What the adapter declares on RabbitMQ. One durable direct exchange routes each message by its
 * topic, taken as an exact routing key (so dots in topics are plain characters). Each consumer
 * group of a topic has:
 *   - `<topic>::<group>`          a quorum queue bound to the topic: the group's messages; members compete.
 *   - `<topic>::<group>::retry`   a classic queue without consumers: a failed message waits here
 *                                 `redeliveryDelayMs`, then expires back into the group's queue.
 * and each topic has `<topic>.dead-letter::parked`, bound to the dead-letter topic, so dead letters
 * are kept even when no one subscribes to them. On an exchange other than `saga`, every queue name
 * starts with `<exchange>::`.
 */
import { SagaError, deadLetterTopic } from '@saga/core';
import type { Channel } from 'amqplib';

export interface TopologyOptions {
  readonly exchange: string;
  /** RabbitMQ `x-expires`: queues unused for this long are deleted (tests, throwaway environments). */
  readonly queueExpiresMs: number | undefined;
  readonly parkDeadLetters: boolean;
}

/** The default exchange, whose queues keep the names they had before exchanges namespaced them. */
export const defaultExchange = 'saga';

/**
 * Queue names start with the exchange (all but the default one's), so two brokers on different
 * exchanges of one server never share, and so never steal from, each other's queues.
 */
const inExchange = (options: Pick<TopologyOptions, 'exchange'>, name: string): string =>
  checkedName(options.exchange === defaultExchange ? name : `${options.exchange}::${name}`);

export const groupQueue = (options: Pick<TopologyOptions, 'exchange'>, topic: string, group: string): string => inExchange(options, `${topic}::${group}`);
export const retryQueue = (options: Pick<TopologyOptions, 'exchange'>, topic: string, group: string): string => inExchange(options, `${topic}::${group}::retry`);
export const parkingQueue = (options: Pick<TopologyOptions, 'exchange'>, topic: string): string => inExchange(options, `${deadLetterTopic(topic)}::parked`);

/** Topics are routing keys and part of queue names; both are short strings on the wire. */
export const checkTopic = (topic: string): void => {
  if (typeof topic !== 'string' || topic.length === 0) throw new SagaError('A topic name must be a non-empty string.');
  if (Buffer.byteLength(topic) > 200) throw new SagaError(`Topic '${topic.slice(0, 40)}…' is too long for RabbitMQ: keep topics under 200 bytes.`);
};

export const checkGroup = (group: string): void => {
  if (typeof group !== 'string' || group.length === 0) throw new SagaError('A group name must be a non-empty string.');
};

const checkedName = (name: string): string => {
  if (Buffer.byteLength(name) > 255) {
    throw new SagaError(`RabbitMQ queue name '${name.slice(0, 60)}…' would be longer than 255 bytes: use a shorter topic or group name.`);
  }
  return name;
};

export const declareExchange = async (channel: Channel, options: TopologyOptions): Promise<void> => {
  await channel.assertExchange(options.exchange, 'direct', { durable: true });
};

/** Idempotent: called on every subscribe and after every reconnect (an expired queue comes back). */
export const declareGroup = async (channel: Channel, options: TopologyOptions, topic: string, group: string): Promise<void> => {
  const expires = options.queueExpiresMs === undefined ? {} : { 'x-expires': options.queueExpiresMs };
  const main = groupQueue(options, topic, group);
  await declareExchange(channel, options);
  await channel.assertQueue(main, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      // Only RabbitMQ's own give-up (a quorum queue's delivery limit) uses these: the adapter
      // dead-letters with a reason itself long before.
      'x-dead-letter-exchange': options.exchange,
      'x-dead-letter-routing-key': deadLetterTopic(topic),
      ...expires,
    },
  });
  await channel.bindQueue(main, options.exchange, topic);
  await channel.assertQueue(retryQueue(options, topic, group), {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': main, ...expires },
  });
  if (options.parkDeadLetters) {
    await channel.assertQueue(parkingQueue(options, topic), { durable: true, arguments: { ...expires } });
    await channel.bindQueue(parkingQueue(options, topic), options.exchange, deadLetterTopic(topic));
  }
};
