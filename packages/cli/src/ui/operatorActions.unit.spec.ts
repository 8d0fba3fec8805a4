import { describe, expect, it } from 'vitest';
import { InMemoryBroker, InMemoryEventStore, Saga, SagaManager, SagaRequest, type SagaExecution } from '@saga/core';
import { readExecution } from '../store/loadExecution.js';
import type { ExecutionView } from './executionView.js';
import { previewAction } from './operatorActions.js';

const order = new Saga('order', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ state: 'pending' }))
  .onFailure(() => {
    throw new Error('ledger is down');
  })
  .remoteStep()
  .onExecute(() => new SagaRequest('stock.reserve', {}))
  .commit();

const failing = new Saga('failing', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ booked: true }))
  .onFailure(() => {
    throw new Error('ledger is down');
  })
  .localStep()
  .onExecute(() => {
    throw new Error('invoice rejected');
  })
  .commit();

/** Runs `definition` on an in-memory store and returns the view the console would build of it. */
const viewOf = async (run: (manager: SagaManager) => Promise<SagaExecution>, withDefinition = true): Promise<ExecutionView> => {
  const store = new InMemoryEventStore();
  const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'svc', compensationRetry: { attempts: 1 } });
  await manager.setup();
  const execution = await run(manager);
  const loaded = await readExecution(store, execution.id);
  await manager.destroy();
  const definition = [order, failing].find((d) => d.name === execution.definition.name);
  return { loaded, lastRevision: loaded.events.length - 1, ...(withDefinition && definition ? { definition } : {}) };
};

describe('previewAction', () => {
  it('resume: the one event that records it, at the revision reviewed; nothing to resume otherwise', async () => {
    const stuck = await viewOf((m) => m.run({ definition: failing, raiseOnError: false }));
    expect(previewAction(stuck, 'resume', {}, 'dana')).toMatchObject({
      available: true,
      atRevision: stuck.lastRevision,
      appends: [{ stream: stuck.loaded.stream, expectedRevision: stuck.lastRevision, events: [{ type: 'CompensationResumed', data: { path: '0', by: 'dana' } }] }],
      recordedBy: 'CompensationResumed records by: dana.',
    });
    const paused = await viewOf((m) => m.run({ definition: order, pauseOnDisk: true }));
    expect(previewAction(paused, 'resume', {}, 'dana')).toMatchObject({ available: false, why: 'no compensation of this execution failed: there is nothing to resume' });
  });

  it('cancel: needs a reason and a running execution; records who asked', async () => {
    const paused = await viewOf((m) => m.run({ definition: order, pauseOnDisk: true }));
    expect(previewAction(paused, 'cancel', {}, 'dana').why).toMatch(/say why/);
    expect(previewAction(paused, 'cancel', { reason: '  withdrawn ' }, 'dana').appends[0]?.events).toEqual([{ type: 'CancelRequested', data: { reason: 'withdrawn', by: 'dana' } }]);
    const stuck = await viewOf((m) => m.run({ definition: failing, raiseOnError: false }));
    expect(previewAction(stuck, 'cancel', { reason: 'x' }, 'dana').why).toMatch(/over \(errored\)/);
  });

  it('fork: only from a step boundary before the first failure, copying that prefix', async () => {
    const paused = await viewOf((m) => m.run({ definition: order, pauseOnDisk: true }));
    const types = paused.loaded.events.map((e) => e.type);
    const sent = types.indexOf('RequestSent');
    expect(previewAction(paused, 'fork', { fromRevision: sent }, 'dana').why).toMatch(/is pending there; fork from the revision before it was sent/);
    expect(previewAction(paused, 'fork', {}, 'dana').why).toMatch(/choose a revision from 0 to/);
    const plan = previewAction(paused, 'fork', { fromRevision: sent - 1 }, 'dana');
    expect(plan.available).toBe(true);
    expect(plan.appends[0]?.stream).toBe('saga-<new id>');
    expect(plan.appends[0]?.events.map((e) => e.type)).toEqual(types.slice(0, sent));
    expect(plan.appends[0]?.events[0]?.data).toMatchObject({ executionId: '<new id>', forkedFrom: { executionId: paused.loaded.id, revision: sent - 1 } });
  });

  it('every action needs the definition: its callbacks run', async () => {
    const stuck = await viewOf((m) => m.run({ definition: failing, raiseOnError: false }), false);
    expect(previewAction(stuck, 'resume', {}, 'dana').why).toMatch(/start saga ui with --definitions <module> that exports it/);
  });
});
