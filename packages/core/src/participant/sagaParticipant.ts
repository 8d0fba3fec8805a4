/**
 * The remote side of a saga: a service that handles requests and takes part in the commit.
 *
 * `handle(target, fn)` answers requests on topic `target`: `SUCCESS` with what `fn` returned,
 * `ERROR` when it threw `SagaBusinessError`, `SYSTEM_ERROR` on any other throw. What it did is kept
 * in its inbox (`ParticipantInbox`): a request is answered once per `requestId` (a duplicate gets the
 * recorded reply, `fn` does not run), and each transaction hook takes effect once per saga. With a
 * durable inbox (`PostgresInbox`, `SqliteInbox`) `fn` and the hooks get the inbox's transaction in
 * `meta.transaction`: their effect and the record commit together, so this holds across restarts.
 */
import { SagaResponseStatus, type JsonValue, type MaybePromise } from '@saga/definitions';
import type { Broker, DeliveredMessage, Subscription } from '../ports/broker.js';
import { defaultLogger, type Logger } from '../ports/logger.js';
import { ManagerNotReadyError } from '../errors/runErrors.js';
import { PoisonMessageError } from '../ports/poisonMessageError.js';
import { transactionTopic } from '../wire/headers.js';
import { decodeRequest, decodeTransactionCommand, encodeReply, type ReplyEnvelope } from '../wire/sagaMessages.js';
import { InMemoryInbox } from './inMemoryInbox.js';
import type { InboxWork, ParticipantInbox } from './participantInbox.js';
import { SagaAttributes, SpanKind, inSpan, instruments, traceContextOf, traceHeaders } from '../observability/telemetry.js';
import { SagaBusinessError } from './sagaBusinessError.js';

export interface RequestMeta<Tx = undefined> {
  readonly sagaId: string;
  readonly requestId: string;
  readonly user?: string;
  /** `execute` for a step's request, `compensate` for its onFailure request. */
  readonly purpose: 'execute' | 'compensate';
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The inbox's transaction (a `pg.PoolClient` with PostgresInbox, the better-sqlite3 `Database`
   * with SqliteInbox, `undefined` in memory). Do the request's work through it: it commits with the
   * record of the reply, and is rolled back when the handler throws (the reply is still recorded
   * for `SagaBusinessError`). Do not keep it past the handler.
   */
  readonly transaction: Tx;
}

/** Returns the reply's payload: anything `JSON.stringify` accepts (nothing → `null`). */
export type RequestHandler<Tx = undefined> = (payload: JsonValue, meta: RequestMeta<Tx>) => MaybePromise<unknown>;

/** A transaction hook, given the saga and the inbox's transaction (see `RequestMeta.transaction`). */
export type TransactionHook<Tx, R> = (sagaId: string, transaction: Tx) => MaybePromise<R>;

export interface HandleOptions {
  /**
   * Checks a request's payload before the handler sees it: `true` to accept, or the reason it is
   * not of the expected shape. A refused request is dead-lettered with that reason (no retry can
   * fix it) and the saga's timeout compensates. An io-ts codec fits: `(p) => Order.is(p) || 'not an Order'`.
   */
  readonly validate?: (payload: JsonValue) => true | string;
}

export interface SagaParticipantOptions<Tx = undefined> {
  readonly broker: Broker;
  /** This service's name: sent back in `relatedServices`; transaction commands arrive on `<service>.transaction`. */
  readonly service: string;
  readonly logger?: Logger;
  /**
   * Without `inbox`: how many request ids (and how many sagas' hook results) the in-memory inbox
   * remembers. Default 10,000. Ignored when an inbox is given.
   */
  readonly dedupeCapacity?: number;
  /**
   * Where replies and hook results are recorded. Default: an `InMemoryInbox` (bounded, forgotten on
   * restart). `PostgresInbox` / `SqliteInbox` keep them in the participant's database, in the
   * handler's transaction. A given inbox is set up by `setup()` and left open by `destroy()`.
   */
  readonly inbox?: ParticipantInbox<Tx>;
}

export class SagaParticipant<Tx = undefined> implements AsyncDisposable {
  readonly service: string;
  readonly #broker: Broker;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, { handler: RequestHandler<Tx>; options: HandleOptions }>();
  readonly #inbox: ParticipantInbox<Tx>;
  readonly #ownsInbox: boolean;
  readonly #subscriptions: Subscription[] = [];
  #reserve: TransactionHook<Tx, boolean> = () => true;
  #commit: TransactionHook<Tx, void> = () => undefined;
  #reject: TransactionHook<Tx, void> = () => undefined;
  #setup = false;

  constructor(options: SagaParticipantOptions<Tx>) {
    this.service = options.service;
    this.#broker = options.broker;
    this.#logger = options.logger ?? defaultLogger();
    this.#ownsInbox = options.inbox === undefined;
    // Without an inbox, Tx is `undefined` (the type parameter's default), which is what the
    // in-memory inbox hands to handlers.
    this.#inbox =
      options.inbox ??
      (new InMemoryInbox({ ...(options.dedupeCapacity === undefined ? {} : { capacity: options.dedupeCapacity }), logger: this.#logger }) as ParticipantInbox<unknown> as ParticipantInbox<Tx>);
  }

  handle(target: string, handler: RequestHandler<Tx>, options: HandleOptions = {}): this {
    if (this.#setup) throw new ManagerNotReadyError(`Register handler '${target}' before participant.setup().`);
    if (this.#handlers.has(target)) throw new ManagerNotReadyError(`Participant '${this.service}' already handles '${target}'; register one handler per target.`);
    this.#handlers.set(target, { handler, options });
    return this;
  }

  /**
   * Vote on committing a saga's changes (default: yes). Takes effect at most once per saga (across
   * restarts with a durable inbox): a no vote, or a throw (counted as no), rolls back what the hook
   * did in the transaction and is recorded.
   */
  onReserve(hook: TransactionHook<Tx, boolean>): this {
    this.#reserve = hook;
    return this;
  }

  /**
   * Make a saga's changes final. Takes effect at most once per saga, never after onReject; a throw
   * records nothing (a redelivered commit runs it again).
   */
  onCommit(hook: TransactionHook<Tx, void>): this {
    this.#commit = hook;
    return this;
  }

  /** Drop a saga's changes. Takes effect at most once per saga, never after onCommit; a throw records nothing. */
  onReject(hook: TransactionHook<Tx, void>): this {
    this.#reject = hook;
    return this;
  }

  get alreadySetup(): boolean {
    return this.#setup;
  }

  async setup(): Promise<void> {
    if (this.#setup) return;
    await this.#inbox.setup();
    await this.#broker.setup();
    for (const [target, { handler, options }] of this.#handlers) {
      this.#subscriptions.push(await this.#broker.subscribe(target, this.service, (message) => this.#onRequest(handler, options, message)));
    }
    this.#subscriptions.push(await this.#broker.subscribe(transactionTopic(this.service), this.service, (message) => this.#onTransaction(message)));
    this.#setup = true;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.#subscriptions.splice(0).map((s) => s.close()));
    if (this.#ownsInbox) await this.#inbox.destroy();
    this.#setup = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  async #onRequest(handler: RequestHandler<Tx>, options: HandleOptions, message: DeliveredMessage): Promise<void> {
    const request = this.#decode(() => {
      const decoded = decodeRequest(message);
      const verdict = options.validate?.(decoded.payload) ?? true;
      if (verdict !== true) throw new PoisonMessageError(`Request ${decoded.requestId} to '${message.topic}' has a payload of the wrong shape: ${verdict}.`);
      return decoded;
    }, message);
    const meta: Omit<RequestMeta<Tx>, 'transaction'> = {
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
        const { reply, duplicate } = await this.#inbox.handleOnce(
          { participant: this.service, requestId: request.requestId, sagaId: request.sagaId },
          (transaction) => this.#answer(handler, request.payload, { ...meta, transaction }),
        );
        span.setAttribute(SagaAttributes.outcome, duplicate ? 'duplicate' : String(reply.status));
        if (duplicate) this.#logger.info({ executionId: request.sagaId, requestId: request.requestId }, 'Duplicate request: re-sending the first reply');
        // Re-sent on duplicates too: the first reply may be the one that was lost.
        const encoded = encodeReply(reply);
        await this.#broker.publish(request.replyTo, { ...encoded, headers: { ...encoded.headers, ...traceHeaders() } });
      },
      { kind: SpanKind.CONSUMER, parent: traceContextOf(message.headers) },
    );
  }

  /** The reply to record; only a `SUCCESS` keeps what the handler did in the transaction. */
  async #answer(handler: RequestHandler<Tx>, payload: JsonValue, meta: RequestMeta<Tx>): Promise<InboxWork<ReplyEnvelope>> {
    const reply = (status: SagaResponseStatus, body: JsonValue): InboxWork<ReplyEnvelope> => ({
      value: { sagaId: meta.sagaId, requestId: meta.requestId, status, relatedServices: [this.service], payload: body },
      keepEffects: status === SagaResponseStatus.SUCCESS,
    });
    try {
      const result = await handler(payload, meta);
      return reply(SagaResponseStatus.SUCCESS, result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue));
    } catch (error) {
      // A refusal's partial effects are rolled back (its reply is recorded): ERROR and SYSTEM_ERROR
      // both tell the saga that nothing changed here.
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
    const key = { participant: this.service, sagaId: command.sagaId };
    switch (command.action) {
      case 'reserve': {
        const { value: vote } = await this.#inbox.transactionOnce({ ...key, action: 'reserve' }, async (transaction) => {
          let yes = false;
          try {
            yes = (await this.#reserve(command.sagaId, transaction)) === true;
          } catch (error) {
            this.#logger.warn({ executionId: command.sagaId, error: error instanceof Error ? error.message : String(error) }, 'onReserve failed: voting no');
          }
          return { value: yes, keepEffects: yes };
        });
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
        // A throw escapes and records nothing: the redelivered command runs the hook again.
        const recorded = await this.#inbox.transactionOnce({ ...key, action: command.action }, async (transaction) => {
          await hook(command.sagaId, transaction);
          return { value: true, keepEffects: true };
        });
        if (recorded.action !== command.action) {
          this.#logger.warn({ executionId: command.sagaId, recorded: recorded.action }, `Saga already ${recorded.action === 'commit' ? 'committed' : 'rejected'} here: ignoring ${command.action}`);
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

