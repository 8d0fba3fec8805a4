import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  EmptySagaStepError,
  MultipleOnErrorError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  MultipleOnSuccessError,
  UndefinedOnExecuteError,
} from '../errors/definitionErrors.js';
import type { SagaDefinitionError } from '../errors/definitionErrors.js';
import { Saga } from '../saga.js';
import { SagaContext } from '../sagaContext.js';
import { SagaRequest } from '../sagaRequest.js';
import { SagaResponse } from '../sagaResponse.js';
import type { RequestBuilder, ResponseCallback } from './callbacks.js';
import { RemoteSagaStep } from './remoteSagaStep.js';

const reserve: RequestBuilder = (context) => new SagaRequest('stock.reserve', { sku: context.get('sku') });
const release: RequestBuilder = (context) => new SagaRequest('stock.release', { sku: context.get('sku') });
const keep: ResponseCallback = (context, response) => context.with({ reservation: response.payload });
const backorder: ResponseCallback = (context) => context.with({ backorder: true });

type Hook = 'onExecute' | 'onSuccess' | 'onError' | 'onFailure';
const setters: Record<Hook, (step: RemoteSagaStep) => RemoteSagaStep> = {
  onExecute: (step) => step.onExecute(reserve),
  onSuccess: (step) => step.onSuccess(keep),
  onError: (step) => step.onError(backorder),
  onFailure: (step) => step.onFailure(release),
};

describe('RemoteSagaStep', () => {
  it('sets all four hooks fluently, returning the step itself', () => {
    const step = new RemoteSagaStep();
    expect(step.kind).toBe('remote');
    expect(step.onExecute(reserve).onSuccess(keep).onError(backorder).onFailure(release)).toBe(step);
    expect(step.execute).toBe(reserve);
    expect(step.success).toBe(keep);
    expect(step.error).toBe(backorder);
    expect(step.failure).toBe(release);
  });

  it.each<[Hook, new (message: string) => SagaDefinitionError]>([
    ['onExecute', MultipleOnExecuteError],
    ['onSuccess', MultipleOnSuccessError],
    ['onError', MultipleOnErrorError],
    ['onFailure', MultipleOnFailureError],
  ])('rejects a second %s with its own error class', (hook, ErrorClass) => {
    const step = setters[hook](new RemoteSagaStep());
    expect(() => setters[hook](step)).toThrow(ErrorClass);
    expect(() => setters[hook](step)).toThrow(new RegExp(`can only define one ${hook}, and it is already set; put all`));
  });

  it('rejects a step without any hook with EmptySagaStepError', () => {
    const step = new Saga('s').remoteStep();
    expect(() => step.validate()).toThrow(EmptySagaStepError);
    expect(() => step.validate()).toThrow(
      /^Saga 's'@1, step 0 \(remote\): a step must define at least one action; call onExecute\(ctx => new SagaRequest\(target, payload\)\)/,
    );
  });

  it.each<Hook>(['onSuccess', 'onError', 'onFailure'])('rejects a step with %s but no onExecute with UndefinedOnExecuteError', (hook) => {
    const saga = new Saga('create_order');
    saga.localStep().onExecute(() => undefined);
    saga.localStep().onExecute(() => undefined);
    const step = setters[hook](saga.remoteStep());
    expect(() => step.validate()).toThrow(UndefinedOnExecuteError);
    expect(() => step.validate()).toThrow(
      "Saga 'create_order'@1, step 2 (remote): a remote step must define onExecute(ctx => new SagaRequest(target, payload)) before chaining the next step or committing.",
    );
  });

  it('accepts async builders and callbacks', async () => {
    const step = new RemoteSagaStep()
      .onExecute(async () => new SagaRequest('stock.reserve'))
      .onSuccess(async (context, response) => context.with({ got: response.payload }))
      .onError(async () => new Error('declined'))
      .onFailure(async () => new SagaRequest('stock.release'));
    expectTypeOf(step.execute).toEqualTypeOf<RequestBuilder | undefined>();
    const context = new SagaContext();
    const response = new SagaResponse({ sagaId: 's', requestId: 'r', payload: 7 });
    expect((await step.execute?.(context))?.target).toBe('stock.reserve');
    const success = await step.success?.(context, response);
    expect(success instanceof SagaContext && success.toJSON()).toEqual({ got: 7 });
    expect(await step.error?.(context, response)).toBeInstanceOf(Error);
    expect((await step.failure?.(context))?.target).toBe('stock.release');
  });

  it('describes which hooks it defines, in a fixed order', () => {
    expect(new RemoteSagaStep().onFailure(release).onError(backorder).onExecute(reserve).describe()).toEqual({
      kind: 'remote',
      hooks: ['onExecute', 'onError', 'onFailure'],
    });
  });
});
