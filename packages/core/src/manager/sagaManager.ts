/**
 * The SagaManager: starts executions, continues them from replies, waits for them in memory or
 * leaves them paused on disk, and answers what happened (`get`, `history`, `replay`).
 */
import { randomUUID } from 'node:crypto';
import { SagaContext, type JsonObject, type Saga, type SagaResponse } from '@saga/definitions';
import { replay as replayEvents, sagaEvent, SagaStatus, type RecordedSagaEvent, type SagaEventType, type SagaExecution } from '@saga/execution';
import type { Broker, Subscription } from '../ports/broker.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/eventStore.js';
import { defaultLogger, type Logger } from '../ports/logger.js';
import {
  CommitFailedError,
  InvalidRunOptionsError,
  ManagerNotReadyError,
  SagaAlreadyExecutedError,
  SagaFailedError,
  SagaNotFoundError,
  SagaRollbackError,
  UnexpectedResponseError,
} from '../errors/runErrors.js';
import { decodeReply, type ReplyEnvelope } from '../wire/sagaMessages.js';
import { replyTopic } from '../wire/headers.js';
import { defaultCompensationRetry, type RetryPolicy } from './decide.js';
import { DefinitionRegistry } from './definitionRegistry.js';
import { ExecutionDriver } from './executionDriver.js';
import { executionStream } from './executionStream.js';
import { isAwaiting } from './nextAction.js';
import { resolveConfig, type SagaManagerConfig } from '../config/resolveConfig.js';

export interface SagaManagerOptions {
  readonly store: EventStore;
  readonly broker: Broker;
  /** This service's name: replies come back on `<service>.reply`. Default `'saga'`. */
  readonly service?: string;
  /** Definitions this manager can continue (e.g. executions started by another instance). */
  readonly definitions?: readonly Saga[];
  /** How long a memory-mode `run` waits for each reply before compensating. Default 60 s. */
  readonly replyTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Retries of a local compensation that throws. Default 3 retries, 50 ms → 2 s. */
  readonly compensationRetry?: RetryPolicy;
}

export interface RunOptions {
  /** Starts a new execution of this definition (and registers it with the manager). */
  readonly definition?: Saga;
  /** The initial context of a new execution. */
  readonly context?: SagaContext | JsonObject;
  /** Continues the paused execution this reply belongs to. */
  readonly response?: SagaResponse;
  /** Who started it; sent to participants in the `user` header. */
  readonly user?: string;
  /** Commit (or reject) the participants' transactions when the execution ends. Default true. */
  readonly autocommit?: boolean;
  /** Return as soon as the execution waits for a reply (true), or wait for it to end (false, default). */
  readonly pauseOnDisk?: boolean;
  /** Throw `SagaFailedError` when the execution ends errored. Default true. */
  readonly raiseOnError?: boolean;
  /** Return the execution (default) or only its id. */
  readonly returnExecution?: boolean;
}

/** One recorded event of an execution's history. */
export interface SagaHistoryEntry {
  readonly revision: number;
  readonly type: SagaEventType;
  readonly data: JsonObject;
  readonly recordedAt: string;
}

export class SagaManager implements AsyncDisposable {
  readonly service: string;
  readonly store: EventStore;
  readonly broker: Broker;
  readonly replyTimeoutMs: number;
  readonly #registry = new DefinitionRegistry();
  readonly #driver: ExecutionDriver;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #owned: { store?: EventStore; broker?: Broker } = {};
  readonly #stopping = new AbortController();
  #subscription?: Subscription;
  #setup = false;
  #destroyed = false;

  constructor(options: SagaManagerOptions) {
    this.store = options.store;
    this.broker = options.broker;
    this.service = options.service ?? 'saga';
    this.replyTimeoutMs = options.replyTimeoutMs ?? 60_000;
    this.#logger = options.logger ?? defaultLogger();
    this.#clock = options.clock ?? systemClock;
    for (const definition of options.definitions ?? []) this.#registry.register(definition);
    this.#driver = new ExecutionDriver({
      store: this.store,
      broker: this.broker,
      registry: this.#registry,
      logger: this.#logger,
      clock: this.#clock,
      compensationRetry: options.compensationRetry ?? defaultCompensationRetry,
      maxConflictRetries: 20,
    });
  }

  /**
   * A manager from configuration. With no config: `SAGA_STORE_URL` / `SAGA_BROKER_URL`, else the
   * embedded default (SQLite under `$SAGA_HOME` or `./.saga/`, with the in-process broker). The
   * store and broker it creates are its own: `destroy()` closes them.
   */
  static async fromConfig(config: SagaManagerConfig = {}, overrides: Partial<SagaManagerOptions> = {}): Promise<SagaManager> {
    const resolved = await resolveConfig(config);
    const manager = new SagaManager({ ...resolved.options, ...overrides });
    if (!overrides.store) manager.#owned.store = resolved.options.store;
    if (!overrides.broker) manager.#owned.broker = resolved.options.broker;
    return manager;
  }

  get alreadySetup(): boolean {
    return this.#setup;
  }

  get alreadyDestroyed(): boolean {
    return this.#destroyed;
  }

  async setup(): Promise<void> {
    if (this.#destroyed) throw new ManagerNotReadyError('This SagaManager was destroyed; create a new one.');
    if (this.#setup) return;
    await this.store.setup();
    await this.broker.setup();
    this.#subscription = await this.broker.subscribe(replyTopic(this.service), this.service, (message) => this.#onReply(decodeReply(message)));
    this.#setup = true;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#stopping.abort();
    await this.#subscription?.close();
    await this.#owned.broker?.destroy();
    await this.#owned.store?.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /** Makes definitions available for continuing executions started elsewhere. */
  register(...definitions: Saga[]): this {
    for (const definition of definitions) this.#registry.register(definition);
    return this;
  }

  run(options: RunOptions & { readonly returnExecution: false }): Promise<string>;
  run(options: RunOptions & { readonly returnExecution?: true }): Promise<SagaExecution>;
  run(options: RunOptions): Promise<SagaExecution | string>;
  async run(options: RunOptions): Promise<SagaExecution | string> {
    this.#assertReady('run');
    const { pauseOnDisk = false, raiseOnError = true, returnExecution = true } = options;
    let execution = options.response ? await this.#continue(options.response) : await this.#start(options);
    if (!pauseOnDisk) execution = await this.#waitUntilSettled(execution);
    if (execution.status === SagaStatus.Errored && raiseOnError) throw failureOf(execution);
    return returnExecution ? execution : execution.id;
  }

  /** The execution now, folded from its stream. */
  async get(executionId: string): Promise<SagaExecution> {
    return (await this.#driver.load(executionId)).execution;
  }

  /** Every recorded event of the execution, in order. */
  async history(executionId: string): Promise<SagaHistoryEntry[]> {
    const { events } = await this.#driver.load(executionId);
    return events.map((e) => ({ revision: e.revision, type: e.type, data: e.data as JsonObject, recordedAt: e.recordedAt }));
  }

  /** The execution as it was right after the event at revision `upTo` (default: the last). */
  async replay(executionId: string, options: { readonly upTo?: number } = {}): Promise<SagaExecution> {
    const { events } = await this.#driver.load(executionId);
    const last = events.length - 1;
    if (options.upTo !== undefined && (!Number.isInteger(options.upTo) || options.upTo < 0 || options.upTo > last)) {
      throw new InvalidRunOptionsError(`replay(${executionId}, { upTo: ${options.upTo} }): upTo must be a revision from 0 to ${last}.`);
    }
    return replayEvents(events, options.upTo);
  }

  /**
   * Commits the participants' transactions of a finished execution run with `autocommit: false`:
   * asks each to reserve, commits all on a unanimous yes, else rejects all and compensates.
   */
  async commit(executionId: string, options: { readonly raiseOnError?: boolean } = {}): Promise<SagaExecution> {
    this.#assertReady('commit');
    const { execution } = await this.#driver.load(executionId);
    const { status } = execution.transaction;
    if (status === 'committed' || status === 'rejected' || status === 'reserving') {
      throw new SagaAlreadyExecutedError(executionId, `transaction ${status}`, 'committed');
    }
    if (execution.status !== SagaStatus.Finished) {
      throw new SagaAlreadyExecutedError(executionId, execution.status, 'committed (only finished executions can be)');
    }
    const settled = await this.#waitUntilSettled(await this.#driver.drive(executionId, { kind: 'commit' }));
    if (settled.status === SagaStatus.Errored && (options.raiseOnError ?? true)) throw failureOf(settled);
    return settled;
  }

  /** Tells every participant of an execution run with `autocommit: false` to reject its changes. */
  async reject(executionId: string): Promise<SagaExecution> {
    this.#assertReady('reject');
    const { execution } = await this.#driver.load(executionId);
    const { status } = execution.transaction;
    if (status === 'committed' || status === 'rejected' || status === 'reserving') {
      throw new SagaAlreadyExecutedError(executionId, `transaction ${status}`, 'rejected');
    }
    return this.#driver.drive(executionId, { kind: 'reject' });
  }

  async #start(options: RunOptions): Promise<SagaExecution> {
    const { definition } = options;
    if (!definition) {
      throw new InvalidRunOptionsError('run() needs `definition` to start an execution, or `response` to continue one.');
    }
    this.#registry.register(definition);
    const executionId = randomUUID();
    const started = sagaEvent('SagaStarted', {
      executionId,
      definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
      context: SagaContext.from(options.context).toJSON(),
      user: options.user ?? null,
      autocommit: options.autocommit ?? true,
      service: this.service,
    });
    this.#logger.info({ executionId, definition: `${definition.name}@${definition.version}` }, 'Saga started');
    return this.#driver.start(definition, started);
  }

  async #continue(response: SagaResponse): Promise<SagaExecution> {
    const { execution, events } = await this.#driver.load(response.sagaId);
    if (execution.phase === 'ended' && !isAwaiting(execution)) {
      throw new SagaAlreadyExecutedError(execution.id, execution.status);
    }
    // A reply to an earlier request of this execution is a duplicate (a no-op); an id it never
    // sent is a caller's mistake, and says so.
    if (!requestIdsOf(events).has(response.requestId)) {
      throw new UnexpectedResponseError(execution.id, response.requestId, execution.pendingRequest?.requestId);
    }
    return this.#driver.drive(response.sagaId, { kind: 'reply', reply: envelopeOf(response) });
  }

  async #onReply(reply: ReplyEnvelope): Promise<void> {
    try {
      await this.#driver.drive(reply.sagaId, { kind: 'reply', reply });
    } catch (error) {
      if (error instanceof SagaNotFoundError) {
        this.#logger.warn({ executionId: reply.sagaId, requestId: reply.requestId }, 'Ignored a reply for an execution this store does not have');
        return;
      }
      this.#logger.error({ executionId: reply.sagaId, requestId: reply.requestId, error: String(error) }, 'Could not apply a reply; the broker will redeliver it');
      throw error;
    }
  }

  /** Memory mode: follow the execution until it no longer waits, compensating on reply timeouts. */
  async #waitUntilSettled(execution: SagaExecution): Promise<SagaExecution> {
    let current = execution;
    while (isAwaiting(current)) {
      const requestId = current.pendingRequest?.requestId ?? current.transaction.votes.find((v) => v.vote === undefined)?.requestId ?? '';
      const changed = await this.#waitForChange(current.id, current.revision, this.replyTimeoutMs);
      current = changed ?? (await this.#driver.drive(current.id, { kind: 'timeout', requestId, timeoutMs: this.replyTimeoutMs }));
    }
    return current;
  }

  /**
   * Resolves with the execution once its stream grows past `known` (whichever instance appended),
   * or with undefined after `timeoutMs`.
   */
  #waitForChange(executionId: string, known: number, timeoutMs: number): Promise<SagaExecution | undefined> {
    return new Promise((resolve, reject) => {
      let done = false;
      let checking = false;
      let recheck = false;
      const finish = (result: SagaExecution | undefined, error?: unknown) => {
        if (done) return;
        done = true;
        unwatch();
        cancelTimer();
        this.#stopping.signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(result);
      };
      const check = async (): Promise<void> => {
        if (checking) {
          recheck = true;
          return;
        }
        checking = true;
        try {
          do {
            recheck = false;
            const { execution } = await this.#driver.load(executionId);
            if (execution.revision > known) return finish(execution);
          } while (recheck && !done);
        } catch (error) {
          finish(undefined, error);
        } finally {
          checking = false;
        }
      };
      const onAbort = () => finish(undefined, new ManagerNotReadyError(`The manager was destroyed while waiting for execution ${executionId}; it stays in the store and can be continued.`));
      const unwatch = this.store.watch(executionStream(executionId), () => void check());
      const cancelTimer = this.#clock.setTimeout(() => finish(undefined), timeoutMs);
      this.#stopping.signal.addEventListener('abort', onAbort);
      void check();
    });
  }

  #assertReady(method: string): void {
    if (this.#destroyed) throw new ManagerNotReadyError(`SagaManager.${method}() was called after destroy(); create a new manager.`);
    if (!this.#setup) throw new ManagerNotReadyError(`SagaManager.${method}() was called before setup(): await manager.setup() first.`);
  }
}

/** Every request id an execution has sent: forward and compensation requests, and votes. */
const requestIdsOf = (events: readonly RecordedSagaEvent[]): Set<string> => {
  const ids = new Set<string>();
  for (const event of events) {
    if (event.type === 'RequestSent' || event.type === 'CompensationRequestSent') ids.add(event.data.requestId);
    if (event.type === 'VotesRequested') for (const vote of event.data.votes) ids.add(vote.requestId);
  }
  return ids;
};

const envelopeOf = (response: SagaResponse): ReplyEnvelope => ({
  sagaId: response.sagaId,
  requestId: response.requestId,
  status: response.status,
  relatedServices: [...response.relatedServices],
  payload: response.payload,
});

/** The error that says how an errored execution failed. */
const failureOf = (execution: SagaExecution): SagaFailedError =>
  execution.compensation.failed
    ? new SagaRollbackError(execution)
    : execution.error?.name === 'CommitFailedError'
      ? new CommitFailedError(execution)
      : new SagaFailedError(execution);
