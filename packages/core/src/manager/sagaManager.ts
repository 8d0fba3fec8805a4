/**
 * The SagaManager: starts executions, continues them from replies, waits for them in memory or
 * leaves them paused on disk, and answers what happened (`get`, `history`, `replay`).
 */
import { randomUUID } from 'node:crypto';
import { SagaContext, type JsonObject, type Saga, type SagaResponse } from '@saga/definitions';
import { replay as replayEvents, sagaEvent, SagaStatus, type RecordedSagaEvent, type SagaEvent, type SagaEventType, type SagaExecution } from '@saga/execution';
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
import { resolveRetryPolicy, stepAtPath, type RetryPolicy } from '@saga/definitions';
import { defaultCompensationRetry, pendingOutbox } from './decide.js';
import { TimerScheduler } from './timerScheduler.js';
import { SagaAttributes, SpanKind, inSpan, instruments, traceContextOf } from '../observability/telemetry.js';
import { DefinitionRegistry } from './definitionRegistry.js';
import { ExecutionDriver } from './executionDriver.js';
import { executionIdOf, executionStream } from './executionStream.js';
import { isAwaiting } from './nextAction.js';
import { resolveConfig, type SagaManagerConfig } from '../config/resolveConfig.js';
import { StoreFeed } from '../feed/storeFeed.js';

export interface SagaManagerOptions {
  readonly store: EventStore;
  readonly broker: Broker;
  /** This service's name: replies come back on `<service>.reply`. Default `'saga'`. */
  readonly service?: string;
  /** Definitions this manager can continue (e.g. executions started by another instance). */
  readonly definitions?: readonly Saga[];
  /**
   * How long a remote step waits for its reply (unless it sets its own `timeout()`) before
   * compensating. A durable timer: it holds across restarts. Default 60 s.
   */
  readonly replyTimeoutMs?: number;
  /** How long the commit waits for every participant's vote; a missing vote counts as no. Default 60 s. */
  readonly commitTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * How a failing compensation is retried: a local one in-process, a remote one with a new request
   * after a durable backoff timer. Then the execution stops, visibly, for `resume`. Default: 4
   * attempts, 50 ms → 2 s, with jitter.
   */
  readonly compensationRetry?: RetryPolicy;
  /** On `setup()`, re-send what waiting executions wait on and re-arm their timers. Default true. */
  readonly recoverOnSetup?: boolean;
  /**
   * How often to look for timers of executions this manager did not load itself (e.g. started by an
   * instance that died). 0 turns it off. Default 30 s.
   */
  readonly recoveryIntervalMs?: number;
}

/** What `recover()` found and did. */
export interface RecoveryReport {
  /** Execution streams read. */
  readonly scanned: number;
  /** Waiting executions of this service whose requests were re-sent and timers armed. */
  readonly recovered: number;
  /** Messages published again (same request ids: participants de-duplicate them). */
  readonly republished: number;
  /** Waiting executions this manager cannot continue, and why. */
  readonly skipped: readonly { readonly executionId: string; readonly reason: string }[];
}

/** What `checkDefinitions()` found: the executions that would not resume with the registered definitions. */
export interface DefinitionCheckReport {
  readonly checked: number;
  readonly wouldNotResume: readonly { readonly executionId: string; readonly definition: string; readonly reason: string }[];
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
  readonly #timers: TimerScheduler;
  readonly #recoverOnSetup: boolean;
  readonly #recoveryIntervalMs: number;
  #cancelSweep?: () => void;
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
    this.#recoverOnSetup = options.recoverOnSetup ?? true;
    this.#recoveryIntervalMs = options.recoveryIntervalMs ?? 30_000;
    for (const definition of options.definitions ?? []) this.#registry.register(definition);
    this.#timers = new TimerScheduler(this.#clock, (executionId, timerId) => void this.#fireTimer(executionId, timerId));
    const clock = this.#clock;
    this.#driver = new ExecutionDriver({
      store: this.store,
      broker: this.broker,
      registry: this.#registry,
      logger: this.#logger,
      clock,
      decideOptions: {
        compensationRetry: resolveRetryPolicy(options.compensationRetry ?? defaultCompensationRetry, 'SagaManager compensationRetry'),
        replyTimeoutMs: this.replyTimeoutMs,
        commitTimeoutMs: options.commitTimeoutMs ?? 60_000,
        now: () => clock.now(),
        random: Math.random,
      },
      onStored: (execution) => this.#timers.sync(execution),
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
    this.#subscription = await this.broker.subscribe(replyTopic(this.service), this.service, async (message) => {
      let reply: ReplyEnvelope;
      try {
        reply = decodeReply(message);
      } catch (error) {
        instruments().deadLettered.add(1, { [SagaAttributes.service]: this.service });
        this.#logger.warn({ topic: message.topic, messageId: message.id, reason: String(error) }, 'Malformed reply: dead-lettering it');
        throw error;
      }
      await inSpan(
        'saga.reply',
        { [SagaAttributes.executionId]: reply.sagaId, [SagaAttributes.requestId]: reply.requestId, [SagaAttributes.service]: this.service },
        () => this.#onReply(reply),
        { kind: SpanKind.CONSUMER, parent: traceContextOf(message.headers) },
      );
    });
    this.#setup = true;
    if (this.#recoverOnSetup) {
      const report = await this.recover();
      if (report.recovered > 0 || report.skipped.length > 0) this.#logger.info({ ...report, skipped: report.skipped.length }, 'Recovered waiting executions');
    }
    this.#scheduleSweep();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#stopping.abort();
    this.#cancelSweep?.();
    this.#timers.stop();
    await this.#subscription?.close();
    // Decisions already stored must get their messages out before the broker closes.
    await this.#driver.drain();
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
    const attributes = {
      [SagaAttributes.service]: this.service,
      ...(options.definition ? { [SagaAttributes.definition]: options.definition.name, [SagaAttributes.version]: options.definition.version } : {}),
      ...(options.response ? { [SagaAttributes.executionId]: options.response.sagaId, [SagaAttributes.requestId]: options.response.requestId } : {}),
    };
    const execution = await inSpan('saga.run', attributes, async (span) => {
      let current = options.response ? await this.#continue(options.response) : await this.#start(options);
      span.setAttribute(SagaAttributes.executionId, current.id);
      if (!pauseOnDisk) current = await this.#waitUntilSettled(current);
      span.setAttribute(SagaAttributes.status, current.status);
      return current;
    });
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

  /**
   * A new execution that copies this one's history up to `fromRevision` and continues from there:
   * "retry from step N" after fixing what made step N fail. The copy must end at a step boundary
   * (no request pending, still running forward); timers are not copied (the fork gets its own).
   * Its `SagaStarted` records where it came from (`forkedFrom`).
   */
  async fork(
    executionId: string,
    options: { readonly fromRevision: number; readonly pauseOnDisk?: boolean; readonly raiseOnError?: boolean },
  ): Promise<SagaExecution> {
    this.#assertReady('fork');
    const { events } = await this.#driver.load(executionId);
    const { fromRevision } = options;
    if (!Number.isInteger(fromRevision) || fromRevision < 0 || fromRevision >= events.length) {
      throw new InvalidRunOptionsError(`fork(${executionId}, { fromRevision: ${fromRevision} }): fromRevision must be a revision from 0 to ${events.length - 1}.`);
    }
    const prefix = events.filter((e) => e.revision <= fromRevision && e.type !== 'TimerScheduled' && e.type !== 'TimerFired');
    const state = replayEvents(prefix);
    if (state.phase !== 'forward' || state.pendingRequest) {
      const why = state.pendingRequest
        ? `request ${state.pendingRequest.requestId} of step ${state.pendingRequest.path} is pending there; fork from the revision before it was sent`
        : `the execution is ${state.phase === 'compensating' ? 'compensating' : 'over'} there; fork from a revision before its first failure`;
      throw new InvalidRunOptionsError(`Cannot fork ${executionId} at revision ${fromRevision}: ${why}.`);
    }
    const definition = this.#registry.resolve(state);
    const forkId = randomUUID();
    const [first, ...rest] = prefix;
    if (first?.type !== 'SagaStarted') throw new InvalidRunOptionsError(`Execution ${executionId} does not start with SagaStarted.`);
    const started = sagaEvent('SagaStarted', { ...first.data, executionId: forkId, forkedFrom: { executionId, revision: fromRevision } });
    const copied = rest.map((e) => ({ type: e.type, data: e.data }) as SagaEvent);
    this.#logger.info({ executionId: forkId, forkedFrom: executionId, revision: fromRevision }, 'Saga forked');
    let forked = await this.#driver.start(definition, [started, ...copied]);
    if (!options.pauseOnDisk) forked = await this.#waitUntilSettled(forked);
    if (forked.status === SagaStatus.Errored && (options.raiseOnError ?? true)) throw failureOf(forked);
    return forked;
  }

  /**
   * Retries the compensation that failed (an operator's action, once its cause is fixed): the
   * execution goes on compensating from the step that failed, in reverse order as before.
   */
  async resume(executionId: string, options: { readonly pauseOnDisk?: boolean; readonly raiseOnError?: boolean } = {}): Promise<SagaExecution> {
    this.#assertReady('resume');
    const { execution } = await this.#driver.load(executionId);
    if (!execution.compensation.failed) {
      throw new SagaAlreadyExecutedError(executionId, execution.status, 'resumed (only an execution whose compensation failed can be)');
    }
    let resumed = await this.#driver.drive(executionId, { kind: 'resume' });
    if (!options.pauseOnDisk) resumed = await this.#waitUntilSettled(resumed);
    if (resumed.status === SagaStatus.Errored && resumed.compensation.failed && (options.raiseOnError ?? true)) throw failureOf(resumed);
    return resumed;
  }

  /**
   * Finds this service's executions that wait for something, publishes again what they wait on
   * (same request ids; the stream is the outbox) and arms their timers. `setup()` calls it; several
   * managers doing it at once only cause duplicates that participants and replies de-duplicate.
   */
  async recover(options: { readonly republish?: boolean } = {}): Promise<RecoveryReport> {
    const republish = options.republish ?? true;
    let scanned = 0;
    let recovered = 0;
    let republished = 0;
    const skipped: { executionId: string; reason: string }[] = [];
    await this.#forEachExecution(async (executionId, load) => {
      scanned += 1;
      let execution: SagaExecution;
      try {
        execution = (await load()).execution;
      } catch (error) {
        skipped.push({ executionId, reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      const owes = pendingOutbox(execution).length > 0;
      if (execution.service !== this.service || (!isAwaiting(execution) && execution.timers.length === 0 && !owes)) return;
      try {
        this.#registry.resolve(execution);
      } catch (error) {
        skipped.push({ executionId, reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      // One execution that cannot be recovered now (the store hiccups, the broker is down) must
      // not keep the manager from starting: it is reported, and the next sweep tries again.
      try {
        if (republish) {
          const outbox = pendingOutbox(execution);
          await this.#driver.republish(executionId, outbox);
          republished += outbox.length;
        }
        this.#timers.sync(execution);
        recovered += 1;
      } catch (error) {
        skipped.push({ executionId, reason: error instanceof Error ? error.message : String(error) });
      }
    });
    return { scanned, recovered, republished, skipped };
  }

  /**
   * Replays every waiting execution of this service against the registered definitions and lists
   * those that would not resume (definition missing, or a different shape under the same version).
   */
  async checkDefinitions(): Promise<DefinitionCheckReport> {
    let checked = 0;
    const wouldNotResume: { executionId: string; definition: string; reason: string }[] = [];
    await this.#forEachExecution(async (executionId, load) => {
      let execution: SagaExecution;
      try {
        execution = (await load()).execution;
      } catch (error) {
        wouldNotResume.push({ executionId, definition: '?', reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      if (execution.service !== this.service || (execution.phase === 'ended' && !isAwaiting(execution) && !execution.compensation.failed)) return;
      checked += 1;
      const label = `${execution.definition.name}@${execution.definition.version}`;
      try {
        const definition = this.#registry.resolve(execution);
        const missing = execution.steps.find((step) => stepAtPath(definition, step.path)?.kind !== step.kind);
        if (missing) wouldNotResume.push({ executionId, definition: label, reason: `recorded step ${missing.path} (${missing.kind}) is not in the definition` });
      } catch (error) {
        wouldNotResume.push({ executionId, definition: label, reason: error instanceof Error ? error.message : String(error) });
      }
    });
    return { checked, wouldNotResume };
  }

  async #forEachExecution(visit: (executionId: string, load: () => ReturnType<ExecutionDriver['load']>) => Promise<void>): Promise<void> {
    let after: string | undefined;
    do {
      const page = await this.store.listStreams({ prefix: 'saga-', ...(after ? { after } : {}) });
      for (const { stream } of page.streams) {
        const executionId = executionIdOf(stream);
        await visit(executionId, () => this.#driver.load(executionId));
      }
      after = page.nextCursor;
    } while (after && !this.#destroyed);
  }

  #scheduleSweep(): void {
    if (this.#recoveryIntervalMs <= 0 || this.#destroyed) return;
    this.#cancelSweep = this.#clock.setTimeout(() => {
      this.recover({ republish: false })
        .catch((error: unknown) => this.#logger.error({ error: String(error) }, 'Periodic recovery failed; will try again'))
        .finally(() => this.#scheduleSweep());
    }, this.#recoveryIntervalMs);
  }

  async #fireTimer(executionId: string, timerId: string): Promise<void> {
    if (this.#destroyed) return;
    try {
      await inSpan('saga.timer', { [SagaAttributes.executionId]: executionId }, () => this.#driver.drive(executionId, { kind: 'timer', timerId }));
    } catch (error) {
      this.#logger.error({ executionId, timerId, error: String(error) }, 'A timer could not be applied; the next recovery sweep re-arms it');
    }
  }

  /** Tells every participant of an execution run with `autocommit: false` to reject its changes. */
  async reject(executionId: string): Promise<SagaExecution> {
    this.#assertReady('reject');
    const { execution } = await this.#driver.load(executionId);
    if (execution.phase !== 'ended') {
      throw new InvalidRunOptionsError(
        `Execution ${executionId} is still ${execution.status}: reject() applies once it has ended (run with autocommit: false). Wait for it, or let it compensate.`,
      );
    }
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
    return this.#driver.start(definition, [started]);
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

  /**
   * Memory mode: follow the execution until it no longer waits. Replies and timers move it on (in
   * this instance or another); this only watches the stream.
   */
  async #waitUntilSettled(execution: SagaExecution): Promise<SagaExecution> {
    if (!isAwaiting(execution)) return execution;
    let current = execution;
    // The durable timers do not keep the process alive on their own; a waiting run must.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    try {
      while (isAwaiting(current)) current = await this.#waitForChange(current.id, current.revision);
      // The decision that woke us may still be publishing its messages (and recording that it
      // did) in this process: let it finish, then return what is stored.
      await this.#driver.quiesce(current.id);
      return (await this.#driver.load(current.id)).execution;
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Resolves with the execution once its stream grows past `known` (whichever instance appended). */
  #waitForChange(executionId: string, known: number): Promise<SagaExecution> {
    return new Promise((resolve, reject) => {
      let done = false;
      let checking = false;
      let recheck = false;
      const finish = (result: SagaExecution | undefined, error?: unknown) => {
        if (done) return;
        done = true;
        unwatch();
        this.#stopping.signal.removeEventListener('abort', onAbort);
        if (error || !result) reject(error);
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
      let unwatch: () => void = () => undefined;
      this.#stopping.signal.addEventListener('abort', onAbort);
      StoreFeed.of(this.store)
        .subscribe(executionStream(executionId), () => void check())
        .then((stop) => {
          if (done) stop();
          else unwatch = stop;
          void check();
        }, (error: unknown) => finish(undefined, error));
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
