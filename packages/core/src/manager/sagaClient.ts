/**
 * The client side: starts executions and answers what happened to them (get, history, replay,
 * fork, list), and commits, rejects or resumes them. It waits for results through the store (its
 * one feed per process), so it needs no reply subscription: a worker of the service, in this process
 * or another, takes the replies.
 */
import { randomUUID } from 'node:crypto';
import { SagaContext, type JsonObject, type Saga, type SagaResponse } from '@saga/definitions';
import { replay as replayEvents, sagaEvent, SagaStatus, type RecordedSagaEvent, type SagaEvent, type SagaEventType, type SagaExecution } from '@saga/execution';
import type { ExecutionPage, ExecutionQuery } from '../ports/eventStore.js';
import {
  CommitFailedError,
  InvalidRunOptionsError,
  ManagerNotReadyError,
  SagaCancelledError,
  SagaFailedError,
  SagaNotFoundError,
  SagaRollbackError,
  UnexpectedResponseError,
} from '../errors/runErrors.js';
import { isConcurrencyConflictError } from '../ports/concurrencyConflictError.js';
import type { ReplyEnvelope } from '../wire/sagaMessages.js';
import { headerValueProblem } from '../wire/headers.js';
import { SagaAttributes, inSpan } from '../observability/telemetry.js';
import { createEngine, type Engine, type EngineOptions } from './engine.js';
import { ExecutionWatcher, type OnStop } from './executionWatcher.js';
import { isAwaiting } from './nextAction.js';
import { forkedPrefix, forkProblem, refuseCancel, refuseCommit, refuseContinue, refuseReject, refuseResume } from './preconditions.js';
import { executionIdForKey } from './executionIdForKey.js';
import type { DecideInput } from './decide.js';

export type SagaClientOptions = EngineOptions;

export interface RunOptions {
  /** Starts a new execution of this definition (and registers it). */
  readonly definition?: Saga;
  /** The initial context of a new execution. */
  readonly context?: SagaContext | JsonObject;
  /**
   * A business key (e.g. `'order-1001'`) that makes the start idempotent: the execution's id derives
   * from the definition's name and the key, so a second `run` with the same pair (a retried HTTP
   * request, another manager racing this one) never starts another execution: it returns the
   * existing one, or waits for it as `pauseOnDisk` says. The first start's context and user stand.
   */
  readonly key?: string;
  /** Continues the paused execution this reply belongs to. */
  readonly response?: SagaResponse;
  /** Who started it; sent to participants in the `user` header (so: no line breaks, no edge spaces). */
  readonly user?: string;
  /**
   * Commit (or reject) the participants' transactions when the execution ends. Default true. Given
   * with `response`, it holds for the rest of that execution (recorded with the reply); left out, the
   * execution keeps the value it has.
   */
  readonly autocommit?: boolean;
  /** Return as soon as the execution waits for a reply (true), or wait for it to end (false, default). */
  readonly pauseOnDisk?: boolean;
  /** Throw `SagaFailedError` when the execution ends errored. Default true. */
  readonly raiseOnError?: boolean;
  /** Return the execution (default) or only its id. */
  readonly returnExecution?: boolean;
}

/** Names an execution started with `run({ definition, key })`. */
export interface ExecutionKey {
  /** The definition it was started with, or its name. */
  readonly definition: Saga | string;
  readonly key: string;
}

export interface ResumeOptions {
  /** Return once the compensation goes on (true), or wait until the execution ended (false, default). */
  readonly pauseOnDisk?: boolean;
  /** Throw `SagaRollbackError` when a compensation fails again. Default true. */
  readonly raiseOnError?: boolean;
  /** Who resumes it (an operator): recorded with `CompensationResumed`. */
  readonly by?: string;
}

export interface CancelOptions {
  /** Why: recorded in the history, carried by the `SagaCancelledError` the execution ends with. */
  readonly reason: string;
  /** Who asked (an operator, a service): recorded with the reason. */
  readonly by?: string;
  /** Return once the cancel is recorded (true), or wait until the execution has compensated and ended (false, default). */
  readonly pauseOnDisk?: boolean;
  /** Throw the `SagaCancelledError` once the execution ended cancelled. Default true. */
  readonly raiseOnError?: boolean;
}

/** One recorded event of an execution's history. */
export interface SagaHistoryEntry {
  readonly revision: number;
  readonly type: SagaEventType;
  readonly data: JsonObject;
  readonly recordedAt: string;
}

export class SagaClient implements AsyncDisposable {
  readonly #engine: Engine;
  /**
   * What each waiting run does when the client is destroyed. A set, not listeners on an AbortSignal:
   * thousands of concurrent runs are normal, and an EventTarget warns past 10 listeners.
   */
  readonly #onDestroy = new Set<() => void>();
  #setup = false;
  #destroyed = false;

  /** A client of its own, or (from `SagaManager`) one that shares an engine with a worker. */
  constructor(options: SagaClientOptions, engine: Engine = createEngine(options)) {
    this.#engine = engine;
  }

  get service(): string {
    return this.#engine.service;
  }

  get alreadySetup(): boolean {
    return this.#setup;
  }

  get alreadyDestroyed(): boolean {
    return this.#destroyed;
  }

  register(...definitions: Saga[]): this {
    for (const definition of definitions) this.#engine.registry.register(definition);
    return this;
  }

  async setup(): Promise<void> {
    if (this.#destroyed) throw new ManagerNotReadyError('This SagaClient was destroyed; create a new one.');
    if (this.#setup) return;
    const { store, broker } = this.#engine;
    if (!store) throw new ManagerNotReadyError('A SagaClient needs a store: pass `store` (e.g. new InMemoryEventStore()).');
    if (!broker) throw new ManagerNotReadyError('A SagaClient needs a broker to send the requests of the executions it starts: pass `broker` (e.g. new InMemoryBroker()).');
    await this.#engine.store.setup();
    await this.#engine.broker.setup();
    this.#setup = true;
  }

  /** Stops waiting runs (they reject; their executions go on in the store) and lets stored decisions publish. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const stop of [...this.#onDestroy]) stop();
    await this.#engine.driver.drain();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  run(options: RunOptions & { readonly returnExecution: false }): Promise<string>;
  run(options: RunOptions & { readonly returnExecution?: true }): Promise<SagaExecution>;
  run(options: RunOptions): Promise<SagaExecution | string>;
  async run(options: RunOptions): Promise<SagaExecution | string> {
    this.#assertReady('run');
    const { pauseOnDisk = false, raiseOnError = true, returnExecution = true } = options;
    const attributes = {
      [SagaAttributes.service]: this.service,
      ...(options.definition ? { [SagaAttributes.definition]: options.definition.name, [SagaAttributes.version]: options.definition.version } : {}),
      ...(options.response ? { [SagaAttributes.executionId]: options.response.sagaId, [SagaAttributes.requestId]: options.response.requestId } : {}),
    };
    const execution = await inSpan('saga.run', attributes, async (span) => {
      const result = options.response ? await this.#continue(options.response, options.autocommit, pauseOnDisk) : await this.#start(options, pauseOnDisk);
      span.setAttribute(SagaAttributes.executionId, result.id);
      span.setAttribute(SagaAttributes.status, result.status);
      return result;
    });
    if (execution.status === SagaStatus.Errored && raiseOnError) throw failureOf(execution);
    return returnExecution ? execution : execution.id;
  }

  /** The execution now, folded from its stream; by id, or by the key it was started with. */
  async get(execution: string | ExecutionKey): Promise<SagaExecution> {
    return (await this.#engine.driver.load(idOf(execution))).execution;
  }

  /** Every recorded event of the execution, in order. */
  async history(executionId: string): Promise<SagaHistoryEntry[]> {
    const { events } = await this.#engine.driver.load(executionId);
    return events.map((e) => ({ revision: e.revision, type: e.type, data: e.data as JsonObject, recordedAt: e.recordedAt }));
  }

  /** The execution as it was right after the event at revision `upTo` (default: the last). */
  async replay(executionId: string, options: { readonly upTo?: number } = {}): Promise<SagaExecution> {
    const { events } = await this.#engine.driver.load(executionId);
    const last = events.length - 1;
    if (options.upTo !== undefined && (!Number.isInteger(options.upTo) || options.upTo < 0 || options.upTo > last)) {
      throw new InvalidRunOptionsError(`replay(${executionId}, { upTo: ${options.upTo} }): upTo must be a revision from 0 to ${last}.`);
    }
    return replayEvents(events, options.upTo);
  }

  /** Executions from the store's index: newest first, filtered, a page at a time. */
  async list(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    return this.#engine.store.index.query(query);
  }

  /**
   * Commits the participants' transactions of a finished execution run with `autocommit: false`:
   * asks each to reserve, commits all on a unanimous yes, else rejects all and compensates.
   */
  async commit(executionId: string, options: { readonly raiseOnError?: boolean } = {}): Promise<SagaExecution> {
    this.#assertReady('commit');
    const settled = await this.#operate(executionId, { kind: 'commit' }, refuseCommit, false);
    if (settled.status === SagaStatus.Errored && (options.raiseOnError ?? true)) throw failureOf(settled);
    return settled;
  }

  /** Tells every participant of an execution run with `autocommit: false` to reject its changes. */
  async reject(executionId: string): Promise<SagaExecution> {
    this.#assertReady('reject');
    return this.#operate(executionId, { kind: 'reject' }, refuseReject, true);
  }

  /**
   * Retries the compensation that failed (an operator's action, once its cause is fixed): the
   * execution goes on compensating from the step that failed, in reverse order as before.
   */
  async resume(executionId: string, options: ResumeOptions = {}): Promise<SagaExecution> {
    this.#assertReady('resume');
    if (options.by !== undefined && (typeof options.by !== 'string' || options.by === '')) {
      throw new InvalidRunOptionsError(`resume(${executionId}, { by }) must be a non-empty string (who resumes), or left out.`);
    }
    const input = { kind: 'resume', ...(options.by !== undefined ? { by: options.by } : {}) } as const;
    const resumed = await this.#operate(executionId, input, refuseResume, options.pauseOnDisk ?? false);
    if (resumed.status === SagaStatus.Errored && resumed.compensation.failed && (options.raiseOnError ?? true)) throw failureOf(resumed);
    return resumed;
  }

  /**
   * Cancels a running or paused execution: it starts no new step, awaits the request in flight
   * (reply or timeout), compensates its finished steps in reverse order and ends errored with
   * `SagaCancelledError`. Recorded in the stream first, so it holds across a crash. Cancelling an
   * ended execution throws `SagaAlreadyExecutedError`; cancelling twice records nothing more.
   */
  async cancel(execution: string | ExecutionKey, options: CancelOptions): Promise<SagaExecution> {
    this.#assertReady('cancel');
    const executionId = idOf(execution);
    const reason: unknown = options?.reason;
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new InvalidRunOptionsError(`cancel(${executionId}, { reason }) needs a reason: a non-empty string recorded in the history (e.g. 'the customer withdrew the order').`);
    }
    if (options.by !== undefined && (typeof options.by !== 'string' || options.by === '')) {
      throw new InvalidRunOptionsError(`cancel(${executionId}, { by }) must be a non-empty string (who cancels), or left out.`);
    }
    const input = { kind: 'cancel', reason, ...(options.by !== undefined ? { by: options.by } : {}) } as const;
    const cancelled = await this.#operate(executionId, input, refuseCancel, options.pauseOnDisk ?? false);
    if (cancelled.status === SagaStatus.Errored && (options.raiseOnError ?? true)) throw failureOf(cancelled);
    return cancelled;
  }

  /**
   * A new execution that copies this one's history up to `fromRevision` and continues from there:
   * "retry from step N" after fixing what made step N fail. The copy must end at a step boundary
   * (no request pending, still running forward); timers are not copied (the fork gets its own).
   * Its `SagaStarted` records where it came from (`forkedFrom`).
   */
  async fork(
    executionId: string,
    options: { readonly fromRevision: number; readonly pauseOnDisk?: boolean; readonly raiseOnError?: boolean; readonly by?: string },
  ): Promise<SagaExecution> {
    this.#assertReady('fork');
    const { events } = await this.#engine.driver.load(executionId);
    const { fromRevision } = options;
    const problem = forkProblem(events, fromRevision);
    if (problem) {
      const inRange = Number.isInteger(fromRevision) && fromRevision >= 0 && fromRevision < events.length;
      throw new InvalidRunOptionsError(inRange ? `Cannot fork ${executionId} at revision ${fromRevision}: ${problem}.` : `fork(${executionId}, { fromRevision: ${fromRevision} }): ${problem}.`);
    }
    if (options.by !== undefined && (typeof options.by !== 'string' || options.by === '')) {
      throw new InvalidRunOptionsError(`fork(${executionId}, { by }) must be a non-empty string (who forks), or left out.`);
    }
    const prefix = forkedPrefix(events, fromRevision);
    const state = replayEvents(prefix);
    const definition = this.#engine.registry.resolve(state);
    const forkId = randomUUID();
    const [first, ...rest] = prefix;
    if (first?.type !== 'SagaStarted') throw new InvalidRunOptionsError(`Execution ${executionId} does not start with SagaStarted.`);
    // A fork is an execution of its own: not the original's key, not a child of its parent.
    const { key: _key, parent: _parent, ...startedWith } = first.data;
    const forkedFrom = { executionId, revision: fromRevision, ...(options.by !== undefined ? { by: options.by } : {}) };
    const started = sagaEvent('SagaStarted', { ...startedWith, executionId: forkId, forkedFrom });
    const copied = rest.map((e) => ({ type: e.type, data: e.data }) as SagaEvent);
    this.#engine.logger.info({ executionId: forkId, forkedFrom: executionId, revision: fromRevision }, 'Saga forked');
    const forked = await this.#following(forkId, options.pauseOnDisk ?? false, () => this.#engine.driver.start(definition, [started, ...copied]));
    if (forked.status === SagaStatus.Errored && (options.raiseOnError ?? true)) throw failureOf(forked);
    return forked;
  }

  async #start(options: RunOptions, pauseOnDisk: boolean): Promise<SagaExecution> {
    const { definition } = options;
    if (!definition) {
      throw new InvalidRunOptionsError('run() needs `definition` to start an execution, or `response` to continue one.');
    }
    this.#engine.registry.register(definition);
    const { key } = options;
    const executionId = key === undefined ? randomUUID() : executionIdForKey(definition, key);
    if (key !== undefined && (await this.#exists(executionId))) return this.#existing(executionId, key, pauseOnDisk);
    const started = sagaEvent('SagaStarted', {
      executionId,
      definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
      context: SagaContext.from(options.context).toJSON(),
      user: checkedUser(options.user),
      autocommit: options.autocommit ?? true,
      service: this.service,
      ...(key !== undefined ? { key } : {}),
    });
    this.#engine.logger.info({ executionId, definition: `${definition.name}@${definition.version}`, ...(key !== undefined ? { key } : {}) }, 'Saga started');
    try {
      return await this.#following(executionId, pauseOnDisk, () => this.#engine.driver.start(definition, [started]));
    } catch (error) {
      // Another manager started the same key between the check and the append: its start stands.
      if (key !== undefined && isConcurrencyConflictError(error)) return this.#existing(executionId, key, pauseOnDisk);
      throw error;
    }
  }

  async #exists(executionId: string): Promise<boolean> {
    try {
      await this.#engine.driver.load(executionId);
      return true;
    } catch (error) {
      if (error instanceof SagaNotFoundError) return false;
      throw error;
    }
  }

  /** A keyed start that found its execution already there: that one is returned (or followed). */
  async #existing(executionId: string, key: string, pauseOnDisk: boolean): Promise<SagaExecution> {
    this.#engine.logger.info({ executionId, key }, 'An execution with this key exists: returning it instead of starting another');
    return this.#following(executionId, pauseOnDisk, async () => (await this.#engine.driver.load(executionId)).execution);
  }

  async #continue(response: SagaResponse, autocommit: boolean | undefined, pauseOnDisk: boolean): Promise<SagaExecution> {
    const { execution, events } = await this.#engine.driver.load(response.sagaId);
    const refused = refuseContinue(execution);
    if (refused) throw refused.error;
    // A reply to an earlier request of this execution is a duplicate (a no-op); an id it never
    // sent is a caller's mistake, and says so.
    if (!requestIdsOf(events).has(response.requestId)) {
      throw new UnexpectedResponseError(execution.id, response.requestId, execution.pendingRequest?.requestId);
    }
    const input = { kind: 'reply', reply: envelopeOf(response), ...(autocommit === undefined ? {} : { autocommit }) } as const;
    return this.#following(response.sagaId, pauseOnDisk, () => this.#engine.driver.drive(response.sagaId, input));
  }

  /** Checks the operation's precondition on the stored execution, applies it, and follows it. */
  async #operate(executionId: string, input: DecideInput, refuse: (execution: SagaExecution) => { readonly error: Error } | undefined, pauseOnDisk: boolean): Promise<SagaExecution> {
    const { execution } = await this.#engine.driver.load(executionId);
    const refused = refuse(execution);
    if (refused) throw refused.error;
    return this.#following(executionId, pauseOnDisk, () => this.#engine.driver.drive(executionId, input));
  }

  /**
   * Runs `step` (which stores a decision) and, unless `pauseOnDisk`, follows the execution until it
   * no longer waits. The watcher opens first, so nothing appended after the decision is missed.
   */
  async #following(executionId: string, pauseOnDisk: boolean, step: () => Promise<SagaExecution>): Promise<SagaExecution> {
    if (pauseOnDisk) return step();
    const watcher = await ExecutionWatcher.open(this.#engine, executionId, this.#onStop);
    try {
      const execution = await step();
      if (!isAwaiting(execution)) return execution;
      watcher.offer(execution);
      return await watcher.settled();
    } finally {
      watcher.close();
    }
  }

  readonly #onStop: OnStop = (listener) => {
    if (this.#destroyed) {
      listener();
      return () => undefined;
    }
    this.#onDestroy.add(listener);
    return () => void this.#onDestroy.delete(listener);
  };

  #assertReady(method: string): void {
    if (this.#destroyed) throw new ManagerNotReadyError(`${method}() was called after destroy(); create a new client or manager.`);
    if (!this.#setup) throw new ManagerNotReadyError(`${method}() was called before setup(): await setup() first.`);
  }
}

/**
 * The user travels in a header of every request: one a broker cannot carry as it is (NATS frames
 * headers by lines and trims them) would be recorded, then never arrive. It is refused up front.
 */
const checkedUser = (user: unknown): string | null => {
  if (user === undefined || user === null) return null;
  if (typeof user !== 'string' || user === '') {
    throw new InvalidRunOptionsError(`run({ user }) must be a non-empty string (who started the saga), but got ${JSON.stringify(user) ?? String(user)}; leave it out for no user.`);
  }
  const problem = headerValueProblem(user);
  if (problem) {
    throw new InvalidRunOptionsError(`run({ user: ${JSON.stringify(user)} }): the user ${problem}, which brokers do not carry in a header as it is; pass it without.`);
  }
  return user;
};

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

const idOf = (execution: string | ExecutionKey): string => (typeof execution === 'string' ? execution : executionIdForKey(execution.definition, execution.key));

/** The error that says how an errored execution failed. */
export const failureOf = (execution: SagaExecution): SagaFailedError =>
  execution.compensation.failed
    ? new SagaRollbackError(execution)
    : execution.error?.name === 'CommitFailedError'
      ? new CommitFailedError(execution)
      : execution.error?.name === 'SagaCancelledError' && execution.cancellation
        ? new SagaCancelledError(execution)
        : new SagaFailedError(execution);
