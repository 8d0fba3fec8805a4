/**
 * Decide, append, publish: the one loop that moves executions forward, and the only writer.
 *
 * 1. start from the execution this driver last stored or loaded (its cache); read the stream and
 *    fold it only when it is not kept (a miss) or when an append found it stale (a conflict);
 * 2. decide what the input does (user callbacks run here);
 * 3. append the decision's events in one append, expecting the revision that was folded;
 *    on a conflict another writer moved first: re-read, re-fold, decide again;
 * 4. only then publish the decision's requests (the stream is the outbox).
 */
import type { Saga } from '@saga/definitions';
import { checkHistoryAgainstDefinition, decodeHistory, evolve, fold, sagaEvent, stamp, type SagaEvent, type SagaExecution, type RecordedSagaEvent } from '@saga/execution';
import type { Broker } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import { isConcurrencyConflictError } from '../ports/concurrencyConflictError.js';
import type { EventStore, NewEvent } from '../ports/eventStore.js';
import type { Logger } from '../ports/logger.js';
import { DefinitionNotRegisteredError, SagaNotFoundError } from '../errors/runErrors.js';
import { decide, type ChildCommand, type DecideInput, type Decision, type DecideOptions } from './decide.js';
import { owedBeforeHandover } from './owedBeforeHandover.js';
import { withTransientRetry } from '../ports/transientRetry.js';
import { childSettled, childStartOf } from './stepKinds/childStep.js';
import { notifiedServices } from './transaction/transactionCommand.js';
import type { DefinitionRegistry } from './definitionRegistry.js';
import { randomUUID } from 'node:crypto';
import { executionStream } from './executionStream.js';
import { KeyedMutex } from './keyedMutex.js';
import { SagaAttributes, countStoredEvents, instruments } from '../observability/telemetry.js';
import { indexEntryOf } from '../executionIndex/indexEntryOf.js';
import type { ExecutionCache } from './executionCache.js';

/** Told of every execution state a driver stored (timers are armed, waiting runs woken, from it). */
export type StoredListener = (execution: SagaExecution) => void;

export interface DriverDeps {
  readonly store: EventStore;
  readonly broker: Broker;
  readonly registry: DefinitionRegistry;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly decideOptions: DecideOptions;
  /** The executions the driver keeps between decisions. */
  readonly cache: ExecutionCache;
  /** The lease every append takes on the execution's index entry: this process drives it. */
  readonly lease: { readonly owner: string; readonly leaseMs: number };
  /** Re-reads after conflicts before giving up (each one means another writer made progress). */
  readonly maxConflictRetries: number;
}

export interface Loaded {
  readonly execution: SagaExecution;
  readonly events: readonly RecordedSagaEvent[];
}

export class ExecutionDriver {
  readonly #mutex = new KeyedMutex();
  readonly #listeners = new Set<StoredListener>();
  readonly #byExecution = new Map<string, Set<StoredListener>>();
  /**
   * States this driver stored itself, and so published what they owe; a state it read may have been
   * stored by a writer that died before publishing (see `owedBeforeHandover`).
   */
  readonly #storedHere = new WeakSet<SagaExecution>();
  constructor(private readonly deps: DriverDeps) {}

  /**
   * Calls `listener` with every execution state this driver stores from now on: of one execution,
   * or of all when `executionId` is omitted (keyed, so 10,000 waiting runs cost one lookup per store).
   */
  onStored(listener: StoredListener, executionId?: string): () => void {
    const entry: StoredListener = (execution) => listener(execution);
    if (executionId === undefined) {
      this.#listeners.add(entry);
      return () => void this.#listeners.delete(entry);
    }
    let listeners = this.#byExecution.get(executionId);
    if (!listeners) this.#byExecution.set(executionId, (listeners = new Set()));
    listeners.add(entry);
    return () => {
      const current = this.#byExecution.get(executionId);
      if (current?.delete(entry) && current.size === 0) this.#byExecution.delete(executionId);
    };
  }

  /** The execution as this driver last stored or loaded it, if it still keeps it. */
  cached(executionId: string): SagaExecution | undefined {
    return this.deps.cache.get(executionId);
  }

  /**
   * Resolves once this process's work on the execution (a decision being stored and its messages
   * published) is done. A run woken by an append waits for it, so that when `run` returns the
   * messages of that decision (e.g. the commit commands) are out.
   */
  async quiesce(executionId: string): Promise<void> {
    await this.#mutex.run(executionId, async () => undefined);
  }

  /** Resolves once all of this process's work in progress is done (before closing connections). */
  async drain(): Promise<void> {
    await this.#mutex.idle();
  }

  /**
   * Reads and folds the whole stream (history, replay, and a decision on a cache miss). A history
   * that contradicts its stream or its registered definition is refused with CorruptedHistoryError;
   * only a state checked against its definition is kept to decide from.
   */
  async load(executionId: string): Promise<Loaded> {
    const stream = executionStream(executionId);
    const stored = await this.deps.store.read(stream);
    if (stored.length === 0) throw new SagaNotFoundError(executionId);
    const events = decodeHistory(stored, stream);
    const execution = fold(events);
    const definition = this.#registered(execution);
    checkHistoryAgainstDefinition(events, { stream, executionId, ...(definition ? { definition } : {}) });
    const kept = this.deps.cache.get(executionId);
    if (kept && kept.revision === execution.revision && this.#storedHere.has(kept)) this.#storedHere.add(execution);
    if (definition) this.deps.cache.set(execution);
    return { execution, events };
  }

  /** The definition a loaded execution resumes with; without one, a decision fails in `resolve`. */
  #registered(execution: SagaExecution): Saga | undefined {
    try {
      return this.deps.registry.resolve(execution);
    } catch (error) {
      if (error instanceof DefinitionNotRegisteredError) return undefined;
      throw error;
    }
  }

  /** The execution to decide from: kept, or read. */
  async #current(executionId: string): Promise<SagaExecution> {
    return this.deps.cache.get(executionId) ?? (await this.load(executionId)).execution;
  }

  /**
   * Starts a new execution: its first events (`SagaStarted`, or a forked history's copy) plus
   * whatever the next steps decide, in one append (then one more per durable local step).
   */
  async start(definition: Saga, initial: readonly [Extract<SagaEvent, { type: 'SagaStarted' }>, ...SagaEvent[]]): Promise<SagaExecution> {
    const id = initial[0].data.executionId;
    return this.#mutex.run(id, async () => {
      const execution = fold(initial);
      const decision = await decide(definition, execution, { kind: 'start' }, this.deps.decideOptions);
      const events = [...initial, ...decision.events];
      const recordedAt = await this.#append(id, events, 'no_stream', decision.execution);
      const stored = await this.#stored(id, { ...decision, events }, stamp(decision.execution, recordedAt));
      return decision.more ? this.#continue(id) : stored;
    });
  }

  /**
   * Applies `input` to an existing execution; returns the execution afterwards. Given a function,
   * the input is taken when this execution's turn comes (what queued up meanwhile is in it).
   */
  async drive(executionId: string, input: DecideInput | (() => DecideInput)): Promise<SagaExecution> {
    return this.#mutex.run(executionId, async () => {
      const { execution, more } = await this.#decideAndStore(executionId, typeof input === 'function' ? input() : input);
      return more ? this.#continue(executionId) : execution;
    });
  }

  /** Goes on deciding after a durable boundary until a decision needs no further append. */
  async #continue(executionId: string): Promise<SagaExecution> {
    for (;;) {
      const { execution, more } = await this.#decideAndStore(executionId, { kind: 'continue' });
      if (!more) return execution;
    }
  }

  /** One decision, appended and published; `more`: it stopped at a durable boundary. Runs under the mutex. */
  async #decideAndStore(executionId: string, input: DecideInput): Promise<{ execution: SagaExecution; more: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const kept = this.deps.cache.get(executionId);
      const execution = kept ?? (await this.load(executionId)).execution;
      const definition = this.deps.registry.resolve(execution);
      const decision = await decide(definition, execution, input, this.deps.decideOptions);
      if (decision.events.length === 0 && kept) {
        // "Nothing to do" is a verdict on the state, and a kept state may be stale (another worker
        // sent a new request or fired a timer): it is confirmed on the stored state before a reply
        // or a timer is dropped. Duplicates are rare; the happy path never gets here.
        this.deps.cache.delete(executionId);
        continue;
      }
      if (decision.events.length === 0) {
        // A timer another manager also armed, firing after the execution moved on, is routine.
        this.#logIgnored(executionId, input, decision);
        return { execution, more: false };
      }
      let recordedAt: string;
      try {
        recordedAt = await this.#append(executionId, decision.events, execution.revision, decision.execution);
      } catch (error) {
        // What was kept is stale (or the stream is gone): the next attempt reads.
        this.deps.cache.delete(executionId);
        if (isConcurrencyConflictError(error) && attempt < this.deps.maxConflictRetries) {
          instruments().conflicts.add(1);
          this.deps.logger.debug({ executionId, attempt }, 'Append conflict: another writer moved first; re-reading and deciding again');
          continue;
        }
        throw error;
      }
      const stored = await this.#stored(executionId, decision, stamp(decision.execution, recordedAt), !this.#storedHere.has(execution));
      // Replies decided with others that applied: the ones that matched nothing are still said.
      this.#logIgnored(executionId, input, { ...decision, ignored: undefined });
      return { execution: stored, more: decision.more === true };
    }
  }

  /** Why an input changed nothing, for the log: one line per ignored reply. A stale timer or a `continue` is routine (debug). */
  #logIgnored(executionId: string, input: DecideInput, decision: Pick<Decision, 'ignored' | 'ignoredReplies'>): void {
    const level = input.kind === 'timer' || input.kind === 'continue' ? 'debug' : 'warn';
    if (decision.ignoredReplies) for (const reason of decision.ignoredReplies) this.deps.logger[level]({ executionId, input: 'reply' }, `Ignored: ${reason}`);
    else if (decision.ignored) this.deps.logger[level]({ executionId, input: input.kind }, `Ignored: ${decision.ignored}`);
  }

  /**
   * After an append: tells the listeners, publishes the decision's messages, starts or asks children,
   * and records a transaction outcome as sent. `handedOver`: the decision was made from a state this
   * driver read, not one it stored, so another writer may have stored it and died before publishing.
   */
  async #stored(executionId: string, decision: Decision, execution: SagaExecution, handedOver = false): Promise<SagaExecution> {
    countStoredEvents(decision.events, `${execution.definition.name}@${execution.definition.version}`);
    for (const { target, ms } of decision.replyLatencies ?? []) instruments().replyLatency.record(ms, { [SagaAttributes.target]: target });
    for (const warning of decision.warnings ?? []) this.deps.logger.warn({ executionId }, warning);
    this.#tell(execution);
    const outbox = handedOver ? [...decision.outbox, ...owedBeforeHandover(execution, decision.outbox)] : decision.outbox;
    const published = await this.#publish(executionId, { outbox });
    for (const command of decision.children ?? []) await this.#command(command);
    const notified = await this.#markNotified(executionId, execution, outbox, published);
    if (notified !== execution) this.#tell(notified);
    this.#toParent(notified);
    return notified;
  }

  /**
   * Starts a child execution, or asks one to compensate, after the parent's decision is stored (the
   * parent's stream is the outbox: recovery does it again if a crash came first). A child that
   * already exists (started before a crash) is left as it is.
   */
  async #command(command: ChildCommand): Promise<void> {
    try {
      if (command.kind === 'start') await this.start(command.definition, [command.started]);
      else await this.drive(command.childId, { kind: 'compensateAsChild', parentId: command.parentId });
    } catch (error) {
      if (command.kind === 'start' && isConcurrencyConflictError(error)) return;
      const childId = command.kind === 'start' ? command.started.data.executionId : command.childId;
      this.deps.logger.error({ executionId: childId, error: String(error) }, `Could not ${command.kind} a child execution; recovery tries again`);
    }
  }

  /**
   * A child that came to rest tells its parent, which waits on it through the store. Not awaited:
   * the parent may be the one whose decision started this child (its lock is held until then).
   */
  #toParent(child: SagaExecution): void {
    const parent = child.parent;
    if (!parent || !childSettled(child)) return;
    this.drive(parent.executionId, { kind: 'childEnded', child }).catch((error: unknown) => {
      this.deps.logger.warn({ executionId: parent.executionId, childId: child.id, error: String(error) }, 'Could not tell the parent that its child ended; recovery tells it again');
    });
  }

  /**
   * Recovery of a parent's children: a child a crash kept from starting is started, a child that
   * ended is reported, a child asked to compensate is asked again.
   */
  async resumeChildren(parent: SagaExecution): Promise<void> {
    for (const pending of parent.pendingChildren) {
      let child: SagaExecution | undefined;
      try {
        child = (await this.load(pending.childId)).execution;
      } catch (error) {
        if (!(error instanceof SagaNotFoundError)) throw error;
      }
      if (!child) {
        const definition = this.deps.registry.find(pending.definition);
        if (pending.purpose === 'execute' && definition) await this.#command({ kind: 'start', definition, started: childStartOf(parent, pending) });
      } else if (childSettled(child) && !(pending.purpose === 'compensate' && child.status === 'finished')) {
        await this.drive(parent.id, { kind: 'childEnded', child });
      } else if (pending.purpose === 'compensate' && child.status === 'finished') {
        await this.#command({ kind: 'compensate', childId: child.id, parentId: parent.id });
      }
    }
  }

  #tell(execution: SagaExecution): void {
    this.#storedHere.add(execution);
    this.deps.cache.set(execution);
    for (const listener of [...this.#listeners, ...(this.#byExecution.get(execution.id) ?? [])]) {
      try {
        listener(execution);
      } catch (error) {
        this.deps.logger.error({ executionId: execution.id, error: String(error) }, 'A listener of stored executions threw');
      }
    }
  }

  /**
   * Once a transaction's outcome is out, says so in the stream, so recovery stops re-sending it.
   * Best effort: if this append loses a race or fails, recovery re-sends, and participants apply
   * an outcome once per saga.
   */
  async #markNotified(executionId: string, execution: SagaExecution, outbox: Decision['outbox'], published: boolean): Promise<SagaExecution> {
    const services = notifiedServices(outbox);
    if (services.length === 0 || !published || execution.transaction.notified) return execution;
    const event = sagaEvent('TransactionNotified', { services });
    try {
      const after = evolve(execution, event);
      const recordedAt = await this.#append(executionId, [event], execution.revision, after);
      return stamp(after, recordedAt);
    } catch (error) {
      this.deps.cache.delete(executionId);
      this.deps.logger.warn({ executionId, error: String(error) }, 'Could not record that the transaction outcome was sent; recovery will send it again');
      return execution;
    }
  }

  /**
   * Appends with the expected revision; returns the timestamp the store recorded. `after` is the
   * execution after `events` as the decision folded them, unstamped: its index entry is read off it
   * with this moment as the time (one fold per decision fewer than stamping first).
   */
  async #append(executionId: string, events: readonly SagaEvent[], expected: number | 'no_stream', after: SagaExecution): Promise<string> {
    const stream = executionStream(executionId);
    // One id per event of this decision, made once: an adapter that retries this very append sends
    // the same ids (stores that de-duplicate by id, like EventStoreDB, write it once), while any
    // other decision, even one with the same content, can never be mistaken for it.
    const newEvents: NewEvent[] = events.map((event) => ({
      id: randomUUID(),
      type: event.type,
      data: event.data as NewEvent['data'],
      metadata: { executionId, $correlationId: executionId },
    }));
    const result = await this.deps.store.append(stream, newEvents, expected, {
      index: indexEntryOf(after, this.deps.clock.now().toISOString()),
      lease: this.deps.lease,
    });
    return result.recordedAt ?? this.deps.clock.now().toISOString();
  }

  /** Publishes messages of an already stored decision again (recovery: the stream is the outbox). */
  async republish(executionId: string, outbox: Decision['outbox']): Promise<void> {
    await this.#mutex.run(executionId, async () => {
      const published = await this.#publish(executionId, { outbox });
      const execution = await this.#current(executionId);
      // What it owes is out now: a decision from this state has nothing of another writer's to send.
      if (published) this.#storedHere.add(execution);
      const stored = await this.#markNotified(executionId, execution, outbox, published);
      if (stored !== execution) this.#tell(stored);
    });
  }

  /**
   * Sends the decision's messages. Their events are stored, so a message that cannot be sent now
   * is not lost: it stays pending in the stream (and times out, or is re-sent on recovery).
   */
  async #publish(executionId: string, decision: Pick<Decision, 'outbox'>): Promise<boolean> {
    let all = true;
    for (const { topic, message } of decision.outbox) {
      try {
        await withTransientRetry(() => this.deps.broker.publish(topic, message), publishRetry, anyError);
      } catch (error) {
        all = false;
        this.deps.logger.error(
          { executionId, topic, requestId: message.id, error: error instanceof Error ? error.message : String(error) },
          'Could not publish a stored request; it stays pending in the stream',
        );
      }
    }
    return all;
  }
}

/** A publish that fails is tried 3 more times (any error: the broker adapter already gave up on its own terms). */
const publishRetry = { retries: 3, minDelayMs: 50, maxDelayMs: 1_000 } as const;
const anyError = (): boolean => true;
