import { describe, expect, it } from 'vitest';
import {
  EmptySagaStepError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  UndefinedOnExecuteError,
} from '../errors/definitionErrors.js';
import { Saga } from '../saga.js';
import { SagaContext } from '../sagaContext.js';
import type { LocalCallback } from './callbacks.js';
import { LocalSagaStep } from './localSagaStep.js';

const reserve: LocalCallback = (context) => context.with({ reserved: true });
const release: LocalCallback = (context) => context.without('reserved');

describe('LocalSagaStep', () => {
  it('sets its hooks fluently, returning the step itself', () => {
    const step = new LocalSagaStep();
    expect(step.kind).toBe('local');
    expect(step.onExecute(reserve)).toBe(step);
    expect(step.onFailure(release)).toBe(step);
    expect(step.execute).toBe(reserve);
    expect(step.failure).toBe(release);
  });

  it('allows onExecute without onFailure', () => {
    const step = new LocalSagaStep().onExecute(reserve);
    expect(() => step.validate()).not.toThrow();
    expect(step.failure).toBeUndefined();
  });

  it('rejects a second onExecute with MultipleOnExecuteError', () => {
    const step = new LocalSagaStep().onExecute(reserve);
    expect(() => step.onExecute(reserve)).toThrow(MultipleOnExecuteError);
    expect(() => step.onExecute(reserve)).toThrow(/can only define one onExecute.*put all of its logic in that one callback/);
    expect(step.execute).toBe(reserve);
  });

  it('rejects a second onFailure with MultipleOnFailureError', () => {
    const step = new LocalSagaStep().onFailure(release);
    expect(() => step.onFailure(release)).toThrow(MultipleOnFailureError);
    expect(() => step.onFailure(release)).toThrow(/can only define one onFailure/);
  });

  it('rejects a step without any hook with EmptySagaStepError', () => {
    const step = new LocalSagaStep();
    expect(() => step.validate()).toThrow(EmptySagaStepError);
    expect(() => step.validate()).toThrow(/must define at least one action; call onExecute\(ctx => ctx\.with/);
  });

  it('rejects a step with only onFailure with UndefinedOnExecuteError', () => {
    const step = new LocalSagaStep().onFailure(release);
    expect(() => step.validate()).toThrow(UndefinedOnExecuteError);
    expect(() => step.validate()).toThrow(/a local step must define onExecute\(ctx => ctx\.with\(\{ \.\.\. \}\)\) before chaining/);
  });

  it('names its saga and index in messages once added, and says when it is on no saga', () => {
    const saga = new Saga('create_order', { version: '3' });
    saga.localStep().onExecute(reserve);
    const step = saga.localStep();
    expect(() => step.validate()).toThrow(/^Saga 'create_order'@3, step 1 \(local\): /);
    expect(() => new LocalSagaStep().validate()).toThrow(/^A local step \(not added to a saga\): /);
  });

  it('rejects a hook that is not a function', () => {
    const step = new LocalSagaStep();
    expect(() => step.onExecute('reserve' as unknown as LocalCallback)).toThrow(TypeError);
    expect(() => step.onExecute('reserve' as unknown as LocalCallback)).toThrow(/onExecute\(\) needs a function, but got "reserve"/);
  });

  it('accepts async callbacks and any context result', async () => {
    const step = new LocalSagaStep()
      .onExecute(async (context) => context.with({ n: 1 }))
      .onFailure(async () => undefined);
    const plain: LocalCallback = () => ({ plain: true });
    const failing: LocalCallback = () => new Error('declined');
    const result = await step.execute?.(new SagaContext());
    expect(result).toBeInstanceOf(SagaContext);
    expect(await step.failure?.(new SagaContext())).toBeUndefined();
    expect(plain(new SagaContext())).toEqual({ plain: true });
    expect(failing(new SagaContext())).toBeInstanceOf(Error);
  });

  it('describes which hooks it defines, in a fixed order', () => {
    expect(new LocalSagaStep().onFailure(release).onExecute(reserve).describe()).toEqual({
      kind: 'local',
      hooks: ['onExecute', 'onFailure'],
    });
    expect(new LocalSagaStep().describe()).toEqual({ kind: 'local', hooks: [] });
  });
});
