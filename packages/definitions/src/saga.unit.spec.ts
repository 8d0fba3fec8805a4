import { describe, expect, it } from 'vitest';
import {
  AlreadyCommittedError,
  AlreadyOnSagaError,
  EmptySagaError,
  EmptySagaStepError,
  InvalidSagaNameError,
  MultipleOnExecuteError,
  SagaDefinitionError,
  SagaNotCommittedError,
  UndefinedOnExecuteError,
} from './errors/definitionErrors.js';
import { Saga } from './saga.js';
import type { SagaOptions } from './saga.js';
import { SagaContext } from './sagaContext.js';
import { SagaRequest } from './sagaRequest.js';
import type { Condition } from './steps/callbacks.js';
import { ConditionalSagaStep } from './steps/conditionalSagaStep.js';
import { LocalSagaStep } from './steps/localSagaStep.js';
import { RemoteSagaStep } from './steps/remoteSagaStep.js';

const keep = () => undefined;
// sha256('saga-shape/1\n{"name":"pinned","version":"1","steps":[{"kind":"local","hooks":["onExecute"]}]}'), first 16 hex.
const PINNED_FINGERPRINT = '187c5cc40491d615';
const reserve = () => new SagaRequest('stock.reserve');
const isExpress: Condition = (context) => context.get('express') === true;

const branch = (name: string, options?: SagaOptions): Saga =>
  new Saga(name, options).localStep().onExecute(keep).commit();

/** The same shape each time it is called, built from fresh objects and fresh callbacks. */
const createOrder = (options: { version?: string; expressVersion?: string; withError?: boolean } = {}): Saga => {
  const saga = new Saga('create_order', { version: options.version ?? '1' });
  saga
    .localStep()
    .onExecute((context) => context.with({ total: 42 }))
    .onFailure(keep);
  const remote = saga
    .remoteStep()
    .onExecute(reserve)
    .onSuccess((context, response) => context.with({ reservation: response.payload }));
  if (options.withError) remote.onError(keep);
  remote.onFailure(() => new SagaRequest('stock.release'));
  return saga
    .conditionalStep()
    .ifThen(isExpress, branch('express', { version: options.expressVersion ?? '1' }))
    .elseThen(branch('standard'))
    .commit();
};

describe('Saga construction', () => {
  it('has a name and a version defaulting to "1"', () => {
    const saga = new Saga('create_order');
    expect([saga.name, saga.version, saga.committed, saga.steps.length]).toEqual(['create_order', '1', false, 0]);
    expect(new Saga('create_order', { version: '2' }).version).toBe('2');
  });

  it.each([[''], ['  '], [undefined], [7]])('rejects the name %o with InvalidSagaNameError saying what to pass', (name) => {
    const build = () => new Saga(name as string);
    expect(build).toThrow(InvalidSagaNameError);
    expect(build).toThrow(SagaDefinitionError);
    expect(build).toThrow(/a saga needs a non-empty name.*pass it first, e\.g\. new Saga\('create_order'/i);
  });

  it('rejects an empty or non-string version', () => {
    for (const version of ['', 2]) {
      const build = () => new Saga('create_order', { version } as SagaOptions);
      expect(build).toThrow(InvalidSagaNameError);
      expect(build).toThrow(/^Saga 'create_order': the version must be a non-empty string.*\{ version: '2' \}/);
    }
  });
});

describe('Saga steps', () => {
  it('returns each new step, in order, of the requested kind', () => {
    const saga = new Saga('s');
    const local = saga.localStep();
    const remote = saga.remoteStep();
    const conditional = saga.conditionalStep();
    expect(local).toBeInstanceOf(LocalSagaStep);
    expect(remote).toBeInstanceOf(RemoteSagaStep);
    expect(conditional).toBeInstanceOf(ConditionalSagaStep);
    expect(saga.steps.map((step) => step.kind)).toEqual(['local', 'remote', 'conditional']);
    expect(saga.steps[1]).toBe(remote);
  });

  it('adopts a step built beforehand', () => {
    const saga = new Saga('s');
    const step = new RemoteSagaStep().onExecute(reserve);
    expect(saga.remoteStep(step)).toBe(step);
    expect(step.saga).toBe(saga);
    expect(step.index).toBe(0);
  });

  it('takes a function as the new step\'s onExecute, on the saga and when chaining (as minos\'s local_step(fn))', async () => {
    const build = (ctx: SagaContext) => new SagaRequest('stock.reserve', { sku: ctx.get('sku') ?? null });
    const saga = new Saga('s')
      .localStep((ctx) => ctx.with({ sku: 'A1' }))
      .remoteStep(build)
      .onSuccess(keep)
      .localStep(keep)
      .commit();
    const [first, second, third] = saga.steps as [LocalSagaStep, RemoteSagaStep, LocalSagaStep];
    expect(saga.steps.map((step) => step.kind)).toEqual(['local', 'remote', 'local']);
    expect(((await first.execute?.(new SagaContext())) as SagaContext).toJSON()).toEqual({ sku: 'A1' });
    expect(second.execute).toBe(build);
    expect(third.execute).toBe(keep);
    expect(new Saga('t').remoteStep(build).describe().hooks).toEqual(['onExecute']);
    expect(() => new Saga('u').localStep(keep).onExecute(keep)).toThrow(MultipleOnExecuteError);
  });

  it('hands out a copy of its steps', () => {
    const saga = new Saga('s');
    saga.localStep();
    (saga.steps as unknown[]).pop();
    expect(saga.steps).toHaveLength(1);
  });

  it('rejects a step that already belongs to a saga with AlreadyOnSagaError', () => {
    const owner = new Saga('owner');
    owner.localStep();
    const step = owner.localStep();
    const other = new Saga('other');
    expect(() => other.localStep(step)).toThrow(AlreadyOnSagaError);
    expect(() => other.localStep(step)).toThrow(
      "Saga 'other'@1: this local step already belongs to Saga 'owner'@1 (step 1); a step can belong to only one saga, so create a new one with localStep() instead of reusing it.",
    );
    expect(() => owner.localStep(step)).toThrow(AlreadyOnSagaError);
    expect(other.steps).toHaveLength(0);
  });

  it('rejects a step of the wrong kind with a TypeError', () => {
    const saga = new Saga('s');
    const wrong = new RemoteSagaStep() as unknown as LocalSagaStep;
    expect(() => saga.localStep(wrong)).toThrow(TypeError);
    expect(() => saga.localStep(wrong)).toThrow(/localStep\(\) was given an object that is not a LocalSagaStep; pass a LocalSagaStep/);
  });

  it.each([
    ['localStep', (saga: Saga) => saga.localStep()],
    ['remoteStep', (saga: Saga) => saga.remoteStep()],
    ['conditionalStep', (saga: Saga) => saga.conditionalStep()],
  ])('rejects %s on a committed saga with AlreadyCommittedError', (_method, add) => {
    const saga = branch('done');
    expect(() => add(saga)).toThrow(AlreadyCommittedError);
    expect(() => add(saga)).toThrow(
      /^Saga 'done'@1: it is not possible to add more steps to an already committed saga; add every step before commit\(\)/,
    );
    expect(saga.steps).toHaveLength(1);
  });

  it('checks committed before the step, as the reference does', () => {
    const owned = new Saga('owner').localStep();
    expect(() => branch('done').localStep(owned)).toThrow(AlreadyCommittedError);
  });
});

describe('Saga commit', () => {
  it('returns the saga and marks it committed', () => {
    const saga = new Saga('s');
    saga.localStep().onExecute(keep);
    expect(saga.commit()).toBe(saga);
    expect(saga.committed).toBe(true);
  });

  it('rejects a second commit with AlreadyCommittedError', () => {
    const saga = branch('s');
    expect(() => saga.commit()).toThrow(AlreadyCommittedError);
    expect(() => saga.commit()).toThrow(/it is not possible to commit a saga multiple times; call commit\(\) once, after its last step/);
  });

  it('validates first: an empty saga cannot be committed (unlike the reference)', () => {
    const saga = new Saga('empty');
    expect(() => saga.commit()).toThrow(EmptySagaError);
    expect(() => saga.commit()).toThrow(
      "Saga 'empty'@1: a saga must have at least one step; add one with localStep(), remoteStep() or conditionalStep() before commit().",
    );
    expect(saga.committed).toBe(false);
  });

  it('validates every step even when commit is called on the saga directly', () => {
    const saga = new Saga('s');
    saga.localStep().onExecute(keep);
    saga.remoteStep().onFailure(reserve);
    expect(() => saga.commit()).toThrow(UndefinedOnExecuteError);
    expect(() => saga.commit()).toThrow(/^Saga 's'@1, step 1 \(remote\): /);
    expect(saga.committed).toBe(false);
  });

  it('validates sub-sagas: they must be committed', () => {
    const draft = new Saga('express');
    draft.localStep().onExecute(keep);
    const saga = new Saga('shipping');
    saga.conditionalStep().ifThen(isExpress, draft);
    expect(() => saga.commit()).toThrow(SagaNotCommittedError);
    expect(() => saga.commit()).toThrow(/branch 0 → Saga 'express'@1: a saga must be committed/);
    draft.commit();
    expect(saga.commit()).toBe(saga);
  });

  it('can be retried once the problem is fixed', () => {
    const saga = new Saga('s');
    const step = saga.localStep();
    expect(() => saga.commit()).toThrow(EmptySagaStepError);
    step.onExecute(keep);
    expect(saga.commit().committed).toBe(true);
  });
});

describe('Saga validate', () => {
  it('reports no steps first', () => {
    expect(() => new Saga('s').validate()).toThrow(EmptySagaError);
  });

  it('reports a step problem before the missing commit', () => {
    const saga = new Saga('s');
    saga.localStep().onExecute(keep);
    saga.localStep();
    expect(() => saga.validate()).toThrow(EmptySagaStepError);
    expect(() => saga.validate()).toThrow(/^Saga 's'@1, step 1 \(local\): a step must define at least one action/);
  });

  it('reports a valid but uncommitted saga with SagaNotCommittedError', () => {
    const saga = new Saga('s');
    saga.localStep().onExecute(keep);
    expect(() => saga.validate()).toThrow(SagaNotCommittedError);
    expect(() => saga.validate()).toThrow(
      "Saga 's'@1: a saga must be committed before it is run or used as a branch; call commit() after its last step.",
    );
  });

  it('accepts a committed saga with nested branches', () => {
    expect(() => createOrder().validate()).not.toThrow();
  });
});

describe('Saga describe', () => {
  it('gives the shape as plain JSON data', () => {
    const shape = createOrder({ withError: true }).describe();
    expect(shape).toEqual({
      name: 'create_order',
      version: '1',
      steps: [
        { kind: 'local', hooks: ['onExecute', 'onFailure'] },
        { kind: 'remote', hooks: ['onExecute', 'onSuccess', 'onError', 'onFailure'] },
        {
          kind: 'conditional',
          alternatives: [{ name: 'express', version: '1', steps: [{ kind: 'local', hooks: ['onExecute'] }] }],
          otherwise: { name: 'standard', version: '1', steps: [{ kind: 'local', hooks: ['onExecute'] }] },
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(shape))).toEqual(shape);
  });

  it('leaves out otherwise when there is no else branch', () => {
    const saga = new Saga('s').conditionalStep().ifThen(isExpress, branch('a')).commit();
    expect(saga.describe().steps[0]).not.toHaveProperty('otherwise');
  });
});

describe('Saga fingerprint', () => {
  it('is 16 hex characters, equal for two separately built sagas of the same shape', () => {
    const first = createOrder();
    const second = createOrder();
    expect(first.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(second.fingerprint).toBe(first.fingerprint);
  });

  it('does not depend on the process: a pinned shape has a pinned value', () => {
    expect(branch('pinned').fingerprint).toBe(PINNED_FINGERPRINT);
  });

  it('does not depend on the callbacks or on the order hooks were set in', () => {
    const a = new Saga('s').localStep().onExecute(keep).onFailure(keep).commit();
    const b = new Saga('s')
      .localStep()
      .onFailure(() => ({ other: 'code' }))
      .onExecute((context) => context.with({ n: 1 }))
      .commit();
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it.each([
    ['a hook is added', createOrder({ withError: true })],
    ['the version changes', createOrder({ version: '2' })],
    ["a sub-saga's version changes", createOrder({ expressVersion: '2' })],
  ])('changes when %s', (_change, changed) => {
    expect(changed.fingerprint).not.toBe(createOrder().fingerprint);
  });

  it('changes with the name, the step kinds and their order', () => {
    const local = new Saga('s').localStep().onExecute(keep).commit();
    const remote = new Saga('s').remoteStep().onExecute(reserve).commit();
    const renamed = new Saga('t').localStep().onExecute(keep).commit();
    const localThenRemote = new Saga('s').localStep().onExecute(keep).remoteStep().onExecute(reserve).commit();
    const remoteThenLocal = new Saga('s').remoteStep().onExecute(reserve).localStep().onExecute(keep).commit();
    const fingerprints = [local, remote, renamed, localThenRemote, remoteThenLocal].map((saga) => saga.fingerprint);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it("changes with a sub-saga's steps, the number of alternatives and the else branch", () => {
    const withSub = (sub: Saga) => new Saga('s').conditionalStep().ifThen(isExpress, sub).commit();
    const base = withSub(branch('a'));
    const deeper = withSub(new Saga('a').localStep().onExecute(keep).localStep().onExecute(keep).commit());
    const twoAlternatives = new Saga('s').conditionalStep().ifThen(isExpress, branch('a')).ifThen(isExpress, branch('a')).commit();
    const withElse = new Saga('s').conditionalStep().ifThen(isExpress, branch('a')).elseThen(branch('a')).commit();
    const onlyElse = new Saga('s').conditionalStep().elseThen(branch('a')).commit();
    const fingerprints = [base, deeper, twoAlternatives, withElse, onlyElse].map((saga) => saga.fingerprint);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  it('follows the shape of a saga still being built', () => {
    const saga = new Saga('s');
    const step = saga.localStep().onExecute(keep);
    const before = saga.fingerprint;
    step.onFailure(keep);
    expect(saga.fingerprint).not.toBe(before);
  });
});
