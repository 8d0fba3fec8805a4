/**
 * Parallel steps, run on every store as part of `engineScenarios`: branches start together, replies
 * arrive in any order, a failing branch stops the others and everything that finished is
 * compensated, nesting, and a crash at every append point of a parallel step.
 */
import { describe, expect, it } from 'vitest';
import {
  Saga,
  SagaBusinessError,
  SagaRequest,
  SagaStatus,
  executionIdForKey,
  executionStream,
  type Broker,
} from '@saga/core';
import { checkInvariants } from '../faults/checkInvariants.js';
import { crashingStore, lostEvents } from '../faults/crashingStore.js';
import type { SagaTestWorld } from '../sagaTestWorld.js';
import { waitFor } from '../waitFor.js';
import { ended, historyTypes } from './scenarioHelpers.js';

const types = historyTypes;


/** A participant handler that holds each request until the test releases it, in the order it chooses. */
const held = () => {
  const waiting = new Map<string, () => void>();
  return {
    handler: (name: string, reply: unknown) => () =>
      new Promise<unknown>((resolve) => {
        waiting.set(name, () => resolve(reply));
      }),
    arrived: (name: string) => waiting.has(name),
    release: (name: string) => {
      waiting.get(name)?.();
      waiting.delete(name);
    },
  };
};

const remoteBranch = (name: string, target: string, key: string, undo?: string) => {
  const saga = new Saga(name);
  const step = saga
    .remoteStep()
    .onExecute(() => new SagaRequest(target, {}))
    .onSuccess((ctx, reply) => ctx.with({ [key]: reply.payload }));
  if (undo) step.onFailure(() => new SagaRequest(undo, {}));
  return saga.commit();
};

/** `inMemoryBroker`: false when the world's broker is an adapter's (see `EngineScenarioOptions.broker`). */
export const parallelScenarios = (getWorld: () => SagaTestWorld<Broker>, { inMemoryBroker = true }: { readonly inMemoryBroker?: boolean } = {}): void => {
  describe('parallel steps', () => {
    it('starts every branch in one decision, both requests recorded before either is published; joins when both answered, in any order', async () => {
      const world = getWorld();
      const gates = held();
      await world.participant('stock', { 'stock.reserve': gates.handler('stock', { sku: 'A1' }) });
      await world.participant('payment', { 'payment.authorize': gates.handler('payment', { auth: 'P-1' }) });
      const order = new Saga('parallel_order')
        .localStep()
        .onExecute((ctx) => ctx.with({ validated: true }))
        .parallelStep()
        .branch(remoteBranch('reserve_stock', 'stock.reserve', 'reservation'))
        .branch(remoteBranch('authorize_payment', 'payment.authorize', 'authorization'))
        .localStep()
        .onExecute((ctx) => ctx.with({ shipped: ctx.get('reservation') !== undefined && ctx.get('authorization') !== undefined }))
        .commit();
      const manager = await world.manager();
      const paused = await manager.run({ definition: order, pauseOnDisk: true });
      expect(paused.pendingRequests.map((p) => p.target).sort()).toEqual(['payment.authorize', 'stock.reserve']);
      expect(paused.pendingRequest).toBeUndefined();
      // One append: the start, the local step, the parallel step and both requests with their timers.
      const history = await manager.history(paused.id);
      expect(new Set(history.map((e) => e.recordedAt)).size).toBe(1);
      expect(history.map((e) => e.type).filter((t) => t !== 'TimerScheduled')).toEqual(['SagaStarted', 'StepFinished', 'ParallelStarted', 'RequestSent', 'RequestSent']);
      await waitFor(() => gates.arrived('stock') && gates.arrived('payment'), { message: 'both requests at their participants at once' });
      // The second branch answers first.
      gates.release('payment');
      await waitFor(async () => ((await manager.get(paused.id)).pendingRequests.length === 1 ? true : undefined), { message: 'the payment reply applied' });
      gates.release('stock');
      const done = await ended(manager, paused.id);
      expect(done.status).toBe(SagaStatus.Finished);
      expect(done.context).toMatchObject({ validated: true, reservation: { sku: 'A1' }, authorization: { auth: 'P-1' }, shipped: true });
      const all = await types(manager, paused.id);
      expect(all.filter((t) => t === 'ReplyReceived')).toHaveLength(2);
      expect(world.calls('stock.reserve')).toHaveLength(1);
      expect(world.calls('payment.authorize')).toHaveLength(1);
      expect(checkInvariants(await world.store.read(executionStream(paused.id)), order)).toEqual([]);
    });

    // Needs one execution's replies delivered side by side, as the in-memory broker does: a broker that
    // delivers one execution's messages one at a time (Kafka, in key order) never has them wait together.
    it.skipIf(!inMemoryBroker)('replies that arrive while the execution is busy are decided together: one append for all of them', async () => {
      const world = getWorld();
      const gates = held();
      for (const service of ['a', 'b', 'c']) await world.participant(service, { [`${service}.do`]: gates.handler(service, { by: service }) });
      const saga = new Saga('parallel_batched')
        .parallelStep()
        .branch(remoteBranch('branch_a', 'a.do', 'a'))
        .branch(remoteBranch('branch_b', 'b.do', 'b'))
        .branch(remoteBranch('branch_c', 'c.do', 'c'))
        .commit();
      // Every append takes a while, as on a server: replies that come meanwhile queue up.
      // Methods are bound to the store itself: adapters keep their state in private fields.
      const slow: typeof world.store = new Proxy(world.store, {
        get: (target, key) => {
          if (key === 'append') {
            return async (...args: Parameters<typeof target.append>) => {
              await new Promise((resolve) => setTimeout(resolve, 50));
              return target.append(...args);
            };
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const manager = await world.manager({ store: slow });
      const paused = await manager.run({ definition: saga, pauseOnDisk: true });
      await waitFor(() => gates.arrived('a') && gates.arrived('b') && gates.arrived('c'), { message: 'the three requests at their participants' });
      for (const service of ['a', 'b', 'c']) gates.release(service);
      const done = await ended(manager, paused.id);
      expect(done.context).toMatchObject({ a: { by: 'a' }, b: { by: 'b' }, c: { by: 'c' } });
      const history = await manager.history(paused.id);
      const replies = history.filter((e) => e.type === 'ReplyReceived');
      expect(replies).toHaveLength(3);
      // Replies that came while another was being decided and stored wait, and go in one decision:
      // fewer appends than replies (one each, without batching).
      expect(new Set(replies.map((e) => e.recordedAt)).size).toBeLessThan(3);
    });

    it('onJoin decides the context: it gets the context before the step and each branch’s', async () => {
      const world = getWorld();
      const manager = await world.manager();
      const seen: unknown[] = [];
      const saga = new Saga('parallel_join')
        .parallelStep()
        .branch(new Saga('a').localStep().onExecute((ctx) => ctx.with({ a: 1, shared: 'a' })).commit())
        .branch(new Saga('b').localStep().onExecute((ctx) => ctx.with({ b: 2, shared: 'b' })).commit())
        .onJoin((ctx, branches) => {
          seen.push(ctx.toJSON(), branches.map((b) => b.toJSON()));
          return ctx.with({ total: (branches[0]?.get('a') as number) + (branches[1]?.get('b') as number) });
        })
        .commit();
      const done = await manager.run({ definition: saga, context: { start: true } });
      expect(done.context).toEqual({ start: true, total: 3 });
      expect(seen).toEqual([{ start: true }, [{ start: true, a: 1, shared: 'a' }, { start: true, b: 2, shared: 'b' }]]);
    });

    it('by default merges what each branch changed, branch by branch: a later branch wins a key both changed', async () => {
      const manager = await getWorld().manager();
      const saga = new Saga('parallel_merge')
        .parallelStep()
        .branch(new Saga('a').localStep().onExecute((ctx) => ctx.with({ a: 1, shared: 'a' })).commit())
        .branch(new Saga('b').localStep().onExecute((ctx) => ctx.with({ b: 2, shared: 'b' })).commit())
        .commit();
      const done = await manager.run({ definition: saga, context: { keep: 'me', shared: 'start' } });
      expect(done.context).toEqual({ keep: 'me', shared: 'b', a: 1, b: 2 });
    });

    it('a failing branch: the other starts nothing more, its request in flight is awaited, then every finished step is compensated', async () => {
      const world = getWorld();
      const gates = held();
      const undone: string[] = [];
      await world.participant('stock', {
        'stock.reserve': gates.handler('stock', { sku: 'A1' }),
        'stock.release': () => void undone.push('stock.release'),
      });
      await world.participant('payment', {
        'payment.authorize': () => {
          throw new SagaBusinessError('card declined');
        },
      });
      const after: string[] = [];
      const stockBranch = new Saga('stock_then_pick')
        .remoteStep()
        .onExecute(() => new SagaRequest('stock.reserve', {}))
        .onFailure(() => new SagaRequest('stock.release', {}))
        .localStep()
        .onExecute(() => void after.push('picked'))
        .commit();
      const saga = new Saga('parallel_failure')
        .localStep()
        .onExecute((ctx) => ctx.with({ validated: true }))
        .onFailure(() => void undone.push('validation'))
        .parallelStep()
        .branch(stockBranch)
        .branch(remoteBranch('authorize', 'payment.authorize', 'authorization'))
        .commit();
      const manager = await world.manager();
      const paused = await manager.run({ definition: saga, pauseOnDisk: true });
      // The payment branch fails while the stock request waits at its participant.
      await waitFor(async () => ((await manager.get(paused.id)).error ? true : undefined), { message: 'the payment branch failed' });
      const halted = await manager.get(paused.id);
      expect(halted).toMatchObject({ phase: 'forward', status: SagaStatus.Paused });
      expect(undone).toEqual([]);
      gates.release('stock');
      const done = await ended(manager, paused.id);
      expect(done.status).toBe(SagaStatus.Errored);
      expect(done.error?.message).toMatch(/card declined/);
      expect(after).toEqual([]);
      expect(undone).toEqual(['stock.release', 'validation']);
      const history = await types(manager, paused.id);
      const at = (type: string) => history.indexOf(type);
      expect(at('CompensationStarted')).toBeGreaterThan(history.lastIndexOf('ReplyReceived', at('CompensationStarted')));
      expect(checkInvariants(await world.store.read(executionStream(paused.id)), saga)).toEqual([]);
    });

    it('nests: a branch may hold a conditional step and another parallel step', async () => {
      const manager = await getWorld().manager();
      const inner = new Saga('inner')
        .parallelStep()
        .branch(new Saga('x').localStep().onExecute((ctx) => ctx.with({ x: true })).commit())
        .branch(new Saga('y').localStep().onExecute((ctx) => ctx.with({ y: true })).commit())
        .commit();
      const conditional = new Saga('cond')
        .conditionalStep()
        .ifThen((ctx) => ctx.get('express') === true, new Saga('express').localStep().onExecute((ctx) => ctx.with({ express: 'yes' })).commit())
        .elseThen(new Saga('normal').localStep().onExecute((ctx) => ctx.with({ express: 'no' })).commit())
        .commit();
      const saga = new Saga('nested_parallel').parallelStep().branch(inner).branch(conditional).commit();
      const done = await manager.run({ definition: saga, context: { express: true } });
      expect(done.status).toBe(SagaStatus.Finished);
      expect(done.context).toEqual({ express: 'yes', x: true, y: true });
      expect(done.steps.map((s) => s.path)).toEqual(expect.arrayContaining(['0', '0.0.0', '0.0.0.0.0', '0.0.0.1.0', '0.1.0', '0.1.0.0.0']));
    });

    it('a crash after any append of a parallel step loses nothing: a new manager finishes, each request applied once', async () => {
      const world = getWorld();
      await world.participant('stock', { 'stock.reserve': () => ({ ok: 1 }) });
      await world.participant('payment', { 'payment.authorize': () => ({ ok: 2 }) });
      const saga = new Saga('parallel_crash')
        .localStep()
        .onExecute((ctx) => ctx.with({ started: true }))
        .parallelStep()
        .branch(remoteBranch('crash_stock', 'stock.reserve', 'stock'))
        .branch(remoteBranch('crash_payment', 'payment.authorize', 'payment'))
        .localStep()
        .onExecute((ctx) => ctx.with({ done: true }))
        .commit();
      // A clean run says how many appends there are to crash after.
      const counting = crashingStore(world.store);
      const cleanManager = await world.manager({ store: counting, definitions: [saga] });
      const reference = await cleanManager.run({ definition: saga, key: 'clean' });
      // Only the managers of each round take replies from here on.
      await cleanManager.destroy();
      const appends = counting.appended.filter((a) => a.stream === executionStream(reference.id)).length;
      expect(appends).toBeGreaterThanOrEqual(3);
      for (let crashAfter = 1; crashAfter <= appends; crashAfter += 1) {
        const key = `crash-${crashAfter}`;
        const id = executionIdForKey(saga, key);
        const dying = crashingStore(world.store, { crashAfterAppends: crashAfter });
        const doomed = await world.manager({ store: dying, definitions: [saga], recoveryIntervalMs: 0 });
        void doomed.run({ definition: saga, key, pauseOnDisk: true }).catch(() => undefined);
        await dying.crashed;
        await doomed.destroy().catch(() => undefined);
        const survivor = await world.manager({ definitions: [saga] });
        const done = await ended(survivor, id);
        expect(done.status, `crash after append ${crashAfter}`).toBe(SagaStatus.Finished);
        expect(done.context).toMatchObject({ started: true, stock: { ok: 1 }, payment: { ok: 2 }, done: true });
        const requestsOf = (target: string) => new Set(world.calls(target).filter((c) => c.meta.sagaId === id).map((c) => c.meta.requestId)).size;
        expect(requestsOf('stock.reserve'), `crash after append ${crashAfter}`).toBe(1);
        expect(requestsOf('payment.authorize'), `crash after append ${crashAfter}`).toBe(1);
        const stored = await world.store.read(executionStream(id));
        expect(lostEvents(dying.appended, executionStream(id), stored)).toEqual([]);
        expect(checkInvariants(stored, saga)).toEqual([]);
        await survivor.destroy();
      }
    });

    it('a parallel step with fewer than two branches is a definition error that says so', () => {
      expect(() => new Saga('lonely').parallelStep().branch(new Saga('only').localStep().onExecute(() => undefined).commit()).commit()).toThrow(
        /at least two branches/,
      );
    });
  });
};
