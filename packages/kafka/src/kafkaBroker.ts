import { resolveSubscribeOptions, deadLetterReason } from '@saga/core';
import { DeadLetterHeaders, SagaError, deadLetterTopic, defaultLogger } from '@saga/core';
import type { Broker, BrokerMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { kafkaLogCreator } from './kafkaLog.js';
import { checkGroup, checkTopic, encodeMessage, idHeader } from './kafkaMessage.js';
import { KafkaSubscription } from './kafkaSubscription.js';
import type { DeadLetterRequest } from './kafkaSubscription.js';
import { parseKafkaUrl } from './kafkaUrl.js';
import type { ParsedKafkaUrl } from './kafkaUrl.js';

export interface KafkaBrokerOptions {
  /** `kafka://host:9092[,host2:9092]`, with `user:password@` for SASL and `?ssl=true` for TLS. */
  readonly url: string;
  /** Partitions of the topics the broker creates. Default 1: order per topic; more spread the load, with order per execution. */
  readonly numPartitions?: number;
  /** Replication of the topics the broker creates. Default: the cluster's default. */
  readonly replicationFactor?: number;
  /** Create missing topics (and dead-letter topics) on publish and subscribe. Default true. */
  readonly createTopics?: boolean;
  /** The group session: a member silent this long is removed and its partitions reassigned. Default 10 000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Default 1 000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** How long connecting to a broker may take. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long `publish` waits for the acknowledgement of all in-sync replicas. Default 10 000 ms. */
  readonly publishTimeoutMs?: number;
  /** Default `saga`. */
  readonly clientId?: string;
  readonly logger?: Logger;
}

/** The broker could not be reached or refused us; the message names the brokers, never the credentials. */
export class KafkaConnectionError extends SagaError {}

interface Connected {
  readonly producer: Producer;
  readonly admin: Admin;
}

/**
 * The Broker port on Kafka (kafkajs). Messages are keyed by execution id (the `sagaId` header), a
 * group is a Kafka consumer group, offsets are committed after the handlers, dead letters go to
 * the `<topic>.dead-letter` topic. See the README for what Kafka cannot do like the others.
 */
export class KafkaBroker implements Broker {
  readonly #url: ParsedKafkaUrl;
  readonly #options: KafkaBrokerOptions;
  readonly #logger: Logger;
  readonly #kafka: Kafka;
  readonly #topics = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<KafkaSubscription>();
  #opening: Promise<Connected> | undefined;
  #destroyed = false;

  constructor(options: KafkaBrokerOptions) {
    this.#url = parseKafkaUrl(options?.url);
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger();
    this.#kafka = new Kafka({
      clientId: options.clientId ?? 'saga',
      brokers: this.#url.brokers,
      ssl: this.#url.ssl,
      ...(this.#url.sasl === undefined ? {} : { sasl: this.#url.sasl }),
      connectionTimeout: options.connectTimeoutMs ?? 5_000,
      requestTimeout: options.publishTimeoutMs ?? 10_000,
      // Bounded, so that an unreachable cluster fails setup() and publish() instead of hanging.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3_000 },
      logLevel: logLevel.INFO,
      logCreator: kafkaLogCreator(this.#logger),
    });
  }

  /** Connects the producer and the admin client (once). Fails, naming the brokers, when Kafka cannot be reached. */
  async setup(): Promise<void> {
    await this.#connected();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
    const connected = await this.#opening?.catch(() => undefined);
    this.#opening = undefined;
    await connected?.producer.disconnect().catch(() => {});
    await connected?.admin.disconnect().catch(() => {});
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    this.#assertUsable(`publish to '${topic}' on`);
    checkTopic(topic);
    const record = encodeMessage(topic, message);
    const { producer } = await this.#connected();
    await this.#ensureTopic(topic);
    try {
      await producer.send({ topic, acks: -1, timeout: this.#options.publishTimeoutMs ?? 10_000, messages: [record] });
    } catch (error) {
      throw new SagaError(`Kafka at ${this.#url.where} did not store message '${message.id}' to '${topic}': ${deadLetterReason(error)}.`, { cause: error });
    }
  }

  async subscribe(topic: string, group: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#assertUsable(`subscribe to '${topic}' on`);
    checkTopic(topic);
    checkGroup(group);
    const resolved = resolveSubscribeOptions(options);
    const { admin } = await this.#connected();
    await this.#ensureTopic(topic);
    await this.#ensureTopic(deadLetterTopic(topic));
    await this.#startAtTheEnd(admin, topic, group);
    const heartbeatIntervalMs = this.#options.heartbeatIntervalMs ?? 1_000;
    const consumer = this.#kafka.consumer({
      groupId: group,
      sessionTimeout: this.#options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    });
    const subscription: KafkaSubscription = new KafkaSubscription({
      consumer,
      topic,
      group,
      handler,
      options: resolved,
      heartbeatIntervalMs,
      logger: this.#logger,
      deadLetter: (request) => this.#deadLetter(request),
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.close();
      throw new KafkaConnectionError(`Cannot subscribe group '${group}' to '${topic}' on Kafka at ${this.#url.where}: ${deadLetterReason(error)}.`, { cause: error });
    }
    return subscription;
  }

  async #connected(): Promise<Connected> {
    this.#assertUsable('use');
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #open(): Promise<Connected> {
    const producer = this.#kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    const admin = this.#kafka.admin();
    try {
      await producer.connect();
      await admin.connect();
    } catch (error) {
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
      throw new KafkaConnectionError(
        `Cannot connect to Kafka at ${this.#url.where}: ${deadLetterReason(error)}. Check the broker URL (SAGA_BROKER_URL, or the url given to KafkaBroker) and that the brokers are running.`,
        { cause: error },
      );
    }
    return { producer, admin };
  }

  async #ensureTopic(topic: string): Promise<void> {
    if (this.#options.createTopics === false) return;
    const { admin } = await this.#connected();
    let ensuring = this.#topics.get(topic);
    if (ensuring === undefined) {
      ensuring = admin
        .createTopics({
          waitForLeaders: true,
          topics: [{ topic, numPartitions: this.#options.numPartitions ?? 1, replicationFactor: this.#options.replicationFactor ?? -1 }],
        })
        .then(() => undefined);
      this.#topics.set(topic, ensuring);
      ensuring.catch(() => this.#topics.delete(topic));
    }
    await ensuring.catch((error: unknown) => {
      throw new SagaError(`Cannot create topic '${topic}' on Kafka at ${this.#url.where}: ${deadLetterReason(error)}. Create it yourself, or allow this client to.`, { cause: error });
    });
  }

  /**
   * A new group starts at the end of the topic, committed now: every message published after
   * `subscribe` resolves is the group's, however long the consumer takes to join.
   */
  async #startAtTheEnd(admin: Admin, topic: string, group: string): Promise<void> {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    if (committed !== undefined && committed.partitions.some((partition) => partition.offset !== '-1')) return;
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId: group, topic, partitions: ends.map(({ partition, offset }) => ({ partition, offset })) }).catch((error: unknown) => {
      // Another member joined first: the group is live and its position is set.
      this.#logger.debug({ topic, group, error: deadLetterReason(error) }, 'Did not set the start of a new group');
    });
  }

  async #deadLetter(request: DeadLetterRequest): Promise<void> {
    const { producer } = await this.#connected();
    const { topic, record } = request;
    const id = request.id ?? `no-id-${topic}-${record.offset}`;
    const letterTopic = deadLetterTopic(topic);
    await this.#ensureTopic(letterTopic);
    await producer.send({
      topic: letterTopic,
      acks: -1,
      messages: [
        {
          key: record.key,
          // The body goes on as it came (it may not even be JSON): the letter is evidence.
          value: record.value,
          headers: {
            ...request.headers,
            [idHeader]: id,
            [DeadLetterHeaders.reason]: request.reason,
            [DeadLetterHeaders.originalTopic]: topic,
            [DeadLetterHeaders.deliveries]: String(request.deliveries),
          },
        },
      ],
    });
    this.#logger.warn({ topic, messageId: id, deliveries: request.deliveries, reason: request.reason }, 'Dead-lettered a message');
  }

  #assertUsable(action: string): void {
    if (this.#destroyed) throw new SagaError(`Cannot ${action} a KafkaBroker that was destroyed: create a new broker.`);
  }
}
