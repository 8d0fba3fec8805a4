import { describe, expect, it } from 'vitest';
import {
  EmptySagaError,
  EmptySagaStepError,
  MultipleElseThenError,
  SagaNotCommittedError,
  UndefinedOnExecuteError,
} from '../errors/definitionErrors.js';
import { Saga } from '../saga.js';
import { SagaContext } from '../sagaContext.js';
import type { Condition } from './callbacks.js';
import { ConditionalSagaStep } from './conditionalSagaStep.js';

const committedSaga = (name: string): Saga => new Saga(name).localStep().onExecute(() => undefined).commit();
const isExpress: Condition = (context) => context.get('express') === true;
const isHeavy: Condition = async (context) => Number(context.get('weight')) > 10;

describe('ConditionalSagaStep', () => {
  it('keeps any number of ifThen alternatives in order, returning the step itself', () => {
    const express = committedSaga('express');
    const freight = committedSaga('freight');
    const step = new ConditionalSagaStep();
    expect(step.kind).toBe('conditional');
    expect(step.ifThen(isExpress, express).ifThen(isHeavy, freight)).toBe(step);
    expect(step.alternatives).toHaveLength(2);
    expect(step.alternatives[0]?.saga).toBe(express);
    expect(step.alternatives[1]?.saga).toBe(freight);
    expect(step.alternatives[1]?.condition).toBe(isHeavy);
    expect(step.otherwise).toBeUndefined();
  });

  it('hands out a copy of its alternatives', () => {
    const step = new ConditionalSagaStep().ifThen(isExpress, committedSaga('express'));
    (step.alternatives as unknown[]).pop();
    expect(step.alternatives).toHaveLength(1);
    expect(Object.isFrozen(step.alternatives[0])).toBe(true);
  });

  it('accepts sync and async conditions', async () => {
    const step = new ConditionalSagaStep().ifThen(isExpress, committedSaga('a')).ifThen(isHeavy, committedSaga('b'));
    const context = new SagaContext({ express: true, weight: 12 });
    expect(await step.alternatives[0]?.condition(context)).toBe(true);
    expect(await step.alternatives[1]?.condition(context)).toBe(true);
  });

  it('allows one elseThen, alone or after alternatives', () => {
    const standard = committedSaga('standard');
    const step = new ConditionalSagaStep().elseThen(standard);
    expect(step.otherwise).toBe(standard);
    expect(() => step.validate()).not.toThrow();
  });

  it('rejects a second elseThen with MultipleElseThenError', () => {
    const step = new ConditionalSagaStep().elseThen(committedSaga('standard'));
    const again = () => step.elseThen(committedSaga('other'));
    expect(again).toThrow(MultipleElseThenError);
    expect(again).toThrow(/can only define one elseThen\(saga\); use ifThen\(condition, saga\) for every other branch/);
  });

  it('rejects a step without branches with EmptySagaStepError', () => {
    const step = new ConditionalSagaStep();
    expect(() => step.validate()).toThrow(EmptySagaStepError);
    expect(() => step.validate()).toThrow(/must define at least one branch; call ifThen\(condition, saga\) or elseThen\(saga\)/);
  });

  it('rejects an uncommitted sub-saga, naming the branch and saying to commit it', () => {
    const draft = new Saga('express');
    draft.localStep().onExecute(() => undefined);
    const saga = new Saga('shipping');
    const step = saga.conditionalStep().ifThen(isExpress, draft);
    expect(() => step.validate()).toThrow(SagaNotCommittedError);
    expect(() => step.validate()).toThrow(
      /^Saga 'shipping'@1, step 0 \(conditional\), branch 0 → Saga 'express'@1: a saga must be committed .*call commit\(\)/,
    );
  });

  it('rejects an empty sub-saga in the else branch with EmptySagaError', () => {
    const step = new ConditionalSagaStep().ifThen(isExpress, committedSaga('express')).elseThen(new Saga('standard'));
    expect(() => step.validate()).toThrow(EmptySagaError);
    expect(() => step.validate()).toThrow(/branch else → Saga 'standard'@1: a saga must have at least one step; add one/);
  });

  it("rejects a sub-saga whose own step is invalid, keeping the step's error class and cause", () => {
    const draft = new Saga('express');
    draft.remoteStep().onFailure(() => {
      throw new Error('unused');
    });
    const step = new ConditionalSagaStep().ifThen(isExpress, draft);
    expect(() => step.validate()).toThrow(UndefinedOnExecuteError);
    expect(() => step.validate()).toThrow(/branch 0 → Saga 'express'@1, step 0 \(remote\): a remote step must define onExecute/);
    const thrown = (() => {
      try {
        step.validate();
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(thrown?.cause).toBeInstanceOf(UndefinedOnExecuteError);
  });

  it('rejects a saga that is its own branch instead of recursing forever', () => {
    const saga = new Saga('loop');
    saga.localStep().onExecute(() => undefined);
    saga.conditionalStep().ifThen(isExpress, saga);
    expect(() => saga.commit()).toThrow(SagaNotCommittedError);
    expect(() => saga.commit()).toThrow(/is used as a branch of itself .*branch to a separate, committed saga instead/);
  });

  it('rejects a branch that is not a saga and a condition that is not a function', () => {
    const step = new ConditionalSagaStep();
    expect(() => step.ifThen(isExpress, {} as Saga)).toThrow(/ifThen\(\) needs a Saga as its branch, but got an object/);
    expect(() => step.elseThen(undefined as unknown as Saga)).toThrow(TypeError);
    expect(() => step.ifThen(true as unknown as Condition, committedSaga('a'))).toThrow(/ifThen\(\) needs a function/);
  });

  it('describes its branches as sub-saga shapes', () => {
    const step = new ConditionalSagaStep().ifThen(isExpress, committedSaga('express'));
    expect(step.describe()).toEqual({
      kind: 'conditional',
      alternatives: [{ name: 'express', version: '1', steps: [{ kind: 'local', hooks: ['onExecute'] }] }],
    });
    expect(step.elseThen(committedSaga('standard')).describe().otherwise?.name).toBe('standard');
  });
});
