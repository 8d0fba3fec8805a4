// `decide` ending a compensation with `SagaFailed` when the execution carries no error. The engine's
// own fold never gets there (every way into compensation records an error), but `decide` is public
// and takes any `SagaExecution`, whose `error` is optional; a fold of a history the engine's loader
// refuses (`CompensationResumed` with nothing failed before) reaches it too. The event must still be
// a valid `SagaFailed`, and the participants must still hear a reject with a readable reason.
// Found by `pnpm mutation core-manager` (decide.ts, the `fail` action's fallbacks).
import { describe, expect, it } from 'vitest';
import { fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import { decide } from './decide.js';
import { deciderOptions } from '../../test/deciderOptions.js';
import { failsLateSaga } from '../../test/failsLateSaga.js';

const options = deciderOptions;

const saga = failsLateSaga;

const started = (autocommit: boolean) =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: saga.name, version: saga.version, fingerprint: saga.fingerprint },
    context: { sku: 'A1' },
    user: null,
    autocommit,
    service: 'orders',
  });

/** The stock reservation went through (a participant), then the courier step failed. */
const reservedThenFailed: readonly SagaEvent[] = [
  sagaEvent('RequestSent', { path: '0', requestId: 'r-0', target: 'stock.reserve', payload: null }),
  sagaEvent('ReplyReceived', { path: '0', requestId: 'r-0', status: 200, payload: null, relatedServices: ['stock'] }),
  sagaEvent('StepFinished', { path: '0', kind: 'remote' }),
  sagaEvent('StepFailed', { path: '1', kind: 'local', status: 'errored-on-execute', error: { name: 'Error', message: 'no courier' }, compensate: true }),
  sagaEvent('CompensationStarted', {}),
  // The remote step has no onFailure: nothing of its own to undo, so the next action is `fail`.
];

/** The same execution as a caller of `decide` may hand it over: compensating, with no error on it. */
const withoutError = (autocommit: boolean): SagaExecution => {
  const { error, ...rest } = fold([started(autocommit), ...reservedThenFailed]);
  expect(error).toEqual({ name: 'Error', message: 'no courier' });
  expect(rest).toMatchObject({ phase: 'compensating', transaction: { participants: ['stock'] } });
  return rest;
};

const fallbackError = { name: 'SagaFailedError', message: 'The saga failed.' };

describe('decide: a saga that fails without a recorded error', () => {
  it('records SagaFailed with the fallback error, and rejects its participants with "unknown error" as the reason', async () => {
    const decision = await decide(saga, withoutError(true), { kind: 'continue' }, options);
    expect(decision.events).toEqual([
      sagaEvent('SagaFailed', { error: fallbackError }),
      sagaEvent('TransactionRejected', { services: ['stock'], reason: 'the saga failed: unknown error' }),
    ]);
    expect(decision.outbox.map(({ topic, message }) => [topic, message.headers.transactionAction])).toEqual([['stock.transaction', 'reject']]);
    expect(decision.ignored).toBeUndefined();
  });

  it('without autocommit, records the same SagaFailed and leaves the participants to the operator', async () => {
    const decision = await decide(saga, withoutError(false), { kind: 'continue' }, options);
    expect(decision.events).toEqual([sagaEvent('SagaFailed', { error: fallbackError })]);
    expect(decision.outbox).toEqual([]);
  });

  it('is what decide does with the fold of a history where compensation resumed although nothing had failed', async () => {
    const tampered = fold([started(true), sagaEvent('CompensationResumed', { path: '0' })]);
    expect(tampered).toMatchObject({ phase: 'compensating', compensation: { plan: [] } });
    expect(tampered.error).toBeUndefined();
    const decision = await decide(saga, tampered, { kind: 'continue' }, options);
    // No participant took part: nothing to reject.
    expect(decision.events).toEqual([sagaEvent('SagaFailed', { error: fallbackError })]);
    expect(decision.outbox).toEqual([]);
  });

  it('with an error recorded, SagaFailed carries that error and the reject gives its message', async () => {
    const decision = await decide(saga, fold([started(true), ...reservedThenFailed]), { kind: 'continue' }, options);
    expect(decision.events).toEqual([
      sagaEvent('SagaFailed', { error: { name: 'Error', message: 'no courier' } }),
      sagaEvent('TransactionRejected', { services: ['stock'], reason: 'the saga failed: no courier' }),
    ]);
  });
});
