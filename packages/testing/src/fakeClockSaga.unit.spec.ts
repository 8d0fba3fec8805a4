/**
 * The saga tests a user writes with a FakeClock: start, pause on disk, `await clock.advanceAsync(ms)`,
 * assert. Nothing else may be needed between the start and the assertion (no sleep, no waitFor).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Saga, SagaBusinessError, SagaRequest, SagaStatus, type SagaManager } from '@saga/core';
import { FakeClock } from './fakeClock.js';
import { sagaTestWorld, type SagaTestWorld } from './sagaTestWorld.js';

const types = async (manager: SagaManager, id: string): Promise<string[]> => (await manager.history(id)).map((e) => e.type);

let world: SagaTestWorld;
let clock: FakeClock;
beforeEach(async () => {
  world = await sagaTestWorld();
  clock = new FakeClock();
});
afterEach(() => world.destroy());

describe('FakeClock.advanceAsync drives a saga with timers on its own', () => {
  it('a reply timeout compensates the waiting step and the ones before', async () => {
    const undone: string[] = [];
    await world.participant('stock', { 'stock.release': () => void undone.push('stock.release') });
    const manager = await world.manager({ clock, replyTimeoutMs: 30_000 });
    const saga = new Saga('reply_timeout')
      .localStep()
      .onExecute(() => undefined)
      .onFailure(() => void undone.push('local'))
      .remoteStep()
      .onExecute(() => new SagaRequest('nobody.answers', {}))
      .onFailure(() => new SagaRequest('stock.release', {}))
      .commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(30_001);

    const done = await manager.get(paused.id);
    expect(done.status).toBe(SagaStatus.Errored);
    expect(done.error?.name).toBe('ReplyTimeoutError');
    expect(undone).toEqual(['stock.release', 'local']);
  });

  it('a timeout compensates several answered remote steps, one broker round trip each', async () => {
    const undone: string[] = [];
    await world.participant('stock', {
      'stock.reserve': () => ({ reserved: true }),
      'stock.release': () => void undone.push('stock.release'),
    });
    await world.participant('payment', {
      'payment.charge': () => ({ charged: true }),
      'payment.refund': () => void undone.push('payment.refund'),
    });
    await world.participant('shipping', {
      'shipping.book': () => ({ booked: true }),
      'shipping.cancel': () => void undone.push('shipping.cancel'),
    });
    const manager = await world.manager({ clock, replyTimeoutMs: 30_000 });
    const saga = new Saga('many_compensations')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve', {}))
      .onFailure(() => new SagaRequest('stock.release', {}))
      .remoteStep()
      .onExecute(() => new SagaRequest('payment.charge', {}))
      .onFailure(() => new SagaRequest('payment.refund', {}))
      .remoteStep()
      .onExecute(() => new SagaRequest('shipping.book', {}))
      .onFailure(() => new SagaRequest('shipping.cancel', {}))
      .remoteStep()
      .onExecute(() => new SagaRequest('nobody.answers', {}))
      .commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(30_001);

    const done = await manager.get(paused.id);
    expect(done.status).toBe(SagaStatus.Errored);
    expect(undone).toEqual(['shipping.cancel', 'payment.refund', 'stock.release']);
  });

  it('waits for participants whose handlers do async work, before the timer is armed and after it fires', async () => {
    const undone: string[] = [];
    const io = () => new Promise((resolve) => setImmediate(resolve)); // a database call, say
    await world.participant('stock', {
      'stock.reserve': async () => {
        await io();
        await io();
        return { reserved: true };
      },
      'stock.release': async () => {
        await io();
        await io();
        undone.push('stock.release');
      },
    });
    const manager = await world.manager({ clock, replyTimeoutMs: 30_000 });
    const saga = new Saga('async_handlers')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve', {}))
      .onFailure(() => new SagaRequest('stock.release', {}))
      .remoteStep()
      .onExecute(() => new SagaRequest('nobody.answers', {}))
      .commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(30_001);

    const done = await manager.get(paused.id);
    expect(done.status).toBe(SagaStatus.Errored);
    expect(undone).toEqual(['stock.release']);
  });

  it('nothing happens before the timeout is due', async () => {
    const manager = await world.manager({ clock, replyTimeoutMs: 30_000 });
    const saga = new Saga('not_yet').remoteStep().onExecute(() => new SagaRequest('nobody.answers', {})).commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(29_999);

    expect((await manager.get(paused.id)).status).toBe(SagaStatus.Paused);
    expect(await types(manager, paused.id)).not.toContain('TimerFired');
  });

  it('a saga deadline compensates the execution, the waiting step included', async () => {
    const undone: string[] = [];
    await world.participant('stock', { 'stock.release': () => void undone.push('release') });
    const manager = await world.manager({ clock, replyTimeoutMs: 3_600_000 });
    const saga = new Saga('deadline', { deadlineMs: 60_000 })
      .remoteStep()
      .onExecute(() => new SagaRequest('nobody.answers', {}))
      .onFailure(() => new SagaRequest('stock.release', {}))
      .commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(60_001);

    const done = await manager.get(paused.id);
    expect(done.status).toBe(SagaStatus.Errored);
    expect(done.error?.name).toBe('DeadlineExceededError');
    expect(undone).toEqual(['release']);
  });

  it('a failed remote compensation is retried after its backoff, within the same advance', async () => {
    let refunds = 0;
    await world.participant('payment', {
      'payment.charge': () => ({ charged: true }),
      'payment.refund': () => {
        refunds += 1;
        if (refunds === 1) throw new SagaBusinessError('refund service warming up');
        return { refunded: true };
      },
    });
    const manager = await world.manager({ clock, replyTimeoutMs: 30_000, compensationRetry: { attempts: 3, initialDelayMs: 5_000, jitter: false } });
    const saga = new Saga('compensation_backoff')
      .remoteStep()
      .onExecute(() => new SagaRequest('payment.charge', {}))
      .onFailure(() => new SagaRequest('payment.refund', {}))
      .remoteStep()
      .onExecute(() => new SagaRequest('nobody.answers', {}))
      .commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(30_000 + 5_000 + 1);

    const done = await manager.get(paused.id);
    expect(done.status).toBe(SagaStatus.Errored);
    expect(done.steps[0]?.status).toBe('compensated');
    expect(refunds).toBe(2);
    expect(await types(manager, paused.id)).toContain('CompensationAttemptFailed');
  });

  it('a 30-day timeout waits 30 days, then times out', async () => {
    const thirtyDays = 30 * 24 * 3_600_000;
    const manager = await world.manager({ clock });
    const saga = new Saga('month_long').remoteStep().onExecute(() => new SagaRequest('nobody.answers', {})).timeout(thirtyDays).commit();

    const paused = await manager.run({ definition: saga, pauseOnDisk: true });
    await clock.advanceAsync(thirtyDays - 1);
    expect((await manager.get(paused.id)).status).toBe(SagaStatus.Paused);
    await clock.advanceAsync(1);

    const done = await manager.get(paused.id);
    expect(done.status).toBe(SagaStatus.Errored);
    expect(done.error?.name).toBe('ReplyTimeoutError');
  });
});
