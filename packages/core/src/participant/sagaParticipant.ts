/**
 * The remote side of a saga: a service that handles requests and takes part in the commit.
 *
 * `handle(target, fn)` answers requests on topic `target`: `SUCCESS` with what `fn` returned,
 * `ERROR` when it threw `SagaBusinessError`, `SYSTEM_ERROR` on any other throw. Requests are
 * de-duplicated by `requestId`: a redelivered request gets the first reply again and `fn` runs once.
 */
import { SagaResponseStatus, type JsonValue, type MaybePromise } from '@saga/definitions';
import type { Broker, DeliveredMessage, Subscription } from '../ports/broker.js';
import { defaultLogger, type Logger } from '../ports/logger.js';
import { ManagerNotReadyError } from '../errors/runErrors.js';
import { PoisonMessageError } from '../ports/poisonMessageError.js';
import { transactionTopic } from '../wire/headers.js';
import { decodeRequest, decodeTransactionCommand, encodeReply, type ReplyEnvelope } from '../wire/sagaMessages.js';
import { ReplyCache } from './replyCache.js';
import { SagaAttributes, SpanKind, inSpan, instruments, traceContextOf, traceHeaders } from '../observability/telemetry.js';
import { SagaBusinessError } from './sagaBusinessError.js';

export interface RequestMeta {
  readonly sagaId: string;
  readonly requestId: string;
  readonly user?: string;
  /** `execute` for a step's request, `compensate` for its onFailure request. */
  readonly purpose: 'execute' | 'compensate';
  readonly headers: Readonly<Record<string, string>>;
}

/** Returns the reply's payload: anything `JSON.stringify` accepts (nothing → `null`). */
export type RequestHandler = (payload: JsonValue, meta: RequestMeta) => MaybePromise<unknown>;

export interface HandleOptions {
  /**
   * Checks a request's payload before the handler sees it: `true` to accept, or the reason it is
   * not of the expected shape. A refused request is dead-lettered with that reason (no retry can
   * fix it) and the saga's timeout compensates. An io-ts codec fits: `(p) => Order.is(p) || 'not an Order'`.
   */
  readonly validate?: (payload: JsonValue) => true | string;
}

export interface SagaParticipantOptions {
  readonly broker: Broker;
  /** This service's name: sent back in `relatedServices`; transaction commands arrive on `<service>.transaction`. */
  readonly service: string;
  readonly logger?: Logger;
  /** How many request ids to remember for de-duplication. Default 10,000. */
  readonly dedupeCapacity?: number;
}

interface TransactionRecord {
  vote?: Promise<boolean>;
  // The first outcome's hook call, shared by every later delivery: concurrent duplicates of a
  // commit (or a reject racing it) must not run a hook twice.
  outcome?: { readonly action: 'commit' | 'reject'; readonly done: Promise<void> };
}

export class SagaParticipant implements AsyncDisposable {
  readonly service: string;
  readonly #broker: Broker;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, { handler: RequestHandler; options: HandleOptions }>();
  readonly #replies: ReplyCache<ReplyEnvelope>;
  readonly #transactions = new Map<string, TransactionRecord>();
  readonly #subscriptions: Subscription[] = [];
  #reserve: (sagaId: string) => MaybePromise<boolean> = () => true;
  #commit: (sagaId: string) => MaybePromise<void> = () => undefined;
  #reject: (sagaId: string) => MaybePromise<void> = () => undefined;
  #setup = false;

  constructor(options: SagaParticipantOptions) {
    this.service = options.service;
    this.#broker = options.broker;
    this.#logger = options.logger ?? defaultLogger();
    this.#replies = new ReplyCache(options.dedupeCapacity);
  }

  handle(target: string, handler: RequestHandler, options: HandleOptions = {}): this {
    if (this.#setup) throw new ManagerNotReadyError(`Register handler '${target}' before participant.setup().`);
    if (this.#handlers.has(target)) throw new ManagerNotReadyError(`Participant '${this.service}' already handles '${target}'; register one handler per target.`);
    this.#handlers.set(target, { handler, options });
    return this;
  }

  /** Vote on committing a saga's changes (default: yes). Called at most once per saga. */
  onReserve(hook: (sagaId: string) => MaybePromise<boolean>): this {
    this.#reserve = hook;
    return this;
  }

  /** Make a saga's changes final. Called at most once per saga. */
  onCommit(hook: (sagaId: string) => MaybePromise<void>): this {
    this.#commit = hook;
    return this;
  }

  /** Drop a saga's changes. Called at most once per saga, never after onCommit. */
  onReject(hook: (sagaId: string) => MaybePromise<void>): this {
    this.#reject = hook;
    return this;
  }

  get alreadySetup(): boolean {
    return this.#setup;
  }

  async setup(): Promise<void> {
    if (this.#setup) return;
    await this.#broker.setup();
    for (const [target, { handler, options }] of this.#handlers) {
      this.#subscriptions.push(await this.#broker.subscribe(target, this.service, (message) => this.#onRequest(handler, options, message)));
    }
    this.#subscriptions.push(await this.#broker.subscribe(transactionTopic(this.service), this.service, (message) => this.#onTransaction(message)));
    this.#setup = true;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.close()));
    this.#setup = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  async #onRequest(handler: RequestHandler, options: HandleOptions, message: DeliveredMessage): Promise<void> {
    const request = this.#decode(() => {
      const decoded = decodeRequest(message);
      const verdict = options.validate?.(decoded.payload) ?? true;
      if (verdict !== true) throw new PoisonMessageError(`Request ${decoded.requestId} to '${message.topic}' has a payload of the wrong shape: ${verdict}.`);
      return decoded;
    }, message);
    const meta: RequestMeta = {
      sagaId: request.sagaId,
      requestId: request.requestId,
      ...(request.user ? { user: request.user } : {}),
      purpose: request.purpose === 'compensate' ? 'compensate' : 'execute',
      headers: request.headers,
    };
    await inSpan(
      `saga.participant ${message.topic}`,
      {
        [SagaAttributes.executionId]: request.sagaId,
        [SagaAttributes.requestId]: request.requestId,
        [SagaAttributes.service]: this.service,
        [SagaAttributes.target]: message.topic,
      },
      async (span) => {
        const { value: reply, duplicate } = await this.#replies.once(request.requestId, () => this.#answer(handler, request.payload, meta));
        span.setAttribute(SagaAttributes.outcome, duplicate ? 'duplicate' : String(reply.status));
        if (duplicate) this.#logger.info({ executionId: request.sagaId, requestId: request.requestId }, 'Duplicate request: re-sending the first reply');
        // Re-sent on duplicates too: the first reply may be the one that was lost.
        const encoded = encodeReply(reply);
        await this.#broker.publish(request.replyTo, { ...encoded, headers: { ...encoded.headers, ...traceHeaders() } });
      },
      { kind: SpanKind.CONSUMER, parent: traceContextOf(message.headers) },
    );
  }

  async #answer(handler: RequestHandler, payload: JsonValue, meta: RequestMeta): Promise<ReplyEnvelope> {
    const reply = (status: SagaResponseStatus, body: JsonValue): ReplyEnvelope => ({
      sagaId: meta.sagaId,
      requestId: meta.requestId,
      status,
      relatedServices: [this.service],
      payload: body,
    });
    try {
      const result = await handler(payload, meta);
      return reply(SagaResponseStatus.SUCCESS, result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue));
    } catch (error) {
      if (error instanceof SagaBusinessError) {
        return reply(SagaResponseStatus.ERROR, { name: error.name, message: error.message, details: error.details });
      }
      const info = error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
      this.#logger.error({ executionId: meta.sagaId, requestId: meta.requestId, error: info.message }, 'Handler failed: replying SYSTEM_ERROR');
      return reply(SagaResponseStatus.SYSTEM_ERROR, info);
    }
  }

  async #onTransaction(message: DeliveredMessage): Promise<void> {
    const command = this.#decode(() => decodeTransactionCommand(message), message);
    await inSpan(
      `saga.participant ${command.action}`,
      { [SagaAttributes.executionId]: command.sagaId, [SagaAttributes.service]: this.service },
      () => this.#applyTransaction(command),
      { kind: SpanKind.CONSUMER, parent: traceContextOf(message.headers) },
    );
  }

  async #applyTransaction(command: ReturnType<typeof decodeTransactionCommand>): Promise<void> {
    const record = this.#transactions.get(command.sagaId) ?? {};
    this.#transactions.set(command.sagaId, record);
    switch (command.action) {
      case 'reserve': {
        record.vote ??= Promise.resolve()
          .then(() => this.#reserve(command.sagaId))
          .then((vote) => vote === true)
          .catch(() => false);
        const vote = await record.vote;
        const reply = encodeReply({
            sagaId: command.sagaId,
            requestId: command.requestId ?? '',
            status: vote ? SagaResponseStatus.SUCCESS : SagaResponseStatus.ERROR,
            relatedServices: [this.service],
            payload: vote ? null : { message: `${this.service} could not reserve the transaction` },
          });
        await this.#broker.publish(command.replyTo ?? '', { ...reply, headers: { ...reply.headers, ...traceHeaders() } });
        return;
      }
      case 'commit':
      case 'reject': {
        const hook = command.action === 'commit' ? this.#commit : this.#reject;
        const outcome = (record.outcome ??= { action: command.action, done: Promise.resolve().then(() => hook(command.sagaId)) });
        try {
          await outcome.done;
        } catch (error) {
          // A hook that failed may be retried by a redelivery of the same command.
          if (record.outcome === outcome) delete record.outcome;
          throw error;
        }
        return;
      }
    }
  }

  #decode<T>(decode: () => T, message: DeliveredMessage): T {
    try {
      return decode();
    } catch (error) {
      instruments().deadLettered.add(1, { [SagaAttributes.service]: this.service });
      this.#logger.warn({ topic: message.topic, messageId: message.id, reason: String(error) }, 'Malformed message: dead-lettering it');
      throw error;
    }
  }
}

