/**
 * The engine's behaviour, written once against the public API and run on every store:
 *
 *   engineScenarios('SqliteEventStore', async () => new SqliteEventStore({ filename }));
 *
 * Each scenario gets a fresh store from `makeStore` and an in-memory broker (or a fresh broker
 * from `options.broker`, to run the scenarios over a broker adapter). They cover the reference's
 * semantics (minos.saga §1–§4) and every fix of DESIGN.md.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CommitFailedError,
  CorruptedHistoryError,
  DefinitionNotRegisteredError,
  InvalidRunOptionsError,
  ManagerNotReadyError,
  Saga,
  SagaAlreadyExecutedError,
  SagaBusinessError,
  SagaContext,
  SagaDefinitionError,
  SagaFailedError,
  SagaNotFoundError,
  SagaRequest,
  SagaResponse,
  SagaResponseStatus,
  SagaRollbackError,
  SagaStatus,
  InMemoryBroker,
  UnexpectedResponseError,
  executionIdOf,
  executionStream,
  replyTopic,
  deadLetterTopic,
  maxJsonDepth,
  type Broker,
  type EventStore,
  type JsonObject,
  type JsonValue,
  type SagaExecution,
} from '@saga/core';
import { crashingStore, lostEvents } from '../faults/crashingStore.js';
import { sagaTestWorld, type SagaTestWorld } from '../sagaTestWorld.js';
import { waitFor } from '../waitFor.js';
import { reliabilityScenarios } from './reliabilityScenarios.js';
import { exactlyOnceScenarios } from './exactlyOnceScenarios.js';
import { parallelScenarios } from './parallelScenarios.js';
import { childScenarios } from './childScenarios.js';
import { historyTypes } from './scenarioHelpers.js';

export interface EngineScenarioOptions {
  readonly skip?: string;
  /**
   * A fresh broker for each scenario (not set up yet; the world sets it up and destroys it). Default:
   * an `InMemoryBroker`. With another broker, the few scenarios that steer the in-memory broker
   * (drain it, duplicate a delivery, read its dead letters back) or need its delivery of one
   * execution's replies side by side are skipped; the broker contract and the fault suite check
   * delivery on adapters.
   */
  readonly broker?: () => Broker;
}

/** The world's broker as the in-memory one, for the scenarios that steer it. */
const inMemory = (world: SagaTestWorld<Broker>): InMemoryBroker => {
  if (world.broker instanceof InMemoryBroker) return world.broker;
  throw new Error('This scenario steers the in-memory broker; it is skipped with any other.');
};

const types = historyTypes;

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export const engineScenarios = (name: string, makeStore: () => Promise<EventStore>, options: EngineScenarioOptions = {}): void => {
  const suite = options.skip ? describe.skip : describe;
  suite(options.skip ? `engine scenarios on ${name} (skipped: ${options.skip})` : `engine scenarios on ${name}`, () => {
    let world: SagaTestWorld<Broker>;
    let log: string[];
    const inMemoryOnly = options.broker === undefined ? it : it.skip;

    beforeEach(async () => {
      const store = await makeStore();
      world = options.broker === undefined ? await sagaTestWorld({ store }) : await sagaTestWorld({ store, broker: options.broker() });
      log = [];
    });
    afterEach(async () => {
      await world.destroy();
    });

    const stock = () =>
      world.participant('stock', {
        'stock.reserve': (payload) => {
          log.push('stock.reserve');
          return { reserved: payload };
        },
        'stock.release': () => {
          log.push('stock.release');
          return { released: true };
        },
      });
    const payment = () =>
      world.participant('payment', {
        'payment.charge': (payload) => {
          log.push('payment.charge');
          const amount = (payload as JsonObject).amount as number;
          if (amount > 100) throw new SagaBusinessError('card declined', { amount });
          if (amount < 0) throw new Error('payment database is down');
          return { charged: amount };
        },
        'payment.refund': () => {
          log.push('payment.refund');
          return null;
        },
      });

    /** local → stock (remote) → payment (remote) → local, each logging its compensation. */
    const orderSaga = (version = '1') =>
      new Saga('order', { version })
        .localStep()
        .onExecute((ctx) => {
          log.push('create');
          return ctx.with({ created: true });
        })
        .onFailure((ctx) => {
          log.push('undo create');
          return ctx.with({ created: false });
        })
        .remoteStep()
        .onExecute((ctx) => new SagaRequest('stock.reserve', { sku: ctx.get('sku') ?? null }))
        .onSuccess((ctx, res) => ctx.with({ reservation: res.payload }))
        .onFailure((ctx) => new SagaRequest('stock.release', { sku: ctx.get('sku') ?? null }))
        .remoteStep()
        .onExecute((ctx) => new SagaRequest('payment.charge', { amount: ctx.get('amount') ?? 0 }))
        .onSuccess((ctx, res) => ctx.with({ payment: res.payload }))
        .onFailure(() => new SagaRequest('payment.refund', {}))
        .localStep()
        .onExecute((ctx) => {
          log.push('confirm');
          if (ctx.get('failConfirm') === true) throw new Error('confirmation failed');
        })
        .commit();

    describe('forward path', () => {
      it('runs local steps in order, keeps the context when a callback returns nothing, and records one event per decision', async () => {
        const manager = await world.manager();
        const saga = new Saga('local_only')
          .localStep()
          .onExecute((ctx) => ctx.with({ a: 1 }))
          .localStep()
          .onExecute(() => undefined)
          .localStep()
          .onExecute(async (ctx) => ({ ...ctx.toJSON(), b: 2 }))
          .commit();
        const execution = await manager.run({ definition: saga, context: new SagaContext({ start: true }) });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.context).toEqual({ start: true, a: 1, b: 2 });
        expect(execution.steps.map((s) => [s.path, s.kind, s.status])).toEqual([
          ['0', 'local', 'finished'],
          ['1', 'local', 'finished'],
          ['2', 'local', 'finished'],
        ]);
        expect(await types(manager, execution.id)).toEqual(['SagaStarted', 'StepFinished', 'StepFinished', 'StepFinished', 'SagaCompleted']);
        expect(execution.revision).toBe(4);
      });

      it('pauses on a remote step, applies the reply with onSuccess, and commits the participants (autocommit)', async () => {
        await stock();
        await payment();
        const manager = await world.manager();
        const execution = await manager.run({ definition: orderSaga(), context: { sku: 'A1', amount: 10 } });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.context).toMatchObject({ created: true, reservation: { reserved: { sku: 'A1' } }, payment: { charged: 10 } });
        expect(log).toEqual(['create', 'stock.reserve', 'payment.charge', 'confirm']);
        expect(execution.transaction.status).toBe('committed');
        // Commit messages are sent once the decision is stored; participants apply them on receipt.
        await waitFor(() => world.hooks().filter((h) => h.hook === 'commit').length === 2);
        expect(world.hooks().map((h) => `${h.service}:${h.hook}`).sort()).toEqual(['payment:commit', 'payment:reserve', 'stock:commit', 'stock:reserve']);
        expect(await types(manager, execution.id)).toEqual([
          'SagaStarted',
          'StepFinished',
          'RequestSent',
          'TimerScheduled',
          'ReplyReceived',
          'StepFinished',
          'RequestSent',
          'TimerScheduled',
          'ReplyReceived',
          'StepFinished',
          'StepFinished',
          'SagaCompleted',
          'VotesRequested',
          'TimerScheduled',
          'VoteReceived',
          'VoteReceived',
          'TransactionCommitted',
          'TransactionNotified',
        ]);
        // Each wait has a durable timer; once the reply came, none is left active.
        expect(execution.timers).toEqual([]);
      });

      it('keeps finished executions in the store (history is the product)', async () => {
        const manager = await world.manager();
        const saga = new Saga('kept').localStep().onExecute(() => undefined).commit();
        const first = await manager.run({ definition: saga });
        const second = await manager.run({ definition: saga });
        const page = await world.store.listStreams();
        expect(page.streams.map((s) => s.stream)).toEqual(expect.arrayContaining([executionStream(first.id), executionStream(second.id)]));
        expect((await manager.get(first.id)).status).toBe(SagaStatus.Finished);
      });

      it('propagates the user to participants', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('with_user').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        const execution = await manager.run({ definition: saga, user: 'user-42' });
        expect(execution.user).toBe('user-42');
        expect(world.calls('stock.reserve')[0]?.meta).toMatchObject({ user: 'user-42', sagaId: execution.id, purpose: 'execute' });
      });

      it('localStep(fn) and remoteStep(fn) take the callback as the step\'s onExecute (as minos\'s local_step(fn))', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('shorthand')
          .localStep((ctx) => ctx.with({ sku: 'S1' }))
          .remoteStep((ctx) => new SagaRequest('stock.reserve', { sku: ctx.get('sku') ?? null }))
          .commit();
        const execution = await manager.run({ definition: saga });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(world.calls('stock.reserve').map((c) => c.payload)).toEqual([{ sku: 'S1' }]);
      });

      it.each(['alice\nbob', 'alice\r\n', ' alice', 'alice ', 'al\u0000ice', ''])(
        'refuses a user that a broker cannot carry in a header (%j) before anything is written',
        async (user) => {
          const manager = await world.manager();
          const saga = new Saga('bad_user').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
          const error = await manager.run({ definition: saga, user }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(InvalidRunOptionsError);
          expect((error as Error).message).toMatch(/^run\(\{ user/);
          expect((await world.store.listStreams()).streams).toHaveLength(0);
        },
      );

      it('more than 10 concurrent runs print no MaxListenersExceededWarning', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('many').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        const warnings: Error[] = [];
        const onWarning = (warning: Error) => void warnings.push(warning);
        process.on('warning', onWarning);
        try {
          const executions = await Promise.all(Array.from({ length: 25 }, () => manager.run({ definition: saga })));
          expect(executions.every((e) => e.status === SagaStatus.Finished)).toBe(true);
          await new Promise((resolve) => setImmediate(resolve));
        } finally {
          process.off('warning', onWarning);
        }
        expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
      });

      it('returns only the id with returnExecution: false', async () => {
        const manager = await world.manager();
        const id = await manager.run({ definition: new Saga('id_only').localStep().onExecute(() => undefined).commit(), returnExecution: false });
        expect(typeof id).toBe('string');
        expect((await manager.get(id)).id).toBe(id);
      });
    });

    describe('reply statuses', () => {
      it('ERROR with an onError that returns a context: the step finishes and the saga goes on (business error absorbed)', async () => {
        await payment();
        const manager = await world.manager();
        const saga = new Saga('absorb')
          .remoteStep()
          .onExecute(() => new SagaRequest('payment.charge', { amount: 500 }))
          .onError((ctx, res) => ctx.with({ declined: res.payload }))
          .localStep()
          .onExecute((ctx) => ctx.with({ after: true }))
          .commit();
        const execution = await manager.run({ definition: saga });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.context).toMatchObject({ declined: { name: 'SagaBusinessError', message: 'card declined', details: { amount: 500 } }, after: true });
      });

      it('ERROR with no onError fails the step (the reference counted it a success) and compensates the steps before it', async () => {
        await stock();
        await payment();
        const manager = await world.manager();
        const error = await manager.run({ definition: orderSaga(), context: { sku: 'B2', amount: 1000 } }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SagaFailedError);
        const execution = (error as SagaFailedError).execution;
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.error).toMatchObject({ name: 'ErrorReply' });
        expect(log).toEqual(['create', 'stock.reserve', 'payment.charge', 'stock.release', 'undo create']);
        expect(execution.steps.find((s) => s.path === '2')?.status).toBe('errored-on-error');
        expect(execution.context.created).toBe(false);
      });

      it('ERROR with an onError that throws compensates that step too (the participant applied it)', async () => {
        await payment();
        const manager = await world.manager();
        const saga = new Saga('self_compensate')
          .remoteStep()
          .onExecute(() => new SagaRequest('payment.charge', { amount: 500 }))
          .onError(() => {
            throw new Error('cannot accept a declined card');
          })
          .onFailure(() => new SagaRequest('payment.refund', {}))
          .commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.steps[0]?.status).toBe('compensated');
        expect(log).toEqual(['payment.charge', 'payment.refund']);
      });

      it('onSuccess that throws or returns an Error fails the step and compensates it', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('on_success_error')
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', {}))
          .onSuccess(() => new Error('unexpected reservation'))
          .onFailure(() => new SagaRequest('stock.release', {}))
          .commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(execution.error).toEqual({ name: 'Error', message: 'unexpected reservation' });
        expect(execution.steps[0]?.status).toBe('compensated');
        expect(log).toEqual(['stock.reserve', 'stock.release']);
      });

      it('SYSTEM_ERROR: that step is not compensated (nothing changed there); the steps before it are', async () => {
        await stock();
        await payment();
        const manager = await world.manager();
        const execution = await manager.run({ definition: orderSaga(), context: { sku: 'C3', amount: -1 }, raiseOnError: false });
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.error?.name).toBe('SystemErrorReply');
        expect(execution.error?.message).toContain('payment database is down');
        expect(execution.steps.find((s) => s.path === '2')?.status).toBe('errored-by-on-execute');
        expect(log).toEqual(['create', 'stock.reserve', 'payment.charge', 'stock.release', 'undo create']);
        expect(log).not.toContain('payment.refund');
      });
    });

    describe('compensation', () => {
      it('compensates in strict reverse order, awaiting each remote compensation before the step before it', async () => {
        await world.participant('stock', {
          'stock.reserve': () => null,
          'stock.release': async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            log.push('stock.release done');
            return null;
          },
        });
        await payment();
        const manager = await world.manager();
        const execution = await manager.run({ definition: orderSaga(), context: { amount: 10, failConfirm: true }, raiseOnError: false });
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(log).toEqual(['create', 'payment.charge', 'confirm', 'payment.refund', 'stock.release done', 'undo create']);
        expect(execution.compensation.plan).toEqual(['2', '1', '0']);
        expect(execution.compensation.done).toEqual(['2', '1', '0']);
        expect(execution.steps.find((s) => s.path === '3')?.status).toBe('errored-on-execute');
      });

      it('a failed local step is not compensated itself (it did not complete)', async () => {
        const manager = await world.manager();
        const saga = new Saga('local_failure')
          .localStep()
          .onExecute(() => void log.push('one'))
          .onFailure(() => void log.push('undo one'))
          .localStep()
          .onExecute(() => {
            throw new Error('boom');
          })
          .onFailure(() => void log.push('undo two'))
          .commit();
        const error = await manager.run({ definition: saga }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SagaFailedError);
        expect((error as SagaFailedError).message).toContain('boom');
        expect(log).toEqual(['one', 'undo one']);
      });

      it('a compensation that keeps failing is retried, then leaves a visible errored state (SagaRollbackError)', async () => {
        const manager = await world.manager({ compensationRetry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 } });
        let attempts = 0;
        const saga = new Saga('rollback_fails')
          .localStep()
          .onExecute(() => undefined)
          .onFailure(() => {
            attempts += 1;
            throw new Error('ledger unavailable');
          })
          .localStep()
          .onExecute(() => {
            throw new Error('step two failed');
          })
          .commit();
        const error = await manager.run({ definition: saga }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SagaRollbackError);
        expect(attempts).toBe(3);
        const execution = (error as SagaRollbackError).execution;
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.compensation.failed).toEqual({ path: '0', error: { name: 'Error', message: 'ledger unavailable' } });
        expect(execution.error?.message).toBe('step two failed');
        expect((await types(manager, execution.id)).slice(-1)).toEqual(['CompensationFailed']);
      });

      it('a compensation that succeeds on retry completes the rollback', async () => {
        const manager = await world.manager({ compensationRetry: { attempts: 4, initialDelayMs: 1, maxDelayMs: 5 } });
        let attempts = 0;
        const saga = new Saga('rollback_flaky')
          .localStep()
          .onExecute(() => undefined)
          .onFailure(() => {
            attempts += 1;
            if (attempts < 3) throw new Error('flaky');
          })
          .localStep()
          .onExecute(() => new Error('returned error'))
          .commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(attempts).toBe(3);
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.compensation.failed).toBeUndefined();
        expect(execution.steps[0]?.status).toBe('compensated');
      });
    });

    describe('conditional steps', () => {
      const branch = (label: string) =>
        new Saga(`branch_${label}`)
          .localStep()
          .onExecute((ctx) => ctx.with({ branch: label }))
          .onFailure(() => void log.push(`undo ${label}`))
          .commit();

      const conditional = (fail = false) =>
        new Saga('shipping')
          .conditionalStep()
          .ifThen((ctx) => ctx.get('express') === true, branch('express'))
          .ifThen((ctx) => ctx.get('pickup') === true, branch('pickup'))
          .elseThen(branch('standard'))
          .localStep()
          .onExecute(() => {
            if (fail) throw new Error('after branch');
          })
          .commit();

      it('takes the first alternative whose condition is true', async () => {
        const manager = await world.manager();
        const execution = await manager.run({ definition: conditional(), context: { express: true, pickup: true } });
        expect(execution.context.branch).toBe('express');
        expect(execution.steps.map((s) => [s.path, s.status])).toEqual([
          ['0', 'finished'],
          ['0.0.0', 'finished'],
          ['1', 'finished'],
        ]);
        expect(execution.steps[0]?.branch).toBe(0);
      });

      it('takes else when no condition holds, and records the choice', async () => {
        const manager = await world.manager();
        const execution = await manager.run({ definition: conditional(), context: {} });
        expect(execution.context.branch).toBe('standard');
        expect(execution.steps.map((s) => s.path)).toEqual(['0', '0.else.0', '1']);
        const history = await manager.history(execution.id);
        expect(history.find((e) => e.type === 'BranchChosen')?.data).toEqual({ path: '0', branch: 'else' });
      });

      it('is a no-op when nothing applies and there is no else', async () => {
        const manager = await world.manager();
        const saga = new Saga('maybe').conditionalStep().ifThen(() => false, branch('never')).commit();
        const execution = await manager.run({ definition: saga });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.steps).toEqual([{ path: '0', kind: 'conditional', status: 'finished', branch: null }]);
      });

      it('runs remote steps inside branches, nested conditionals included', async () => {
        await stock();
        const manager = await world.manager();
        const inner = new Saga('inner')
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', { nested: true }))
          .onSuccess((ctx, res) => ctx.with({ nested: res.payload }))
          .commit();
        const middle = new Saga('middle').conditionalStep().ifThen(() => true, inner).commit();
        const saga = new Saga('outer').conditionalStep().elseThen(middle).commit();
        const execution = await manager.run({ definition: saga });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.context.nested).toEqual({ reserved: { nested: true } });
        expect(execution.steps.map((s) => s.path)).toEqual(['0', '0.else.0', '0.else.0.0.0']);
      });

      it('a failure after a branch compensates the branch steps in reverse with the others', async () => {
        const manager = await world.manager();
        const execution = await manager.run({ definition: conditional(true), context: { pickup: true }, raiseOnError: false });
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(log).toEqual(['undo pickup']);
        expect(execution.compensation.plan).toEqual(['0.1.0']);
      });

      it('a condition that throws fails the saga cleanly and compensates what ran before', async () => {
        const manager = await world.manager();
        const saga = new Saga('bad_condition')
          .localStep()
          .onExecute(() => undefined)
          .onFailure(() => void log.push('undo first'))
          .conditionalStep()
          .ifThen(() => {
            throw new Error('condition exploded');
          }, branch('x'))
          .commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.error?.message).toBe('condition exploded');
        expect(log).toEqual(['undo first']);
      });
    });

    describe('pause on disk and replies', () => {
      it('pauseOnDisk returns the paused execution; the reply continues it through the reply topic', async () => {
        await stock();
        await payment();
        const manager = await world.manager();
        const paused = await manager.run({ definition: orderSaga(), context: { sku: 'D4', amount: 5 }, pauseOnDisk: true });
        expect(paused.status).toBe(SagaStatus.Paused);
        expect(paused.pendingRequest).toMatchObject({ target: 'stock.reserve', purpose: 'execute', path: '1' });
        const finished = await waitFor(async () => {
          const execution = await manager.get(paused.id);
          return execution.transaction.status === 'committed' ? execution : undefined;
        });
        expect(finished.status).toBe(SagaStatus.Finished);
        expect(log).toEqual(['create', 'stock.reserve', 'payment.charge', 'confirm']);
      });

      it('memory mode stores every event before it waits: a crash while waiting loses nothing, another manager finishes the execution', async () => {
        const releases: (() => void)[] = [];
        await world.participant('stock', { 'stock.reserve': () => new Promise((resolve) => releases.push(() => resolve({ reserved: true }))) });
        const saga = new Saga('stored_before_wait')
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', {}))
          .onSuccess((ctx, res) => ctx.with({ got: res.payload }))
          .commit();
        const dying = crashingStore(world.store);
        const doomed = await world.manager({ store: dying, definitions: [saga] });
        // In memory: run() waits for the reply; it ends however the crash ends it.
        void doomed.run({ definition: saga }).catch(() => undefined);
        await waitFor(() => releases.length > 0, { message: 'the request at the participant' });
        const stream = (await world.store.listStreams()).streams[0]?.stream ?? '';
        const stored = await world.store.read(stream);
        expect(stored.map((e) => e.type)).toEqual(['SagaStarted', 'RequestSent', 'TimerScheduled']);
        // The process dies while it waits: its store refuses every call from now on, its subscriptions end.
        dying.kill();
        await doomed.destroy();
        const survivor = await world.manager({ definitions: [saga] });
        for (const release of releases.splice(0)) release();
        // The reply (or the one to the request recovery re-sent) reaches the survivor, which finishes the run.
        const finished = await waitFor(
          async () => {
            for (const release of releases.splice(0)) release();
            const execution = await survivor.get(executionIdOf(stream));
            return execution.transaction.status === 'committed' ? execution : undefined;
          },
          { message: 'the survivor to finish the execution' },
        );
        expect(finished.status).toBe(SagaStatus.Finished);
        expect(finished.context.got).toEqual({ reserved: true });
        expect(lostEvents(dying.appended, stream, await world.store.read(stream))).toEqual([]);
      });

      it('continues a paused execution from an explicit run({ response })', async () => {
        const manager = await world.manager();
        const saga = new Saga('manual_reply')
          .remoteStep()
          .onExecute(() => new SagaRequest('nobody.listens', {}))
          .onSuccess((ctx, res) => ctx.with({ got: res.payload }))
          .commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        const requestId = paused.pendingRequest?.requestId ?? '';
        const response = new SagaResponse({ sagaId: paused.id, requestId, status: SagaResponseStatus.SUCCESS, payload: { ok: 1 } });
        const execution = await manager.run({ response, pauseOnDisk: true });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.context.got).toEqual({ ok: 1 });
        await expect(manager.run({ response })).rejects.toBeInstanceOf(SagaAlreadyExecutedError);
      });

      inMemoryOnly('a reply for the wrong request: a typed error when passed to run(), logged and ignored from the broker; nothing is written', async () => {
        const manager = await world.manager();
        const saga = new Saga('wrong_request').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        const before = paused.revision;
        const wrong = new SagaResponse({ sagaId: paused.id, requestId: 'not-the-pending-one' });
        const error = await manager.run({ response: wrong, pauseOnDisk: true }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnexpectedResponseError);
        expect((error as Error).message).toContain(`it is waiting for '${paused.pendingRequest?.requestId ?? ''}'`);
        await world.broker.publish(replyTopic('order'), {
          id: 'wrong-1',
          headers: { sagaId: paused.id, requestId: 'not-the-pending-one', status: '200' },
          body: null,
        });
        await inMemory(world).drain();
        expect((await manager.get(paused.id)).revision).toBe(before);
        expect(world.logger.entries.some((e) => e.level === 'warn' && e.fields.executionId === paused.id && /matches no pending request/.test(e.message))).toBe(true);
      });

      it('a reply to a request that was already answered is a no-op', async () => {
        const manager = await world.manager();
        const saga = new Saga('answered_twice')
          .remoteStep()
          .onExecute(() => new SagaRequest('nobody.listens', {}))
          .remoteStep()
          .onExecute(() => new SagaRequest('nobody.listens', {}))
          .commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        const first = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '' });
        const second = await manager.run({ response: first, pauseOnDisk: true });
        expect(second.pendingRequest?.path).toBe('1');
        const again = await manager.run({ response: first, pauseOnDisk: true });
        expect(again.revision).toBe(second.revision);
        expect((await types(manager, paused.id)).filter((t) => t === 'ReplyReceived')).toHaveLength(1);
      });

      inMemoryOnly('a duplicated reply is applied once', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('dup').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        inMemory(world).duplicateNext(4);
        const execution = await manager.run({ definition: saga });
        await inMemory(world).drain();
        const history = await types(manager, execution.id);
        expect(history.filter((t) => t === 'ReplyReceived')).toHaveLength(1);
        expect(world.calls('stock.reserve')).toHaveLength(1);
        expect((await manager.get(execution.id)).revision).toBe(execution.revision);
      });

      inMemoryOnly('a foreign reply (unknown execution) is ignored and logged; nothing is written', async () => {
        const manager = await world.manager();
        await world.broker.publish(replyTopic('order'), {
          id: 'm1',
          headers: { sagaId: '00000000-0000-4000-8000-000000000000', requestId: 'r1', status: '200' },
          body: null,
        });
        await inMemory(world).drain();
        expect((await world.store.listStreams()).streams).toHaveLength(0);
        expect(world.logger.entries.some((e) => e.level === 'warn' && /does not have/.test(e.message))).toBe(true);
        expect(manager.alreadySetup).toBe(true);
      });

      inMemoryOnly('malformed replies are dead-lettered with a reason and change no execution', async () => {
        const manager = await world.manager();
        const saga = new Saga('malformed').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        const bad: { headers: Record<string, string> }[] = [
          { headers: { requestId: 'r', status: '200' } },
          { headers: { sagaId: paused.id, status: '200' } },
          { headers: { sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', status: '600' } },
          { headers: { sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', status: 'ok' } },
        ];
        for (const [index, message] of bad.entries()) {
          await world.broker.publish(replyTopic('order'), { id: `bad-${index}`, headers: message.headers, body: null });
        }
        await inMemory(world).drain();
        const dead = inMemory(world).deadLetters(deadLetterTopic(replyTopic('order')));
        expect(dead).toHaveLength(bad.length);
        expect(dead.map((d) => d.headers['x-dead-letter-reason'])).toEqual([
          expect.stringContaining("no 'sagaId' header"),
          expect.stringContaining("no 'requestId' header"),
          expect.stringContaining("status '600'"),
          expect.stringContaining("status 'ok'"),
        ]);
        expect((await manager.get(paused.id)).revision).toBe(paused.revision);
      });

      inMemoryOnly('replies with a status not in its documented form, a control character in an id, or a payload nested too deep are dead-lettered at once, with the reason', async () => {
        const manager = await world.manager();
        const saga = new Saga('lenient').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        const requestId = paused.pendingRequest?.requestId ?? '';
        let deep: JsonValue = null;
        for (let level = 0; level <= maxJsonDepth; level += 1) deep = [deep];
        const bad: { headers: Record<string, string>; body: JsonValue }[] = [
          { headers: { sagaId: paused.id, requestId, status: '0200' }, body: null },
          { headers: { sagaId: paused.id, requestId, status: '00400' }, body: null },
          { headers: { sagaId: `${paused.id}\u0000`, requestId, status: '200' }, body: null },
          { headers: { sagaId: paused.id, requestId, status: '200' }, body: deep },
        ];
        for (const [index, message] of bad.entries()) await world.broker.publish(replyTopic('order'), { id: `lenient-${index}`, ...message });
        await inMemory(world).drain();
        const dead = inMemory(world).deadLetters(deadLetterTopic(replyTopic('order')));
        expect(dead.map((d) => d.headers['x-dead-letter-reason'])).toEqual([
          expect.stringContaining("status '0200'"),
          expect.stringContaining("status '00400'"),
          expect.stringContaining("'sagaId' header that holds a line break or another control character"),
          expect.stringContaining(`payload that nests arrays and objects more than ${maxJsonDepth} levels deep`),
        ]);
        expect(dead.map((d) => d.deliveries)).toEqual([1, 1, 1, 1]);
        expect((await manager.get(paused.id)).revision).toBe(paused.revision);
      });

      it('run({ response, autocommit: false }) is honoured: the execution ends without committing, and it is recorded', async () => {
        const manager = await world.manager();
        const saga = new Saga('continue_manual').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', relatedServices: ['stock'] });
        const execution = await manager.run({ response, autocommit: false, pauseOnDisk: true });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.autocommit).toBe(false);
        expect(execution.transaction.status).toBe('pending');
        const history = await manager.history(paused.id);
        expect(history.map((e) => e.type)).not.toContain('VotesRequested');
        expect(history.find((e) => e.type === 'ReplyReceived')?.data).toMatchObject({ autocommit: false });
        // Another manager folds the same answer from the stream.
        expect((await (await world.manager({ service: 'auditor' })).get(paused.id)).autocommit).toBe(false);
      });

      it('run({ response, autocommit: true }) commits an execution started with autocommit: false', async () => {
        await world.participant('stock', {});
        const manager = await world.manager();
        const saga = new Saga('continue_commit').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await manager.run({ definition: saga, autocommit: false, pauseOnDisk: true });
        const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '', relatedServices: ['stock'] });
        const execution = await manager.run({ response, autocommit: true });
        expect(execution.transaction.status).toBe('committed');
        await waitFor(() => world.hooks().some((h) => h.hook === 'commit'));
      });

      inMemoryOnly('a request whose payload has the wrong shape is dead-lettered by the participant; the timeout compensates', async () => {
        await world.participant('stock', {});
        const participant = new (await import('@saga/core')).SagaParticipant({ broker: world.broker, service: 'typed-stock' }).handle(
          'typed.reserve',
          () => ({ reserved: true }),
          { validate: (payload) => (typeof (payload as JsonObject | null)?.sku === 'string' ? true : 'sku must be a string') },
        );
        await participant.setup();
        const manager = await world.manager({ replyTimeoutMs: 150 });
        const saga = new Saga('typed').remoteStep().onExecute(() => new SagaRequest('typed.reserve', { sku: 42 })).commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(execution.error?.name).toBe('ReplyTimeoutError');
        const dead = inMemory(world).deadLetters(deadLetterTopic('typed.reserve'));
        expect(dead.map((d) => d.headers['x-dead-letter-reason'])).toEqual([expect.stringContaining('payload of the wrong shape: sku must be a string')]);
        await participant.destroy();
      });

      it('compensates on reply timeout in memory mode, the in-flight step included', async () => {
        await world.participant('stock', {
          'stock.reserve': () => never(),
          'stock.release': () => {
            log.push('stock.release');
            return null;
          },
        });
        const manager = await world.manager({ replyTimeoutMs: 100 });
        const saga = new Saga('timeout')
          .localStep()
          .onExecute(() => undefined)
          .onFailure(() => void log.push('undo local'))
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', {}))
          .onFailure(() => new SagaRequest('stock.release', {}))
          .commit();
        const error = await manager.run({ definition: saga }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SagaFailedError);
        const execution = (error as SagaFailedError).execution;
        expect(execution.error?.name).toBe('ReplyTimeoutError');
        expect(execution.steps.find((s) => s.path === '1')?.status).toBe('compensated');
        expect(log).toEqual(['stock.release', 'undo local']);
      });

      it('a reply timeout is logged at warn, naming the topic nobody answered on', async () => {
        const manager = await world.manager({ replyTimeoutMs: 50 });
        const saga = new Saga('unheard').remoteStep().onExecute(() => new SagaRequest('nobody.subscribes', {})).commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(execution.error?.name).toBe('ReplyTimeoutError');
        expect(world.logger.entries.filter((e) => e.level === 'warn' && e.fields.executionId === execution.id).map((e) => e.message)).toEqual([
          expect.stringMatching(/ \(nobody\.subscribes\) of step 0 of execution .* had no reply by .*: is a participant handling 'nobody\.subscribes'\?$/),
        ]);
      });

      it('a late reply after the timeout arrives, is logged as ignored, and changes nothing', async () => {
        let release: (() => void) | undefined;
        await world.participant('stock', { 'stock.reserve': () => new Promise((resolve) => (release = () => resolve(null))) });
        const manager = await world.manager({ replyTimeoutMs: 50 });
        const saga = new Saga('late').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        const execution = await manager.run({ definition: saga, raiseOnError: false });
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.error?.name).toBe('ReplyTimeoutError');
        const requestId = (await manager.history(execution.id)).find((e) => e.type === 'RequestSent')?.data.requestId;
        await waitFor(() => release !== undefined, { message: 'the request at the participant' });
        release?.();
        // The late reply reached the manager, which said it ignored it: only now can "nothing written" be told.
        await waitFor(
          () =>
            world.logger.entries.some(
              (e) => e.level === 'warn' && e.fields.executionId === execution.id && e.message.startsWith(`Ignored: reply ${String(requestId)} matches no pending request`),
            ),
          { message: 'the warning that the late reply was ignored' },
        );
        expect((await manager.get(execution.id)).revision).toBe(execution.revision);
        expect(await types(manager, execution.id)).not.toContain('ReplyReceived');
      });
    });

    describe('transactions (autocommit)', () => {
      it('autocommit: false leaves the transaction pending until manager.commit()', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('manual_commit').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        const execution = await manager.run({ definition: saga, autocommit: false });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(execution.transaction.status).toBe('pending');
        expect(world.hooks()).toEqual([]);
        const committed = await manager.commit(execution.id);
        expect(committed.transaction.status).toBe('committed');
        await waitFor(() => world.hooks().some((h) => h.hook === 'commit'));
        expect(world.hooks().map((h) => h.hook)).toEqual(['reserve', 'commit']);
        await expect(manager.commit(execution.id)).rejects.toBeInstanceOf(SagaAlreadyExecutedError);
      });

      it('manager.reject() tells the participants to reject', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('manual_reject').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        const execution = await manager.run({ definition: saga, autocommit: false });
        const rejected = await manager.reject(execution.id);
        expect(rejected.transaction.status).toBe('rejected');
        await waitFor(() => world.hooks().some((h) => h.hook === 'reject'));
        expect(world.hooks().map((h) => h.hook)).toEqual(['reject']);
      });

      it('a no vote fails the commit: all reject, steps are compensated, CommitFailedError', async () => {
        await stock();
        await world.participant('ledger', { 'ledger.write': () => null }, { onReserve: () => false });
        const manager = await world.manager();
        const saga = new Saga('commit_fails')
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', {}))
          .onFailure(() => new SagaRequest('stock.release', {}))
          .remoteStep()
          .onExecute(() => new SagaRequest('ledger.write', {}))
          .commit();
        const error = await manager.run({ definition: saga }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CommitFailedError);
        const execution = (error as CommitFailedError).execution;
        expect(execution.status).toBe(SagaStatus.Errored);
        expect(execution.transaction.status).toBe('rejected');
        expect(execution.error?.message).toContain('ledger voted no');
        expect(log).toEqual(['stock.reserve', 'stock.release']);
        await waitFor(() => world.hooks().filter((h) => h.hook === 'reject').length === 2);
        expect(world.hooks().filter((h) => h.hook === 'commit')).toEqual([]);
      });

      it('a failed saga rejects the participants that answered it', async () => {
        await stock();
        await payment();
        const manager = await world.manager();
        const execution = await manager.run({ definition: orderSaga(), context: { amount: 1000 }, raiseOnError: false });
        expect(execution.transaction.status).toBe('rejected');
        await waitFor(() => world.hooks().filter((h) => h.hook === 'reject').length === 2);
        expect(world.hooks().filter((h) => h.hook === 'reserve' || h.hook === 'commit')).toEqual([]);
      });

      it('a failed saga with autocommit: false leaves the reject to the caller', async () => {
        await stock();
        await payment();
        const manager = await world.manager();
        const execution = await manager.run({ definition: orderSaga(), context: { amount: 1000 }, autocommit: false, raiseOnError: false });
        expect(execution.transaction.status).toBe('pending');
        await manager.reject(execution.id);
        await waitFor(() => world.hooks().filter((h) => h.hook === 'reject').length === 2);
      });
    });

    describe('several managers on one store', () => {
      it('a second manager finishes an execution the first one started (resume after the first is gone)', async () => {
        let release: (() => void) | undefined;
        await world.participant('stock', { 'stock.reserve': () => new Promise((resolve) => (release = () => resolve({ ok: true }))) });
        const first = await world.manager();
        const saga = new Saga('handover').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
        const paused = await first.run({ definition: saga, pauseOnDisk: true });
        await first.destroy();
        const second = await world.manager({ definitions: [saga] });
        await waitFor(() => release !== undefined);
        release?.();
        const finished = await waitFor(async () => {
          const execution = await second.get(paused.id);
          return execution.status === SagaStatus.Finished ? execution : undefined;
        });
        expect(finished.context).toEqual({});
      });

      it('a manager without the definition refuses to continue and leaves the stream untouched', async () => {
        const first = await world.manager();
        const saga = new Saga('unregistered').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await first.run({ definition: saga, pauseOnDisk: true });
        await first.destroy();
        const second = await world.manager();
        const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '' });
        const error = await second.run({ response, pauseOnDisk: true }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DefinitionNotRegisteredError);
        expect((error as Error).message).toContain("'unregistered'@1");
        expect((await second.history(paused.id)).length).toBe(paused.revision + 1);
      });

      it('a manager with a changed definition under the same version refuses to continue', async () => {
        const first = await world.manager();
        const original = new Saga('changed').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await first.run({ definition: original, pauseOnDisk: true });
        const changed = new Saga('changed').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).localStep().onExecute(() => undefined).commit();
        const second = await world.manager({ definitions: [changed] });
        const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '' });
        await expect(second.run({ response, pauseOnDisk: true })).rejects.toThrow(/different shape/);
        expect((await second.get(paused.id)).revision).toBe(paused.revision);
      });

      it('two managers applying the same reply at once: it is applied exactly once (optimistic concurrency)', async () => {
        let calls = 0;
        const saga = new Saga('race')
          .remoteStep()
          .onExecute(() => new SagaRequest('nobody.listens', {}))
          .onSuccess((ctx) => {
            calls += 1;
            return ctx.with({ applied: true });
          })
          .commit();
        const a = await world.manager({ definitions: [saga] });
        const b = await world.manager({ definitions: [saga] });
        const paused = await a.run({ definition: saga, pauseOnDisk: true });
        const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '' });
        const results = await Promise.allSettled([a.run({ response, pauseOnDisk: true }), b.run({ response, pauseOnDisk: true })]);
        const history = await types(a, paused.id);
        expect(history.filter((t) => t === 'ReplyReceived')).toHaveLength(1);
        expect(history.at(-1)).toBe('SagaCompleted');
        // Each manager decided at most once before its append; a loser re-reads and finds nothing pending.
        expect(calls).toBeGreaterThanOrEqual(1);
        expect(calls).toBeLessThanOrEqual(2);
        expect(results.filter((r) => r.status === 'fulfilled').length + results.filter((r) => r.status === 'rejected' && r.reason instanceof SagaAlreadyExecutedError).length).toBe(2);
      });
    });

    reliabilityScenarios(() => world);
    exactlyOnceScenarios(() => world);
    parallelScenarios(() => world, { inMemoryBroker: options.broker === undefined });
    childScenarios(() => world);

    describe('history, replay and errors', () => {
      it('replays the execution as it was at any revision', async () => {
        await stock();
        const manager = await world.manager();
        const saga = new Saga('replayed')
          .localStep()
          .onExecute((ctx) => ctx.with({ step: 1 }))
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', {}))
          .onSuccess((ctx) => ctx.with({ step: 2 }))
          .commit();
        const execution = await manager.run({ definition: saga });
        const history = await manager.history(execution.id);
        expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i));
        expect(history.every((e) => !Number.isNaN(Date.parse(e.recordedAt)))).toBe(true);
        const atRequest = await manager.replay(execution.id, { upTo: history.findIndex((e) => e.type === 'RequestSent') });
        expect(atRequest.status).toBe(SagaStatus.Paused);
        expect(atRequest.context).toEqual({ step: 1 });
        expect((await manager.replay(execution.id, { upTo: 0 })).status).toBe(SagaStatus.Running);
        expect(await manager.replay(execution.id)).toEqual(await manager.get(execution.id));
        await expect(manager.replay(execution.id, { upTo: 99 })).rejects.toBeInstanceOf(InvalidRunOptionsError);
      });

      it('fork retries from step N: a new execution copies the history up to a revision and continues from there', async () => {
        let declining = true;
        await stock();
        await world.participant('payment', {
          'payment.charge': () => {
            if (declining) throw new SagaBusinessError('card declined');
            return { charged: true };
          },
        });
        const manager = await world.manager();
        const saga = new Saga('forkable')
          .remoteStep()
          .onExecute(() => new SagaRequest('stock.reserve', {}))
          .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
          .onFailure(() => new SagaRequest('stock.release', {}))
          .remoteStep()
          .onExecute(() => new SagaRequest('payment.charge', {}))
          .commit();
        const failed = await manager.run({ definition: saga, raiseOnError: false });
        expect(failed.status).toBe(SagaStatus.Errored);
        const history = await manager.history(failed.id);
        const beforePayment = history.find((e) => e.type === 'RequestSent' && (e.data as JsonObject).path === '1')!.revision - 1;
        await expect(manager.fork(failed.id, { fromRevision: beforePayment + 1 })).rejects.toThrow(/is pending there; fork from the revision before it was sent/);
        declining = false;
        const forked = await manager.fork(failed.id, { fromRevision: beforePayment });
        expect(forked.status).toBe(SagaStatus.Finished);
        expect(forked.id).not.toBe(failed.id);
        expect(forked.forkedFrom).toEqual({ executionId: failed.id, revision: beforePayment });
        expect(forked.context.reservation).toEqual({ reserved: {} });
        // The stock step was copied, not run again; the original is untouched.
        expect(world.calls('stock.reserve')).toHaveLength(1);
        expect((await manager.get(failed.id)).revision).toBe(failed.revision);
        const copied = (await manager.history(forked.id)).map((e) => e.type);
        expect(copied.slice(0, 4)).toEqual(['SagaStarted', 'RequestSent', 'ReplyReceived', 'StepFinished']);
      });

      it('unknown ids fail with SagaNotFoundError', async () => {
        const manager = await world.manager();
        await expect(manager.get('missing')).rejects.toBeInstanceOf(SagaNotFoundError);
        await expect(manager.history('missing')).rejects.toThrow(/No saga execution with id 'missing'/);
        await expect(manager.run({ response: new SagaResponse({ sagaId: 'missing', requestId: 'r' }) })).rejects.toBeInstanceOf(SagaNotFoundError);
      });

      it('a corrupted event gives CorruptedHistoryError, and a reply writes nothing', async () => {
        const manager = await world.manager();
        const saga = new Saga('corrupt').remoteStep().onExecute(() => new SagaRequest('nobody.listens', {})).commit();
        const paused = await manager.run({ definition: saga, pauseOnDisk: true });
        await world.store.append(executionStream(paused.id), [{ type: 'StepFinished', data: { path: 7 } }], paused.revision);
        const error = await manager.get(paused.id).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CorruptedHistoryError);
        expect(error).toMatchObject({ stream: executionStream(paused.id), revision: paused.revision + 1 });
        const response = new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '' });
        await expect(manager.run({ response, pauseOnDisk: true })).rejects.toBeInstanceOf(CorruptedHistoryError);
        expect(await world.store.read(executionStream(paused.id))).toHaveLength(paused.revision + 2);
      });

      it('an invalid definition fails before anything is written', async () => {
        const manager = await world.manager();
        const uncommitted = new Saga('uncommitted');
        uncommitted.localStep().onExecute(() => undefined);
        await expect(manager.run({ definition: uncommitted })).rejects.toBeInstanceOf(SagaDefinitionError);
        await expect(manager.run({})).rejects.toBeInstanceOf(InvalidRunOptionsError);
        expect((await world.store.listStreams()).streams).toHaveLength(0);
      });

      it('run before setup (or after destroy) says what to do', async () => {
        const { SagaManager } = await import('@saga/core');
        const manager = new SagaManager({ store: world.store, broker: world.broker });
        const saga = new Saga('lifecycle').localStep().onExecute(() => undefined).commit();
        await expect(manager.run({ definition: saga })).rejects.toThrow(/before setup\(\)/);
        await manager.setup();
        expect(manager.alreadySetup).toBe(true);
        await manager[Symbol.asyncDispose]();
        expect(manager.alreadyDestroyed).toBe(true);
        await expect(manager.run({ definition: saga })).rejects.toBeInstanceOf(ManagerNotReadyError);
      });

      it('a manager or client without a broker says what is missing (not a TypeError)', async () => {
        const { SagaClient, SagaManager } = await import('@saga/core');
        const noBroker = { store: world.store } as unknown as ConstructorParameters<typeof SagaManager>[0];
        expect(() => new SagaManager(noBroker)).toThrow(ManagerNotReadyError);
        expect(() => new SagaManager(noBroker)).toThrow(/needs a broker for requests and replies: pass `broker`/);
        const client = new SagaClient(noBroker);
        await expect(client.setup()).rejects.toThrow(/A SagaClient needs a broker to send the requests of the executions it starts: pass `broker`/);
      });

      it('the fold never calls user code: replay of a stored history needs no definition', async () => {
        const manager = await world.manager();
        const saga = new Saga('no_callbacks').localStep().onExecute((ctx) => ctx.with({ x: 1 })).commit();
        const execution: SagaExecution = await manager.run({ definition: saga });
        const other = await world.manager({ service: 'auditor' });
        expect(await other.replay(execution.id)).toEqual(execution);
      });
    });
  });
};
