/**
 * Failure handling, run on every store as part of `engineScenarios`: durable timeouts and deadlines,
 * re-sends, retries, recovery on start, operator resume, definition checks.
 */
import { describe, expect, it } from 'vitest';
import {
  CommitFailedError,
  Saga,
  SagaBusinessError,
  SagaRequest,
  SagaResponse,
  SagaParticipant,
  SagaStatus,
  encodeReply,
  replyTopic,
  type Broker,
  type BrokerMessage,
  type JsonObject,
  type SagaManager,
} from '@saga/core';
import { FakeClock } from '../fakeClock.js';
import type { SagaTestWorld } from '../sagaTestWorld.js';
import { waitFor } from '../waitFor.js';
import { historyTypes } from './scenarioHelpers.js';

const types = historyTypes;

const settled = (manager: SagaManager, id: string, check: (status: string) => boolean = (s) => s === SagaStatus.Finished || s === SagaStatus.Errored) =>
  waitFor(
    async () => {
      const execution = await manager.get(id);
      return check(execution.status) && execution.pendingRequest === undefined ? execution : undefined;
    },
    { timeoutMs: 8_000 },
  );

/** A broker whose next `n` publishes to `topic` are lost after the manager's append: a crash window. */
const losing = (inner: Broker, topic: string, n: number): Broker & { lost: BrokerMessage[] } => {
  const lost: BrokerMessage[] = [];
  return {
    lost,
    setup: () => inner.setup(),
    destroy: async () => undefined,
    subscribe: (...args) => inner.subscribe(...args),
    publish: async (to, message) => {
      if (to === topic && lost.length < n) {
        lost.push(message);
        throw new Error('connection reset (simulated)');
      }
      await inner.publish(to, message);
    },
  };
};

export const reliabilityScenarios = (getWorld: () => SagaTestWorld<Broker>): void => {
  describe('reliability', () => {
    it('a reply timeout is a durable timer: in disk mode too, the waiting step and the ones before are compensated', async () => {
      const world = getWorld();
      const undone: string[] = [];
      await world.participant('stock', { 'stock.release': () => void undone.push('stock.release') });
      const manager = await world.manager({ replyTimeoutMs: 150 });
      const saga = new Saga('disk_timeout')
        .localStep()
        .onExecute(() => undefined)
        .onFailure(() => void undone.push('local'))
        .remoteStep()
        .onExecute(() => new SagaRequest('nobody.answers', {}))
        .onFailure(() => new SagaRequest('stock.release', {}))
        .commit();
      const paused = await manager.run({ definition: saga, pauseOnDisk: true });
      expect(paused.timers).toHaveLength(1);
      expect(paused.timers[0]).toMatchObject({ purpose: 'reply', requestId: paused.pendingRequest?.requestId });
      const done = await settled(manager, paused.id);
      expect(done.status).toBe(SagaStatus.Errored);
      expect(done.error?.name).toBe('ReplyTimeoutError');
      expect(undone).toEqual(['stock.release', 'local']);
      const history = await types(manager, paused.id);
      expect(history.slice(0, 6)).toEqual(['SagaStarted', 'StepFinished', 'RequestSent', 'TimerScheduled', 'TimerFired', 'StepFailed']);
    });

    it('a step timeout survives the manager that armed it: another manager recovers and fires it', async () => {
      const world = getWorld();
      const saga = new Saga('timer_handover').remoteStep().onExecute(() => new SagaRequest('nobody.answers', {})).timeout(300).commit();
      const first = await world.manager();
      const paused = await first.run({ definition: saga, pauseOnDisk: true });
      await first.destroy();
      const second = await world.manager({ definitions: [saga] });
      const done = await settled(second, paused.id);
      expect(done.status).toBe(SagaStatus.Errored);
      expect(done.steps[0]?.status).toBe('timed-out');
      expect((await types(second, paused.id)).filter((t) => t === 'TimerFired')).toHaveLength(1);
    });

    it('a timer loses cleanly against the reply it waited for (no write, even when armed elsewhere)', async () => {
      const world = getWorld();
      const saga = new Saga('timer_race').remoteStep().onExecute(() => new SagaRequest('nobody.answers', {})).timeout(250).commit();
      const a = await world.manager();
      const paused = await a.run({ definition: saga, pauseOnDisk: true });
      const b = await world.manager({ definitions: [saga] });
      const finished = await a.run({ response: new SagaResponse({ sagaId: paused.id, requestId: paused.pendingRequest?.requestId ?? '' }), pauseOnDisk: true });
      expect(finished.status).toBe(SagaStatus.Finished);
      // B's timer fires after the reply won; B says it dropped it. Only then can "nothing written" be told.
      await waitFor(() => world.logger.entries.some((e) => e.fields.executionId === paused.id && e.fields.input === 'timer' && e.message.startsWith('Ignored: timer')), {
        timeoutMs: 8_000,
        message: 'the timer armed in the other manager to fire and be ignored',
      });
      expect((await b.get(paused.id)).revision).toBe(finished.revision);
      expect(await types(a, paused.id)).not.toContain('TimerFired');
    });

    it('a saga deadline compensates the execution, the waiting step included', async () => {
      const world = getWorld();
      const undone: string[] = [];
      await world.participant('stock', { 'stock.release': () => void undone.push('release') });
      const manager = await world.manager();
      const saga = new Saga('deadline', { deadlineMs: 200 })
        .remoteStep()
        .onExecute(() => new SagaRequest('nobody.answers', {}))
        .onFailure(() => new SagaRequest('stock.release', {}))
        .commit();
      const execution = await manager.run({ definition: saga, raiseOnError: false });
      expect(execution.status).toBe(SagaStatus.Errored);
      expect(execution.error?.name).toBe('DeadlineExceededError');
      expect(undone).toEqual(['release']);
    });

    it('re-sends an unanswered request with the same requestId: the participant receives it again, as the same request', async () => {
      const world = getWorld();
      const seen: string[] = [];
      // A participant whose first delivery is lost (acknowledged, never answered).
      await world.broker.subscribe('flaky.service', 'flaky', async (message) => {
        seen.push(message.headers.requestId ?? '');
        if (seen.length === 1) return;
        await world.broker.publish(message.headers.replyTo ?? '', encodeReply({ sagaId: message.headers.sagaId ?? '', requestId: message.headers.requestId ?? '', status: 200, relatedServices: [], payload: { ok: true } }));
      });
      const manager = await world.manager();
      const saga = new Saga('resend')
        .remoteStep()
        .onExecute(() => new SagaRequest('flaky.service', {}))
        .retry({ attempts: 3, initialDelayMs: 60, jitter: false })
        .onSuccess((ctx, reply) => ctx.with({ reply: reply.payload }))
        .commit();
      const execution = await manager.run({ definition: saga });
      expect(execution.status).toBe(SagaStatus.Finished);
      expect(seen).toHaveLength(2);
      expect(new Set(seen).size).toBe(1);
      const history = await manager.history(execution.id);
      expect(history.find((e) => e.type === 'RequestResent')?.data).toMatchObject({ requestId: seen[0], attempt: 2 });
    });

    it('a SagaParticipant handles a re-sent request once: the re-send gets the first reply again', async () => {
      const world = getWorld();
      let charged = 0;
      // The participant's first reply is lost on its way back; the manager re-sends the same request.
      const lossy = losing(world.broker, replyTopic('order'), 1);
      const participant = new SagaParticipant({ broker: lossy, service: 'payment' }).handle('payment.charge', () => ({ charge: (charged += 1) }));
      await participant.setup();
      try {
        const manager = await world.manager();
        const saga = new Saga('resend_once')
          .remoteStep()
          .onExecute(() => new SagaRequest('payment.charge', {}))
          .retry({ attempts: 3, initialDelayMs: 60, jitter: false })
          .onSuccess((ctx, reply) => ctx.with({ reply: reply.payload }))
          .commit();
        const execution = await manager.run({ definition: saga });
        expect(execution.status).toBe(SagaStatus.Finished);
        expect(lossy.lost).toHaveLength(1);
        expect((await types(manager, execution.id)).filter((t) => t === 'RequestResent').length).toBeGreaterThanOrEqual(1);
        expect(charged).toBe(1);
        expect(execution.context).toEqual({ reply: { charge: 1 } });
      } finally {
        await participant.destroy();
      }
    });

    it('a 30-day step timeout waits 30 days (on a FakeClock), then times out', async () => {
      const world = getWorld();
      const clock = new FakeClock();
      const thirtyDays = 30 * 24 * 3_600_000;
      const manager = await world.manager({ clock, recoveryIntervalMs: 0 });
      const saga = new Saga('month_long').remoteStep().onExecute(() => new SagaRequest('nobody.answers', {})).timeout(thirtyDays).commit();
      const paused = await manager.run({ definition: saga, pauseOnDisk: true });
      expect(paused.timers[0]?.dueAt).toBe(new Date(clock.now().getTime() + thirtyDays).toISOString());
      await clock.advanceAsync(1);
      expect((await manager.get(paused.id)).status).toBe(SagaStatus.Paused);
      await clock.advanceAsync(thirtyDays - 2);
      expect((await manager.get(paused.id)).status).toBe(SagaStatus.Paused);
      await clock.advanceAsync(1);
      const done = await settled(manager, paused.id);
      expect(done.error?.name).toBe('ReplyTimeoutError');
    });

    it('retries a local step with backoff before failing it', async () => {
      const world = getWorld();
      const manager = await world.manager();
      let calls = 0;
      const saga = new Saga('local_retry')
        .localStep()
        .onExecute((ctx) => {
          calls += 1;
          if (calls < 3) throw new Error('database busy');
          return ctx.with({ calls });
        })
        .retry({ attempts: 3, initialDelayMs: 5 })
        .commit();
      const execution = await manager.run({ definition: saga });
      expect(execution.context).toEqual({ calls: 3 });
    });

    it('retries a failing remote compensation with a new request, then succeeds', async () => {
      const world = getWorld();
      let refunds = 0;
      await world.participant('payment', {
        'payment.charge': () => ({ charged: true }),
        'payment.refund': () => {
          refunds += 1;
          if (refunds === 1) throw new SagaBusinessError('refund service warming up');
          return { refunded: true };
        },
      });
      const manager = await world.manager({ compensationRetry: { attempts: 3, initialDelayMs: 20, jitter: false } });
      const saga = new Saga('compensation_retry')
        .remoteStep()
        .onExecute(() => new SagaRequest('payment.charge', {}))
        .onFailure(() => new SagaRequest('payment.refund', {}))
        .localStep()
        .onExecute(() => {
          throw new Error('shipping impossible');
        })
        .commit();
      const execution = await manager.run({ definition: saga, raiseOnError: false });
      expect(execution.status).toBe(SagaStatus.Errored);
      expect(execution.steps[0]?.status).toBe('compensated');
      expect(refunds).toBe(2);
      const history = await manager.history(execution.id);
      const sent = history.filter((e) => e.type === 'CompensationRequestSent').map((e) => (e.data as JsonObject).requestId);
      expect(sent).toHaveLength(2);
      expect(sent[0]).not.toBe(sent[1]);
      expect(history.map((e) => e.type)).toContain('CompensationAttemptFailed');
    });

    it('a compensation that keeps failing stops visibly; resume() retries it once the cause is fixed', async () => {
      const world = getWorld();
      let ledgerUp = false;
      const manager = await world.manager({ compensationRetry: { attempts: 2, initialDelayMs: 1 } });
      const saga = new Saga('resume_me')
        .localStep()
        .onExecute(() => undefined)
        .onFailure((ctx) => {
          if (!ledgerUp) throw new Error('ledger down');
          return ctx.with({ undone: true });
        })
        .localStep()
        .onExecute(() => {
          throw new Error('step failed');
        })
        .commit();
      const stuck = await manager.run({ definition: saga, raiseOnError: false });
      expect(stuck.compensation.failed).toMatchObject({ path: '0', error: { message: 'ledger down' } });
      expect(stuck.steps[0]?.status).toBe('errored-on-failure');
      ledgerUp = true;
      const resumed = await manager.resume(stuck.id);
      expect(resumed.status).toBe(SagaStatus.Errored);
      expect(resumed.compensation.failed).toBeUndefined();
      expect(resumed.steps[0]?.status).toBe('compensated');
      expect(resumed.context).toEqual({ undone: true });
      expect((await types(manager, stuck.id)).slice(-3)).toEqual(['CompensationResumed', 'StepCompensated', 'SagaFailed']);
      await expect(manager.resume(stuck.id)).rejects.toThrow(/only an execution whose compensation failed/);
    });

    it('recovery on setup re-sends a request whose publish was lost after its event was stored', async () => {
      const world = getWorld();
      await world.participant('stock', { 'stock.reserve': () => ({ reserved: true }) });
      const lossy = losing(world.broker, 'stock.reserve', 4);
      const saga = new Saga('lost_publish').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
      const crashed = await world.manager({ broker: lossy });
      const paused = await crashed.run({ definition: saga, pauseOnDisk: true });
      expect(lossy.lost).toHaveLength(4);
      expect(paused.status).toBe(SagaStatus.Paused);
      await crashed.destroy();
      const recovering = await world.manager({ definitions: [saga] });
      const done = await settled(recovering, paused.id);
      expect(done.status).toBe(SagaStatus.Finished);
      expect(world.calls('stock.reserve').map((c) => c.meta.requestId)).toEqual([paused.pendingRequest?.requestId]);
    });

    it('workers with stable ids that start together re-send each lost request once between them, not once each', async () => {
      const world = getWorld();
      await world.participant('stock', { 'stock.reserve': () => ({ reserved: true }) });
      const count = 12;
      // Each publish is tried 4 times (the driver retries 3 times) before it counts as lost.
      const lossy = losing(world.broker, 'stock.reserve', 4 * count);
      const saga = new Saga('lost_publish_shared').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
      const crashed = await world.manager({ broker: lossy, workerId: 'pod-old' });
      const paused = await Promise.all(Array.from({ length: count }, () => crashed.run({ definition: saga, pauseOnDisk: true })));
      expect(lossy.lost).toHaveLength(4 * count);
      await crashed.destroy();
      // What the four starting workers publish to the participant, between them.
      const sent: string[] = [];
      const counted = (): Broker => ({
        setup: () => world.broker.setup(),
        destroy: async () => undefined,
        subscribe: (...args) => world.broker.subscribe(...args),
        publish: async (to, message) => {
          if (to === 'stock.reserve') sent.push(String(message.headers.requestId));
          await world.broker.publish(to, message);
        },
      });
      const workers = await Promise.all(Array.from({ length: 4 }, (_, i) => world.manager({ broker: counted(), definitions: [saga], workerId: `pod-${i}` })));
      for (const execution of paused) expect((await settled(workers[0] as SagaManager, execution.id)).status).toBe(SagaStatus.Finished);
      expect([...sent].sort()).toEqual(paused.map((execution) => execution.pendingRequest?.requestId).sort());
    });

    it('a participant that does not vote in time counts as a no', async () => {
      const world = getWorld();
      await world.participant('stock', { 'stock.reserve': () => null }, { onReserve: () => new Promise<boolean>(() => undefined) });
      const manager = await world.manager({ commitTimeoutMs: 200 });
      const saga = new Saga('silent_voter').remoteStep().onExecute(() => new SagaRequest('stock.reserve', {})).commit();
      const error = await manager.run({ definition: saga }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommitFailedError);
      expect((error as CommitFailedError).execution.transaction.votes[0]).toMatchObject({ vote: false, reason: expect.stringContaining('no vote by') });
    });

    it('checkDefinitions() lists the waiting executions that would not resume', async () => {
      const world = getWorld();
      const v1 = new Saga('versioned', { version: '1' }).remoteStep().onExecute(() => new SagaRequest('nobody.answers', {})).commit();
      const first = await world.manager();
      const waiting = await first.run({ definition: v1, pauseOnDisk: true });
      expect((await first.checkDefinitions()).wouldNotResume).toEqual([]);
      const changed = new Saga('versioned', { version: '1' }).localStep().onExecute(() => undefined).commit();
      const other = await world.manager({ definitions: [changed], recoverOnSetup: false });
      const report = await other.checkDefinitions();
      expect(report.checked).toBeGreaterThanOrEqual(1);
      expect(report.wouldNotResume).toEqual([expect.objectContaining({ executionId: waiting.id, definition: 'versioned@1', reason: expect.stringContaining('different shape') })]);
      // Both versions can be registered at once so old executions drain.
      const v2 = new Saga('versioned', { version: '2' }).localStep().onExecute(() => undefined).commit();
      const both = await world.manager({ definitions: [v1, v2], recoverOnSetup: false });
      expect((await both.checkDefinitions()).wouldNotResume).toEqual([]);
    });
  });
};
