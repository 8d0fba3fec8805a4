// The decider as given-events / when-input / then-events-and-outbox. User callbacks run, nothing is
// stored or sent: a decision is plain data, checked here without a store, a broker or a clock.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, resolveRetryPolicy, type JsonObject, type RequestBuilder, type RetryPolicy } from '@saga/definitions';
import { evolve, fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import type { ReplyEnvelope } from '../wire/sagaMessages.js';
import { decide, type DecideInput, type DecideOptions, type Decision } from './decide.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

/** A fixed clock and no randomness, so due times are exact; one attempt, so nothing waits. */
const options = (compensationRetry: RetryPolicy = { attempts: 1 }): DecideOptions => ({
  compensationRetry: resolveRetryPolicy(compensationRetry, 'compensationRetry'),
  replyTimeoutMs: 500,
  commitTimeoutMs: 500,
  now: () => NOW,
  random: () => 1,
});
const keep = () => undefined;
const anyId = expect.any(String) as unknown as string;

const startedFor = (definition: Saga, overrides: { autocommit?: boolean; user?: string | null; context?: JsonObject } = {}) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
    context: overrides.context ?? { sku: 'A1' },
    user: overrides.user === undefined ? 'alice' : overrides.user,
    autocommit: overrides.autocommit ?? true,
    service: 'orders',
  });
const given = (definition: Saga, events: readonly SagaEvent[] = [], overrides: Parameters<typeof startedFor>[1] = {}): SagaExecution =>
  fold([startedFor(definition, overrides), ...events]);
/** The decision, and the execution as it will be once the decision's events are stored. */
const when = async (definition: Saga, execution: SagaExecution, input: DecideInput = { kind: 'start' }, decideOptions = options()): Promise<Decision & { execution: SagaExecution }> => {
  const decision = await decide(definition, execution, input, decideOptions);
  return { ...decision, execution: decision.events.reduce(evolve, execution) };
};

const reply = (requestId: string, status: 200 | 400 | 500 = 200, payload: ReplyEnvelope['payload'] = null, relatedServices = ['stock'], sagaId = 'exec-1') =>
  ({ kind: 'reply', reply: { sagaId, requestId, status, payload, relatedServices } }) as const;
const timerFires = (timerId: string) => ({ kind: 'timer', timerId }) as const;
const timer = (timerId: string, purpose: 'reply' | 'resend' | 'votes' | 'deadline' | 'retry', about: { requestId?: string; path?: string } = {}) =>
  sagaEvent('TimerScheduled', { timerId, purpose, dueAt: at(500), ...about });
const typesOf = (decision: Decision) => decision.events.map((e) => e.type);
const eventOf = <T extends SagaEvent['type']>(decision: Decision, type: T) =>
  decision.events.find((e): e is Extract<SagaEvent, { type: T }> => e.type === type);
const eventsOf = <T extends SagaEvent['type']>(decision: Decision, type: T) =>
  decision.events.filter((e): e is Extract<SagaEvent, { type: T }> => e.type === type);

// 0 local (onFailure), 1 local returning nothing, 2 remote stock (onSuccess, onFailure, no onError), 3 local
const order = new Saga('order')
  .localStep()
  .onExecute((ctx) => ctx.with({ created: true }))
  .onFailure((ctx) => ctx.with({ created: false }))
  .localStep()
  .onExecute(keep)
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('stock.reserve', { sku: ctx.get('sku') ?? null }))
  .onSuccess((ctx, res) => ctx.with({ reservation: res.payload }))
  .onFailure((ctx) => new SagaRequest('stock.release', { sku: ctx.get('sku') ?? null }))
  .localStep()
  .onExecute((ctx) => ctx.with({ confirmed: true }))
  .commit();
const localsDone = [
  sagaEvent('StepFinished', { path: '0', kind: 'local', context: { sku: 'A1', created: true } }),
  sagaEvent('StepFinished', { path: '1', kind: 'local', context: { sku: 'A1', created: true } }),
];
const pausedOnStock = [
  ...localsDone,
  sagaEvent('RequestSent', { path: '2', requestId: 'r-2', target: 'stock.reserve', payload: { sku: 'A1' } }),
  timer('t-reply-2', 'reply', { requestId: 'r-2', path: '2' }),
];
const compensatingStock = [
  ...pausedOnStock,
  sagaEvent('TimerFired', { timerId: 't-reply-2' }),
  sagaEvent('StepFailed', { path: '2', kind: 'remote', status: 'timed-out', error: { name: 'ReplyTimeoutError', message: 'late' }, compensate: true, requestId: 'r-2' }),
  sagaEvent('CompensationRequestSent', { path: '2', requestId: 'c-2', target: 'stock.release', payload: { sku: 'A1' } }),
  timer('t-reply-c2', 'reply', { requestId: 'c-2', path: '2' }),
];

describe('decide: continue', () => {
  it('from the start, runs the local steps and stops at the first request: one RequestSent, its reply timer, one message', async () => {
    const decision = await when(order, given(order));
    expect(decision.events).toEqual([
      ...localsDone,
      sagaEvent('RequestSent', { path: '2', requestId: anyId, target: 'stock.reserve', payload: { sku: 'A1' } }),
      sagaEvent('TimerScheduled', { timerId: anyId, purpose: 'reply', dueAt: at(500), requestId: anyId, path: '2' }),
    ]);
    const requestId = eventOf(decision, 'RequestSent')?.data.requestId;
    expect(eventOf(decision, 'TimerScheduled')?.data.requestId).toBe(requestId);
    expect(decision.outbox).toEqual([
      {
        topic: 'stock.reserve',
        message: {
          // A fresh message id per send; the request's identity is the requestId header.
          id: expect.not.stringMatching(requestId ?? '') as unknown as string,
          headers: { sagaId: 'exec-1', requestId, replyTo: 'orders.reply', user: 'alice', purpose: 'execute', transactions: 'exec-1' },
          body: { sku: 'A1' },
        },
      },
    ]);
    expect(decision.execution.pendingRequest).toMatchObject({ path: '2', requestId, purpose: 'execute', attempt: 1 });
    expect(decision.ignored).toBeUndefined();
  });

  it('sends no user header when the execution has no user', async () => {
    const decision = await when(order, given(order, [], { user: null }));
    expect(decision.outbox[0]?.message.headers).not.toHaveProperty('user');
  });

  it('gives every request a fresh requestId', async () => {
    const [a, b] = await Promise.all([when(order, given(order)), when(order, given(order))]);
    expect(eventOf(a, 'RequestSent')?.data.requestId).not.toBe(eventOf(b, 'RequestSent')?.data.requestId);
  });

  it('does not change the execution it was given', async () => {
    const execution = given(order);
    const before = structuredClone(execution);
    const decision = await when(order, execution);
    expect(execution).toEqual(before);
    expect(decision.execution.revision).toBe(execution.revision + decision.events.length);
  });

  it('a step’s own timeout() sets its reply timer; retry() adds a resend timer after the first backoff', async () => {
    const saga = new Saga('patient')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .timeout(2_000)
      .retry({ attempts: 3, initialDelayMs: 100, jitter: false })
      .commit();
    const decision = await when(saga, given(saga));
    expect(eventsOf(decision, 'TimerScheduled').map((e) => [e.data.purpose, e.data.dueAt])).toEqual([
      ['reply', at(2_000)],
      ['resend', at(100)],
    ]);
  });

  it('start: schedules the saga’s deadline before running its first steps', async () => {
    const saga = new Saga('hurried', { deadlineMs: 10_000 }).localStep().onExecute(keep).commit();
    const decision = await when(saga, given(saga), { kind: 'start' });
    expect(decision.events[0]).toEqual(sagaEvent('TimerScheduled', { timerId: anyId, purpose: 'deadline', dueAt: at(10_000) }));
    expect(typesOf(decision).slice(1)).toEqual(['StepFinished', 'SagaCompleted']);
  });

  it('records the branch a condition chose and runs into it', async () => {
    const express = new Saga('express').localStep().onExecute((ctx) => ctx.with({ express: true })).commit();
    const saga = new Saga('shipping').conditionalStep().ifThen((ctx) => ctx.get('fast') === true, express).commit();
    const decision = await when(saga, given(saga, [], { context: { fast: true } }));
    expect(decision.events).toEqual([
      sagaEvent('BranchChosen', { path: '0', branch: 0 }),
      sagaEvent('StepFinished', { path: '0.0.0', kind: 'local', context: { fast: true, express: true } }),
      sagaEvent('StepFinished', { path: '0', kind: 'conditional' }),
      sagaEvent('SagaCompleted', { context: { fast: true, express: true } }),
    ]);
  });

  it('a condition that throws fails the conditional step', async () => {
    const saga = new Saga('broken_condition')
      .conditionalStep()
      .ifThen(() => {
        throw new RangeError('no such zone');
      }, new Saga('zone').localStep().onExecute(keep).commit())
      .commit();
    const decision = await when(saga, given(saga));
    expect(eventOf(decision, 'StepFailed')?.data).toEqual({ path: '0', kind: 'conditional', status: 'errored-on-execute', error: { name: 'RangeError', message: 'no such zone' }, compensate: false });
  });
});

describe('decide: callbacks that fail', () => {
  it('a local callback returning an Error instance fails the step with that error (nothing thrown)', async () => {
    class OutOfCredit extends Error {
      override name = 'OutOfCredit';
    }
    const saga = new Saga('returns_error').localStep().onExecute(() => new OutOfCredit('limit reached')).commit();
    const decision = await when(saga, given(saga));
    expect(decision.events).toEqual([
      sagaEvent('StepFailed', { path: '0', kind: 'local', status: 'errored-on-execute', error: { name: 'OutOfCredit', message: 'limit reached' }, compensate: false }),
      sagaEvent('SagaFailed', { error: { name: 'OutOfCredit', message: 'limit reached' } }),
    ]);
  });

  it('a local callback that throws fails the step, and the steps before it are compensated', async () => {
    const saga = new Saga('throws')
      .localStep()
      .onExecute((ctx) => ctx.with({ created: true }))
      .onFailure((ctx) => ctx.with({ created: false }))
      .localStep()
      .onExecute(() => {
        throw new Error('disk full');
      })
      .commit();
    const decision = await when(saga, given(saga));
    expect(typesOf(decision)).toEqual(['StepFinished', 'StepFailed', 'StepCompensated', 'SagaFailed']);
    expect(decision.execution).toMatchObject({ status: 'errored', context: { created: false }, error: { message: 'disk full' } });
  });

  it('a local step with retry() is called again, and finishes when a later attempt succeeds', async () => {
    let calls = 0;
    const saga = new Saga('flaky_local')
      .localStep()
      .onExecute((ctx) => {
        calls += 1;
        if (calls < 3) throw new Error('lock busy');
        return ctx.with({ calls });
      })
      .retry({ attempts: 3, initialDelayMs: 0, maxDelayMs: 0 })
      .commit();
    const decision = await when(saga, given(saga));
    expect(decision.events[0]).toEqual(sagaEvent('StepFinished', { path: '0', kind: 'local', context: { sku: 'A1', calls: 3 } }));
  });

  it.each([
    ['a plain object', () => ({ target: 'stock.reserve', payload: {} }), 'object'],
    ['nothing', () => undefined, 'undefined'],
  ])('a remote onExecute that returns %s fails the step, saying to return a SagaRequest', async (_, builder, returned) => {
    const saga = new Saga('not_a_request').remoteStep().onExecute(builder as unknown as RequestBuilder).commit();
    const decision = await when(saga, given(saga));
    expect(eventOf(decision, 'StepFailed')?.data).toEqual({
      path: '0',
      kind: 'remote',
      status: 'errored-on-execute',
      error: { name: 'TypeError', message: `onExecute/onFailure of a remote step must return a SagaRequest(target, payload); it returned ${returned}.` },
      compensate: false,
    });
    expect(decision.outbox).toEqual([]);
  });
});

describe('decide: a reply to the pending request', () => {
  it('with the wrong requestId: no events, no messages, and the reason it was ignored', async () => {
    const execution = given(order, pausedOnStock);
    const decision = await when(order, execution, reply('r-other'));
    expect(decision).toEqual({ events: [], outbox: [], execution, ignored: 'reply r-other matches no pending request of execution exec-1 (duplicate, late or foreign)' });
  });

  it('for another execution: ignored, saying so', async () => {
    const decision = await when(order, given(order, pausedOnStock), reply('r-2', 200, null, ['stock'], 'exec-2'));
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toBe('reply for saga exec-2 reached execution exec-1');
  });

  it('SUCCESS: records the reply and the context onSuccess produced, then goes on to the end and asks for votes', async () => {
    const decision = await when(order, given(order, pausedOnStock), reply('r-2', 200, { reserved: 1 }));
    expect(decision.events.slice(0, 4)).toEqual([
      sagaEvent('ReplyReceived', { path: '2', requestId: 'r-2', status: 200, payload: { reserved: 1 }, relatedServices: ['stock'] }),
      sagaEvent('StepFinished', { path: '2', kind: 'remote', context: { sku: 'A1', created: true, reservation: { reserved: 1 } } }),
      sagaEvent('StepFinished', { path: '3', kind: 'local', context: { sku: 'A1', created: true, reservation: { reserved: 1 }, confirmed: true } }),
      sagaEvent('SagaCompleted', { context: { sku: 'A1', created: true, reservation: { reserved: 1 }, confirmed: true } }),
    ]);
    const votes = eventOf(decision, 'VotesRequested')?.data.votes;
    expect(votes).toEqual([{ service: 'stock', requestId: anyId }]);
    expect(eventOf(decision, 'TimerScheduled')?.data).toEqual({ timerId: anyId, purpose: 'votes', dueAt: at(500) });
    expect(decision.outbox).toEqual([
      {
        topic: 'stock.transaction',
        // The command names its participant: what is recorded as told never comes from parsing the topic.
        service: 'stock',
        message: { id: anyId, headers: { sagaId: 'exec-1', transactionAction: 'reserve', requestId: votes?.[0]?.requestId, replyTo: 'orders.reply' }, body: null },
      },
    ]);
    // The reply timer of the answered request no longer matters.
    expect(decision.execution.timers.map((t) => t.purpose)).toEqual(['votes']);
  });

  it('SUCCESS on a step without onSuccess finishes it with the context unchanged', async () => {
    const saga = new Saga('plain').remoteStep().onExecute(() => new SagaRequest('stock.reserve')).commit();
    const execution = given(saga, [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null })]);
    const decision = await when(saga, execution, reply('r-0', 200, { ignored: true }));
    expect(decision.events[1]).toEqual(sagaEvent('StepFinished', { path: '0', kind: 'remote' }));
    expect(decision.execution.context).toEqual({ sku: 'A1' });
  });

  it('ERROR without onError: the step fails errored-on-error, is not compensated, and the steps before it are', async () => {
    const decision = await when(order, given(order, pausedOnStock), reply('r-2', 400, { message: 'out of stock' }));
    const error = { name: 'ErrorReply', message: 'Step 2 got a 400 reply: out of stock' };
    expect(decision.events).toEqual([
      sagaEvent('ReplyReceived', { path: '2', requestId: 'r-2', status: 400, payload: { message: 'out of stock' }, relatedServices: ['stock'] }),
      sagaEvent('StepFailed', { path: '2', kind: 'remote', status: 'errored-on-error', error, compensate: false, requestId: 'r-2' }),
      // Step 1 has no onFailure, so only step 0 is undone.
      sagaEvent('StepCompensated', { path: '0', context: { sku: 'A1', created: false } }),
      sagaEvent('SagaFailed', { error }),
      sagaEvent('TransactionRejected', { services: ['stock'], reason: `the saga failed: ${error.message}` }),
    ]);
    expect(decision.outbox).toEqual([{ topic: 'stock.transaction', service: 'stock', message: { id: anyId, headers: { sagaId: 'exec-1', transactionAction: 'reject' }, body: null } }]);
  });

  it('ERROR with an onError: the step finishes with the context onError produced', async () => {
    const saga = new Saga('absorbs')
      .remoteStep()
      .onExecute(() => new SagaRequest('payment.charge'))
      .onError((ctx, res) => ctx.with({ declined: res.payload }))
      .commit();
    const execution = given(saga, [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'payment.charge', payload: null })]);
    const decision = await when(saga, execution, reply('r-0', 400, 'card declined', ['payment']));
    expect(decision.events[1]).toEqual(sagaEvent('StepFinished', { path: '0', kind: 'remote', context: { sku: 'A1', declined: 'card declined' } }));
  });

  it('SYSTEM_ERROR: the step fails errored-by-on-execute and is not compensated (the participant changed nothing)', async () => {
    const decision = await when(order, given(order, pausedOnStock), reply('r-2', 500, { name: 'Error', message: 'db down' }));
    expect(eventOf(decision, 'StepFailed')?.data).toEqual({
      path: '2',
      kind: 'remote',
      status: 'errored-by-on-execute',
      error: { name: 'SystemErrorReply', message: 'Step 2 got a 500 reply: db down' },
      compensate: false,
      requestId: 'r-2',
    });
    expect(typesOf(decision)).not.toContain('CompensationRequestSent');
    expect(decision.execution.compensation.done).toEqual(['0']);
  });

  it('onSuccess that throws fails the step and compensates it too (the participant applied the request)', async () => {
    const saga = new Saga('picky')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .onSuccess(() => {
        throw new Error('unexpected reservation');
      })
      .onFailure(() => new SagaRequest('stock.release', { undo: true }))
      .commit();
    const execution = given(saga, [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null })]);
    const decision = await when(saga, execution, reply('r-0', 200));
    expect(eventOf(decision, 'StepFailed')?.data).toMatchObject({ status: 'errored-on-success', compensate: true, error: { message: 'unexpected reservation' } });
    expect(eventOf(decision, 'CompensationRequestSent')?.data).toMatchObject({ path: '0', target: 'stock.release', payload: { undo: true } });
  });
});

describe('decide: timers', () => {
  it('reply timer of the pending request: the step fails timed-out, is compensated first, and its compensation request goes out', async () => {
    const decision = await when(order, given(order, pausedOnStock), timerFires('t-reply-2'));
    const error = { name: 'ReplyTimeoutError', message: `Request r-2 (stock.reserve) of step 2 had no reply by ${at(500)}.` };
    expect(decision.events).toEqual([
      sagaEvent('TimerFired', { timerId: 't-reply-2' }),
      sagaEvent('StepFailed', { path: '2', kind: 'remote', status: 'timed-out', error, compensate: true, requestId: 'r-2' }),
      sagaEvent('CompensationRequestSent', { path: '2', requestId: anyId, target: 'stock.release', payload: { sku: 'A1' } }),
      sagaEvent('TimerScheduled', { timerId: anyId, purpose: 'reply', dueAt: at(500), requestId: anyId, path: '2' }),
    ]);
    expect(decision.warnings).toEqual([`Request r-2 (stock.reserve) of step 2 of execution exec-1 had no reply by ${at(500)}: is a participant handling 'stock.reserve'?`]);
    const compensationId = eventOf(decision, 'CompensationRequestSent')?.data.requestId;
    expect(compensationId).not.toBe('r-2');
    expect(decision.outbox).toEqual([
      {
        topic: 'stock.release',
        message: {
          id: anyId,
          headers: { sagaId: 'exec-1', requestId: compensationId, replyTo: 'orders.reply', user: 'alice', purpose: 'compensate', transactions: 'exec-1' },
          body: { sku: 'A1' },
        },
      },
    ]);
    expect(decision.execution.pendingRequest).toMatchObject({ path: '2', purpose: 'compensate' });
  });

  it('a timer that is not active (fired already, or its request was answered): ignored', async () => {
    const decision = await when(order, given(order, pausedOnStock), timerFires('t-gone'));
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toBe('timer t-gone is no longer relevant (it fired, or what it waited for happened)');
  });

  it('resend timer: the same request goes out again with the same id, and the next resend is scheduled', async () => {
    const saga = new Saga('resending')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve', { sku: 'A1' }))
      .retry({ attempts: 3, initialDelayMs: 100, jitter: false })
      .commit();
    const execution = given(saga, [
      sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: { sku: 'A1' } }),
      timer('t-reply-0', 'reply', { requestId: 'r-0', path: '0' }),
      timer('t-resend-0', 'resend', { requestId: 'r-0', path: '0' }),
    ]);
    const decision = await when(saga, execution, timerFires('t-resend-0'));
    expect(decision.events).toEqual([
      sagaEvent('TimerFired', { timerId: 't-resend-0' }),
      sagaEvent('RequestResent', { path: '0', requestId: 'r-0', attempt: 2 }),
      // The second backoff: 100 ms × 2.
      sagaEvent('TimerScheduled', { timerId: anyId, purpose: 'resend', dueAt: at(200), requestId: 'r-0', path: '0' }),
    ]);
    expect(decision.outbox).toEqual([{ topic: 'stock.reserve', message: expect.objectContaining({ id: expect.not.stringMatching(/^r-0$/), body: { sku: 'A1' }, headers: expect.objectContaining({ requestId: 'r-0', purpose: 'execute' }) as unknown }) as unknown }]);
    // The last attempt schedules no further resend.
    const last = await when(saga, decision.execution, timerFires(eventOf(decision, 'TimerScheduled')?.data.timerId ?? ''));
    expect(typesOf(last)).toEqual(['TimerFired', 'RequestResent']);
  });

  it('deadline timer while a reply is awaited: that step fails timed-out and is compensated too', async () => {
    const execution = given(order, [timer('t-deadline', 'deadline'), ...pausedOnStock]);
    const decision = await when(order, execution, timerFires('t-deadline'));
    expect(eventOf(decision, 'StepFailed')?.data).toEqual({
      path: '2',
      kind: 'remote',
      status: 'timed-out',
      error: { name: 'DeadlineExceededError', message: `Saga 'order' passed its deadline (${at(500)}) while step 2 waited for a reply.` },
      compensate: true,
      requestId: 'r-2',
    });
    expect(eventOf(decision, 'CompensationRequestSent')?.data.path).toBe('2');
  });
});

describe('decide: remote compensations', () => {
  it('SUCCESS: the step is compensated, then the steps before it, then the saga fails', async () => {
    const decision = await when(order, given(order, compensatingStock), reply('c-2', 200, null, []));
    expect(decision.events).toEqual([
      sagaEvent('ReplyReceived', { path: '2', requestId: 'c-2', status: 200, payload: null, relatedServices: [] }),
      sagaEvent('StepCompensated', { path: '2', requestId: 'c-2' }),
      sagaEvent('StepCompensated', { path: '0', context: { sku: 'A1', created: false } }),
      sagaEvent('SagaFailed', { error: { name: 'ReplyTimeoutError', message: 'late' } }),
    ]);
  });

  it('ERROR on the last attempt: the compensation failed; nothing before it is undone', async () => {
    const decision = await when(order, given(order, compensatingStock), reply('c-2', 400, { message: 'already shipped' }));
    expect(typesOf(decision)).toEqual(['ReplyReceived', 'CompensationFailed']);
    expect(eventOf(decision, 'CompensationFailed')?.data).toEqual({ path: '2', error: { name: 'ErrorReply', message: 'Step 2 got a 400 reply: already shipped (after 1 attempt)' } });
    expect(decision.execution).toMatchObject({ status: 'errored', phase: 'ended' });
  });

  it('no reply in time on the last attempt: the compensation failed', async () => {
    const decision = await when(order, given(order, compensatingStock), timerFires('t-reply-c2'));
    expect(decision.events).toEqual([
      sagaEvent('TimerFired', { timerId: 't-reply-c2' }),
      sagaEvent('CompensationFailed', { path: '2', error: { name: 'ReplyTimeoutError', message: `Request c-2 (stock.release) of step 2 had no reply by ${at(500)}. (after 1 attempt)` } }),
    ]);
  });

  it('ERROR with attempts left: the attempt is recorded and a retry timer scheduled after the backoff', async () => {
    const retrying = options({ attempts: 3, initialDelayMs: 100, jitter: false });
    const decision = await when(order, given(order, compensatingStock), reply('c-2', 400, { message: 'busy' }), retrying);
    expect(decision.events.slice(1)).toEqual([
      sagaEvent('CompensationAttemptFailed', { path: '2', error: { name: 'ErrorReply', message: 'Step 2 got a 400 reply: busy' }, attempt: 1 }),
      sagaEvent('TimerScheduled', { timerId: anyId, purpose: 'retry', dueAt: at(100), path: '2' }),
    ]);
    expect(decision.outbox).toEqual([]);

    // When the retry timer fires, the compensation is sent again with a new request id.
    const retry = await when(order, decision.execution, timerFires(eventOf(decision, 'TimerScheduled')?.data.timerId ?? ''), retrying);
    expect(typesOf(retry)).toEqual(['TimerFired', 'CompensationRequestSent', 'TimerScheduled']);
    expect(eventOf(retry, 'CompensationRequestSent')?.data.requestId).not.toBe('c-2');
    expect(retry.outbox.map((o) => o.topic)).toEqual(['stock.release']);
  });

  it('resume after a failed compensation: records it and tries that compensation again', async () => {
    const stopped = [...compensatingStock, sagaEvent('CompensationFailed', { path: '2', error: { name: 'ErrorReply', message: 'no' } })];
    const decision = await when(order, given(order, stopped), { kind: 'resume' });
    expect(typesOf(decision)).toEqual(['CompensationResumed', 'CompensationRequestSent', 'TimerScheduled']);
    expect(decision.events[0]).toEqual(sagaEvent('CompensationResumed', { path: '2' }));
    expect(decision.execution.compensation.failed).toBeUndefined();
  });

  it('resume with no failed compensation has nothing to do, and says so', async () => {
    const decision = await when(order, given(order, pausedOnStock), { kind: 'resume' });
    expect(decision).toMatchObject({ events: [], outbox: [], ignored: 'nothing to resume: no compensation has failed' });
  });
});

describe('decide: local compensation retries', () => {
  const flaky = (failures: number) => {
    let calls = 0;
    const saga = new Saga('flaky')
      .localStep()
      .onExecute(keep)
      .onFailure(() => {
        calls += 1;
        if (calls <= failures) throw new Error(`ledger down (${calls})`);
      })
      .localStep()
      .onExecute(() => new Error('fail'))
      .commit();
    return { saga, calls: () => calls };
  };

  it('with one attempt, one failure is final: CompensationFailed with the error it threw', async () => {
    const { saga, calls } = flaky(Infinity);
    const decision = await when(saga, given(saga));
    expect(typesOf(decision)).toEqual(['StepFinished', 'StepFailed', 'CompensationFailed']);
    expect(decision.events.at(-1)).toEqual(sagaEvent('CompensationFailed', { path: '0', error: { name: 'Error', message: 'ledger down (1)' } }));
    expect(calls()).toBe(1);
  });

  it('a compensation that succeeds within its attempts completes the rollback', async () => {
    const { saga, calls } = flaky(2);
    const decision = await when(saga, given(saga), { kind: 'start' }, options({ attempts: 3, initialDelayMs: 0, maxDelayMs: 0 }));
    expect(typesOf(decision)).toEqual(['StepFinished', 'StepFailed', 'StepCompensated', 'SagaFailed']);
    expect(calls()).toBe(3);
  });
});

describe('decide: votes', () => {
  const twoRemote = new Saga('two_remote')
    .remoteStep()
    .onExecute(() => new SagaRequest('stock.reserve'))
    .onFailure(() => new SagaRequest('stock.release'))
    .remoteStep()
    .onExecute(() => new SagaRequest('payment.charge'))
    .onFailure(() => new SagaRequest('payment.refund'))
    .commit();
  const remoteDone = (path: string, service: string) => [
    sagaEvent('RequestSent', { path, requestId: `r-${path}`, target: `${service}.x`, payload: null }),
    sagaEvent('ReplyReceived', { path, requestId: `r-${path}`, status: 200, payload: null, relatedServices: [service] }),
    sagaEvent('StepFinished', { path, kind: 'remote' }),
  ];
  const completed = [...remoteDone('0', 'stock'), ...remoteDone('1', 'payment'), sagaEvent('SagaCompleted', { context: { sku: 'A1' } })];
  const reserving = [
    ...completed,
    sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }, { service: 'payment', requestId: 'v-p' }] }),
    timer('t-votes', 'votes'),
  ];
  const yes = (service: string, requestId: string) => sagaEvent('VoteReceived', { service, requestId, vote: true });
  const commandsOf = (decision: Decision) => decision.outbox.map(({ topic, message }) => [topic, message.headers.transactionAction]);

  it('a yes vote is recorded; with a vote still missing, nothing else happens', async () => {
    const decision = await when(twoRemote, given(twoRemote, reserving), reply('v-s', 200));
    expect(decision.events).toEqual([yes('stock', 'v-s')]);
    expect(decision.outbox).toEqual([]);
  });

  it('the last yes vote commits every participant', async () => {
    const decision = await when(twoRemote, given(twoRemote, [...reserving, yes('stock', 'v-s')]), reply('v-p', 200, null, ['payment']));
    expect(decision.events).toEqual([yes('payment', 'v-p'), sagaEvent('TransactionCommitted', { services: ['stock', 'payment'] })]);
    expect(commandsOf(decision)).toEqual([
      ['stock.transaction', 'commit'],
      ['payment.transaction', 'commit'],
    ]);
    expect(decision.execution.transaction.status).toBe('committed');
    expect(decision.execution.timers).toEqual([]);
  });

  it('a no vote rejects every participant, fails the commit and compensates the steps in reverse', async () => {
    const decision = await when(twoRemote, given(twoRemote, [...reserving, yes('stock', 'v-s')]), reply('v-p', 400, { message: 'over budget' }, ['payment']));
    const reason = 'payment replied 400: over budget';
    expect(decision.events.slice(0, 3)).toEqual([
      sagaEvent('VoteReceived', { service: 'payment', requestId: 'v-p', vote: false, reason }),
      sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: `payment voted no (${reason})` }),
      sagaEvent('CommitFailed', { error: { name: 'CommitFailedError', message: `payment voted no (${reason})` } }),
    ]);
    expect(eventOf(decision, 'CompensationRequestSent')?.data).toMatchObject({ path: '1', target: 'payment.refund' });
    expect(commandsOf(decision)).toEqual([
      ['stock.transaction', 'reject'],
      ['payment.transaction', 'reject'],
      ['payment.refund', undefined],
    ]);
  });

  describe('autocommit given with a reply (run({ response, autocommit }))', () => {
    const lastPending = [...remoteDone('0', 'stock'), sagaEvent('RequestSent', { path: '1', requestId: 'r-1', target: 'payment.x', payload: null })];

    it('false: recorded with the reply, so the execution completes without asking for votes', async () => {
      const decision = await when(twoRemote, given(twoRemote, lastPending), { ...reply('r-1', 200, null, ['payment']), autocommit: false });
      expect(eventOf(decision, 'ReplyReceived')?.data.autocommit).toBe(false);
      expect(typesOf(decision)).toEqual(['ReplyReceived', 'StepFinished', 'SagaCompleted']);
      expect(decision.outbox).toEqual([]);
      expect(decision.execution.transaction.status).toBe('pending');
    });

    it('true on an execution started without: recorded, and the votes are requested', async () => {
      const decision = await when(twoRemote, given(twoRemote, lastPending, { autocommit: false }), { ...reply('r-1', 200, null, ['payment']), autocommit: true });
      expect(eventOf(decision, 'ReplyReceived')?.data.autocommit).toBe(true);
      expect(typesOf(decision)).toContain('VotesRequested');
    });

    it('the value the execution already has is not recorded again', async () => {
      const decision = await when(twoRemote, given(twoRemote, lastPending), { ...reply('r-1', 200, null, ['payment']), autocommit: true });
      expect(eventOf(decision, 'ReplyReceived')?.data).not.toHaveProperty('autocommit');
    });
  });

  it('a second vote from the same participant is ignored', async () => {
    const decision = await when(twoRemote, given(twoRemote, [...reserving, yes('stock', 'v-s')]), reply('v-s', 400));
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toBe('duplicate vote v-s from stock');
  });

  it('the votes timer turns every missing vote into a no, then fails the commit', async () => {
    const decision = await when(twoRemote, given(twoRemote, reserving), timerFires('t-votes'));
    expect(decision.events.slice(0, 3)).toEqual([
      sagaEvent('TimerFired', { timerId: 't-votes' }),
      sagaEvent('VoteReceived', { service: 'stock', requestId: 'v-s', vote: false, reason: `no vote by ${at(500)}` }),
      sagaEvent('VoteReceived', { service: 'payment', requestId: 'v-p', vote: false, reason: `no vote by ${at(500)}` }),
    ]);
    expect(typesOf(decision).slice(3, 5)).toEqual(['TransactionRejected', 'CommitFailed']);
  });

  it('the votes timer leaves the votes already cast as they are', async () => {
    const decision = await when(twoRemote, given(twoRemote, [...reserving, yes('stock', 'v-s')]), timerFires('t-votes'));
    expect(eventsOf(decision, 'VoteReceived')).toEqual([sagaEvent('VoteReceived', { service: 'payment', requestId: 'v-p', vote: false, reason: `no vote by ${at(500)}` })]);
  });

  describe('commit and reject inputs', () => {
    const manual = (events: readonly SagaEvent[]) => given(twoRemote, events, { autocommit: false });

    it('commit asks every participant to reserve, and waits for the votes until a votes timer', async () => {
      const decision = await when(twoRemote, manual(completed), { kind: 'commit' });
      const votes = eventOf(decision, 'VotesRequested')?.data.votes ?? [];
      expect(decision.events).toEqual([
        sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: anyId }, { service: 'payment', requestId: anyId }] }),
        sagaEvent('TimerScheduled', { timerId: anyId, purpose: 'votes', dueAt: at(500) }),
      ]);
      expect(decision.outbox.map((o) => [o.topic, o.message.headers])).toEqual(
        votes.map((v) => [`${v.service}.transaction`, { sagaId: 'exec-1', transactionAction: 'reserve', requestId: v.requestId, replyTo: 'orders.reply' }]),
      );
    });

    it('commit with no participant has nothing to do, and says so', async () => {
      const local = new Saga('local').localStep().onExecute(keep).commit();
      const execution = given(local, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sagaEvent('SagaCompleted', { context: {} })], { autocommit: false });
      const decision = await when(local, execution, { kind: 'commit' });
      expect(decision).toMatchObject({ events: [], outbox: [], ignored: 'nothing to commit: no participant took part' });
    });

    it('reject tells every participant to reject', async () => {
      const decision = await when(twoRemote, manual(completed), { kind: 'reject' });
      expect(decision.events).toEqual([sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: 'rejected by an operator' })]);
      expect(commandsOf(decision)).toEqual([
        ['stock.transaction', 'reject'],
        ['payment.transaction', 'reject'],
      ]);
      expect(decision.ignored).toBeUndefined();
    });

    it('reject after the transaction was decided has nothing to reject', async () => {
      const committed = [...completed, sagaEvent('TransactionCommitted', { services: ['stock', 'payment'] })];
      const decision = await when(twoRemote, manual(committed), { kind: 'reject' });
      expect(decision).toMatchObject({ events: [], outbox: [], ignored: 'the transaction is already committed' });
    });

    // A reject before the end would be undone by the commit after completion, so it is refused.
    it('participants told to reject are not asked to reserve when the execution completes afterwards', async () => {
      const running = given(twoRemote, [...remoteDone('0', 'stock'), sagaEvent('RequestSent', { path: '1', requestId: 'r-1', target: 'payment.x', payload: null })]);
      const rejection = await when(twoRemote, running, { kind: 'reject' });
      const rejected = rejection.outbox.map((o) => o.topic);
      const completion = await when(twoRemote, rejection.execution, reply('r-1', 200, null, ['payment']));
      expect(completion.outbox.filter((o) => rejected.includes(o.topic))).toEqual([]);
    });
  });
});
