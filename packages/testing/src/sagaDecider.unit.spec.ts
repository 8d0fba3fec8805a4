import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, SagaResponseStatus, sagaEvent } from '@saga/core';
import { sagaDecider } from './sagaDecider.js';

const reserveStock = new Saga('decider_order', { version: '1' })
  .localStep()
  .onExecute((ctx) => ctx.with({ valid: true }))
  .remoteStep()
  .onExecute((ctx) => new SagaRequest('stock.reserve', { sku: ctx.get('sku') ?? null }))
  .onSuccess((ctx, reply) => ctx.with({ reservation: reply.payload }))
  .onFailure(() => new SagaRequest('stock.release', {}))
  .commit();

const spec = sagaDecider(reserveStock);
const started = spec.started({ sku: 'A1' });
const sent = [
  sagaEvent('StepFinished', { path: '0', kind: 'local', context: { sku: 'A1', valid: true } }),
  sagaEvent('RequestSent', { path: '1', requestId: 'id-1', target: 'stock.reserve', payload: { sku: 'A1' } }),
  sagaEvent('TimerScheduled', { timerId: 'id-2', purpose: 'reply', dueAt: '2030-01-01T00:01:00.000Z', requestId: 'id-1', path: '1' }),
];
const reply = (requestId: string, status = SagaResponseStatus.SUCCESS) =>
  ({ kind: 'reply', reply: { sagaId: 'execution-1', requestId, status, relatedServices: [], payload: { id: 'R-1' } } }) as const;

describe('sagaDecider: given / when / then without a store or broker', () => {
  it('a start runs the local step and records the request before anything is sent; ids come in order', async () => {
    await spec.given(started).when({ kind: 'start' }).then(sent);
    await spec.given(started).when({ kind: 'start' }).thenSends(['stock.reserve']);
  });

  it('the reply to the pending request finishes the step and the saga', async () => {
    await spec
      .given(started, ...sent)
      .when(reply('id-1'))
      .then([
        sagaEvent('ReplyReceived', { path: '1', requestId: 'id-1', status: 200, payload: { id: 'R-1' }, relatedServices: [] }),
        sagaEvent('StepFinished', { path: '1', kind: 'remote', context: { sku: 'A1', valid: true, reservation: { id: 'R-1' } } }),
        sagaEvent('SagaCompleted', { context: { sku: 'A1', valid: true, reservation: { id: 'R-1' } } }),
      ]);
  });

  it('a reply nobody waits for is ignored, and says why', async () => {
    await spec.given(started, ...sent).when(reply('someone-else')).thenIgnored(/matches no pending request/);
  });

  it('the reply timer compensates the step that may have taken effect', async () => {
    const decision = await spec.given(started, ...sent).when({ kind: 'timer', timerId: 'id-2' }).decision();
    expect(decision.events.map((e) => e.type)).toEqual(['TimerFired', 'StepFailed', 'CompensationRequestSent', 'TimerScheduled']);
    expect(decision.outbox.map((o) => o.topic)).toEqual(['stock.release']);
  });

  it('a cancel while the request is in flight is recorded, and nothing else until the reply', async () => {
    await spec
      .given(started, ...sent)
      .when({ kind: 'cancel', reason: 'customer called', by: 'ops' })
      .then([sagaEvent('CancelRequested', { reason: 'customer called', by: 'ops' })]);
  });

  it('fails when the decision differs: the helper checks, it does not just run', async () => {
    await expect(spec.given(started).when({ kind: 'start' }).then(sent.slice(0, 2))).rejects.toThrow();
  });
});
