/**
 * Child sagas, run on every store as part of `engineScenarios`: the child runs as an execution of
 * its own, the parent waits for its end through the store, a failed child fails the parent step,
 * compensating the parent step compensates the child's steps in the child's stream, and a crash
 * after any append of the pair loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, SagaStatus, executionIdForKey, executionStream, type Broker } from '@saga/core';
import { checkInvariants } from '../faults/checkInvariants.js';
import { crashingStore, lostEvents } from '../faults/crashingStore.js';
import type { SagaTestWorld } from '../sagaTestWorld.js';
import { ended, historyTypes } from './scenarioHelpers.js';

const types = historyTypes;


export const childScenarios = (getWorld: () => SagaTestWorld<Broker>): void => {
  describe('child sagas', () => {
    const shipParcel = (undone: string[]) =>
      new Saga('ship_parcel')
        .localStep()
        .onExecute((ctx) => ctx.with({ label: `L-${String(ctx.get('parcel'))}` }))
        .onFailure(() => void undone.push('label voided'))
        .remoteStep()
        .onExecute((ctx) => new SagaRequest('carrier.book', { parcel: ctx.get('parcel') ?? null }))
        .onSuccess((ctx, reply) => ctx.with({ tracking: (reply.payload as { tracking: string }).tracking }))
        .onFailure(() => new SagaRequest('carrier.cancel', {}))
        .commit();

    it('runs the child as an execution of its own; the parent records its id and goes on with onSuccess', async () => {
      const world = getWorld();
      await world.participant('carrier', { 'carrier.book': () => ({ tracking: 'T-1' }) });
      const child = shipParcel([]);
      const order = new Saga('order_with_child')
        .localStep()
        .onExecute((ctx) => ctx.with({ parcel: 7 }))
        .childStep(child)
        .onExecute((ctx) => ({ parcel: ctx.get('parcel') ?? null }))
        .onSuccess((ctx, shipped) => ctx.with({ tracking: shipped.context.get('tracking') ?? null, childId: shipped.id }))
        .commit();
      const manager = await world.manager();
      const done = await manager.run({ definition: order });
      expect(done.status).toBe(SagaStatus.Finished);
      expect(done.context).toMatchObject({ parcel: 7, tracking: 'T-1' });
      const childId = String(done.context.childId);
      const shipped = await manager.get(childId);
      expect(shipped).toMatchObject({ status: SagaStatus.Finished, parent: { executionId: done.id, path: '1' } });
      expect(shipped.context).toEqual({ parcel: 7, label: 'L-7', tracking: 'T-1' });
      expect(await types(manager, done.id)).toEqual(expect.arrayContaining(['ChildStarted', 'ChildEnded']));
      expect(checkInvariants(await world.store.read(executionStream(done.id)), order)).toEqual([]);
      expect(checkInvariants(await world.store.read(executionStream(childId)), child)).toEqual([]);
    });

    it('a child that fails fails the parent step (the child compensated itself); the steps before it are compensated', async () => {
      const world = getWorld();
      const undone: string[] = [];
      await world.participant('carrier', {
        'carrier.book': () => {
          throw new Error('no carrier today');
        },
      });
      const order = new Saga('order_child_fails')
        .localStep()
        .onExecute((ctx) => ctx.with({ parcel: 1 }))
        .onFailure(() => void undone.push('order undone'))
        .childStep(shipParcel(undone))
        .commit();
      const manager = await world.manager();
      const done = await manager.run({ definition: order, raiseOnError: false });
      expect(done.status).toBe(SagaStatus.Errored);
      expect(done.error?.name).toBe('ChildSagaFailedError');
      expect(undone).toEqual(['label voided', 'order undone']);
    });

    it('compensating a parent step whose child finished compensates the child’s steps in reverse, in the child’s stream', async () => {
      const world = getWorld();
      const undone: string[] = [];
      await world.participant('carrier', {
        'carrier.book': () => ({ tracking: 'T-2' }),
        'carrier.cancel': () => void undone.push('carrier cancelled'),
      });
      const child = shipParcel(undone);
      const order = new Saga('order_then_fails')
        .childStep(child)
        .localStep()
        .onExecute(() => {
          throw new Error('invoice refused');
        })
        .commit();
      const manager = await world.manager();
      const done = await manager.run({ definition: order, raiseOnError: false });
      expect(done.status).toBe(SagaStatus.Errored);
      expect(done.error?.message).toMatch(/invoice refused/);
      expect(undone).toEqual(['carrier cancelled', 'label voided']);
      const childId = done.steps.find((s) => s.path === '0')?.childId ?? '';
      const childHistory = await types(manager, childId);
      expect(childHistory.slice(childHistory.indexOf('SagaCompleted'))).toEqual(expect.arrayContaining(['CompensationRequested', 'StepCompensated', 'SagaFailed']));
      expect(await types(manager, done.id)).toEqual(expect.arrayContaining(['ChildCompensationRequested', 'ChildEnded', 'StepCompensated']));
      expect(checkInvariants(await world.store.read(executionStream(done.id)), order)).toEqual([]);
      expect(checkInvariants(await world.store.read(executionStream(childId)), child)).toEqual([]);
    });

    it('a crash after any append of the parent or the child loses nothing: a new manager finishes both', async () => {
      const world = getWorld();
      await world.participant('carrier', { 'carrier.book': () => ({ tracking: 'T-3' }) });
      const child = shipParcel([]);
      const order = new Saga('order_child_crash')
        .childStep(child)
        .onSuccess((ctx, shipped) => ctx.with({ tracking: shipped.context.get('tracking') ?? null }))
        .localStep()
        .onExecute((ctx) => ctx.with({ invoiced: true }))
        .commit();
      const counting = crashingStore(world.store);
      const clean = await world.manager({ store: counting, definitions: [order] });
      await clean.run({ definition: order, key: 'clean' });
      await clean.destroy();
      const appends = counting.appended.length;
      expect(appends).toBeGreaterThanOrEqual(4);
      for (let crashAfter = 1; crashAfter <= appends; crashAfter += 1) {
        const key = `crash-${crashAfter}`;
        const id = executionIdForKey(order, key);
        const dying = crashingStore(world.store, { crashAfterAppends: crashAfter });
        const doomed = await world.manager({ store: dying, definitions: [order], recoveryIntervalMs: 0 });
        void doomed.run({ definition: order, key }).catch(() => undefined);
        await dying.crashed;
        await doomed.destroy().catch(() => undefined);
        const survivor = await world.manager({ definitions: [order] });
        const done = await ended(survivor, id);
        expect(done.status, `crash after append ${crashAfter}`).toBe(SagaStatus.Finished);
        expect(done.context).toMatchObject({ tracking: 'T-3', invoiced: true });
        const childId = done.steps.find((s) => s.path === '0')?.childId ?? '';
        for (const stream of [executionStream(id), executionStream(childId)]) {
          const stored = await world.store.read(stream);
          expect(lostEvents(dying.appended, stream, stored), `crash after append ${crashAfter}: ${stream}`).toEqual([]);
        }
        expect(checkInvariants(await world.store.read(executionStream(childId)), child)).toEqual([]);
        await survivor.destroy();
      }
    });
  });
};
