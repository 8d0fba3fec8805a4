// What the decider does that mutation testing (`pnpm mutation core-manager`) found no test for:
// retries that run out, compensation requests and resend timers, failures that must still
// compensate, a manual commit's transaction, cancel, durable local steps, detail taken from error
// replies, warnings for operators, and the outbox recovery re-sends. Given-events / when-input /
// then-events-and-outbox, as in decide.unit.spec.ts.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, resolveRetryPolicy, type RetryPolicy, type SagaContext } from '@saga/definitions';
import { evolve, fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import type { ReplyEnvelope } from '../wire/sagaMessages.js';
import { decide, defaultDecideOptions, notifiedServices, pendingOutbox, type DecideInput, type DecideOptions, type Decision } from './decide.js';
import { failsLateSaga } from '../../test/failsLateSaga.js';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const options = (compensationRetry: RetryPolicy = { attempts: 1 }): DecideOptions => ({
  compensationRetry: resolveRetryPolicy(compensationRetry, 'compensationRetry'),
  replyTimeoutMs: 500,
  commitTimeoutMs: 500,
  now: () => NOW,
  random: () => 1,
});
const keep = () => undefined;

const startedFor = (definition: Saga, overrides: { autocommit?: boolean } = {}) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
    context: { sku: 'A1' },
    user: null,
    autocommit: overrides.autocommit ?? true,
    service: 'orders',
  });
const given = (definition: Saga, events: readonly SagaEvent[] = [], overrides: { autocommit?: boolean } = {}): SagaExecution =>
  fold([startedFor(definition, overrides), ...events]);
const when = async (definition: Saga, execution: SagaExecution, input: DecideInput = { kind: 'start' }, decideOptions = options()): Promise<Decision & { execution: SagaExecution }> => {
  const decision = await decide(definition, execution, input, decideOptions);
  return { ...decision, execution: decision.events.reduce(evolve, execution) };
};
const reply = (requestId: string, status: 200 | 400 | 500 = 200, payload: ReplyEnvelope['payload'] = null, relatedServices = ['stock']) =>
  ({ kind: 'reply', reply: { sagaId: 'exec-1', requestId, status, payload, relatedServices } }) as const;
const timer = (timerId: string, purpose: 'reply' | 'resend' | 'votes' | 'deadline' | 'retry', about: { requestId?: string; path?: string } = {}) =>
  sagaEvent('TimerScheduled', { timerId, purpose, dueAt: at(500), ...about });
const typesOf = (decision: Decision) => decision.events.map((e) => e.type);
const eventOf = <T extends SagaEvent['type']>(decision: Decision, type: T) =>
  decision.events.find((e): e is Extract<SagaEvent, { type: T }> => e.type === type);
const commandsOf = (outbox: Decision['outbox']) => outbox.map(({ topic, message }) => [topic, message.headers.transactionAction]);
const remoteDone = (path: string, service: string) => [
  sagaEvent('RequestSent', { path, requestId: `r-${path}`, target: `${service}.x`, payload: null }),
  sagaEvent('ReplyReceived', { path, requestId: `r-${path}`, status: 200, payload: null, relatedServices: [service] }),
  sagaEvent('StepFinished', { path, kind: 'remote' }),
];

describe('decide: local steps with retry()', () => {
  const counted = (fails: (call: number) => boolean) => {
    let calls = 0;
    const saga = new Saga('retried')
      .localStep()
      .onExecute((ctx) => {
        calls += 1;
        if (fails(calls)) throw new Error(`ledger down (${calls})`);
        return ctx.with({ booked: true });
      })
      .retry({ attempts: 3, initialDelayMs: 0, maxDelayMs: 0 })
      .commit();
    return { saga, calls: () => calls };
  };

  it('a step that succeeds at once runs once: a success is not retried', async () => {
    const { saga, calls } = counted(() => false);
    const decision = await when(saga, given(saga));
    expect(typesOf(decision)).toEqual(['StepFinished', 'SagaCompleted']);
    expect(calls()).toBe(1);
  });

  it('a step that fails every attempt runs exactly as many times as the policy allows, and fails with the last error', async () => {
    const { saga, calls } = counted(() => true);
    const decision = await when(saga, given(saga));
    expect(calls()).toBe(3);
    expect(eventOf(decision, 'StepFailed')?.data.error).toEqual({ name: 'Error', message: 'ledger down (3)' });
    expect(typesOf(decision)).toEqual(['StepFailed', 'SagaFailed']);
  });
});

describe('decide: remote steps', () => {
  const retried = new Saga('retried_remote')
    .localStep()
    .onExecute(keep)
    .remoteStep()
    .onExecute(() => new SagaRequest('stock.reserve', { sku: 'A1' }))
    .onFailure(() => new SagaRequest('stock.release', { sku: 'A1' }))
    .retry({ attempts: 3, initialDelayMs: 100, maxDelayMs: 100, jitter: false })
    .localStep()
    .onExecute(() => new Error('no courier'))
    .commit();

  it('the resend timer of a request names that request and step', async () => {
    const decision = await when(retried, given(retried));
    const requestId = eventOf(decision, 'RequestSent')?.data.requestId;
    const resend = decision.events.find((e) => e.type === 'TimerScheduled' && e.data.purpose === 'resend');
    expect(resend?.data).toMatchObject({ purpose: 'resend', requestId, path: '1' });
  });

  it('a compensation request is not re-sent on the step’s retry policy: it gets a reply timer only', async () => {
    const execution = given(retried, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), ...remoteDone('1', 'stock')]);
    const decision = await when(retried, execution, { kind: 'continue' });
    expect(typesOf(decision)).toEqual(['StepFailed', 'CompensationRequestSent', 'TimerScheduled']);
    expect(eventOf(decision, 'TimerScheduled')?.data.purpose).toBe('reply');
  });

  it('an onExecute that throws fails the step, and the steps before it are still compensated', async () => {
    let undone = false;
    const saga = new Saga('bad_request')
      .localStep()
      .onExecute(keep)
      .onFailure(() => {
        undone = true;
      })
      .remoteStep()
      .onExecute(() => {
        throw new Error('no sku');
      })
      .commit();
    const decision = await when(saga, given(saga));
    expect(typesOf(decision)).toEqual(['StepFinished', 'StepFailed', 'StepCompensated', 'SagaFailed']);
    expect(undone).toBe(true);
  });

  it('an onFailure that does not build a request fails the compensation with why, and sends nothing', async () => {
    const saga = new Saga('bad_compensation')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .onFailure((() => 'not a request') as unknown as () => SagaRequest)
      .localStep()
      .onExecute(() => new Error('fail'))
      .commit();
    const decision = await when(saga, given(saga, remoteDone('0', 'stock')), { kind: 'continue' });
    expect(typesOf(decision)).toEqual(['StepFailed', 'CompensationFailed']);
    expect(eventOf(decision, 'CompensationFailed')?.data).toEqual({
      path: '0',
      error: { name: 'TypeError', message: 'onExecute/onFailure of a remote step must return a SagaRequest(target, payload); it returned string.' },
    });
    expect(decision.outbox).toEqual([]);
  });
});

describe('decide: error replies', () => {
  const remote = new Saga('remote').remoteStep().onExecute(() => new SagaRequest('stock.reserve')).commit();
  const paused = [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null })];
  const errorOf = async (payload: ReplyEnvelope['payload']) => eventOf(await when(remote, given(remote, paused), reply('r-0', 400, payload)), 'StepFailed')?.data.error;

  it('the error names the participant’s message when the reply carries one', async () => {
    expect(await errorOf({ message: 'out of stock', code: 7 })).toEqual({ name: 'ErrorReply', message: 'Step 0 got a 400 reply: out of stock' });
  });

  it('otherwise it quotes the whole payload: a message that is not text, a list, or nothing', async () => {
    expect((await errorOf({ message: 42 }))?.message).toBe('Step 0 got a 400 reply: {"message":42}');
    expect((await errorOf(['message']))?.message).toBe('Step 0 got a 400 reply: ["message"]');
    expect((await errorOf(null))?.message).toBe('Step 0 got a 400 reply: null');
    expect((await errorOf('sold out'))?.message).toBe('Step 0 got a 400 reply: "sold out"');
  });
});

describe('decide: a saga that fails with participants', () => {
  const saga = failsLateSaga;

  it('with autocommit, its participants are told to reject', async () => {
    const decision = await when(saga, given(saga, remoteDone('0', 'stock')), { kind: 'continue' });
    expect(typesOf(decision)).toEqual(['StepFailed', 'SagaFailed', 'TransactionRejected']);
    expect(commandsOf(decision.outbox)).toEqual([['stock.transaction', 'reject']]);
  });

  it('without autocommit, the outcome is left to the operator: nothing is rejected yet', async () => {
    const decision = await when(saga, given(saga, remoteDone('0', 'stock'), { autocommit: false }), { kind: 'continue' });
    expect(typesOf(decision)).toEqual(['StepFailed', 'SagaFailed']);
    expect(decision.outbox).toEqual([]);
    expect(decision.execution.transaction.status).toBe('pending');
  });

  it('after a commit that failed, the participants already told to reject are not told again when the saga fails', async () => {
    const twoRemote = new Saga('voted_no').remoteStep().onExecute(() => new SagaRequest('stock.x')).commit();
    const reserving = [
      ...remoteDone('0', 'stock'),
      sagaEvent('SagaCompleted', { context: { sku: 'A1' } }),
      sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }] }),
    ];
    const decision = await when(twoRemote, given(twoRemote, reserving), reply('v-s', 400, { message: 'sold out' }));
    expect(typesOf(decision)).toEqual(['VoteReceived', 'TransactionRejected', 'CommitFailed', 'SagaFailed']);
    expect(commandsOf(decision.outbox)).toEqual([['stock.transaction', 'reject']]);
  });
});

describe('decide: commit and reject by an operator', () => {
  const saga = new Saga('manual').remoteStep().onExecute(() => new SagaRequest('stock.x')).commit();
  const completed = [...remoteDone('0', 'stock'), sagaEvent('SagaCompleted', { context: { sku: 'A1' } })];

  it('a second commit after the transaction was committed asks for nothing again', async () => {
    const committed = given(saga, [...completed, sagaEvent('TransactionCommitted', { services: ['stock'] })], { autocommit: false });
    const decision = await when(saga, committed, { kind: 'commit' });
    expect(decision).toMatchObject({ events: [], outbox: [], ignored: 'the transaction is already committed' });
  });

  it('reject of an ended execution without participants has nothing to reject, and says so', async () => {
    const local = new Saga('local').localStep().onExecute(keep).commit();
    const execution = given(local, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sagaEvent('SagaCompleted', { context: {} })], { autocommit: false });
    const decision = await when(local, execution, { kind: 'reject' });
    expect(decision).toMatchObject({ events: [], outbox: [], ignored: 'nothing to reject' });
  });

  it('a vote reply that comes after the transaction was decided is ignored as a reply to nothing pending', async () => {
    const decided = [
      ...completed,
      sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }] }),
      sagaEvent('VoteReceived', { service: 'stock', requestId: 'v-s', vote: true }),
      sagaEvent('TransactionCommitted', { services: ['stock'] }),
    ];
    const decision = await when(saga, given(saga, decided), reply('v-s', 200));
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toBe('reply v-s matches no pending request of execution exec-1 (duplicate, late or foreign)');
  });
});

describe('decide: timers that concern operators', () => {
  it('a votes timer warns about each participant that did not vote', async () => {
    const saga = new Saga('votes').remoteStep().onExecute(() => new SagaRequest('stock.x')).commit();
    const reserving = [
      ...remoteDone('0', 'stock'),
      sagaEvent('SagaCompleted', { context: { sku: 'A1' } }),
      sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }] }),
      timer('t-votes', 'votes'),
    ];
    const decision = await when(saga, given(saga, reserving), { kind: 'timer', timerId: 't-votes' });
    expect(decision.warnings).toEqual([`stock did not vote on execution exec-1 by ${at(500)}; counted as a no.`]);
  });

  const slow = new Saga('slow', { deadlineMs: 500 })
    .localStep()
    .onExecute((ctx) => ctx.with({ started: true }))
    .remoteStep()
    .onExecute(() => new SagaRequest('stock.reserve'))
    .commit();

  it('a deadline passed while a reply is awaited warns with the request and its target', async () => {
    const waiting = [
      timer('t-deadline', 'deadline'),
      sagaEvent('StepFinished', { path: '0', kind: 'local' }),
      sagaEvent('RequestSent', { path: '1', requestId: 'r-1', target: 'stock.reserve', payload: null }),
    ];
    const decision = await when(slow, given(slow, waiting), { kind: 'timer', timerId: 't-deadline' });
    expect(decision.warnings).toEqual([`Saga 'slow' passed its deadline (${at(500)}) while step 1 waited for a reply. (execution exec-1, request r-1 to 'stock.reserve')`]);
  });

  it('a deadline that fires while no request is pending fails nothing: the saga goes on', async () => {
    const decision = await when(slow, given(slow, [timer('t-deadline', 'deadline')]), { kind: 'timer', timerId: 't-deadline' });
    expect(typesOf(decision)).toEqual(['TimerFired', 'StepFinished', 'RequestSent', 'TimerScheduled']);
    expect(decision.warnings).toBeUndefined();
  });
});

describe('decide: cancel', () => {
  const saga = new Saga('cancellable')
    .localStep()
    .onExecute(keep)
    .onFailure((ctx) => ctx.with({ undone: true }))
    .remoteStep()
    .onExecute(() => new SagaRequest('stock.reserve'))
    .localStep()
    .onExecute(keep)
    .commit();
  const pending = [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sagaEvent('RequestSent', { path: '1', requestId: 'r-1', target: 'stock.reserve', payload: null })];

  it('with nothing in flight, records who cancelled and why, then compensates the finished steps', async () => {
    const decision = await when(saga, given(saga, [sagaEvent('StepFinished', { path: '0', kind: 'local' })]), { kind: 'cancel', reason: 'customer called', by: 'ops' });
    expect(decision.events).toEqual([
      sagaEvent('CancelRequested', { reason: 'customer called', by: 'ops' }),
      sagaEvent('CancelStarted', {}),
      sagaEvent('StepCompensated', { path: '0', context: { sku: 'A1', undone: true } }),
      sagaEvent('SagaFailed', { error: { name: 'SagaCancelledError', message: 'Cancelled by ops: customer called' } }),
    ]);
  });

  it('a cancel nobody signed records no author', async () => {
    const decision = await when(saga, given(saga, pending), { kind: 'cancel', reason: 'customer called' });
    expect(decision.events).toEqual([sagaEvent('CancelRequested', { reason: 'customer called', by: null })]);
  });

  it('with a request in flight, the reply is awaited first: then the step finishes and the cancel takes effect', async () => {
    const requested = await when(saga, given(saga, pending), { kind: 'cancel', reason: 'customer called' });
    expect(typesOf(requested)).toEqual(['CancelRequested']);
    const replied = await when(saga, requested.execution, reply('r-1'));
    expect(typesOf(replied)).toEqual(['ReplyReceived', 'StepFinished', 'CancelStarted', 'StepCompensated', 'SagaFailed', 'TransactionRejected']);
  });

  it('a second cancel records nothing', async () => {
    const cancelled = given(saga, [...pending, sagaEvent('CancelRequested', { reason: 'customer called', by: null })]);
    const decision = await when(saga, cancelled, { kind: 'cancel', reason: 'again' });
    expect(decision).toMatchObject({ events: [], ignored: 'already cancelled' });
  });

  it('an execution already compensating has nothing left to cancel', async () => {
    const compensating = given(saga, [
      ...pending,
      sagaEvent('ReplyReceived', { path: '1', requestId: 'r-1', status: 400, payload: null, relatedServices: ['stock'] }),
      sagaEvent('StepFailed', { path: '1', kind: 'remote', status: 'errored-on-error', error: { name: 'ErrorReply', message: 'no' }, compensate: false, requestId: 'r-1' }),
    ]);
    const decision = await when(saga, compensating, { kind: 'cancel', reason: 'too late' });
    expect(decision).toMatchObject({ events: [], ignored: 'already compensating after a failure: there is nothing left to cancel' });
  });

  it('an execution that ended cannot be cancelled', async () => {
    const ended = given(saga, [
      sagaEvent('StepFinished', { path: '0', kind: 'local' }),
      ...remoteDone('1', 'stock'),
      sagaEvent('StepFinished', { path: '2', kind: 'local' }),
      sagaEvent('SagaCompleted', { context: { sku: 'A1' } }),
    ]);
    const decision = await when(saga, ended, { kind: 'cancel', reason: 'too late' });
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toEqual(expect.any(String));
  });
});

describe('decide: durable local steps', () => {
  const calls: string[] = [];
  const step = (name: string) => (ctx: SagaContext) => {
    calls.push(name);
    return ctx.with({ [name]: true });
  };
  const saga = new Saga('durable')
    .localStep()
    .onExecute(step('a'))
    .localStep()
    .onExecute(step('b'))
    .durable()
    .localStep()
    .onExecute(step('c'))
    .commit();

  it('a durable step waits until what came before it is stored, and nothing runs after it before its own result is stored', async () => {
    calls.length = 0;
    const first = await when(saga, given(saga));
    expect(typesOf(first)).toEqual(['StepFinished']);
    expect(first.more).toBe(true);
    const second = await when(saga, first.execution, { kind: 'continue' });
    expect(typesOf(second)).toEqual(['StepFinished']);
    expect(eventOf(second, 'StepFinished')?.data.path).toBe('1');
    expect(second.more).toBe(true);
    const third = await when(saga, second.execution, { kind: 'continue' });
    expect(typesOf(third)).toEqual(['StepFinished', 'SagaCompleted']);
    expect(third.more).toBeUndefined();
    expect(calls).toEqual(['a', 'b', 'c']);
  });

  it('durableLocalSteps makes every local step durable: one step per decision', async () => {
    const all = new Saga('all_durable', { durableLocalSteps: true }).localStep().onExecute(keep).localStep().onExecute(keep).commit();
    const first = await when(all, given(all), { kind: 'continue' });
    expect(typesOf(first)).toEqual(['StepFinished']);
    expect(first.more).toBe(true);
  });

  it('a step marked durable(false) runs on in the same decision even when the definition’s steps are durable', async () => {
    const some = new Saga('opt_out', { durableLocalSteps: true }).localStep().onExecute(keep).durable(false).localStep().onExecute(keep).durable(false).commit();
    const decision = await when(some, given(some), { kind: 'continue' });
    expect(typesOf(decision)).toEqual(['StepFinished', 'StepFinished', 'SagaCompleted']);
    expect(decision.more).toBeUndefined();
  });

  it('a start stops before a durable first step, so the execution is stored before its step runs', async () => {
    const all = new Saga('all_durable_start', { durableLocalSteps: true }).localStep().onExecute(keep).commit();
    const decision = await when(all, given(all), { kind: 'start' });
    expect(decision.events).toEqual([]);
    expect(decision.more).toBe(true);
  });
});

describe('pendingOutbox: what recovery sends again', () => {
  const saga = new Saga('owed').remoteStep().onExecute(() => new SagaRequest('stock.x')).remoteStep().onExecute(() => new SagaRequest('payment.x')).commit();
  const completed = [...remoteDone('0', 'stock'), ...remoteDone('1', 'payment'), sagaEvent('SagaCompleted', { context: { sku: 'A1' } })];

  it('the pending request, with its own request id', () => {
    const execution = given(saga, [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.x', payload: { sku: 'A1' } })]);
    const outbox = pendingOutbox(execution);
    expect(outbox.map((o) => [o.topic, o.message.headers.requestId, o.message.body])).toEqual([['stock.x', 'r-0', { sku: 'A1' }]]);
  });

  it('nothing for an execution that owes nothing', () => {
    expect(pendingOutbox(given(saga, completed))).toEqual([]);
    expect(pendingOutbox(given(saga, [...remoteDone('0', 'stock')]))).toEqual([]);
  });

  it('the reserve commands of the votes still missing, not of those already cast', () => {
    const reserving = [
      ...completed,
      sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }, { service: 'payment', requestId: 'v-p' }] }),
      sagaEvent('VoteReceived', { service: 'stock', requestId: 'v-s', vote: true }),
    ];
    const outbox = pendingOutbox(given(saga, reserving));
    expect(outbox.map((o) => [o.topic, o.message.headers])).toEqual([['payment.transaction', { sagaId: 'exec-1', transactionAction: 'reserve', requestId: 'v-p', replyTo: 'orders.reply' }]]);
  });

  it('the commit of a committed transaction to every participant, until it is marked notified', () => {
    const committed = [...completed, sagaEvent('TransactionCommitted', { services: ['stock', 'payment'] })];
    expect(commandsOf(pendingOutbox(given(saga, committed)))).toEqual([
      ['stock.transaction', 'commit'],
      ['payment.transaction', 'commit'],
    ]);
    expect(pendingOutbox(given(saga, [...committed, sagaEvent('TransactionNotified', { services: ['stock', 'payment'] })]))).toEqual([]);
  });

  it('the reject of a rejected transaction, until it is marked notified', () => {
    const rejected = [...completed, sagaEvent('TransactionRejected', { services: ['stock', 'payment'], reason: 'operator' })];
    expect(commandsOf(pendingOutbox(given(saga, rejected, { autocommit: false })))).toEqual([
      ['stock.transaction', 'reject'],
      ['payment.transaction', 'reject'],
    ]);
    expect(pendingOutbox(given(saga, [...rejected, sagaEvent('TransactionNotified', { services: ['stock', 'payment'] })], { autocommit: false }))).toEqual([]);
  });

  it('notifiedServices names the services an outbox tells the outcome, and no one it only asks to reserve or sends a request', () => {
    const committed = given(saga, [...completed, sagaEvent('TransactionCommitted', { services: ['stock', 'payment'] })]);
    const reserving = given(saga, [...completed, sagaEvent('VotesRequested', { votes: [{ service: 'stock', requestId: 'v-s' }] })]);
    const requesting = given(saga, [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.transaction', payload: null })]);
    expect(notifiedServices(pendingOutbox(committed))).toEqual(['stock', 'payment']);
    expect(notifiedServices([...pendingOutbox(reserving), ...pendingOutbox(requesting)])).toEqual([]);
  });
});

describe('decide: more that recovery and operators see', () => {
  it('without options, a request waits a minute for its reply, from the time of the decision', async () => {
    const saga = new Saga('defaults').remoteStep().onExecute(() => new SagaRequest('stock.reserve')).commit();
    const before = Date.now();
    const decision = await decide(saga, given(saga), { kind: 'start' });
    const timer = decision.events.find((e): e is Extract<SagaEvent, { type: 'TimerScheduled' }> => e.type === 'TimerScheduled');
    const due = Date.parse(timer?.data.dueAt ?? '');
    expect(due).toBeGreaterThanOrEqual(before + 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(defaultDecideOptions.compensationRetry.attempts).toBe(4);
  });

  it('after a plain local step, a durable one waits for the append even when the decision was a continue', async () => {
    const saga = new Saga('durable_second').localStep().onExecute(keep).localStep().onExecute(keep).durable().commit();
    const decision = await when(saga, given(saga), { kind: 'continue' });
    expect(typesOf(decision)).toEqual(['StepFinished']);
    expect(decision.more).toBe(true);
  });

  it('an onSuccess or onError that throws fails the remote step with the status naming the callback', async () => {
    const saga = new Saga('callbacks')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .onSuccess(() => new Error('bad payload'))
      .onError(() => new Error('worse'))
      .commit();
    const paused = given(saga, [sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null })]);
    const onSuccess = eventOf(await when(saga, paused, reply('r-0', 200)), 'StepFailed')?.data;
    const onError = eventOf(await when(saga, paused, reply('r-0', 400)), 'StepFailed')?.data;
    expect(onSuccess).toMatchObject({ path: '0', kind: 'remote', status: 'errored-on-success', compensate: true, requestId: 'r-0' });
    expect(onError).toMatchObject({ path: '0', kind: 'remote', status: 'errored-on-error', compensate: true, requestId: 'r-0' });
  });

  it('a remote compensation given up after several attempts says how many, in the plural', async () => {
    const saga = new Saga('stubborn')
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve'))
      .onFailure(() => new SagaRequest('stock.release'))
      .localStep()
      .onExecute(() => new Error('fail'))
      .commit();
    const retrying = [
      ...remoteDone('0', 'stock'),
      sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: { name: 'Error', message: 'fail' }, compensate: false }),
      sagaEvent('CompensationRequestSent', { path: '0', requestId: 'c-1', target: 'stock.release', payload: null }),
      sagaEvent('ReplyReceived', { path: '0', requestId: 'c-1', status: 400, payload: null, relatedServices: ['stock'] }),
      sagaEvent('CompensationAttemptFailed', { path: '0', error: { name: 'ErrorReply', message: 'busy' }, attempt: 1 }),
      sagaEvent('CompensationRequestSent', { path: '0', requestId: 'c-2', target: 'stock.release', payload: null }),
    ];
    const decision = await when(saga, given(saga, retrying), reply('c-2', 400, { message: 'busy' }), options({ attempts: 2, initialDelayMs: 0, maxDelayMs: 0 }));
    expect(eventOf(decision, 'CompensationFailed')?.data.error.message).toBe('Step 0 got a 400 reply: busy (after 2 attempts)');
  });

  it('resume records who resumed the failed compensation, when the caller said', async () => {
    const saga = new Saga('resumable')
      .localStep()
      .onExecute(keep)
      .onFailure(() => new Error('ledger down'))
      .localStep()
      .onExecute(() => new Error('fail'))
      .commit();
    const stuck = given(saga, [
      sagaEvent('StepFinished', { path: '0', kind: 'local' }),
      sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: { name: 'Error', message: 'fail' }, compensate: false }),
      sagaEvent('CompensationFailed', { path: '0', error: { name: 'Error', message: 'ledger down' } }),
    ]);
    expect((await when(saga, stuck, { kind: 'resume', by: 'ops' })).events[0]).toEqual(sagaEvent('CompensationResumed', { path: '0', by: 'ops' }));
    expect((await when(saga, stuck, { kind: 'resume' })).events[0]).toEqual(sagaEvent('CompensationResumed', { path: '0' }));
  });

  it('notifiedServices gives back a service whose own name contains .transaction', () => {
    const saga = new Saga('odd_name').remoteStep().onExecute(() => new SagaRequest('ledger.transactional.x')).commit();
    const committed = given(saga, [...remoteDone('0', 'ledger.transactional'), sagaEvent('SagaCompleted', { context: {} }), sagaEvent('TransactionCommitted', { services: ['ledger.transactional'] })]);
    expect(notifiedServices(pendingOutbox(committed))).toEqual(['ledger.transactional']);
  });
});
