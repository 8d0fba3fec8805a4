// What next-action decides that mutation testing (`pnpm mutation core-manager`) found no test for: the
// error a history that disagrees with its definition gets, compensations skipped for steps without
// onFailure, cancel, and the two questions recovery asks (is it waiting? has it work to do now?).
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { CorruptedHistoryError, fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import { hasWorkToDo, isAwaiting, nextAction } from './nextAction.js';

const keep = () => undefined;
const execution = (definition: Saga, events: readonly SagaEvent[]): SagaExecution =>
  fold([
    sagaEvent('SagaStarted', {
      executionId: 'exec-1',
      definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
      context: {},
      user: null,
      autocommit: true,
      service: 'orders',
    }),
    ...events,
  ]);

// local(0, no onFailure) → remote(1, no onFailure) → local(2)
const saga = new Saga('order').localStep().onExecute(keep).remoteStep().onExecute(() => new SagaRequest('stock.reserve')).localStep().onExecute(keep).commit();
const sent = sagaEvent('RequestSent', { path: '1', requestId: 'r-1', target: 'stock.reserve', payload: null });
const replied = sagaEvent('ReplyReceived', { path: '1', requestId: 'r-1', status: 200, payload: null, relatedServices: ['stock'] });
const failed = (path: string) => sagaEvent('StepFailed', { path, kind: 'local', status: 'errored-on-execute', error: { name: 'Error', message: 'boom' }, compensate: false });
const cancel = sagaEvent('CancelRequested', { reason: 'customer called', by: null });

describe('nextAction: a history the definition cannot continue', () => {
  it('a remote step with a reply but no outcome is reported as corrupted, naming the step and the status it was left in', () => {
    const half = execution(saga, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sent, replied]);
    expect(() => nextAction(saga, half)).toThrow(CorruptedHistoryError);
    expect(() => nextAction(saga, half)).toThrow("step 1 is 'running-on-success' while the execution still runs forward");
  });
});

describe('nextAction: compensation', () => {
  it('finished steps without onFailure, local or remote, are skipped: with nothing to undo the saga fails', () => {
    const failing = execution(saga, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sent, replied, sagaEvent('StepFinished', { path: '1', kind: 'remote' }), failed('2')]);
    expect(failing.compensation.plan).toEqual(['1', '0']);
    expect(nextAction(saga, failing)).toEqual({ type: 'fail' });
  });
});

describe('nextAction: cancel', () => {
  it('a cancelled execution with nothing in flight starts no new step: the cancel takes effect', () => {
    expect(nextAction(saga, execution(saga, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), cancel]))).toEqual({ type: 'cancel' });
  });

  it('with a request in flight, its reply is awaited first', () => {
    const inFlight = execution(saga, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sent, cancel]);
    expect(nextAction(saga, inFlight)).toEqual({ type: 'await', pending: inFlight.pendingRequest });
  });
});

describe('isAwaiting and hasWorkToDo', () => {
  it('a compensation with nothing sent and no retry timer is not waiting for anything: it has work to do', () => {
    const compensating = execution(saga, [failed('0')]);
    expect(compensating.phase).toBe('compensating');
    expect(isAwaiting(compensating)).toBe(false);
    expect(hasWorkToDo(saga, compensating)).toBe(true);
  });

  it('a step to run is work to do; a request in flight or an ended execution is not', () => {
    expect(hasWorkToDo(saga, execution(saga, []))).toBe(true);
    expect(hasWorkToDo(saga, execution(saga, [sagaEvent('StepFinished', { path: '0', kind: 'local' }), sent]))).toBe(false);
    expect(hasWorkToDo(saga, execution(saga, [failed('0'), sagaEvent('SagaFailed', { error: { name: 'Error', message: 'boom' } })]))).toBe(false);
  });
});
