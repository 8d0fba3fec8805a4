// Given a definition and a history, then the mismatches: each bad history here is one the engine
// continued before these rules (it decodes), and each good one is shaped as the engine writes it.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { checkHistoryAgainstDefinition, definitionMismatches, streamMismatches } from './checkHistoryAgainstDefinition.js';
import { CorruptedHistoryError } from './corruptedHistoryError.js';
import type { RecordedSagaEvent } from './decodeEvent.js';
import { sagaEvent, type SagaEvent } from './sagaEvents.js';

const request = () => new SagaRequest('stock.reserve', {});
const express = new Saga('express').remoteStep().onExecute(request).commit();
const standard = new Saga('standard').localStep().onExecute(() => undefined).commit();
/** 0 local (undoable), 1 remote (undoable), 2 conditional (0: remote, else: local), 3 local. */
const order = new Saga('order', { version: '2' })
  .localStep().onExecute(() => undefined).onFailure(() => undefined)
  .remoteStep().onExecute(request).onFailure(() => new SagaRequest('stock.release', {}))
  .conditionalStep().ifThen(() => true, express).elseThen(standard)
  .localStep().onExecute(() => undefined)
  .commit();
const other = new Saga('invoice').localStep().onExecute(() => undefined).commit();

const stream = 'saga-exec-1';
const recorded = (...events: SagaEvent[]): RecordedSagaEvent[] =>
  events.map((event, revision) => ({ ...event, revision, recordedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, revision)).toISOString() }) as RecordedSagaEvent);

const started = (definition: Saga = order, executionId = 'exec-1') =>
  sagaEvent('SagaStarted', {
    executionId,
    definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
    context: {},
    user: null,
    autocommit: true,
    service: 'orders',
  });
const finished = (path: string, kind: 'local' | 'remote' | 'conditional' = 'local') => sagaEvent('StepFinished', { path, kind });
const sent = (path: string, requestId = `req-${path}`) => sagaEvent('RequestSent', { path, requestId, target: 'stock.reserve', payload: {} });
const replied = (path: string, requestId = `req-${path}`) => sagaEvent('ReplyReceived', { path, requestId, status: 200, payload: {}, relatedServices: ['stock'] });
const timer = (path: string, requestId = `req-${path}`) =>
  sagaEvent('TimerScheduled', { timerId: `t-${requestId}`, purpose: 'reply', dueAt: '2030-01-02T00:00:00.000Z', requestId, path });

/** The events of the forward run up to and including step 1's request. */
const upToRequest = [started(), finished('0'), sent('1'), timer('1')];
const throughStep1 = [...upToRequest, replied('1'), finished('1', 'remote')];
const completed = recorded(
  ...throughStep1,
  sagaEvent('BranchChosen', { path: '2', branch: 0 }),
  sent('2.0.0'),
  replied('2.0.0'),
  finished('2.0.0', 'remote'),
  finished('2', 'conditional'),
  finished('3'),
  sagaEvent('SagaCompleted', { context: {} }),
);
const compensated = recorded(
  ...throughStep1,
  sagaEvent('StepFailed', { path: '2', kind: 'conditional', status: 'errored-on-execute', error: { name: 'Error', message: 'boom' }, compensate: false }),
  sagaEvent('CompensationRequestSent', { path: '1', requestId: 'undo-1', target: 'stock.release', payload: {} }),
  replied('1', 'undo-1'),
  sagaEvent('StepCompensated', { path: '1', requestId: 'undo-1' }),
  sagaEvent('StepCompensated', { path: '0' }),
  sagaEvent('SagaFailed', { error: { name: 'Error', message: 'boom' } }),
);

const reasons = (events: readonly RecordedSagaEvent[], definition: Saga = order, executionId = 'exec-1') =>
  [...streamMismatches(events, executionId), ...definitionMismatches(events, definition)].map((m) => `${m.revision}: ${m.reason}`);

const refusal = (events: readonly RecordedSagaEvent[], definition: Saga = order): CorruptedHistoryError => {
  try {
    checkHistoryAgainstDefinition(events, { stream, executionId: 'exec-1', definition });
  } catch (error) {
    if (error instanceof CorruptedHistoryError) return error;
    throw error;
  }
  throw new Error('the history was accepted');
};

describe('checkHistoryAgainstDefinition', () => {
  it('accepts histories as the engine writes them: completed through a branch, compensated, waiting, the else branch, no branch', () => {
    const elseBranch = recorded(...throughStep1, sagaEvent('BranchChosen', { path: '2', branch: 'else' }), finished('2.else.0'), finished('2', 'conditional'), finished('3'));
    const noBranch = recorded(...throughStep1, sagaEvent('BranchChosen', { path: '2', branch: null }), finished('3'), sagaEvent('SagaCompleted', { context: {} }));
    for (const events of [completed, compensated, recorded(...upToRequest), elseBranch, noBranch]) {
      expect(reasons(events)).toEqual([]);
      expect(() => checkHistoryAgainstDefinition(events, { stream, executionId: 'exec-1', definition: order })).not.toThrow();
    }
  });

  it('refuses a StepFinished on a path the definition lacks', () => {
    const events = recorded(...upToRequest, finished('7'));
    expect(refusal(events)).toMatchObject({ stream, revision: 4, reason: 'StepFinished names step 7, which the definition does not have' });
  });

  it('refuses a SagaStarted that points at another definition, or at another shape of this one', () => {
    expect(refusal(recorded(started(other), finished('0')))).toMatchObject({ revision: 0, reason: 'started with invoice@1, but it is being checked against order@2' });
    const reshaped = recorded({ ...started(), data: { ...started().data, definition: { name: 'order', version: '2', fingerprint: 'older' } } });
    expect(refusal(reshaped).reason).toMatch(/^started with order@2 of shape older, but that definition now has shape \w+: its steps changed without a new version/);
  });

  it('refuses a foreign execution id', () => {
    const events = recorded(started(order, 'exec-2'), finished('0'));
    expect(refusal(events)).toMatchObject({ stream, revision: 0, reason: 'SagaStarted names execution exec-2, but the stream belongs to exec-1' });
    expect(reasons(events, order, 'exec-2')).toEqual([]);
  });

  it('refuses a RequestSent copied from elsewhere: its request id already used, or its step not a remote one', () => {
    const repeated = recorded(...throughStep1, sagaEvent('BranchChosen', { path: '2', branch: 0 }), sent('2.0.0', 'req-1'));
    expect(refusal(repeated)).toMatchObject({ revision: 7, reason: 'RequestSent for step 2.0.0 repeats request req-1 of revision 2: every request gets a new id' });
    const onLocal = recorded(started(), sent('0'));
    expect(refusal(onLocal)).toMatchObject({ revision: 1, reason: 'RequestSent for step 0, a local step in the definition' });
    const again = recorded(...throughStep1, sent('1', 'req-copied'));
    expect(refusal(again)).toMatchObject({ revision: 6, reason: 'RequestSent for step 1, but the definition runs step 2 next' });
    const afterEnd = recorded(...compensated, sent('1', 'req-copied'));
    expect(refusal(afterEnd)).toMatchObject({ revision: compensated.length, reason: 'RequestSent for step 1 after the forward run ended at revision 6' });
  });

  it('refuses steps out of the definition’s order: a step skipped (step 0 would run after step 1), a branch not run, a request never sent', () => {
    expect(refusal(recorded(started(), sent('1'), replied('1'), finished('1', 'remote')))).toMatchObject({ revision: 1, reason: 'RequestSent for step 1, but the definition runs step 0 next' });
    expect(refusal(recorded(...throughStep1, sagaEvent('BranchChosen', { path: '2', branch: 0 }), finished('2', 'conditional')))).toMatchObject({
      revision: 7,
      reason: 'StepFinished for step 2, but the definition runs step 2.0.0 next',
    });
    expect(refusal(recorded(started(), finished('0'), finished('1', 'remote')))).toMatchObject({ revision: 2, reason: 'remote step 1 finished without sending its request' });
    expect(refusal(recorded(...throughStep1, sagaEvent('SagaCompleted', { context: {} })))).toMatchObject({ revision: 6, reason: 'SagaCompleted before step 2 of the definition ran' });
    expect(refusal(recorded(started(), finished('0'), finished('0')))).toMatchObject({ revision: 2, reason: 'StepFinished for step 0, but the definition runs step 1 next' });
  });

  it('refuses a step recorded as another kind, a branch or compensation the definition lacks', () => {
    expect(refusal(recorded(started(), finished('0', 'remote'))).reason).toBe('step 0 is local in the definition but was recorded as remote');
    expect(refusal(recorded(...throughStep1, sagaEvent('BranchChosen', { path: '2', branch: 1 }))).reason).toBe('step 2 took branch 1, which the definition does not have');
    const undoStep3 = recorded(...compensated.slice(0, 6), sagaEvent('StepCompensated', { path: '3' }));
    expect(refusal(undoStep3).reason).toBe('step 3 was compensated, but it has no onFailure in the definition');
  });

  it('names the earliest mismatch, and lists every one for an audit (order only up to the first step out of place)', () => {
    const events = recorded(started(order, 'exec-2'), finished('0'), finished('9'), sent('1', 'x'), sent('2.0.0', 'x'));
    expect(refusal(events)).toMatchObject({ revision: 0 });
    expect(refusal(recorded(...throughStep1, finished('9'), sent('2.0.0', 'req-1')))).toMatchObject({ revision: 6 });
    expect(reasons(events)).toEqual([
      '0: SagaStarted names execution exec-2, but the stream belongs to exec-1',
      '4: RequestSent for step 2.0.0 repeats request x of revision 3: every request gets a new id',
      '2: StepFinished names step 9, which the definition does not have',
    ]);
  });

  it('checks only the stream without a definition', () => {
    expect(() => checkHistoryAgainstDefinition(recorded(started(other), finished('0')), { stream, executionId: 'exec-1' })).not.toThrow();
    expect(() => checkHistoryAgainstDefinition(recorded(started(other, 'exec-9')), { stream, executionId: 'exec-1' })).toThrow(CorruptedHistoryError);
  });
});
