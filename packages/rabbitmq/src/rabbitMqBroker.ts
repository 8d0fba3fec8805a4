import { resolveSubscribeOptions, deadLetterReason } from '@saga/core';
import { randomUUID } from 'node:crypto';
import { DeadLetterHeaders, SagaError, deadLetterTopic, defaultLogger, redactUrl } from '@saga/core';
import type { Broker, BrokerMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Message, Options } from 'amqplib';
import { deliveriesHeader, encodeMessage } from './amqpMessage.js';
import { AmqpConnection, RabbitMqConnectionError } from './amqpConnection.js';
import type { ReconnectOptions } from './amqpConnection.js';
import { RabbitMqSubscription } from './rabbitMqSubscription.js';
import type { DeadLetterRequest } from './rabbitMqSubscription.js';
import { checkGroup, checkTopic, declareExchange, declareGroup, defaultExchange, groupQueue, retryQueue } from './topology.js';
import type { TopologyOptions } from './topology.js';

export interface RabbitMqBrokerOptions {
  /** `amqp://user:password@host:5672/vhost` (or `amqps://…`); `?heartbeat=` and `?frameMax=` are honoured. */
  readonly url: string;
  /** The durable direct exchange every topic is routed through. Default `saga`. */
  readonly exchange?: string;
  /**
   * Deletes queues that have had no consumer for this long (RabbitMQ `x-expires`), with the messages
   * they hold. For tests and throwaway environments; default: queues are kept.
   */
  readonly queueExpiresMs?: number;
  /** Keep every topic's dead letters in `<topic>.dead-letter::parked`. Default true. */
  readonly parkDeadLetters?: boolean;
  /** How long `publish` waits for a connection (while reconnecting) and for the broker's confirm. Default 10 000 ms. */
  readonly publishTimeoutMs?: number;
  /** How long one connection attempt may take. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Backoff between reconnect attempts after the connection dropped. */
  readonly reconnect?: ReconnectOptions;
  /** Shown in RabbitMQ's management UI. Default `saga`. */
  readonly connectionName?: string;
  readonly logger?: Logger;
}

/**
 * The Broker port on RabbitMQ (amqplib). See the README for the topology; in short: one durable
 * direct exchange, a quorum queue per topic and group, a retry queue per group for delayed
 * redelivery, dead letters published to `<topic>.dead-letter` with the reason, publisher confirms,
 * prefetch = concurrency, and a connection that reconnects with backoff.
 */
type Confirmation = { readonly ok: true } | { readonly ok: false; readonly kind: 'lost' | 'nacked' | 'timeout'; readonly error?: unknown };

const confirm = (channel: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, options: Options.Publish, timeoutMs: number): Promise<Confirmation> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, kind: 'timeout' }), timeoutMs);
    const settle = (outcome: Confirmation): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    try {
      channel.publish(exchange, routingKey, content, options, (error: unknown) => {
        if (!error) settle({ ok: true });
        // amqplib fails pending confirms with 'channel closed' when the channel or connection goes.
        else settle({ ok: false, kind: error instanceof Error && /closed/i.test(error.message) ? 'lost' : 'nacked', error });
      });
    } catch (error) {
      // Publishing on a channel that is already closed throws at once.
      settle({ ok: false, kind: 'lost', error });
    }
  });

export class RabbitMqBroker implements Broker {
  readonly #topology: TopologyOptions;
  readonly #connection: AmqpConnection;
  readonly #logger: Logger;
  readonly #publishTimeoutMs: number;
  readonly #subscriptions = new Set<RabbitMqSubscription>();
  #opening: Promise<void> | undefined;
  #destroyed = false;

  constructor(options: RabbitMqBrokerOptions) {
    if (typeof options?.url !== 'string' || !/^amqps?:\/\//i.test(options.url)) {
      throw new SagaError(`RabbitMqBroker needs an amqp:// or amqps:// url, got '${redactUrl(String(options?.url))}'.`);
    }
    this.#logger = options.logger ?? defaultLogger();
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.#topology = {
      exchange: options.exchange ?? defaultExchange,
      queueExpiresMs: options.queueExpiresMs,
      parkDeadLetters: options.parkDeadLetters ?? true,
    };
    this.#connection = new AmqpConnection({
      url: options.url,
      logger: this.#logger,
      connectionName: options.connectionName ?? 'saga',
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      reconnect: options.reconnect ?? {},
      onConnected: (model) => this.#prepare(model),
      onReturned: (message) => this.#returned(message),
    });
  }

  /** Connects (once; later calls share it). Fails, naming the server, when RabbitMQ cannot be reached. */
  async setup(): Promise<void> {
    this.#assertUsable('set up');
    this.#opening ??= this.#connection.open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    await this.#opening;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#connection.close();
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    this.#assertUsable(`publish to '${topic}' on`);
    checkTopic(topic);
    const { content, options } = encodeMessage(topic, message);
    await this.setup();
    await this.#confirmedPublish(this.#topology.exchange, topic, content, options, `message '${message.id}' to '${topic}'`);
  }

  async subscribe(topic: string, group: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#assertUsable(`subscribe to '${topic}' on`);
    checkTopic(topic);
    checkGroup(group);
    const resolved = resolveSubscribeOptions(options);
    await this.setup();
    const subscription: RabbitMqSubscription = new RabbitMqSubscription({
      connection: this.#connection,
      topic,
      group,
      queues: { group: groupQueue(this.#topology, topic, group), retry: retryQueue(this.#topology, topic, group) },
      handler,
      options: resolved,
      logger: this.#logger,
      declare: (channel) => declareGroup(channel, this.#topology, topic, group),
      deadLetter: (request) => this.#deadLetter(request),
      retry: (queue, delivery, deliveries, delayMs) => this.#retry(queue, delivery, deliveries, delayMs),
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.#subscriptions.delete(subscription);
      await subscription.close();
      throw this.#declareError(topic, group, error);
    }
    return subscription;
  }

  /**
   * Published `mandatory`, a message no queue is bound for comes back instead of vanishing: no
   * group subscribes to its topic (yet), and whoever waits for an answer to it waits in vain.
   */
  #returned(message: Message): void {
    const { exchange, routingKey, replyCode, replyText } = message.fields as Message['fields'] & { replyCode?: number; replyText?: string };
    this.#logger.warn(
      { exchange, topic: routingKey, messageId: message.properties.messageId as unknown, reply: `${String(replyCode)} ${String(replyText)}` },
      'No queue takes this topic (no group subscribes to it): RabbitMQ returned the message, and it is dropped',
    );
  }

  async #prepare(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    try {
      await declareExchange(channel, this.#topology);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async #deadLetter(request: DeadLetterRequest): Promise<void> {
    const { topic, delivery } = request;
    const id = request.id ?? randomUUID();
    const headers = {
      ...request.headers,
      [DeadLetterHeaders.reason]: request.reason,
      [DeadLetterHeaders.originalTopic]: topic,
      [DeadLetterHeaders.deliveries]: String(request.deliveries),
    };
    // The body goes on as it came (it may not even be JSON): the letter is evidence.
    const options: Options.Publish = { messageId: id, headers, persistent: true, contentType: delivery.properties.contentType as string | undefined };
    await this.#confirmedPublish(this.#topology.exchange, deadLetterTopic(topic), delivery.content, options, `the dead letter of '${id}' from '${topic}'`);
    this.#logger.warn({ topic, messageId: id, deliveries: request.deliveries, reason: request.reason }, 'Dead-lettered a message');
  }

  /** The copy waits in the group's retry queue until its expiration sends it back to the group. */
  async #retry(queue: string, delivery: ConsumeMessage, deliveries: number, delayMs: number): Promise<void> {
    const { headers: raw = {}, ...properties } = delivery.properties;
    const headers = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([key]) => key !== 'x-death' && key !== 'x-delivery-count' && !key.startsWith('x-first-death-') && !key.startsWith('x-last-death-')));
    const options: Options.Publish = {
      messageId: properties.messageId as string | undefined,
      contentType: properties.contentType as string | undefined,
      headers: { ...headers, [deliveriesHeader]: String(deliveries) },
      persistent: true,
      expiration: String(Math.max(0, Math.round(delayMs))),
    };
    await this.#confirmedPublish('', queue, delivery.content, options, `the retry of '${String(properties.messageId)}'`);
  }

  /**
   * Resolves on the broker's confirm. When the connection drops before the confirm, the message is
   * published again on the next connection (until `publishTimeoutMs`): it may then arrive twice,
   * which at-least-once delivery allows, rather than not at all.
   */
  async #confirmedPublish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, what: string): Promise<void> {
    const deadline = Date.now() + this.#publishTimeoutMs;
    for (;;) {
      const remaining = Math.max(deadline - Date.now(), 1);
      const channel = await this.#connection.publisher(remaining);
      const outcome = await confirm(channel, exchange, routingKey, content, { ...options, mandatory: true }, remaining);
      if (outcome.ok) return;
      if (outcome.kind === 'lost' && Date.now() < deadline) continue;
      const where = this.#connection.where;
      throw outcome.kind === 'timeout'
        ? new RabbitMqConnectionError(`RabbitMQ at ${where} did not confirm ${what} within ${this.#publishTimeoutMs} ms; it may or may not have been stored.`)
        : new SagaError(`RabbitMQ at ${where} did not accept ${what}: ${deadLetterReason(outcome.error)}.`, { cause: outcome.error });
    }
  }

  #declareError(topic: string, group: string, error: unknown): Error {
    if (error instanceof RabbitMqConnectionError) return error;
    const text = deadLetterReason(error);
    const hint = text.includes('PRECONDITION')
      ? ' A queue or exchange of that name exists with other arguments (type, x-expires, dead-lettering): delete it, or create the broker with the options it was declared with.'
      : '';
    return new SagaError(`Cannot subscribe '${group}' to '${topic}' on RabbitMQ at ${this.#connection.where}: ${text}.${hint}`, { cause: error });
  }

  #assertUsable(action: string): void {
    if (this.#destroyed) throw new SagaError(`Cannot ${action} a RabbitMqBroker that was destroyed: create a new broker.`);
  }
}
