/**
 * The fault-injection suite, written once and run on every store + broker pair:
 *
 *   faultSuite('InMemoryEventStore + InMemoryBroker', async () => ({ store: new InMemoryEventStore(), broker: new InMemoryBroker() }));
 *
 * Each scenario gets a fresh environment from `makeEnvironment` (the suite sets it up and destroys
 * it), wraps it in fault-injecting decorators, throws one kind of trouble at many executions, and
 * ends with the same checks: every execution is terminal or paused where it should be, its history
 * passes `checkInvariants`, every acknowledged event is in the store, nothing was written after the
 * execution settled, and each request took effect once at its participant.
 *
 * What `engineScenarios` already covers one message at a time (a single duplicate, a single late
 * reply, four malformed replies, two managers and one reply) is not repeated: here it is the same
 * faults at volume, combined, and the crash points.
 *
 * "Nothing more arrives" (no second effect, no second hook, nothing dead-lettered, nothing written
 * after settling) is decided when the broker has nothing left to deliver: drained (in memory), or
 * counted empty by the environment's `backlog` (RabbitMQ, NATS). A broker with neither is watched
 * idle for `quietMs`.
 *
 * Options: `skip` (the reason, shown in the title), `heavy` (more executions and managers, default
 * `SAGA_FAULTS_HEAVY=1`), `quietMs` (only for a broker without `drain()` and without a `backlog` in
 * its environment: how long it must be idle to count as quiet; default 400 ms). The seed is
 * `SAGA_FAULTS_SEED` (default fixed); the figures of a run (faults injected, executions, checks,
 * duration) are printed at its end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InMemoryInbox,
  Saga,
  SagaAlreadyExecutedError,
  SagaParticipant,
  SagaRequest,
  SagaResponse,
  SagaStatus,
  decodeReply,
  encodeReply,
  executionIdForKey,
  replyTopic,
  transactionTopic,
  type DeliveredMessage,
  type JsonObject,
  type ParticipantInbox,
  type SagaExecution,
  type SagaManager,
} from '@saga/core';
import { waitFor } from '../waitFor.js';
import { countingParticipant } from './countingParticipant.js';
import { crashingStore, type AcknowledgedAppend } from './crashingStore.js';
import { FaultFigures } from './faultFigures.js';
import { fanOutSaga, orderSaga, participantHandlers, shippingChildSaga, waitingSaga, type FaultServices, type OrderSagaOptions } from './faultSagas.js';
import { faultWorld, type FaultEnvironment, type FaultWorld, type OrderParticipants, type Verification } from './faultWorld.js';
import { malformedMessage, seededUuid, type MalformedKind } from './malformedMessages.js';
import { faultSeed, seededRandom } from './prng.js';
import { loadHistory, waitUntilSettled } from './settled.js';

export interface FaultSuiteOptions {
  /** Skips the whole suite; the reason appears in its title. */
  readonly skip?: string;
  /** The heavier variants (hundreds of executions, eight managers, double crashes). Default: `SAGA_FAULTS_HEAVY=1`. */
  readonly heavy?: boolean;
  /**
   * Only for a broker the environment can neither drain nor count (`FaultEnvironment.backlog`): how
   * long it must be idle to count as quiet. Default 400 ms.
   */
  readonly quietMs?: number;
}

const sizesOf = (heavy: boolean) => ({
  messyExecutions: heavy ? 300 : 30,
  lateExecutions: heavy ? 60 : 12,
  foreignReplies: heavy ? 3_000 : 300,
  stormExecutions: heavy ? 120 : 15,
  racingManagers: heavy ? 8 : 4,
  racingExecutions: heavy ? 500 : 50,
  malformedMessages: heavy ? 2_000 : 200,
  waitingExecutions: heavy ? 20 : 5,
  /** Managers that crash one after the other at each crash point before one finishes the execution. */
  crashesInARow: heavy ? 2 : 1,
  settleTimeoutMs: heavy ? 240_000 : 30_000,
  testTimeoutMs: heavy ? 900_000 : 90_000,
});

const hashOf = (text: string): number => {
  let hash = 2_166_136_261;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 16_777_619);
  return hash >>> 0;
};

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} (after ${ms} ms)`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

/** Starts `count` executions (pauseOnDisk: they go on through the broker); returns their ids in order. */
const startMany = (manager: SagaManager | readonly SagaManager[], saga: Saga, count: number, context: (i: number) => JsonObject): Promise<string[]> => {
  const managers = Array.isArray(manager) ? manager : [manager as SagaManager];
  return Promise.all(
    range(count).map((i) => (managers[i % managers.length] as SagaManager).run({ definition: saga, context: context(i), pauseOnDisk: true, returnExecution: false })),
  );
};

/** What the order saga must end as: committed, or compensated (steps 2, 1, 0) and rejected. */
const orderOutcomeProblems = (execution: SagaExecution, failShipping: boolean): string[] => {
  const problems: string[] = [];
  const id = execution.id.slice(0, 8);
  if (!failShipping) {
    if (execution.status !== SagaStatus.Finished) problems.push(`${id}: expected finished, is ${execution.status} (${execution.error?.message ?? ''})`);
    if (execution.transaction.status !== 'committed') problems.push(`${id}: expected a committed transaction, is ${execution.transaction.status}`);
    if (execution.context.confirmed !== true) problems.push(`${id}: the last step's context is missing`);
    return problems;
  }
  if (execution.status !== SagaStatus.Errored) problems.push(`${id}: expected errored, is ${execution.status}`);
  if (execution.transaction.status !== 'rejected') problems.push(`${id}: expected a rejected transaction, is ${execution.transaction.status}`);
  const compensated = execution.steps.filter((s) => s.status === 'compensated').map((s) => s.path);
  if (compensated.sort().join(',') !== '0,1,2') problems.push(`${id}: expected steps 0, 1, 2 compensated, got ${compensated.join(', ') || 'none'}`);
  return problems;
};

/** The fan-out saga and its child, built from the same options (the child is checked against its own definition). */
const fanOutCase = (services: FaultServices, options: OrderSagaOptions = {}) => ({ saga: fanOutSaga(services, options), child: shippingChildSaga(services, options) });

type FanOutCase = ReturnType<typeof fanOutCase>;

/** The children the executions started, from their histories (ChildStarted). */
const childIdsOf = (histories: ReadonlyMap<string, readonly { type: string; data: unknown }[]>, ids: readonly string[]): string[] =>
  ids.flatMap((id) => (histories.get(id) ?? []).flatMap((e) => (e.type === 'ChildStarted' ? [(e.data as { childId: string }).childId] : [])));

/**
 * What the fan-out saga must end as: committed with its child finished, or its child errored, both
 * branches and step 0 compensated, the parent rejected.
 */
const fanOutOutcomeProblems = (result: Verification, id: string, failShipping: boolean): string[] => {
  const execution = result.executions.get(id);
  const short = id.slice(0, 8);
  if (!execution) return [`${short}: not verified`];
  const childId = execution.steps.find((s) => s.path === '2')?.childId;
  const child = childId === undefined ? undefined : result.executions.get(childId);
  if (!child) return [`${short}: its child (${childId ?? 'never started'}) was not verified`];
  const problems: string[] = [];
  if (child.parent?.executionId !== id || child.parent.path !== '2') problems.push(`${short}: the child records parent ${JSON.stringify(child.parent)}`);
  if (!failShipping) {
    if (execution.status !== SagaStatus.Finished) problems.push(`${short}: expected finished, is ${execution.status} (${execution.error?.message ?? ''})`);
    if (execution.transaction.status !== 'committed') problems.push(`${short}: expected a committed transaction, is ${execution.transaction.status}`);
    if (execution.context.confirmed !== true || execution.context.reservation === undefined || execution.context.payment === undefined) problems.push(`${short}: the joined context is missing`);
    if (child.status !== SagaStatus.Finished || child.transaction.status !== 'committed') problems.push(`${short}: expected its child finished and committed, is ${child.status}/${child.transaction.status}`);
    return problems;
  }
  if (execution.status !== SagaStatus.Errored) problems.push(`${short}: expected errored, is ${execution.status}`);
  if (execution.transaction.status !== 'rejected') problems.push(`${short}: expected a rejected transaction, is ${execution.transaction.status}`);
  if (child.status !== SagaStatus.Errored) problems.push(`${short}: expected its child errored, is ${child.status}`);
  const compensated = execution.steps.filter((s) => s.status === 'compensated' && s.kind !== 'parallel').map((s) => s.path);
  if (compensated.sort().join(',') !== '0,1.0.0,1.1.0') problems.push(`${short}: expected steps 0, 1.0.0, 1.1.0 compensated, got ${compensated.join(', ') || 'none'}`);
  return problems;
};

export const faultSuite = (name: string, makeEnvironment: () => Promise<FaultEnvironment>, options: FaultSuiteOptions = {}): void => {
  const heavy = options.heavy ?? process.env.SAGA_FAULTS_HEAVY === '1';
  const size = sizesOf(heavy);
  const seed = faultSeed();
  const suite = options.skip ? describe.skip : describe;
  const title = `fault injection on ${name}${heavy ? ' (heavy)' : ''}`;

  suite(options.skip ? `${title} (skipped: ${options.skip})` : title, () => {
    const figures = new FaultFigures(name, seed, heavy);
    let world: FaultWorld;
    let live: FaultWorld | undefined;

    beforeEach(async (context) => {
      live = undefined;
      const env = await makeEnvironment();
      world = await faultWorld(env, {
        prng: seededRandom(seed ^ hashOf(context.task.name)),
        figures,
        quietMs: options.quietMs ?? 400,
        settleTimeoutMs: size.settleTimeoutMs,
      });
      live = world;
    });
    afterEach(async () => {
      await live?.destroy();
      live = undefined;
    });
    afterAll(() => {
      // The figures of the run, for the record (issue 6 asks for them).
      // eslint-disable-next-line no-console
      console.log(figures.summary());
    });

    const all = (p: OrderParticipants) => [p.stock, p.payment, p.shipping];

    /**
     * `world.verify` over executions of the order saga and of the fan-out saga, the fan-out's
     * children included (their ids are known once the parents have settled).
     */
    const verifyWithChildren = async (
      order: { readonly ids: readonly string[]; readonly saga: Saga },
      fanOut: { readonly ids: readonly string[]; readonly case: FanOutCase },
      options: Omit<Parameters<FaultWorld['verify']>[1], 'definition'>,
    ): Promise<Verification> => {
      const parents = [...order.ids, ...fanOut.ids];
      await waitUntilSettled(world.env.store, parents, size.settleTimeoutMs);
      const histories = new Map<string, readonly { type: string; data: unknown }[]>();
      for (const id of fanOut.ids) histories.set(id, (await loadHistory(world.env.store, id)).events);
      const children = childIdsOf(histories, fanOut.ids);
      const fanOutIds = new Set(fanOut.ids);
      const childIds = new Set(children);
      return world.verify([...parents, ...children], {
        ...options,
        definition: (id) => (fanOutIds.has(id) ? fanOut.case.saga : childIds.has(id) ? fanOut.case.child : order.saga),
      });
    };

    it(
      `duplicated, reordered, delayed and lost messages on every topic (${size.messyExecutions} executions): each ends as if delivery had been perfect`,
      async () => {
        const { prng, targets } = world;
        const participants = await world.participants();
        // Lost requests are re-sent with the same requestId: the step's retry policy.
        const resend = { attempts: 6, initialDelayMs: 150, maxDelayMs: 600 };
        const saga = orderSaga(world.services, { resend });
        const fanOut = fanOutCase(world.services, { resend });
        const forward = new Set([targets.reserve, targets.charge, targets.schedule]);
        world.broker.publishFaults = (topic) => {
          if (forward.has(topic) && prng.chance(0.1)) return { drop: true };
          const copies = prng.chance(0.3) ? prng.between(2, 3) : 1;
          return { copies, delaysMs: range(copies).map(() => (prng.chance(0.5) ? prng.int(40) : 0)) };
        };
        const manager = await world.manager({ definitions: [saga, fanOut.saga] });
        const fails = (i: number) => i % 4 === 3;
        const ids = await startMany(manager, saga, size.messyExecutions, (i) => ({ order: i, failShipping: fails(i) }));
        const fanIds = await startMany(manager, fanOut.saga, size.messyExecutions, (i) => ({ order: size.messyExecutions + i, failShipping: fails(i) }));
        const result = await verifyWithChildren({ ids, saga }, { ids: fanIds, case: fanOut }, { participants: all(participants) });
        expect(result.violations).toEqual([]);
        expect(ids.flatMap((id, i) => orderOutcomeProblems(result.executions.get(id) as SagaExecution, fails(i)))).toEqual([]);
        expect(fanIds.flatMap((id, i) => fanOutOutcomeProblems(result, id, fails(i)))).toEqual([]);
        expect(world.broker.counts.duplicated).toBeGreaterThan(0);
        expect(world.broker.counts.reordered).toBeGreaterThan(0);
      },
      size.testTimeoutMs,
    );

    it(
      `late replies after the timeout (${size.lateExecutions} executions): ignored; the step that timed out is compensated, a late compensation is retried`,
      async () => {
        const { targets } = world;
        const participants = await world.participants();
        const saga = orderSaga(world.services, { name: 'fault_late' });
        const timeoutMs = 600;
        const lateMs = 1_500;
        // Which replies come late is decided by the order number in the request's payload: the
        // reserve reply of orders 0, 3, 6…, the first refund reply of orders 1, 4, 7….
        const kind = (order: number): 'late-reply' | 'late-compensation' | 'on-time' => (['late-reply', 'late-compensation', 'on-time'] as const)[order % 3] ?? 'on-time';
        const late = new Set<string>();
        const seen = new Set<string>();
        world.broker.publishFaults = (topic, message) => {
          const sagaId = message.headers.sagaId ?? '';
          const requestId = message.headers.requestId ?? '';
          const order = Number((message.body as JsonObject | null)?.order ?? -1);
          const first = (what: string) => !seen.has(`${sagaId}/${what}`) && seen.add(`${sagaId}/${what}`);
          if (topic === targets.reserve && kind(order) === 'late-reply' && first('reserve')) late.add(requestId);
          if (topic === targets.refund && kind(order) === 'late-compensation' && first('refund')) late.add(requestId);
          if (topic === replyTopic(world.services.order) && late.has(requestId)) return { delaysMs: [lateMs], late: true };
          return undefined;
        };
        const manager = await world.manager({ definitions: [saga], replyTimeoutMs: timeoutMs, compensationRetry: { attempts: 3, initialDelayMs: 50, jitter: false } });
        const ids = await startMany(manager, saga, size.lateExecutions, (i) => ({ order: i, failShipping: kind(i) === 'late-compensation' }));
        const result = await world.verify(ids, { definition: saga, participants: all(participants) });
        expect(result.violations).toEqual([]);
        expect(late.size).toBe(Math.ceil(size.lateExecutions / 3) + Math.ceil((size.lateExecutions - 1) / 3));
        for (const [i, id] of ids.entries()) {
          const execution = result.executions.get(id) as SagaExecution;
          const events = result.histories.get(id) ?? [];
          const applied = new Set(events.flatMap((e) => (e.type === 'ReplyReceived' ? [e.data.requestId] : [])));
          expect([...late].filter((requestId) => applied.has(requestId)), `order ${i}: a late reply was applied`).toEqual([]);
          if (kind(i) === 'on-time') {
            expect(orderOutcomeProblems(execution, false)).toEqual([]);
          } else if (kind(i) === 'late-reply') {
            expect(execution.status).toBe(SagaStatus.Errored);
            expect(execution.error?.name).toBe('ReplyTimeoutError');
            // The request may have been applied (it was): the step that timed out is compensated too.
            expect(execution.steps.filter((s) => s.status === 'compensated').map((s) => s.path).sort()).toEqual(['0', '1']);
          } else {
            expect(orderOutcomeProblems(execution, true)).toEqual([]);
            // The retried compensation is a new request with a new requestId: the participant saw both.
            const refunds = events.flatMap((e) => (e.type === 'CompensationRequestSent' && e.data.path === '2' ? [e.data.requestId] : []));
            expect(refunds).toHaveLength(2);
            expect(refunds.map((r) => participants.payment.effects.get(r))).toEqual([1, 1]);
            expect(events.some((e) => e.type === 'CompensationAttemptFailed')).toBe(true);
          }
        }
        const ignored = world.logger.entries.filter((e) => e.level === 'warn' && /matches no pending request/.test(e.message));
        expect(ignored.length).toBeGreaterThanOrEqual(late.size);
      },
      size.testTimeoutMs,
    );

    it(
      `${size.foreignReplies} foreign replies (unknown executions, unknown or crossed request ids): nothing written, nothing dead-lettered, then the executions finish`,
      async () => {
        const { prng, targets, services } = world;
        const participants = await world.participants();
        const saga = waitingSaga(services);
        const waiting = await world.capture(targets.wait);
        const audit = await world.auditDeadLetters([replyTopic(services.order)]);
        const manager = await world.manager({ definitions: [saga] });
        const ids = await startMany(manager, saga, size.waitingExecutions, (i) => ({ order: i }));
        await waitFor(() => waiting.length >= ids.length, { timeoutMs: size.settleTimeoutMs, message: 'the waiting requests' });
        const before = new Map<string, number>();
        for (const id of ids) before.set(id, (await loadHistory(world.env.store, id)).execution.revision);
        for (let i = 0; i < size.foreignReplies; i += 1) {
          const which = prng.int(4);
          const sagaId = which === 0 ? seededUuid(prng) : which === 3 ? prng.string(prng.between(1, 30)) : prng.pick(ids);
          // Another execution's pending request id: a reply wired to the wrong execution.
          const crossed = waiting.filter((m) => m.headers.sagaId !== sagaId).map((m) => m.headers.requestId ?? '');
          const requestId = which === 2 && crossed.length > 0 ? prng.pick(crossed) : seededUuid(prng);
          await world.broker.publish(
            replyTopic(services.order),
            encodeReply({ sagaId, requestId, status: prng.pick([200, 400, 500] as const), relatedServices: prng.chance(0.5) ? [services.stock] : [], payload: { foreign: i } }),
          );
        }
        world.figures.fault('foreign replies', size.foreignReplies);
        await world.quiet();
        for (const id of ids) expect((await loadHistory(world.env.store, id)).execution.revision, `${id} moved`).toBe(before.get(id));
        expect(audit.count()).toBe(0);
        const ignored = world.logger.entries.filter((e) => e.level === 'warn' && /matches no pending request|does not have/.test(e.message));
        expect(ignored.length).toBeGreaterThanOrEqual(size.foreignReplies);
        // The genuine replies still work.
        for (const request of waiting) {
          await world.broker.publish(
            request.headers.replyTo ?? '',
            encodeReply({ sagaId: request.headers.sagaId ?? '', requestId: request.headers.requestId ?? '', status: 200, relatedServices: [], payload: { answered: true } }),
          );
        }
        const result = await world.verify(ids, { definition: saga, participants: all(participants) });
        expect(result.violations).toEqual([]);
        expect([...result.executions.values()].map((e) => e.status)).toEqual(ids.map(() => SagaStatus.Finished));
      },
      size.testTimeoutMs,
    );

    it(
      `a redelivery storm (${size.stormExecutions} executions; every delivery on every topic fails twice, before or after its handler ran): same outcomes, no dead letter`,
      async () => {
        const { prng, targets, services } = world;
        const participants = await world.participants();
        const saga = orderSaga(services, { name: 'fault_storm' });
        const fanOut = fanOutCase(services, { name: 'fault_storm_fanout' });
        const topics = [
          replyTopic(services.order),
          ...Object.values(targets).filter((t) => t !== targets.wait),
          ...[services.stock, services.payment, services.shipping].map(transactionTopic),
        ];
        const audit = await world.auditDeadLetters(topics);
        world.broker.deliveryFaults = (_delivery, attempt) => (attempt <= 2 ? (prng.chance(0.5) ? 'fail-before' : 'fail-after') : undefined);
        const manager = await world.manager({ definitions: [saga, fanOut.saga] });
        const fails = (i: number) => i % 3 === 2;
        const ids = await startMany(manager, saga, size.stormExecutions, (i) => ({ order: i, failShipping: fails(i) }));
        const fanIds = await startMany(manager, fanOut.saga, size.stormExecutions, (i) => ({ order: size.stormExecutions + i, failShipping: fails(i) }));
        const result = await verifyWithChildren({ ids, saga }, { ids: fanIds, case: fanOut }, { participants: all(participants) });
        expect(result.violations).toEqual([]);
        expect(ids.flatMap((id, i) => orderOutcomeProblems(result.executions.get(id) as SagaExecution, fails(i)))).toEqual([]);
        expect(fanIds.flatMap((id, i) => fanOutOutcomeProblems(result, id, fails(i)))).toEqual([]);
        expect(audit.count()).toBe(0);
        expect(world.broker.counts.failedDeliveries).toBeGreaterThanOrEqual(2 * 6 * 2 * size.stormExecutions);
      },
      size.testTimeoutMs,
    );

    it(
      `${size.racingManagers} managers racing on the same ${size.racingExecutions} executions (competing consumers, duplicates, and two explicit run({ response }) per reply): each reply applied once`,
      async () => {
        const { prng, services } = world;
        const participants = await world.participants();
        const saga = orderSaga(services, { name: 'fault_race' });
        const fanOut = fanOutCase(services, { name: 'fault_race_fanout' });
        const managers = await Promise.all(range(size.racingManagers).map(() => world.manager({ definitions: [saga, fanOut.saga] })));
        world.broker.publishFaults = () => (prng.chance(0.15) ? { copies: 2, delaysMs: [0, prng.int(30)] } : undefined);
        const racing = { runs: 0, alreadyEnded: 0, unexpected: [] as string[] };
        // A second consumer group sees every reply and makes two random managers apply it as well.
        await world.subscribe(replyTopic(services.order), async (message: DeliveredMessage) => {
          const response = new SagaResponse({ ...decodeReply(message) });
          await Promise.all(
            [prng.pick(managers), prng.pick(managers)].map(async (manager) => {
              racing.runs += 1;
              try {
                await manager.run({ response, pauseOnDisk: true, raiseOnError: false });
              } catch (error) {
                if (error instanceof SagaAlreadyExecutedError) racing.alreadyEnded += 1;
                else racing.unexpected.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
              }
            }),
          );
        });
        const fails = (i: number) => i % 5 === 4;
        const ids = await startMany(managers, saga, size.racingExecutions, (i) => ({ order: i, failShipping: fails(i) }));
        const fanIds = await startMany(managers, fanOut.saga, size.racingExecutions, (i) => ({ order: size.racingExecutions + i, failShipping: fails(i) }));
        const result = await verifyWithChildren({ ids, saga }, { ids: fanIds, case: fanOut }, { participants: all(participants) });
        world.figures.fault('racing runs', racing.runs);
        expect(result.violations).toEqual([]);
        expect(racing.unexpected).toEqual([]);
        expect(ids.flatMap((id, i) => orderOutcomeProblems(result.executions.get(id) as SagaExecution, fails(i)))).toEqual([]);
        expect(fanIds.flatMap((id, i) => fanOutOutcomeProblems(result, id, fails(i)))).toEqual([]);
        expect(racing.runs).toBeGreaterThan(0);
      },
      size.testTimeoutMs,
    );

    describe('a crash right after each append of the 5-step saga and of the fan-out saga (parallel step, child saga), then recovery by a new manager', () => {
      /** The saga a crash case runs; with `fanOut`, its child is verified too. */
      interface CrashSubject {
        readonly saga: Saga;
        readonly fanOut?: FanOutCase;
      }
      const subjects = (name: string): CrashSubject[] => {
        const fanOut = fanOutCase(world.services, { name: `${name}_fanout` });
        return [{ saga: orderSaga(world.services, { name }) }, { saga: fanOut.saga, fanOut }];
      };
      const verifySubject = (subject: CrashSubject, id: string, options: Omit<Parameters<FaultWorld['verify']>[1], 'definition'>): Promise<Verification> =>
        subject.fanOut
          ? verifyWithChildren({ ids: [], saga: subject.saga }, { ids: [id], case: subject.fanOut }, options)
          : world.verify([id], { ...options, definition: subject.saga });
      const outcomeProblems = (subject: CrashSubject, result: Verification, id: string, failShipping: boolean): string[] =>
        subject.fanOut ? fanOutOutcomeProblems(result, id, failShipping) : orderOutcomeProblems(result.executions.get(id) as SagaExecution, failShipping);

      /** Appends a clean run makes, on a store that only records them. */
      const appendsOfCleanRun = async (subject: CrashSubject, context: JsonObject, participants: OrderParticipants): Promise<readonly AcknowledgedAppend[]> => {
        const { saga } = subject;
        const recording = crashingStore(world.env.store);
        const manager = await world.manager({ store: recording, definitions: [saga] });
        const id = await manager.run({ definition: saga, context, pauseOnDisk: true, returnExecution: false });
        const result = await verifySubject(subject, id, { participants: all(participants), acknowledged: [recording.appended] });
        expect(result.violations).toEqual([]);
        await manager.destroy();
        return recording.appended;
      };

      /** Where the first manager dies: after the append that brings the stored events to a count, or after the append a predicate names. */
      type CrashPointSpec = { readonly events: number } | ((append: AcknowledgedAppend) => boolean);

      /**
       * Crashes the manager right after the append `point` names; then, for double crashes, the
       * recovering manager right after its own first append; then a last manager finishes.
       * Returns the id, and `crashed: false` when the run settled without ever reaching the point
       * (its replies were stored in fewer, larger appends than the clean run's).
       */
      const crashAt = async (
        saga: Saga,
        context: JsonObject,
        point: CrashPointSpec,
        inARow = size.crashesInARow,
      ): Promise<{ id: string; acknowledged: ReturnType<typeof crashingStore>['appended'][]; crashed: boolean }> => {
        const first = crashingStore(world.env.store, typeof point === 'function' ? { crashAfterAppendOf: point } : { crashAfterEvents: point.events });
        const doomed = await world.manager({ store: first, definitions: [saga] });
        // Keyed, so the id is known whichever stream the crash hits (a child's appends count too).
        const key = randomUUID();
        const id = executionIdForKey(saga, key);
        const running = doomed.run({ definition: saga, context, key, pauseOnDisk: true, returnExecution: false }).catch(() => undefined);
        const what = typeof point === 'function' ? 'the outcome append' : `the append that stores event ${point.events}`;
        const settledFirst = await withTimeout(
          Promise.race([first.crashed.then(() => false), waitUntilSettled(world.env.store, [id], size.settleTimeoutMs).then(() => true)]),
          size.settleTimeoutMs,
          `the run neither crashed at ${what} nor settled`,
        );
        await doomed.destroy();
        await running;
        // The append at the point can be the one that settles the run: a read of the store may see it
        // before the append returns to the crashing store. Once the doomed manager is gone, every
        // append it made has returned, so its crash is known.
        const crashed = !settledFirst || first.crash !== undefined;
        const acknowledged = [first.appended];
        if (!crashed) return { id, acknowledged, crashed };
        world.figures.fault('crashes');
        for (let again = 1; again < inARow; again += 1) {
          const next = crashingStore(world.env.store, { crashAfterAppends: 1 });
          const recovering = await world.manager({ store: next, definitions: [saga] });
          // It crashes at its first append, unless the execution has nothing left to append.
          const crashedAgain = await Promise.race([next.crashed.then(() => true), waitUntilSettled(world.env.store, [id], size.settleTimeoutMs).then(() => false)]);
          await recovering.destroy();
          acknowledged.push(next.appended);
          if (!crashedAgain) break;
          world.figures.fault('crashes');
        }
        return { id, acknowledged, crashed };
      };

      /** How many events a run had stored after each of its appends (the crash points, by content). */
      const eventCountsAfterEachAppend = (appends: readonly AcknowledgedAppend[]): number[] => {
        let stored = 0;
        return appends.map((append) => (stored += append.events.length));
      };

      for (const variant of [
        { label: 'a run that commits', failShipping: false },
        { label: 'a run that is compensated', failShipping: true },
      ]) {
        it(
          `${variant.label}: at every crash point the new manager finishes it, invariants hold, each request took effect once`,
          async () => {
            const participants = await world.participants();
            let order = 0;
            for (const subject of subjects('fault_crash')) {
              const { saga } = subject;
              const points = eventCountsAfterEachAppend(await appendsOfCleanRun(subject, { order: (order += 1), failShipping: variant.failShipping }, participants));
              const appends = points.length;
              expect(appends).toBeGreaterThanOrEqual(5);
              let reached = 0;
              for (const [index, events] of points.entries()) {
                const k = index + 1;
                const { id, acknowledged, crashed } = await crashAt(saga, { order: (order += 1), failShipping: variant.failShipping }, { events });
                const where = `${saga.name}: crash right after append ${k} of ${appends} (the one that stores event ${events})`;
                if (crashed) reached += 1;
                // A point is missing only from a run that stored fewer events in all than the point
                // names (timing made its appends bigger, not the crash store blind).
                else expect(acknowledged[0]?.flatMap((a) => a.events).length ?? 0, `${where}: settled without crashing`).toBeLessThan(events);
                const finisher = await world.manager({ definitions: [saga] });
                const result = await verifySubject(subject, id, {
                  participants: all(participants),
                  acknowledged,
                  // An outcome appended just before a crash is re-sent by recovery until
                  // TransactionNotified is stored: participants hear it once all the same.
                  transactionHooks: 'exactly-once',
                });
                await finisher.destroy();
                expect(result.violations, where).toEqual([]);
                expect(outcomeProblems(subject, result, id, variant.failShipping), where).toEqual([]);
              }
              // Merged appends can hide the last points of a run, never most of them.
              expect(reached, `${saga.name}: crash points reached`).toBeGreaterThanOrEqual(Math.ceil(appends / 2));
            }
          },
          size.testTimeoutMs,
        );
      }

      for (const variant of [
        { outcome: 'TransactionCommitted', command: 'commit', failShipping: false },
        { outcome: 'TransactionRejected', command: 'reject', failShipping: true },
      ] as const) {
        it(
          `a crash between the append of the transaction outcome (${variant.outcome}) and the publish of its ${variant.command} commands: recovery sends them, each participant hears it once`,
          async () => {
            const participants = await world.participants();
            const saga = orderSaga(world.services, { name: 'fault_crash_outcome' });
            const clean = await appendsOfCleanRun({ saga }, { order: 0, failShipping: variant.failShipping }, participants);
            // The crash comes right after the append that stores the outcome: it is durable, and the
            // commands it decides were never published (the append threw before the publish).
            const outcomeAppend = clean.findIndex((append) => append.events.some((e) => e.type === variant.outcome)) + 1;
            expect(outcomeAppend, `a clean run appends ${variant.outcome}`).toBeGreaterThan(0);
            // Named by what it stores: how many appends come before it depends on timing (votes that
            // arrive together are stored in one append).
            const storesOutcome = (append: AcknowledgedAppend): boolean => append.events.some((e) => e.type === variant.outcome);
            // One crash: a recovering manager crashing in a row would first publish the outcome and
            // store TransactionNotified, which is what this case must find not done.
            const { id, acknowledged, crashed } = await crashAt(saga, { order: 1, failShipping: variant.failShipping }, storesOutcome, 1);
            expect(crashed, `the run crashed right after storing ${variant.outcome}`).toBe(true);
            const atCrash = await loadHistory(world.env.store, id);
            expect(atCrash.events.at(-1)?.type, 'the last event stored before the crash').toBe(variant.outcome);
            expect(atCrash.execution.transaction.notified).toBe(false);
            const finisher = await world.manager({ definitions: [saga] });
            const result = await world.verify([id], { definition: saga, participants: all(participants), acknowledged, transactionHooks: 'exactly-once' });
            await finisher.destroy();
            expect(result.violations).toEqual([]);
            const transaction = result.executions.get(id)?.transaction;
            expect(transaction?.status).toBe(variant.command === 'commit' ? 'committed' : 'rejected');
            expect(transaction?.participants.length, 'services in the transaction').toBeGreaterThan(0);
            // Recovery sent the commands the crash kept from going out: every participant of the
            // transaction heard the outcome, once (the participants' own record, not the engine's).
            const heard = Object.fromEntries(all(participants).map((p) => [p.service, p.hooks[variant.command].get(id) ?? 0]));
            expect(heard).toEqual(Object.fromEntries(all(participants).map((p) => [p.service, transaction?.participants.includes(p.service) ? 1 : 0])));
          },
          size.testTimeoutMs,
        );
      }
    });

    it(
      'the same commit (reject) command delivered twice at once runs onCommit (onReject) once',
      async () => {
        const service = world.services.stock;
        const participant = new SagaParticipant({ broker: world.broker, service, logger: world.logger });
        const calls = { commit: 0, reject: 0 };
        const slowly = (hook: 'commit' | 'reject') => async () => {
          calls[hook] += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        };
        participant.onCommit(slowly('commit')).onReject(slowly('reject'));
        await participant.setup();
        world.onDestroy(() => participant.destroy());
        const committed = seededUuid(world.prng);
        const rejected = seededUuid(world.prng);
        for (const [sagaId, action] of [
          [committed, 'commit'],
          [committed, 'commit'],
          [rejected, 'reject'],
          [rejected, 'reject'],
        ] as const) {
          await world.broker.publish(transactionTopic(service), { id: randomUUID(), headers: { sagaId, transactionAction: action }, body: null });
        }
        await world.quiet();
        expect(calls).toEqual({ commit: 1, reject: 1 });
      },
      size.testTimeoutMs,
    );

    it(
      `${size.malformedMessages} random malformed messages on the reply, request and transaction topics: all dead-lettered with a reason, no execution moves`,
      async () => {
        const { prng, targets, services } = world;
        const participants = await world.participants();
        const saga = waitingSaga(services);
        const waiting = await world.capture(targets.wait);
        const manager = await world.manager({ definitions: [saga] });
        const ids = await startMany(manager, saga, size.waitingExecutions, (i) => ({ order: i }));
        await waitFor(() => waiting.length >= ids.length, { timeoutMs: size.settleTimeoutMs, message: 'the waiting requests' });
        const before = new Map<string, number>();
        for (const id of ids) before.set(id, (await loadHistory(world.env.store, id)).execution.revision);
        const topicsOf: Record<MalformedKind, string[]> = {
          reply: [replyTopic(services.order)],
          request: Object.values(targets).filter((t) => t !== targets.wait),
          transaction: [services.stock, services.payment, services.shipping].map(transactionTopic),
        };
        const audit = await world.auditDeadLetters(Object.values(topicsOf).flat());
        const sent = new Map<string, number>();
        const fuzzTargets = { sagaIds: ids, requestIds: waiting.map((m) => m.headers.requestId ?? ''), replyTopics: [replyTopic(services.order)] };
        for (let i = 0; i < size.malformedMessages; i += 1) {
          const kind = prng.pick<MalformedKind>(['reply', 'reply', 'request', 'request', 'transaction']);
          const topic = prng.pick(topicsOf[kind]);
          const { message } = malformedMessage(prng, kind, fuzzTargets);
          await world.broker.publish(topic, message);
          sent.set(topic, (sent.get(topic) ?? 0) + 1);
        }
        world.figures.fault('malformed messages', size.malformedMessages);
        await waitFor(() => audit.count() >= size.malformedMessages, { timeoutMs: size.settleTimeoutMs, message: `${size.malformedMessages} dead letters` });
        await world.quiet();
        expect(Object.fromEntries([...audit.letters].map(([topic, letters]) => [topic, letters.length]).filter(([, n]) => n !== 0))).toEqual(Object.fromEntries(sent));
        const withoutReason = [...audit.letters.values()].flat().filter((letter) => !(letter.headers['x-dead-letter-reason'] ?? '').length);
        expect(withoutReason).toEqual([]);
        expect(all(participants).flatMap((p) => p.records)).toEqual([]);
        expect(all(participants).flatMap((p) => [...p.hooks.reserve.keys(), ...p.hooks.commit.keys(), ...p.hooks.reject.keys()])).toEqual([]);
        for (const id of ids) expect((await loadHistory(world.env.store, id)).execution.revision, `${id} moved`).toBe(before.get(id));
        for (const request of waiting) {
          await world.broker.publish(
            request.headers.replyTo ?? '',
            encodeReply({ sagaId: request.headers.sagaId ?? '', requestId: request.headers.requestId ?? '', status: 200, relatedServices: [], payload: { answered: true } }),
          );
        }
        const result = await world.verify(ids, { definition: saga, participants: all(participants) });
        expect(result.violations).toEqual([]);
        expect([...result.executions.values()].map((e) => e.status)).toEqual(ids.map(() => SagaStatus.Finished));
      },
      size.testTimeoutMs,
    );

    describe('a participant that restarts while its reply is lost (the manager re-sends the request, same requestId)', () => {
      const restartScenario = async (inbox: ParticipantInbox<unknown> | undefined) => {
        const { targets, services } = world;
        const saga = new Saga(`fault_restart_${inbox ? 'inbox' : 'memory'}`)
          .remoteStep()
          .onExecute(() => new SagaRequest(targets.reserve, { order: 1 }))
          .retry({ attempts: 5, initialDelayMs: 300, jitter: false })
          .onFailure(() => new SagaRequest(targets.release, { order: 1 }))
          .commit();
        const stock = await countingParticipant(world.broker, services.stock, participantHandlers(services).stock, {
          logger: world.logger,
          ...(inbox ? { inbox } : {}),
        });
        world.onDestroy(() => stock.destroy());
        let dropped = 0;
        world.broker.publishFaults = (topic) => (topic === replyTopic(services.order) && dropped++ === 0 ? { drop: true } : undefined);
        const manager = await world.manager({ definitions: [saga] });
        const id = await manager.run({ definition: saga, pauseOnDisk: true, returnExecution: false });
        await waitFor(() => stock.records.length >= 1, { timeoutMs: size.settleTimeoutMs, message: 'the first effect' });
        await stock.restart();
        world.figures.fault('participant restarts');
        const result = await world.verify([id], { definition: saga, participants: inbox ? [stock] : [] });
        expect(result.violations).toEqual([]);
        expect(result.executions.get(id)?.status).toBe(SagaStatus.Finished);
        const requestId = result.histories.get(id)?.find((e) => e.type === 'RequestSent')?.data;
        return { stock, requestId: (requestId as { requestId: string } | undefined)?.requestId ?? '' };
      };

      it(
        'without an inbox (the in-memory one of each participant object): the re-sent request takes effect again (why participants need a durable inbox)',
        async () => {
          const { stock, requestId } = await restartScenario(undefined);
          expect(stock.effects.get(requestId)).toBe(2);
        },
        size.testTimeoutMs,
      );

      it(
        "with an inbox that outlives the participant object (the environment's, else an InMemoryInbox): the effect happens once",
        async () => {
          const inbox = world.env.inbox?.() ?? new InMemoryInbox();
          await inbox.setup();
          world.onDestroy(() => inbox.destroy());
          const { stock, requestId } = await restartScenario(inbox);
          expect(stock.effects.get(requestId)).toBe(1);
        },
        size.testTimeoutMs,
      );
    });
  });
};
