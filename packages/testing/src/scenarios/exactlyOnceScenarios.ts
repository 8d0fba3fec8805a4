/**
 * Exactly once at the engine's edges, run on every store as part of `engineScenarios`: idempotent
 * starts by key, durable local steps across a crash, cancel, and definitions refused when another
 * object claims a registered name and version.
 */
import { describe, expect, it } from 'vitest';
import {
  DefinitionConflictError,
  Saga,
  SagaAlreadyExecutedError,
  SagaCancelledError,
  SagaRequest,
  SagaStatus,
  executionIdForKey,
  executionStream,
  type Broker,
} from '@saga/core';
import { crashingStore, SimulatedCrashError } from '../faults/crashingStore.js';
import type { SagaTestWorld } from '../sagaTestWorld.js';
import { waitFor } from '../waitFor.js';
import { ended, historyTypes } from './scenarioHelpers.js';

const types = historyTypes;


/** A gate a participant's handler waits on, so a request stays in flight until the test opens it. */
const gate = (): { readonly wait: Promise<void>; open: () => void } => {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
};

export const exactlyOnceScenarios = (getWorld: () => SagaTestWorld<Broker>): void => {
  describe('idempotent start by key', () => {
    it('a second run with the same key returns the first execution and runs nothing again', async () => {
      const world = getWorld();
      const manager = await world.manager();
      let ran = 0;
      const saga = new Saga('keyed_order')
        .localStep()
        .onExecute((ctx) => {
          ran += 1;
          return ctx.with({ ran });
        })
        .commit();
      const first = await manager.run({ definition: saga, key: 'order-1001', context: { attempt: 1 } });
      const second = await manager.run({ definition: saga, key: 'order-1001', context: { attempt: 2 } });
      expect(second.id).toBe(first.id);
      expect(first.id).toBe(executionIdForKey(saga, 'order-1001'));
      expect(ran).toBe(1);
      // The first start's context stands.
      expect(second.context).toMatchObject({ attempt: 1, ran: 1 });
      expect(second.key).toBe('order-1001');
      expect(await types(manager, first.id)).toEqual(['SagaStarted', 'StepFinished', 'SagaCompleted']);
      expect((await manager.get({ definition: 'keyed_order', key: 'order-1001' })).id).toBe(first.id);
      // A fork is an execution of its own: it does not take the key (which still names the first), and it records who forked.
      const fork = await manager.fork(first.id, { fromRevision: 0, by: 'ops' });
      expect(fork.key).toBeUndefined();
      expect(fork.forkedFrom).toEqual({ executionId: first.id, revision: 0, by: 'ops' });
      expect((await manager.get({ definition: saga, key: 'order-1001' })).id).toBe(first.id);
      // Another key, or the same key of another definition, is another execution.
      const other = await manager.run({ definition: saga, key: 'order-1002' });
      expect(other.id).not.toBe(first.id);
      expect(executionIdForKey('another_saga', 'order-1001')).not.toBe(first.id);
    });

    it('two managers racing with one key start one execution, and its request is sent once', async () => {
      const world = getWorld();
      const release = gate();
      await world.participant('stock', {
        'stock.reserve': async () => {
          await release.wait;
          return { reserved: true };
        },
      });
      const saga = new Saga('keyed_race').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
      const a = await world.manager({ definitions: [saga] });
      const b = await world.manager({ definitions: [saga] });
      const runs = Promise.all([a.run({ definition: saga, key: 'k-1' }), b.run({ definition: saga, key: 'k-1' })]);
      await waitFor(() => world.calls('stock.reserve').length > 0 || undefined, { timeoutMs: 5_000, message: 'the request never reached the participant' });
      release.open();
      const [ra, rb] = await runs;
      expect(ra.id).toBe(rb.id);
      expect(ra.status).toBe(SagaStatus.Finished);
      expect((await types(a, ra.id)).filter((t) => t === 'SagaStarted')).toHaveLength(1);
      expect(world.calls('stock.reserve')).toHaveLength(1);
    });

    it('a key must be a non-empty string', async () => {
      const manager = await getWorld().manager();
      const saga = new Saga('keyed_bad').localStep().onExecute(() => undefined).commit();
      await expect(manager.run({ definition: saga, key: '' })).rejects.toThrow(/key must be a non-empty string/);
    });
  });

  describe('durable local steps', () => {
    const threeSteps = (name: string, ran: string[], options: { durable?: 'definition' | 'step1' } = {}) => {
      const saga = new Saga(name, { durableLocalSteps: options.durable === 'definition' });
      for (const step of ['0', '1', '2']) {
        const local = saga.localStep().onExecute((ctx) => {
          ran.push(step);
          return ctx.with({ [`step${step}`]: true });
        });
        if (options.durable === 'step1' && step === '1') local.durable();
      }
      return saga.commit();
    };

    it('record the start before the first durable step, and each result before the next step runs', async () => {
      const world = getWorld();
      const store = crashingStore(world.store);
      const manager = await world.manager({ store });
      const ran: string[] = [];
      const execution = await manager.run({ definition: threeSteps('durable_all', ran, { durable: 'definition' }) });
      expect(execution.status).toBe(SagaStatus.Finished);
      const appends = store.appended.filter((a) => a.stream === executionStream(execution.id)).map((a) => a.events.map((e) => e.type));
      expect(appends).toEqual([['SagaStarted'], ['StepFinished'], ['StepFinished'], ['StepFinished', 'SagaCompleted']]);
      expect(ran).toEqual(['0', '1', '2']);
    });

    it('one step marked durable: the steps before it are stored with the start, and it with nothing after it', async () => {
      const world = getWorld();
      const store = crashingStore(world.store);
      const manager = await world.manager({ store });
      const execution = await manager.run({ definition: threeSteps('durable_one', [], { durable: 'step1' }) });
      const appends = store.appended.filter((a) => a.stream === executionStream(execution.id)).map((a) => a.events.map((e) => e.type));
      expect(appends).toEqual([['SagaStarted', 'StepFinished'], ['StepFinished'], ['StepFinished', 'SagaCompleted']]);
    });

    it('after a crash, the execution goes on after the last recorded step instead of running it again', async () => {
      const world = getWorld();
      const ran: string[] = [];
      const saga = threeSteps('durable_crash', ran, { durable: 'definition' });
      // The process dies right after its second append (the start, then step 0's result).
      const dying = crashingStore(world.store, { crashAfterAppends: 2 });
      const crashed = await world.manager({ store: dying, definitions: [saga], recoveryIntervalMs: 0 });
      await expect(crashed.run({ definition: saga, key: 'crash-1' })).rejects.toThrow(SimulatedCrashError);
      const id = executionIdForKey(saga, 'crash-1');
      expect(ran).toEqual(['0']);
      const survivor = await world.manager({ definitions: [saga] });
      const done = await ended(survivor, id);
      expect(done.status).toBe(SagaStatus.Finished);
      expect(done.context).toMatchObject({ step0: true, step1: true, step2: true });
      expect(ran).toEqual(['0', '1', '2']);
      expect((await types(survivor, id)).filter((t) => t === 'StepFinished')).toHaveLength(3);
    });
  });

  describe('cancel', () => {
    const undoable = (name: string, undone: string[], target = 'nobody.answers') =>
      new Saga(name)
        .localStep()
        .onExecute((ctx) => ctx.with({ local: true }))
        .onFailure(() => void undone.push('local'))
        .remoteStep()
        .onExecute(() => new SagaRequest(target, {}))
        .onFailure(() => new SagaRequest('stock.release', {}))
        .localStep()
        .onExecute(() => void undone.push('ran after the cancel'))
        .commit();

    it('awaits the request in flight, compensates the finished steps in reverse and ends with SagaCancelledError', async () => {
      const world = getWorld();
      const undone: string[] = [];
      const release = gate();
      await world.participant('stock', {
        'stock.reserve': async () => {
          await release.wait;
          return { reserved: true };
        },
        'stock.release': () => void undone.push('stock.release'),
      });
      const manager = await world.manager();
      const saga = undoable('cancel_in_flight', undone, 'stock.reserve');
      const paused = await manager.run({ definition: saga, pauseOnDisk: true });
      const cancelled = await manager.cancel(paused.id, { reason: 'the customer called', by: 'ops@example.com', pauseOnDisk: true });
      expect(cancelled.cancellation).toMatchObject({ reason: 'the customer called', by: 'ops@example.com' });
      expect(cancelled.pendingRequest?.requestId).toBe(paused.pendingRequest?.requestId);
      release.open();
      const done = await ended(manager, paused.id);
      expect(done.status).toBe(SagaStatus.Errored);
      expect(done.error).toEqual({ name: 'SagaCancelledError', message: 'Cancelled by ops@example.com: the customer called' });
      expect(undone).toEqual(['stock.release', 'local']);
      const history = await types(manager, paused.id);
      expect(history.filter((t) => t === 'CancelRequested' || t === 'CancelStarted' || t === 'ReplyReceived').slice(0, 3)).toEqual(['CancelRequested', 'ReplyReceived', 'CancelStarted']);
      expect(history).toContain('SagaFailed');
    });

    it('waits for the end and throws SagaCancelledError with the reason; a request that never answers is awaited until its timeout', async () => {
      const world = getWorld();
      const undone: string[] = [];
      await world.participant('stock', { 'stock.release': () => void undone.push('stock.release') });
      const manager = await world.manager({ replyTimeoutMs: 200 });
      const paused = await manager.run({ definition: undoable('cancel_timeout', undone), pauseOnDisk: true });
      const error = await manager.cancel(paused.id, { reason: 'stuck' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SagaCancelledError);
      expect(error).toMatchObject({ reason: 'stuck' });
      const done = await manager.get(paused.id);
      expect(done.error?.name).toBe('SagaCancelledError');
      expect(undone).toEqual(['stock.release', 'local']);
      // Cancelling twice records nothing more, and says the same.
      await expect(manager.cancel(paused.id, { reason: 'again' })).rejects.toBeInstanceOf(SagaCancelledError);
      expect((await types(manager, paused.id)).filter((t) => t === 'CancelRequested')).toHaveLength(1);
    });

    it('a run waiting on the execution rejects with SagaCancelledError', async () => {
      const world = getWorld();
      await world.participant('stock', { 'stock.release': () => ({ released: true }) });
      const manager = await world.manager({ replyTimeoutMs: 200 });
      const saga = undoable('cancel_waiting_run', []);
      const running = manager.run({ definition: saga, key: 'waited' }).catch((e: unknown) => e);
      const id = executionIdForKey(saga, 'waited');
      await waitFor(async () => ((await manager.get(id).catch(() => undefined))?.pendingRequest ? true : undefined), { timeoutMs: 5_000 });
      await manager.cancel(id, { reason: 'not needed', pauseOnDisk: true });
      const error = await running;
      expect(error).toBeInstanceOf(SagaCancelledError);
      expect((error as SagaCancelledError).message).toMatch(/was cancelled: not needed/);
    });

    it('refuses an ended execution and a missing reason, with messages that say so', async () => {
      const manager = await getWorld().manager();
      const saga = new Saga('cancel_ended').localStep().onExecute(() => undefined).commit();
      const finished = await manager.run({ definition: saga });
      await expect(manager.cancel(finished.id, { reason: 'too late' })).rejects.toThrow(SagaAlreadyExecutedError);
      await expect(manager.cancel(finished.id, { reason: '' })).rejects.toThrow(/needs a reason/);
      expect(await types(manager, finished.id)).not.toContain('CancelRequested');
    });

    it('is durable: a cancel recorded before a crash takes effect in the manager that takes over', async () => {
      const world = getWorld();
      const undone: string[] = [];
      const release = gate();
      await world.participant('stock', {
        'stock.reserve': async () => {
          await release.wait;
          return { reserved: true };
        },
        'stock.release': () => void undone.push('stock.release'),
      });
      const saga = undoable('cancel_durable', undone, 'stock.reserve');
      const first = await world.manager({ definitions: [saga] });
      const paused = await first.run({ definition: saga, pauseOnDisk: true });
      await first.cancel(paused.id, { reason: 'fraud suspected', pauseOnDisk: true });
      await first.destroy();
      const second = await world.manager({ definitions: [saga] });
      release.open();
      const done = await ended(second, paused.id);
      expect(done.error?.name).toBe('SagaCancelledError');
      expect(undone).toEqual(['stock.release', 'local']);
    });
  });

  describe('definition conflicts', () => {
    it('refuses another Saga object under a registered name and version, even with the same shape', async () => {
      const manager = await getWorld().manager();
      const build = () => new Saga('conflicting', { version: '3' }).localStep().onExecute(() => undefined).commit();
      const registered = build();
      manager.register(registered);
      const other = build();
      await expect(manager.run({ definition: other })).rejects.toThrow(DefinitionConflictError);
      expect((await manager.list({ definitionName: 'conflicting' })).entries).toHaveLength(0);
      // The registered object itself runs.
      expect((await manager.run({ definition: registered })).status).toBe(SagaStatus.Finished);
    });
  });
};
