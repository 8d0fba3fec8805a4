import { describe, expect, expectTypeOf, it } from 'vitest';
import * as definitions from './index.js';
import {
  Saga,
  SagaContext,
  SagaRequest,
  SagaResponse,
  SagaResponseStatus,
  SagaStep,
  stepAtPath,
} from './index.js';
import type { Condition, ContextResult, LocalCallback, MaybePromise, RequestBuilder, ResponseCallback } from './index.js';

describe('public surface', () => {
  it('exports every runtime name other packages rely on', () => {
    expect(Object.keys(definitions).sort()).toEqual(
      [
        'AlreadyCommittedError',
        'AlreadyOnSagaError',
        'ChildSagaStep',
        'ConditionalSagaStep',
        'EmptySagaError',
        'EmptySagaStepError',
        'InvalidContextError',
        'InvalidRequestError',
        'InvalidResponseError',
        'InvalidSagaNameError',
        'InvalidStepOptionError',
        'LocalSagaStep',
        'MultipleElseThenError',
        'MultipleOnErrorError',
        'MultipleOnExecuteError',
        'MultipleOnFailureError',
        'MultipleOnSuccessError',
        'ParallelSagaStep',
        'RemoteSagaStep',
        'Saga',
        'SagaContext',
        'SagaDefinitionError',
        'SagaError',
        'SagaNotCommittedError',
        'SagaNotDefinedError',
        'SagaRequest',
        'SagaResponse',
        'SagaResponseStatus',
        'SagaStep',
        'TooFewBranchesError',
        'UndefinedOnExecuteError',
        'branchPrefix',
        'isSagaError',
        'isSagaErrorNamed',
        'isSagaResponseStatus',
        'maxJsonDepth',
        'noRetry',
        'resolveRetryPolicy',
        'retryDelayMs',
        'sagaOfBranch',
        'stepAtPath',
        'stepPath',
      ].sort(),
    );
  });

  it('builds the DESIGN example with sync and async callbacks of every kind', async () => {
    const releaseCredit: LocalCallback = async (ctx) => ctx.without('total');
    const expressShipping = new Saga('express_shipping').localStep().onExecute(async () => ({ carrier: 'fast' })).commit();
    const standardShipping = new Saga('standard_shipping').localStep().onExecute(() => undefined).commit();

    const createOrder = new Saga('create_order', { version: '1' })
      .localStep()
      .onExecute((ctx) => ctx.with({ total: 42 }))
      .onFailure(releaseCredit)
      .remoteStep()
      .onExecute(async (ctx) => new SagaRequest('stock.reserve', { sku: ctx.get('sku') }))
      .onSuccess(async (ctx, res) => ctx.with({ reservation: res.payload }))
      .onError((ctx) => ctx.with({ backorder: true }))
      .onFailure((ctx) => new SagaRequest('stock.release', { sku: ctx.get('sku') }))
      .conditionalStep()
      .ifThen(async (ctx) => ctx.get('express') === true, expressShipping)
      .elseThen(standardShipping)
      .commit();

    expect(createOrder.committed).toBe(true);
    expect(createOrder.steps.map((step) => step.kind)).toEqual(['local', 'remote', 'conditional']);
    const remote = stepAtPath(createOrder, '1');
    expect(remote).toBeInstanceOf(SagaStep);
    expect(remote instanceof definitions.RemoteSagaStep && (await remote.execute?.(new SagaContext({ sku: 'A1' })))?.payload).toEqual({
      sku: 'A1',
    });
    const response = new SagaResponse({ sagaId: 's', requestId: 'r', status: SagaResponseStatus.ERROR });
    expect(response.ok).toBe(false);
  });

  it('types callbacks as possibly async', () => {
    expectTypeOf<LocalCallback>().returns.toEqualTypeOf<MaybePromise<ContextResult>>();
    expectTypeOf<RequestBuilder>().returns.toEqualTypeOf<MaybePromise<SagaRequest>>();
    expectTypeOf<ResponseCallback>().parameters.toEqualTypeOf<[SagaContext, SagaResponse]>();
    expectTypeOf<Condition>().returns.toEqualTypeOf<MaybePromise<boolean>>();
    expectTypeOf(async () => new Error('declined')).toExtend<LocalCallback>();
    expectTypeOf(async () => ({ plain: 1 })).toExtend<LocalCallback>();
    expectTypeOf(async () => 'text').not.toExtend<LocalCallback>();
  });
});
