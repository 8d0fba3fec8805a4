import { resolveSubscribeOptions, deadLetterReason } from '@saga/core';
import { DeadLetterHeaders, SagaError, deadLetterTopic, defaultLogger } from '@saga/core';
import type { Broker, BrokerMessage, Logger, MessageHandler, SubscribeOptions, Subscription } from '@saga/core';
import { connect, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { NatsConnectionError, parseNatsUrl } from './natsConnection.js';
import type { ParsedNatsUrl } from './natsConnection.js';
import { encodeMessage, fitDeadLetter, oneLine, sagaIdHeader, toNatsHeaders } from './natsMessage.js';
import { NatsSubscription } from './natsSubscription.js';
import type { DeadLetterRequest } from './natsSubscription.js';
import { checkGroup, checkTopic, consumerNameOf, deadLetterStream, streamOf, subjectOf } from './subjects.js';
import type { Naming, StreamPlace } from './subjects.js';

export interface NatsBrokerOptions {
  /** `nats://[user:password@]host:4222`, or several servers: `nats://a:4222,b:4222`. */
  readonly url: string;
  /** First token of every subject the broker uses. Default `saga`. */
  readonly subjectPrefix?: string;
  /** First part of every stream name. Default `SAGA`. */
  readonly streamPrefix?: string;
  /** Stream replicas (a clustered server). Default 1. */
  readonly replicas?: number;
  /** Default `file`. */
  readonly storage?: 'file' | 'memory';
  /** How long dead letters are kept. Default 14 days. */
  readonly deadLetterMaxAgeMs?: number;
  /** How long the server waits for an acknowledgement before redelivering (a crashed consumer's messages). Default 30 000 ms. */
  readonly ackWaitMs?: number;
  /** How long `publish` waits for the stream's acknowledgement. Default 10 000 ms. */
  readonly publishTimeoutMs?: number;
  /** How long the first connection may take. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Pause between reconnect attempts (the client adds jitter). Default 1 000 ms. */
  readonly reconnectDelayMs?: number;
  /** How long one pull request waits for messages. Default 5 000 ms. */
  readonly pullExpiresMs?: number;
  /** Shown in the server's connection list. Default `saga`. */
  readonly connectionName?: string;
  readonly logger?: Logger;
}

interface Connected {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/**
 * The Broker port on NATS JetStream. One stream per service (a topic's first token) with interest
 * retention, a durable pull consumer per topic and group, ack after the handler, nak with delay,
 * dead letters in one stream kept for `deadLetterMaxAgeMs`. See the README for the subject layout.
 */
export class NatsBroker implements Broker {
  readonly #url: ParsedNatsUrl;
  readonly #naming: Naming;
  readonly #logger: Logger;
  readonly #options: NatsBrokerOptions;
  readonly #streams = new Map<string, Promise<void>>();
  readonly #subscriptions = new Set<NatsSubscription>();
  /** Subjects with a consumer, and when it was last seen. */
  readonly #heard = new Map<string, number>();
  #opening: Promise<Connected> | undefined;
  #destroyed = false;

  constructor(options: NatsBrokerOptions) {
    this.#url = parseNatsUrl(options?.url);
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger();
    this.#naming = { subjectPrefix: options.subjectPrefix ?? 'saga', streamPrefix: options.streamPrefix ?? 'SAGA' };
    checkTopic(this.#naming.subjectPrefix);
  }

  /** Connects (once; later calls share it). Fails, naming the server, when NATS or JetStream cannot be reached. */
  async setup(): Promise<void> {
    await this.#connected();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    await Promise.allSettled([...this.#subscriptions].map((subscription) => subscription.close()));
    const opening = this.#opening;
    this.#opening = undefined;
    const connected = await opening?.catch(() => undefined);
    await connected?.nc.close().catch(() => {});
  }

  async publish(topic: string, message: BrokerMessage): Promise<void> {
    this.#assertUsable(`publish to '${topic}' on`);
    checkTopic(topic);
    const { data, headers } = encodeMessage(topic, message);
    const { js } = await this.#connected();
    const place = streamOf(this.#naming, topic);
    await this.#ensureStream(place);
    const subject = subjectOf(this.#naming, topic);
    const publish = () => js.publish(subject, data, { msgID: message.id, headers, timeout: this.#publishTimeoutMs });
    try {
      await publish();
    } catch (error) {
      // The stream may have been deleted behind our back: declare it again, once.
      if (!isNoStream(error)) throw this.#publishError(`message '${message.id}' to '${topic}'`, error);
      this.#streams.delete(place.stream);
      await this.#ensureStream(place);
      await publish().catch((again: unknown) => {
        throw this.#publishError(`message '${message.id}' to '${topic}'`, again);
      });
    }
    if (!place.deadLetters) await this.#sayIfUnheard(place.stream, subject, topic, message.id);
  }

  async subscribe(topic: string, group: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#assertUsable(`subscribe to '${topic}' on`);
    checkTopic(topic);
    checkGroup(group);
    const resolved = resolveSubscribeOptions(options);
    const { js, jsm } = await this.#connected();
    const place = streamOf(this.#naming, topic);
    await this.#ensureStream(place);
    const name = consumerNameOf(topic, group);
    const ackWaitMs = this.#options.ackWaitMs ?? 30_000;
    try {
      await jsm.consumers.add(place.stream, {
        durable_name: name,
        filter_subject: subjectOf(this.#naming, topic),
        ack_policy: AckPolicy.Explicit,
        // A new group starts with what is published from now on (the port's subscribe semantics).
        deliver_policy: DeliverPolicy.New,
        replay_policy: ReplayPolicy.Instant,
        ack_wait: nanos(ackWaitMs),
        // Unlimited on the server: the adapter counts and dead-letters with a reason itself,
        // where a server-side limit would only stop delivering, leaving the message stuck.
        max_deliver: -1,
      });
    } catch (error) {
      throw new SagaError(`Cannot create the consumer of group '${group}' on '${topic}' (stream ${place.stream}) on NATS at ${this.#url.where}: ${deadLetterReason(error)}.`, { cause: error });
    }
    this.#heard.set(subjectOf(this.#naming, topic), Date.now());
    const consumer = await js.consumers.get(place.stream, name);
    const subscription: NatsSubscription = new NatsSubscription({
      consumer,
      topic,
      group,
      handler,
      options: resolved,
      ackWaitMs,
      pullExpiresMs: this.#options.pullExpiresMs ?? 5_000,
      logger: this.#logger,
      deadLetter: (request) => this.#deadLetter(request),
      onClose: () => this.#subscriptions.delete(subscription),
    });
    this.#subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  get #publishTimeoutMs(): number {
    return this.#options.publishTimeoutMs ?? 10_000;
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
    const where = this.#url.where;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: this.#url.servers,
        ...this.#url.credentials,
        name: this.#options.connectionName ?? 'saga',
        timeout: this.#options.connectTimeoutMs ?? 5_000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: this.#options.reconnectDelayMs ?? 1_000,
      });
    } catch (error) {
      throw new NatsConnectionError(
        `Cannot connect to NATS at ${where}: ${deadLetterReason(error)}. Check the broker URL (SAGA_BROKER_URL, or the url given to NatsBroker) and that the server is running.`,
        { cause: error },
      );
    }
    void this.#watch(nc);
    try {
      const jsm = await jetstreamManager(nc, { timeout: this.#publishTimeoutMs });
      const connected = { nc, jsm, js: jetstream(nc, { timeout: this.#publishTimeoutMs }) };
      await this.#ensureStreamWith(jsm, deadLetterStream(this.#naming));
      return connected;
    } catch (error) {
      await nc.close().catch(() => {});
      throw new NatsConnectionError(`NATS at ${where} has no usable JetStream (${deadLetterReason(error)}): start nats-server with -js, and check the account's JetStream limits.`, {
        cause: error,
      });
    }
  }

  /** Says in the log when the client lost and found the server; it reconnects by itself. */
  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.#logger.warn({ broker: this.#url.where }, 'Lost the NATS connection; the client is reconnecting');
      else if (status.type === 'reconnect') this.#logger.info({ broker: this.#url.where }, 'Reconnected to NATS');
    }
  }

  async #ensureStream(place: StreamPlace): Promise<void> {
    const { jsm } = await this.#connected();
    let ensuring = this.#streams.get(place.stream);
    if (ensuring === undefined) {
      ensuring = this.#ensureStreamWith(jsm, place);
      this.#streams.set(place.stream, ensuring);
      ensuring.catch(() => this.#streams.delete(place.stream));
    }
    await ensuring;
  }

  async #ensureStreamWith(jsm: JetStreamManager, place: StreamPlace): Promise<void> {
    const existing = await jsm.streams.info(place.stream).then(
      (info) => info.config,
      (error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
        throw error;
      },
    );
    if (existing !== undefined) {
      // It exists (maybe made by an operator, with other limits): only make sure it takes our subjects.
      const missing = place.subjects.filter((subject) => !existing.subjects.includes(subject));
      if (missing.length > 0) await jsm.streams.update(place.stream, { ...existing, subjects: [...existing.subjects, ...missing] });
      return;
    }
    const storage = this.#options.storage === 'memory' ? StorageType.Memory : StorageType.File;
    const common = { name: place.stream, subjects: [...place.subjects], storage, num_replicas: this.#options.replicas ?? 1 };
    await jsm.streams
      .add(
        place.deadLetters
          ? { ...common, retention: RetentionPolicy.Limits, max_age: nanos(this.#options.deadLetterMaxAgeMs ?? 14 * 24 * 3_600_000) }
          : // Interest: a message is kept until every group has acknowledged it, and dropped at
            // once when no group listens (like a message routed to no queue).
            { ...common, retention: RetentionPolicy.Interest, duplicate_window: nanos(120_000) },
      )
      .catch(async (error: unknown) => {
        // Another process created it meanwhile.
        await jsm.streams.info(place.stream).catch(() => {
          throw error;
        });
      });
  }

  async #deadLetter(request: DeadLetterRequest): Promise<void> {
    const { js, nc } = await this.#connected();
    const { topic } = request;
    const id = request.id ?? `no-id-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const letterTopic = deadLetterTopic(topic);
    // The body goes on as it came (it may not even be JSON): the letter is evidence; only a letter
    // the server could not take is cut, saying so in its reason.
    const letter = fitDeadLetter(
      request.data,
      request.headers,
      {
        [sagaIdHeader]: id,
        [DeadLetterHeaders.reason]: oneLine(request.reason) || 'unknown',
        [DeadLetterHeaders.originalTopic]: topic,
        [DeadLetterHeaders.deliveries]: String(request.deliveries),
      },
      nc.info?.max_payload ?? defaultMaxPayload,
    );
    const headers = toNatsHeaders(letterTopic, id, letter.headers);
    await this.#ensureStream(streamOf(this.#naming, letterTopic));
    // No msgID: a message dead-lettered again after a replay must not be dropped as a duplicate.
    await js.publish(subjectOf(this.#naming, letterTopic), letter.data, { headers, timeout: this.#publishTimeoutMs });
    this.#logger.warn({ topic, messageId: id, deliveries: request.deliveries, reason: letter.headers[DeadLetterHeaders.reason] }, 'Dead-lettered a message');
  }

  /**
   * A work stream keeps a message only while some group's consumer takes its subject (interest
   * retention): with none, the server acknowledges it and drops it at once. Said at warn, as on
   * RabbitMQ, so a `run` waiting for a reply nobody will send is explained in the log. A consumer
   * seen is trusted for a minute; a missing one is looked for on every publish.
   */
  async #sayIfUnheard(stream: string, subject: string, topic: string, messageId: string): Promise<void> {
    const seen = this.#heard.get(subject);
    if (seen !== undefined && Date.now() - seen < heardForMs) return;
    try {
      const { jsm } = await this.#connected();
      for await (const consumer of jsm.consumers.list(stream)) {
        const filters = consumer.config.filter_subjects ?? (consumer.config.filter_subject ? [consumer.config.filter_subject] : ['>']);
        if (filters.some((filter) => subjectMatches(filter, subject))) {
          this.#heard.set(subject, Date.now());
          return;
        }
      }
    } catch (error) {
      this.#logger.debug({ topic, stream, error: deadLetterReason(error) }, 'Could not list the consumers of a NATS stream');
      return;
    }
    this.#heard.delete(subject);
    this.#logger.warn(
      { topic, subject, stream, messageId },
      'No consumer takes this subject (no group subscribes to its topic): the stream keeps nothing without one, so the message is dropped',
    );
  }

  #publishError(what: string, error: unknown): Error {
    return new SagaError(`NATS at ${this.#url.where} did not store ${what}: ${deadLetterReason(error)}.`, { cause: error });
  }

  #assertUsable(action: string): void {
    if (this.#destroyed) throw new SagaError(`Cannot ${action} a NatsBroker that was destroyed: create a new broker.`);
  }
}

const heardForMs = 60_000;

/** Whether a consumer's filter (`*` one token, `>` the rest) takes `subject`. */
const subjectMatches = (filter: string, subject: string): boolean => {
  const wanted = filter.split('.');
  const tokens = subject.split('.');
  for (const [index, token] of wanted.entries()) {
    if (token === '>') return tokens.length > index;
    if (index >= tokens.length || (token !== '*' && token !== tokens[index])) return false;
  }
  return wanted.length === tokens.length;
};

/** nats-server's default `max_payload`, for a connection that has not said its own yet. */
const defaultMaxPayload = 1024 * 1024;

/** What the client says when no stream takes the subject (503 no responders). */
const isNoStream = (error: unknown): boolean => error instanceof Error && /no responders|503|not enabled/iu.test(`${error.name} ${error.message}`);
