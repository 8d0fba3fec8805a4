/**
 * One member of a consumer group: a channel consuming the group's queue with `prefetch =
 * concurrency`, so at most that many handlers run, each message acknowledged after its handler.
 *
 * A failure is not nacked back to the queue (RabbitMQ would redeliver it at once, with no delay):
 * a copy goes to the group's retry queue with its delivery count, expires back after
 * `redeliveryDelayMs`, and the original is acknowledged once the copy is confirmed.
 */
import { abandonedDelivery, abortableDelay, afterHandlerFailure, deadLetterReason } from '@saga/core';
import type { DeliveredMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import type { Channel, ConsumeMessage } from 'amqplib';
import pRetry from 'p-retry';
import { decodeDelivery } from './amqpMessage.js';
import type { AmqpConnection } from './amqpConnection.js';

export interface DeadLetterRequest {
  readonly topic: string;
  readonly delivery: ConsumeMessage;
  readonly id: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly reason: string;
  readonly deliveries: number;
}

export interface SubscriptionDeps {
  readonly connection: AmqpConnection;
  readonly topic: string;
  readonly group: string;
  /** The group's queue, and its retry queue (see `topology.ts`). */
  readonly queues: { readonly group: string; readonly retry: string };
  readonly handler: MessageHandler;
  readonly options: Required<SubscribeOptions>;
  readonly logger: Logger;
  /** Declares the group's queues (again after a reconnect: a queue may have expired meanwhile). */
  readonly declare: (channel: Channel) => Promise<void>;
  readonly deadLetter: (request: DeadLetterRequest) => Promise<void>;
  readonly retry: (queue: string, delivery: ConsumeMessage, deliveries: number, delayMs: number) => Promise<void>;
  readonly onClose: () => void;
}

export class RabbitMqSubscription implements Subscription {
  readonly #deps: SubscriptionDeps;
  readonly #stopping = new AbortController();
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  #recovering: Promise<void> | undefined;
  #closed = false;

  constructor(deps: SubscriptionDeps) {
    this.#deps = deps;
  }

  /** Resolves once the queue exists and is bound, so messages published from now on reach it. */
  async start(): Promise<void> {
    await this.#consume();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping.abort();
    this.#deps.onClose();
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel === undefined) return;
    // Closing the channel hands every unacknowledged message back to the queue, for another member;
    // handlers still running are not awaited (their late acknowledgement is dropped).
    if (this.#consumerTag !== undefined) await channel.cancel(this.#consumerTag).catch(() => {});
    await channel.close().catch(() => {});
  }

  async #consume(): Promise<void> {
    const { connection, options } = this.#deps;
    const setup = await connection.channel();
    try {
      await this.#deps.declare(setup);
    } finally {
      await setup.close().catch(() => {});
    }
    const channel = await connection.channel();
    // Owned before consuming: deliveries can arrive before consume() resolves.
    this.#channel = channel;
    try {
      await channel.prefetch(options.concurrency);
      channel.on('close', () => this.#channelClosed(channel));
      const { consumerTag } = await channel.consume(this.#deps.queues.group, (delivery) => this.#receive(channel, delivery), { noAck: false });
      this.#consumerTag = consumerTag;
      if (this.#closed) await channel.close().catch(() => {});
    } catch (error) {
      if (this.#channel === channel) this.#channel = undefined;
      await channel.close().catch(() => {});
      throw error;
    }
  }

  #channelClosed(channel: Channel): void {
    if (this.#closed || this.#channel !== channel) return;
    this.#channel = undefined;
    this.#recover();
  }

  /** Consume again: after the connection came back, or after the server cancelled the consumer. */
  #recover(): void {
    if (this.#closed || this.#recovering !== undefined) return;
    this.#recovering = pRetry(() => this.#consume(), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: 100,
      maxTimeout: 5_000,
      randomize: true,
      signal: this.#stopping.signal,
      unref: true,
      onFailedAttempt: ({ error, attemptNumber }) => {
        this.#deps.logger.warn({ topic: this.#deps.topic, group: this.#deps.group, attempt: attemptNumber, error: error.message }, 'Could not resume consuming; retrying');
      },
    })
      .then(() => this.#deps.logger.info({ topic: this.#deps.topic, group: this.#deps.group }, 'Resumed consuming'))
      .catch(() => {})
      .finally(() => {
        this.#recovering = undefined;
      });
  }

  #receive(channel: Channel, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // The server cancelled the consumer (its queue was deleted): declare it again and go on.
      this.#deps.logger.warn({ topic: this.#deps.topic, group: this.#deps.group }, 'RabbitMQ cancelled the consumer; consuming again');
      if (this.#channel === channel) {
        this.#channel = undefined;
        void channel.close().catch(() => {});
        this.#recover();
      }
      return;
    }
    void this.#handle(channel, delivery);
  }

  async #handle(channel: Channel, delivery: ConsumeMessage): Promise<void> {
    const { topic, group, options } = this.#deps;
    const decoded = decodeDelivery(topic, delivery);
    try {
      if (!decoded.ok) {
        await this.#deadLetter(channel, delivery, { id: decoded.id, headers: decoded.headers, reason: decoded.reason, deliveries: decoded.deliveryCount });
        return;
      }
      const { message, deliveryCount } = decoded;
      const abandoned = abandonedDelivery(deliveryCount, options.maxDeliveries);
      if (abandoned !== undefined) {
        await this.#deadLetter(channel, delivery, { id: message.id, headers: message.headers, reason: abandoned.reason, deliveries: abandoned.deliveries });
        return;
      }
      const delivered: DeliveredMessage = { ...message, topic, deliveryCount };
      let failure: unknown;
      let failed = false;
      try {
        await this.#deps.handler(delivered);
      } catch (error) {
        failure = error;
        failed = true;
      }
      if (!failed) {
        this.#ack(channel, delivery);
        return;
      }
      const verdict = afterHandlerFailure(failure, deliveryCount, options.maxDeliveries);
      if (verdict.action === 'dead-letter') {
        await this.#deadLetter(channel, delivery, { id: message.id, headers: message.headers, reason: verdict.reason, deliveries: verdict.deliveries });
        return;
      }
      if (!this.#owns(channel)) return;
      await this.#deps.retry(this.#deps.queues.retry, delivery, deliveryCount, options.redeliveryDelayMs);
      this.#ack(channel, delivery);
    } catch (error) {
      // The dead letter or retry copy could not be published (connection lost?): leave the message
      // unacknowledged; it comes back when the channel closes, and is counted again.
      this.#deps.logger.error({ topic, group, messageId: delivery.properties.messageId as unknown, error: deadLetterReason(error) }, 'Could not settle a message; it will be redelivered');
      // Not at once: whatever failed (a full disk, a blocked connection) needs time to clear.
      await abortableDelay(Math.max(options.redeliveryDelayMs, 1_000), this.#stopping.signal);
      this.#nack(channel, delivery);
    }
  }

  async #deadLetter(channel: Channel, delivery: ConsumeMessage, letter: Omit<DeadLetterRequest, 'topic' | 'delivery'>): Promise<void> {
    if (!this.#owns(channel)) return;
    await this.#deps.deadLetter({ topic: this.#deps.topic, delivery, ...letter });
    this.#ack(channel, delivery);
  }

  /** After close(), or when the channel was replaced, an acknowledgement would hit a dead channel. */
  #owns(channel: Channel): boolean {
    return !this.#closed && this.#channel === channel;
  }

  #ack(channel: Channel, delivery: ConsumeMessage): void {
    if (!this.#owns(channel)) return;
    try {
      channel.ack(delivery);
    } catch {
      // The channel closed meanwhile: the message goes back to the queue, as for a crash.
    }
  }

  #nack(channel: Channel, delivery: ConsumeMessage): void {
    if (!this.#owns(channel)) return;
    try {
      channel.nack(delivery, false, true);
    } catch {
      // Same as above.
    }
  }
}
