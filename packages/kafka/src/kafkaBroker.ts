import { resolveSubscribeOptions, deadLetterReason } from '@saga/core';
import { DeadLetterHeaders, SagaError, deadLetterTopic, defaultLogger } from '@saga/core';
import type { Broker, BrokerMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { KafkaConfig, PartitionAssigner } from 'kafkajs';
import type { KafkaAdmin, KafkaClient, KafkaConsumer, KafkaProducer } from './kafkaClient.js';
import { kafkaLogCreator } from './kafkaLog.js';
import { checkGroup, checkTopic, encodeMessage, idHeader } from './kafkaMessage.js';
import { KafkaJoinError, KafkaSubscription } from './kafkaSubscription.js';
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
  /** How long the group waits for a member to finish its handlers and rejoin when it rebalances. Default 60 000 ms. */
  readonly rebalanceTimeoutMs?: number;
  /** How long `subscribe` waits for the member to join its group. Default 30 000 ms. */
  readonly joinTimeoutMs?: number;
  /** Default `saga`. */
  readonly clientId?: string;
  readonly logger?: Logger;
  /** Makes the kafkajs client (default `new Kafka(config)`); tests give a stand-in here. */
  readonly client?: (config: KafkaConfig) => KafkaClient;
}

/**
 * The Kafka consumer group of a port group on one topic. The port's groups are per topic (a service
 * subscribes its group to several topics, each with its own consumer), while a Kafka group's leader
 * assigns only the topics it subscribes to itself: members of one Kafka group on different topics
 * would leave some topics with no consumer at all.
 */
export const kafkaGroupId = (group: string, topic: string): string => `${group}:${topic}`;

/** The broker could not be reached or refused us; the message names the brokers, never the credentials. */
export class KafkaConnectionError extends SagaError {}

interface Connected {
  readonly producer: KafkaProducer;
  readonly admin: KafkaAdmin;
}

/**
 * The Broker port on Kafka (kafkajs). Messages are keyed by execution id (the `sagaId` header), a
 * group is a Kafka consumer group, offsets are committed after the handlers, dead letters go to
 * the `<topic>.dead-letter` topic. See the README for what Kafka cannot do like the others.
 */
export class KafkaBroker implements Broker {
  /** One execution's messages share a key, so a member gets them one after the other (`pipeline.ts`). */
  readonly deliversEachExecutionInOrder = true;
  readonly #url: ParsedKafkaUrl;
  readonly #options: KafkaBrokerOptions;
  readonly #logger: Logger;
  readonly #kafka: KafkaClient;
  readonly #topics = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<KafkaSubscription>();
  #opening: Promise<Connected> | undefined;
  #destroyed = false;

  constructor(options: KafkaBrokerOptions) {
    this.#url = parseKafkaUrl(options?.url);
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger();
    const config: KafkaConfig = {
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
    };
    this.#kafka = options.client === undefined ? new Kafka(config) : options.client(config);
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
    const heartbeatIntervalMs = this.#options.heartbeatIntervalMs ?? 1_000;
    const consumer = (partitionAssigners: PartitionAssigner[]): KafkaConsumer =>
      this.#kafka.consumer({
        groupId: kafkaGroupId(group, topic),
        partitionAssigners,
        sessionTimeout: this.#options.sessionTimeoutMs ?? 10_000,
        rebalanceTimeout: this.#options.rebalanceTimeoutMs ?? 60_000,
        heartbeatInterval: heartbeatIntervalMs,
        // An idle member heartbeats after each empty fetch: a short wait lets it see a rebalance soon.
        maxWaitTimeInMs: Math.min(5_000, heartbeatIntervalMs),
        allowAutoTopicCreation: false,
      });
    const subscription: KafkaSubscription = new KafkaSubscription({
      consumer,
      topic,
      group,
      handler,
      options: resolved,
      heartbeatIntervalMs,
      joinTimeoutMs: this.#options.joinTimeoutMs ?? 30_000,
      logger: this.#logger,
      committed: async () => (await admin.fetchOffsets({ groupId: kafkaGroupId(group, topic), topics: [topic] })).find((t) => t.topic === topic)?.partitions ?? [],
      ends: () => admin.fetchTopicOffsets(topic),
      deadLetter: (request) => this.#deadLetter(request),
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.close();
      if (error instanceof KafkaJoinError) throw error;
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
    // Idempotent: a send retried after a lost acknowledgement is not stored twice (the broker
    // dedupes by producer id and sequence). kafkajs warns that bounded retries weaken this; they are
    // bounded so that publish fails instead of hanging, and the message id still dedupes downstream.
    const producer = this.#kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3_000 },
    });
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
