/**
 * The worker side of a service: takes replies, fires timers and recovers what a dead process left.
 * Its driver is the only writer. Several workers of one service share recovery and timers through
 * leases on the execution index, so each open execution is looked after by one of them.
 */
import type { Saga } from '@saga/definitions';
import type { Subscription } from '../ports/broker.js';
import type { ExecutionIndexEntry } from '../ports/eventStore.js';
import { InvalidRunOptionsError, ManagerNotReadyError, SagaNotFoundError } from '../errors/runErrors.js';
import { decodeReply, type ReplyEnvelope } from '../wire/sagaMessages.js';
import { replyTopic } from '../wire/headers.js';
import { SagaAttributes, SpanKind, inSpan, instruments, traceContextOf } from '../observability/telemetry.js';
import { pendingOutbox } from './decide.js';
import { votesStillOut } from './transaction/votesStillOut.js';
import { hasWorkToDo } from './nextAction.js';
import { createEngine, type Engine, type EngineOptions } from './engine.js';
import { TimerScheduler } from './timerScheduler.js';

export interface SagaWorkerOptions extends EngineOptions {
  /**
   * On `setup()`, recover open executions: re-send what they wait on and arm their timers. Default
   * true. With a `workerId` (stable across restarts), the worker takes back its own executions and
   * those nobody holds, shared with the workers starting beside it; without one it cannot tell a
   * dead predecessor's executions from a live worker's, and recovers every open one.
   */
  readonly recoverOnSetup?: boolean;
  /**
   * How long a reply batch that holds some of a transaction's votes waits for the others (ms), so
   * that votes answering together are decided (and appended) together. Ends early once all are in.
   * 0 decides each at once. Default 5; 0 on a broker that delivers one execution's messages one at
   * a time (`deliversEachExecutionInOrder`, Kafka), where the others could not arrive meanwhile.
   */
  readonly voteLingerMs?: number;
  /**
   * Replies this worker handles at once (the broker subscription's `concurrency`). Each waits for
   * its decision to be stored before it is acknowledged, so this bounds the executions moving
   * forward together. Default 64 (the broker's default of 16 held W3 on PostgreSQL with 50 sagas in
   * flight to 292–334 sagas/s, against 415–469 with 64).
   */
  readonly replyConcurrency?: number;
}

/** What `recover()` found and did. */
export interface RecoveryReport {
  /** Open executions of this service read from the index (on setup, every open one; in a sweep, those taken over). */
  readonly scanned: number;
  /** Waiting executions of this service whose requests were re-sent and timers armed. */
  readonly recovered: number;
  /** Messages published again (same request ids: participants de-duplicate them). */
  readonly republished: number;
  /** Waiting executions this worker cannot continue, and why. */
  readonly skipped: readonly { readonly executionId: string; readonly reason: string }[];
}

/** What `checkDefinitions()` found: the executions that would not resume with the registered definitions. */
export interface DefinitionCheckReport {
  readonly checked: number;
  readonly wouldNotResume: readonly { readonly executionId: string; readonly definition: string; readonly reason: string }[];
}

const claimPage = 100;

/** The longest delay setTimeout keeps. */
const maxTimerMs = 2_147_483_647;

/** Replies of one execution waiting to be decided together; `complete` ends a linger early. */
interface ReplyBatch {
  readonly replies: ReplyEnvelope[];
  done: Promise<unknown>;
  complete?: (() => void) | undefined;
}

export class SagaWorker implements AsyncDisposable {
  readonly #replyBatches = new Map<string, ReplyBatch>();
  readonly workerId: string;
  readonly #engine: Engine;
  readonly #timers: TimerScheduler;
  readonly #recoverOnSetup: boolean;
  /** The id was given, so a restart comes back under it and its leases say whose executions are whose. */
  readonly #stableId: boolean;
  readonly #voteLingerMs: number;
  readonly #replyConcurrency: number;
  readonly #recoveryIntervalMs: number;
  readonly #leaseMs: number;
  readonly #stopping = new AbortController();
  #stopTimers: (() => void) | undefined;
  #cancelSweep?: () => void;
  #subscription?: Subscription;
  #setup = false;
  #destroyed = false;

  /** A worker of its own, or (from `SagaManager`) one that shares an engine with a client. */
  constructor(options: SagaWorkerOptions, engine: Engine = createEngine(options)) {
    this.#engine = engine;
    this.workerId = engine.owner;
    this.#recoverOnSetup = options.recoverOnSetup ?? true;
    this.#stableId = options.workerId !== undefined;
    // A broker that hands one execution's replies over one at a time never lets a batch grow.
    this.#voteLingerMs = options.voteLingerMs ?? (engine.broker.deliversEachExecutionInOrder === true ? 0 : 5);
    this.#replyConcurrency = options.replyConcurrency ?? 64;
    if (!Number.isSafeInteger(this.#replyConcurrency) || this.#replyConcurrency < 1) {
      throw new InvalidRunOptionsError(`SagaWorker option replyConcurrency must be a whole number ≥ 1 (replies handled at once), got ${String(options.replyConcurrency)}.`);
    }
    // Past 2³¹−1 ms setTimeout fires at once, so a larger linger would silently become none.
    if (!Number.isFinite(this.#voteLingerMs) || this.#voteLingerMs < 0 || this.#voteLingerMs > maxTimerMs) {
      throw new InvalidRunOptionsError(`SagaWorker option voteLingerMs must be a number of milliseconds ≥ 0 (0 decides each vote at once) and at most ${maxTimerMs}, got ${String(options.voteLingerMs)}.`);
    }
    this.#recoveryIntervalMs = engine.recoveryIntervalMs;
    this.#leaseMs = engine.leaseMs;
    this.#timers = new TimerScheduler(engine.clock, (executionId, timerId) => void this.#fireTimer(executionId, timerId));
  }

  get service(): string {
    return this.#engine.service;
  }

  /** The vote linger in effect: `voteLingerMs` as given, else 5 ms, or 0 on a broker that delivers each execution in order. */
  get voteLingerMs(): number {
    return this.#voteLingerMs;
  }

  get alreadySetup(): boolean {
    return this.#setup;
  }

  get alreadyDestroyed(): boolean {
    return this.#destroyed;
  }

  /** Makes definitions available for continuing executions started elsewhere. */
  register(...definitions: Saga[]): this {
    for (const definition of definitions) this.#engine.registry.register(definition);
    return this;
  }

  async setup(): Promise<void> {
    if (this.#destroyed) throw new ManagerNotReadyError('This SagaWorker was destroyed; create a new one.');
    if (this.#setup) return;
    const { store, broker, service, logger } = this.#engine;
    if (!broker) throw new ManagerNotReadyError(`The saga worker of '${service}' needs a broker to take replies: pass \`broker\` (e.g. new InMemoryBroker()).`);
    await store.setup();
    await broker.setup();
    this.#stopTimers = this.#engine.driver.onStored((execution) => this.#timers.sync(execution));
    this.#subscription = await broker.subscribe(replyTopic(service), service, async (message) => {
      let reply: ReplyEnvelope;
      try {
        reply = decodeReply(message);
      } catch (error) {
        instruments().deadLettered.add(1, { [SagaAttributes.service]: service });
        logger.warn({ topic: message.topic, messageId: message.id, reason: String(error) }, 'Malformed reply: dead-lettering it');
        throw error;
      }
      await inSpan(
        'saga.reply',
        { [SagaAttributes.executionId]: reply.sagaId, [SagaAttributes.requestId]: reply.requestId, [SagaAttributes.service]: service },
        () => this.#onReply(reply),
        { kind: SpanKind.CONSUMER, parent: traceContextOf(message.headers) },
      );
    }, { concurrency: this.#replyConcurrency });
    this.#setup = true;
    // A worker that starts holds nothing: leases under its id are its previous incarnation's.
    await store.index.release(this.workerId);
    if (this.#recoverOnSetup) {
      const report = this.#stableId ? await this.#recoverEach((visit) => this.#forEachClaimed(visit), true) : await this.recover();
      if (report.recovered > 0 || report.skipped.length > 0) logger.info({ ...report, skipped: report.skipped.length }, 'Recovered waiting executions');
    }
    this.#scheduleSweep();
  }

  /** Stops taking replies and firing timers; decisions already stored get their messages out first. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#stopping.abort();
    this.#cancelSweep?.();
    this.#stopTimers?.();
    this.#timers.stop();
    // Votes held for their siblings are decided now, so that the drain below waits for them.
    for (const batch of this.#replyBatches.values()) batch.complete?.();
    await this.#subscription?.close();
    await this.#engine.driver.drain();
    // Its executions are other workers' to take over now, not when the leases run out.
    await this.#engine.store.index.release(this.workerId).catch((error: unknown) => {
      this.#engine.logger.warn({ error: String(error) }, 'Could not release the leases of this worker; other workers take its executions over when they expire');
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /**
   * Every open execution of this service, whoever holds it, gets what it waits on published again
   * (same request ids; the stream is the outbox) and its timers armed here; duplicates are
   * de-duplicated by participants and replies. `setup()` of a worker without a `workerId` does this:
   * its id is new, so the leases of the process it replaces look like a live worker's. With a
   * `workerId`, `setup()` releases its previous incarnation's leases and takes over only what nobody
   * holds, like a sweep, so workers starting together share the work; what a dead writer owed under
   * a lease that has since moved is re-sent by the worker the lease moved to (`owedBeforeHandover`).
   * Reads the index: the cost follows the open executions, not the history the store keeps.
   */
  async recover(options: { readonly republish?: boolean } = {}): Promise<RecoveryReport> {
    return this.#recoverEach((visit) => this.#forEachOpen(visit), options.republish ?? true);
  }

  /**
   * Every `recoveryIntervalMs`: renews this worker's leases, then takes over the open executions
   * whose lease expired (their worker died): publishes again what they wait on and arms their timers.
   * Several workers share this work; each execution is taken over by one of them.
   */
  async sweep(): Promise<RecoveryReport> {
    await this.#engine.store.index.renew({ service: this.service, owner: this.workerId, leaseMs: this.#leaseMs });
    return this.#recoverEach((visit) => this.#forEachClaimed(visit), true);
  }

  async #recoverEach(each: (visit: (entry: ExecutionIndexEntry) => Promise<void>) => Promise<void>, republish: boolean): Promise<RecoveryReport> {
    let scanned = 0;
    let recovered = 0;
    let republished = 0;
    const skipped: { executionId: string; reason: string }[] = [];
    await each(async (entry) => {
      scanned += 1;
      // One execution that cannot be recovered now (the store hiccups, the broker is down, its
      // definition is not registered here) must not keep the worker from starting: it is reported.
      try {
        // Read, never the kept state: another worker may have written it last, so what this
        // worker may still keep of it is stale.
        const { execution } = await this.#engine.driver.load(entry.executionId);
        const definition = this.#engine.registry.resolve(execution);
        if (republish) {
          const outbox = pendingOutbox(execution);
          await this.#engine.driver.republish(execution.id, outbox);
          republished += outbox.length;
        }
        // Work that waits on nothing (the step after a durable local step, a cancel between steps)
        // was cut short by a crash: it goes on from the last stored decision.
        if (hasWorkToDo(definition, execution)) await this.#engine.driver.drive(execution.id, { kind: 'continue' });
        // A child a crash kept from starting, or whose end the parent never heard of.
        if (execution.pendingChildren.length > 0) await this.#engine.driver.resumeChildren(this.#engine.driver.cached(execution.id) ?? execution);
        this.#timers.sync(this.#engine.driver.cached(execution.id) ?? execution);
        recovered += 1;
      } catch (error) {
        skipped.push({ executionId: entry.executionId, reason: error instanceof Error ? error.message : String(error) });
      }
    });
    return { scanned, recovered, republished, skipped };
  }

  async #forEachOpen(visit: (entry: ExecutionIndexEntry) => Promise<void>): Promise<void> {
    let after: string | undefined;
    do {
      const page = await this.#engine.store.index.query({ service: this.service, open: true, limit: claimPage, ...(after ? { after } : {}) });
      for (const entry of page.entries) await visit(entry);
      after = page.nextCursor;
    } while (after && !this.#destroyed);
  }

  async #forEachClaimed(visit: (entry: ExecutionIndexEntry) => Promise<void>): Promise<void> {
    const { store, service } = this.#engine;
    const seen = new Set<string>();
    for (;;) {
      const claimed = await store.index.claim({ service, owner: this.workerId, leaseMs: this.#leaseMs, limit: claimPage });
      const fresh = claimed.filter((entry) => !seen.has(entry.executionId));
      for (const entry of fresh) {
        seen.add(entry.executionId);
        await visit(entry);
      }
      if (claimed.length < claimPage || this.#destroyed) return;
      if (fresh.length === 0) break;
    }
    // A store that cannot lease gives the same first page again: the rest is paged from the index.
    let after: string | undefined;
    do {
      const page = await store.index.query({ service, open: true, limit: claimPage, ...(after ? { after } : {}) });
      for (const entry of page.entries) {
        if (seen.has(entry.executionId)) continue;
        seen.add(entry.executionId);
        await visit(entry);
      }
      after = page.nextCursor;
    } while (after && !this.#destroyed);
  }

  /**
   * Replays every open execution of this service against the registered definitions and lists
   * those that would not resume (definition missing, or a different shape under the same version).
   */
  async checkDefinitions(): Promise<DefinitionCheckReport> {
    let checked = 0;
    const wouldNotResume: { executionId: string; definition: string; reason: string }[] = [];
    let after: string | undefined;
    do {
      const page = await this.#engine.store.index.query({ service: this.service, open: true, limit: 500, ...(after ? { after } : {}) });
      for (const entry of page.entries) {
        checked += 1;
        const label = `${entry.definitionName}@${entry.definitionVersion}`;
        try {
          // Loading checks the history against its registered definition (the engine's one check);
          // resolving says whether a definition of that name, version and shape is registered.
          const { execution } = await this.#engine.driver.load(entry.executionId);
          this.#engine.registry.resolve(execution);
        } catch (error) {
          wouldNotResume.push({ executionId: entry.executionId, definition: label, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      after = page.nextCursor;
    } while (after && !this.#destroyed);
    return { checked, wouldNotResume };
  }

  #scheduleSweep(): void {
    if (this.#recoveryIntervalMs <= 0 || this.#destroyed) return;
    this.#cancelSweep = this.#engine.clock.setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.#engine.logger.error({ error: String(error) }, 'Periodic recovery failed; will try again'))
        .finally(() => this.#scheduleSweep());
    }, this.#recoveryIntervalMs);
  }

  async #fireTimer(executionId: string, timerId: string): Promise<void> {
    if (this.#destroyed) return;
    try {
      await inSpan('saga.timer', { [SagaAttributes.executionId]: executionId }, () => this.#engine.driver.drive(executionId, { kind: 'timer', timerId }));
    } catch (error) {
      this.#engine.logger.error({ executionId, timerId, error: String(error) }, 'A timer could not be applied; the next recovery sweep re-arms it');
    }
  }

  /**
   * Replies of one execution that arrive while it is busy wait together and are decided in one
   * decision when its turn comes: the branches of a parallel step answering at once make one append,
   * not one each. A batch that holds some of a transaction's votes and lacks others also waits, at
   * most `voteLingerMs` (real time: it only groups work) or until the rest is in: votes answer
   * together, and one decision of all of them is one append where each alone made its own. Every
   * reply of a batch shares its outcome (a failure is redelivered for each).
   */
  #batchReply(reply: ReplyEnvelope): Promise<unknown> {
    const forming = this.#replyBatches.get(reply.sagaId);
    const kept = this.#engine.driver.cached(reply.sagaId);
    if (forming) {
      forming.replies.push(reply);
      if (forming.complete && kept && votesStillOut(kept, forming.replies) === 0) forming.complete();
      return forming.done;
    }
    const batch: ReplyBatch = { replies: [reply], done: Promise.resolve() };
    this.#replyBatches.set(reply.sagaId, batch);
    const decide = () =>
      this.#engine.driver.drive(reply.sagaId, () => {
        // From here on, replies for this execution form the next batch.
        if (this.#replyBatches.get(reply.sagaId) === batch) this.#replyBatches.delete(reply.sagaId);
        const [only] = batch.replies;
        return batch.replies.length === 1 && only ? { kind: 'reply', reply: only } : { kind: 'replies', replies: batch.replies };
      });
    const lingers = this.#voteLingerMs > 0 && kept !== undefined && votesStillOut(kept, batch.replies) > 0;
    batch.done = lingers ? this.#linger(batch).then(decide) : decide();
    batch.done.catch(() => {
      if (this.#replyBatches.get(reply.sagaId) === batch) this.#replyBatches.delete(reply.sagaId);
    });
    return batch.done;
  }

  /** Resolves after `voteLingerMs`, or as soon as the batch is completed. */
  #linger(batch: ReplyBatch): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#voteLingerMs);
      batch.complete = () => {
        clearTimeout(timer);
        batch.complete = undefined;
        resolve();
      };
    });
  }

  async #onReply(reply: ReplyEnvelope): Promise<void> {
    try {
      await this.#batchReply(reply);
    } catch (error) {
      if (error instanceof SagaNotFoundError) {
        this.#engine.logger.warn({ executionId: reply.sagaId, requestId: reply.requestId }, 'Ignored a reply for an execution this store does not have');
        return;
      }
      this.#engine.logger.error({ executionId: reply.sagaId, requestId: reply.requestId, error: String(error) }, 'Could not apply a reply; the broker will redeliver it');
      throw error;
    }
  }
}
