/**
 * One fault scenario's world: the environment under test (a store and a broker, real or in memory)
 * behind the fault-injecting decorators, managers and counting participants on them, and the
 * checks every scenario ends with (`verify`).
 */
import {
  SagaManager,
  deadLetterTopic,
  DeadLetterHeaders,
  type Broker,
  type DeliveredMessage,
  type EventStore,
  type ParticipantInbox,
  type RecordedSagaEvent,
  type Saga,
  type SagaExecution,
  type SagaManagerOptions,
  type Subscription,
} from '@saga/core';
import { captureLogger } from '../captureLogger.js';
import type { BrokerBacklog, ConsumerGroup } from './brokerBacklog.js';
import { uniqueName } from '../uniqueName.js';
import { waitFor } from '../waitFor.js';
import { checkInvariants } from './checkInvariants.js';
import { countingParticipant, type CountingParticipant, type CountingParticipantOptions } from './countingParticipant.js';
import { crashingStore, lostEvents, type AcknowledgedAppend, type CrashingStore } from './crashingStore.js';
import { faultTargets, participantHandlers, type FaultServices, type FaultTargets } from './faultSagas.js';
import type { FaultFigures } from './faultFigures.js';
import { faultyBroker, type FaultyBroker } from './faultyBroker.js';
import type { Prng } from './prng.js';
import { loadHistory, settledProblem, waitUntilSettled } from './settled.js';

/** What a fault suite runs on. */
export interface FaultEnvironment {
  readonly store: EventStore;
  readonly broker: Broker;
  /**
   * A participant inbox on durable storage (e.g. `PostgresInbox` on a fresh schema), for the
   * restarted-participant case. Default: an `InMemoryInbox` that outlives the participant object.
   * The suite sets it up and destroys it.
   */
  readonly inbox?: () => ParticipantInbox<unknown>;
  /**
   * The broker's own count of the messages it still holds for a group (queued, waiting out a
   * redelivery delay, delivered and unacknowledged), for a broker without `drain()`: "nothing more
   * arrives" is then decided on it. Without `drain()` or `backlog`, after `quietMs` of quiet.
   */
  readonly backlog?: BrokerBacklog;
}

export interface FaultWorldOptions {
  readonly prng: Prng;
  readonly figures: FaultFigures;
  /** Only for a broker with neither `drain()` nor `backlog`: how long it must be idle to count as quiet. */
  readonly quietMs: number;
  /** How long executions may take to settle. */
  readonly settleTimeoutMs: number;
}

export type OrderParticipants = Record<'stock' | 'payment' | 'shipping', CountingParticipant>;

export interface DeadLetterAudit {
  /** Dead letters received so far, by original topic. */
  readonly letters: ReadonlyMap<string, DeliveredMessage[]>;
  count(topic?: string): number;
}

export interface VerifyOptions {
  /** The definition of each execution (for the compensation-completeness check). */
  readonly definition: Saga | ((executionId: string) => Saga | undefined);
  /** Participants whose effects must be once per request id. */
  readonly participants?: readonly CountingParticipant[];
  /**
   * How often each participant of a committed (rejected) execution must hear commit (reject):
   * `exactly-once` (default) or `at-most-once` (after crashes: see the known gap in docs/guarantees.md).
   */
  readonly transactionHooks?: 'exactly-once' | 'at-most-once';
  /** Appends acknowledged through other decorators (crash tests), checked for "no event lost". */
  readonly acknowledged?: readonly (readonly AcknowledgedAppend[])[];
}

export interface Verification {
  readonly executions: ReadonlyMap<string, SagaExecution>;
  readonly histories: ReadonlyMap<string, readonly RecordedSagaEvent[]>;
  readonly violations: readonly string[];
}

export interface FaultWorld {
  readonly env: FaultEnvironment;
  /** The environment's store, recording every acknowledged append (it never crashes). */
  readonly store: CrashingStore;
  readonly broker: FaultyBroker;
  readonly services: FaultServices;
  readonly targets: FaultTargets;
  readonly logger: ReturnType<typeof captureLogger>;
  readonly prng: Prng;
  readonly figures: FaultFigures;
  /**
   * Resolves once nothing more can arrive at any handler of the world (see `FaultyBroker.quiet`):
   * the event an absence check ("no second effect", "nothing dead-lettered") waits on.
   */
  quiet(): Promise<void>;
  /** A set-up manager of the world's service on the world's store and broker. */
  manager(options?: Partial<SagaManagerOptions>): Promise<SagaManager>;
  /** The three participants of the order saga, set up. */
  participants(options?: CountingParticipantOptions): Promise<OrderParticipants>;
  /** Listens on the dead-letter topics of `topics` (on the undecorated broker). */
  auditDeadLetters(topics: readonly string[]): Promise<DeadLetterAudit>;
  /** Collects what is published to `topic` in a group of its own (on the undecorated broker). */
  capture(topic: string): Promise<DeliveredMessage[]>;
  /** Subscribes on the undecorated broker; closed with the world. */
  subscribe(topic: string, handler: (message: DeliveredMessage) => Promise<void>): Promise<void>;
  /** Runs when the world is destroyed (in reverse order). */
  onDestroy(cleanup: () => Promise<unknown>): void;
  /** Waits for the executions to settle and for nothing more to arrive (`quiet`), then checks everything. */
  verify(executionIds: readonly string[], options: VerifyOptions): Promise<Verification>;
  destroy(): Promise<void>;
}

const short = (id: string): string => id.slice(0, 8);

export const faultWorld = async (env: FaultEnvironment, options: FaultWorldOptions): Promise<FaultWorld> => {
  await env.store.setup();
  await env.broker.setup();
  const store = crashingStore(env.store);
  const broker = faultyBroker(env.broker);
  const logger = captureLogger();
  const services: FaultServices = {
    order: uniqueName('order'),
    stock: uniqueName('stock'),
    payment: uniqueName('payment'),
    shipping: uniqueName('shipping'),
    silent: uniqueName('silent'),
  };
  const targets = faultTargets(services);
  const cleanups: (() => Promise<unknown>)[] = [];
  const subscriptions: Subscription[] = [];
  // Subscribed on the undecorated broker: its backlog is counted too (a dead letter still on its way).
  const ownGroups: ConsumerGroup[] = [];
  const participantsMade: CountingParticipant[] = [];

  const subscribe = async (topic: string, handler: (message: DeliveredMessage) => Promise<void>): Promise<void> => {
    const group = uniqueName('audit');
    subscriptions.push(await env.broker.subscribe(topic, group, handler));
    ownGroups.push({ topic, group });
  };
  // Whether quiet() asks the broker (drain or backlog) rather than watching it idle.
  const countable = env.backlog !== undefined || typeof (env.broker as Partial<{ drain: unknown }>).drain === 'function';
  const quiet = (): Promise<void> =>
    broker.quiet({ ...(env.backlog ? { backlog: env.backlog } : {}), groups: ownGroups, idleMs: options.quietMs, timeoutMs: options.settleTimeoutMs });

  const world: FaultWorld = {
    env,
    store,
    broker,
    services,
    targets,
    logger,
    prng: options.prng,
    figures: options.figures,
    quiet,
    async manager(overrides = {}) {
      const manager = new SagaManager({
        store,
        broker,
        service: services.order,
        logger,
        // Longer than any scenario waits: a timeout is a fault only where a scenario injects it.
        replyTimeoutMs: 2 * options.settleTimeoutMs,
        // The votes too (default 60 s): 600 executions over a real broker on a slow machine back up for
        // longer than that, and a vote that came late would count as a no the scenario did not inject.
        commitTimeoutMs: 2 * options.settleTimeoutMs,
        compensationRetry: { attempts: 4, initialDelayMs: 20, maxDelayMs: 200 },
        // A crashed manager's leases keep other managers away until they expire: short ones, renewed
        // often, so that a crash is taken over within the scenario's time (production: 60 s / 30 s).
        leaseMs: 400,
        recoveryIntervalMs: 100,
        ...overrides,
      });
      cleanups.push(() => manager.destroy());
      await manager.setup();
      return manager;
    },
    async participants(participantOptions = {}) {
      const handlers = participantHandlers(services);
      const make = async (which: keyof OrderParticipants): Promise<CountingParticipant> => {
        const participant = await countingParticipant(broker, services[which], handlers[which], { logger, ...participantOptions });
        participantsMade.push(participant);
        return participant;
      };
      return { stock: await make('stock'), payment: await make('payment'), shipping: await make('shipping') };
    },
    async auditDeadLetters(topics) {
      const letters = new Map<string, DeliveredMessage[]>();
      for (const topic of topics) {
        letters.set(topic, []);
        await subscribe(deadLetterTopic(topic), async (message) => {
          const original = message.headers[DeadLetterHeaders.originalTopic] ?? topic;
          const list = letters.get(original);
          if (list) list.push(message);
          else letters.set(original, [message]);
        });
      }
      return { letters, count: (topic) => (topic === undefined ? [...letters.values()].reduce((sum, l) => sum + l.length, 0) : (letters.get(topic)?.length ?? 0)) };
    },
    async capture(topic) {
      const received: DeliveredMessage[] = [];
      await subscribe(topic, async (message) => void received.push(message));
      return received;
    },
    subscribe,
    onDestroy(cleanup) {
      cleanups.push(cleanup);
    },
    async verify(executionIds, verifyOptions) {
      const settled = await waitUntilSettled(env.store, executionIds, options.settleTimeoutMs);
      await quiet();
      const violations: string[] = [];
      const executions = new Map<string, SagaExecution>();
      const histories = new Map<string, readonly RecordedSagaEvent[]>();
      const definitionOf = typeof verifyOptions.definition === 'function' ? verifyOptions.definition : () => verifyOptions.definition as Saga;
      const acknowledged = [store.appended, ...(verifyOptions.acknowledged ?? [])];
      const participants = verifyOptions.participants ?? [];
      if (!countable && (verifyOptions.transactionHooks ?? 'exactly-once') === 'exactly-once' && participants.length > 0) {
        // A settled execution has published its outcome (TransactionNotified is its last write). A
        // broker drained or counted empty has delivered it; one only idle for quietMs (a loaded
        // machine) may still hold it: each involved participant hearing it is awaited. One that
        // never does is reported below, after the settle timeout.
        await waitFor(async () => (await Promise.all(executionIds.map(async (id) => outcomeUnheard((await loadHistory(env.store, id)).execution, participants)))).every((n) => n === 0), {
          timeoutMs: options.settleTimeoutMs,
          intervalMs: 25,
        }).catch(() => undefined);
      }
      const effects = new Map<string, number>();
      for (const participant of participants) for (const [requestId, n] of participant.effects) effects.set(requestId, (effects.get(requestId) ?? 0) + n);
      const handled = new Set(participants.flatMap((p) => p.records.map((r) => r.target)));
      const participantTargets = new Set([...handled, ...Object.values(targets).filter((t) => t !== targets.wait)]);

      for (const id of executionIds) {
        const { events, execution } = await loadHistory(env.store, id);
        executions.set(id, execution);
        histories.set(id, events);
        const at = (problem: string): void => void violations.push(`${short(id)}: ${problem}`);
        for (const problem of checkInvariants(events, definitionOf(id), { executionId: id })) at(problem);
        const unsettled = settledProblem(execution);
        if (unsettled) at(`not settled: ${unsettled}`);
        const before = settled.get(id);
        if (before && before.revision !== execution.revision) at(`written after it had settled (revision ${before.revision} → ${execution.revision})`);
        for (const appends of acknowledged) for (const problem of lostEvents(appends, `saga-${id}`, events)) at(problem);
        // Exactly-once in effect: each request that was answered had its effect once.
        for (const event of events) {
          if (event.type !== 'RequestSent' && event.type !== 'CompensationRequestSent') continue;
          if (!participantTargets.has(event.data.target) || participants.length === 0) continue;
          const n = effects.get(event.data.requestId) ?? 0;
          const answered = events.some((e) => e.type === 'ReplyReceived' && e.data.requestId === event.data.requestId);
          if (n > 1) at(`request ${event.data.requestId} (${event.data.target}) took effect ${n} times`);
          else if (answered && n !== 1) at(`request ${event.data.requestId} (${event.data.target}) was answered but took effect ${n} times`);
        }
        // No effect the history does not account for (an effect of a request this execution never sent).
        const sentIds = new Set(events.flatMap((e) => (e.type === 'RequestSent' || e.type === 'CompensationRequestSent' ? [e.data.requestId] : [])));
        for (const participant of participants) {
          for (const record of participant.records) {
            if (record.sagaId === id && !sentIds.has(record.requestId)) at(`${participant.service} applied request ${record.requestId} (${record.target}), which the history never sent`);
          }
        }
        // The transaction outcome reached each participant that answered.
        const expectation = verifyOptions.transactionHooks ?? 'exactly-once';
        for (const participant of participants) {
          const commits = participant.hooks.commit.get(id) ?? 0;
          const rejects = participant.hooks.reject.get(id) ?? 0;
          const involved = execution.transaction.participants.includes(participant.service);
          const outcome = execution.transaction.status;
          if (commits > 1 || rejects > 1) at(`${participant.service} heard commit ${commits}× and reject ${rejects}× (each at most once)`);
          if (commits > 0 && outcome !== 'committed') at(`${participant.service} heard commit of a transaction that is ${outcome}`);
          if (rejects > 0 && outcome !== 'rejected') at(`${participant.service} heard reject of a transaction that is ${outcome}`);
          if (expectation === 'exactly-once' && involved && outcome === 'committed' && commits === 0) at(`${participant.service} never heard the commit`);
          if (expectation === 'exactly-once' && involved && outcome === 'rejected' && rejects === 0) at(`${participant.service} never heard the reject`);
        }
      }
      for (const participant of participants) {
        for (const requestId of participant.duplicatedEffects()) violations.push(`${participant.service}: request ${requestId} took effect ${participant.effects.get(requestId) ?? 0} times`);
      }
      options.figures.executions(executionIds.length);
      options.figures.invariantChecks(executionIds.length);
      return { executions, histories, violations };
    },
    async destroy() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
      for (const participant of participantsMade.splice(0)) await participant.destroy().catch(() => undefined);
      for (const subscription of subscriptions.splice(0)) await subscription.close().catch(() => undefined);
      await broker.destroy();
      options.figures.deliveries(broker.counts.deliveries);
      options.figures.fault('duplicated', broker.counts.duplicated);
      options.figures.fault('delayed', broker.counts.delayed);
      options.figures.fault('late replies', broker.counts.late);
      options.figures.fault('reordered', broker.counts.reordered);
      options.figures.fault('dropped', broker.counts.dropped);
      options.figures.fault('failed deliveries', broker.counts.failedDeliveries);
      options.figures.conflicts(logger.entries.filter((e) => e.message.startsWith('Append conflict')).length);
      await env.broker.destroy().catch(() => undefined);
      await env.store.destroy().catch(() => undefined);
    },
  };
  return world;
};

/** How many participants involved in `execution`'s decided transaction have not heard its outcome yet. */
const outcomeUnheard = (execution: SagaExecution, participants: readonly CountingParticipant[]): number => {
  const outcome = execution.transaction.status;
  if (outcome !== 'committed' && outcome !== 'rejected') return 0;
  const heard = (participant: CountingParticipant): number => (outcome === 'committed' ? participant.hooks.commit : participant.hooks.reject).get(execution.id) ?? 0;
  return participants.filter((participant) => execution.transaction.participants.includes(participant.service) && heard(participant) === 0).length;
};
