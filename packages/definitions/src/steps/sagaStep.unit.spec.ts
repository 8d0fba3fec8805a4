import { describe, expect, it } from 'vitest';
import {
  AlreadyCommittedError,
  EmptySagaStepError,
  SagaNotDefinedError,
  UndefinedOnExecuteError,
} from '../errors/definitionErrors.js';
import { Saga } from '../saga.js';
import { SagaRequest } from '../sagaRequest.js';
import { ConditionalSagaStep } from './conditionalSagaStep.js';
import { LocalSagaStep } from './localSagaStep.js';
import { RemoteSagaStep } from './remoteSagaStep.js';

const keep = () => undefined;
const request = () => new SagaRequest('stock.reserve');

describe('SagaStep chaining', () => {
  it('chains across steps: each helper returns the new step, commit returns the saga', () => {
    const saga = new Saga('create_order');
    const first = saga.localStep().onExecute(keep);
    const second = first.remoteStep();
    expect(second).toBeInstanceOf(RemoteSagaStep);
    const third = second.onExecute(request).localStep();
    expect(third).toBeInstanceOf(LocalSagaStep);
    const fourth = third.onExecute(keep).conditionalStep();
    expect(fourth).toBeInstanceOf(ConditionalSagaStep);
    const committed = fourth.elseThen(new Saga('standard').localStep().onExecute(keep).commit()).commit();
    expect(committed).toBe(saga);
    expect(saga.committed).toBe(true);
    // Identity, not toEqual: steps keep their state in private fields that toEqual cannot see.
    expect(saga.steps.length).toBe(4);
    [first, second, third, fourth].forEach((step, index) => expect(saga.steps[index]).toBe(step));
  });

  it('knows its saga and index once added', () => {
    const saga = new Saga('s');
    const first = saga.localStep();
    const second = saga.remoteStep();
    expect(first.saga).toBe(saga);
    expect(second.saga).toBe(saga);
    expect([first.index, second.index]).toEqual([0, 1]);
    expect(new LocalSagaStep().saga).toBeUndefined();
    expect(new LocalSagaStep().index).toBeUndefined();
  });

  it('validates the step it is called on before chaining: onFailure alone then commit', () => {
    const chain = () =>
      new Saga('x')
        .remoteStep()
        .onFailure(() => new SagaRequest('undo'))
        .commit();
    expect(chain).toThrow(UndefinedOnExecuteError);
    expect(chain).toThrow(/^Saga 'x'@1, step 0 \(remote\): a remote step must define onExecute/);
  });

  it.each([
    ['localStep', (step: LocalSagaStep) => step.localStep()],
    ['remoteStep', (step: LocalSagaStep) => step.remoteStep()],
    ['conditionalStep', (step: LocalSagaStep) => step.conditionalStep()],
    ['commit', (step: LocalSagaStep) => step.commit()],
  ])('refuses to chain %s past an empty step, without adding anything', (_method, chain) => {
    const saga = new Saga('x');
    const step = saga.localStep();
    expect(() => chain(step)).toThrow(EmptySagaStepError);
    expect(saga.steps).toHaveLength(1);
    expect(saga.committed).toBe(false);
  });

  it('needs a saga to chain from, saying how to add the step', () => {
    const step = new RemoteSagaStep().onExecute(request);
    expect(() => step.localStep()).toThrow(SagaNotDefinedError);
    expect(() => step.commit()).toThrow(
      /^A remote step \(not added to a saga\): a step must belong to a saga to call commit\(\); create it with saga\.remoteStep\(\), or add it with saga\.remoteStep\(step\) first\./,
    );
  });

  it('reports its own invalidity before the missing saga', () => {
    expect(() => new LocalSagaStep().commit()).toThrow(EmptySagaStepError);
  });

  it('cannot change hooks once the saga is committed', () => {
    const saga = new Saga('x');
    const local = saga.localStep().onExecute(keep);
    const remote = local.remoteStep().onExecute(request);
    const conditional = remote.conditionalStep().elseThen(new Saga('y').localStep().onExecute(keep).commit());
    saga.commit();
    const fingerprint = saga.fingerprint;
    expect(() => local.onFailure(keep)).toThrow(AlreadyCommittedError);
    expect(() => remote.onError(keep)).toThrow(
      /^Saga 'x'@1, step 1 \(remote\): cannot call onError\(\) because the saga is already committed; define every hook before commit\(\)/,
    );
    expect(() => conditional.ifThen(() => true, new Saga('z'))).toThrow(AlreadyCommittedError);
    expect(() => conditional.elseThen(new Saga('z'))).toThrow(AlreadyCommittedError);
    expect(local.failure).toBeUndefined();
    expect(saga.fingerprint).toBe(fingerprint);
  });
});
