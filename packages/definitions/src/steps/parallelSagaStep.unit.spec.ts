import { describe, expect, it } from 'vitest';
import { Saga } from '../saga.js';
import { stepAtPath } from '../stepPath.js';
import { TooFewBranchesError, SagaNotCommittedError } from '../errors/definitionErrors.js';
import type { ParallelSagaStep } from './parallelSagaStep.js';
import type { ChildSagaStep } from './childSagaStep.js';

const branch = (name: string) => new Saga(name).localStep().onExecute(() => undefined).commit();

describe('parallelStep', () => {
  it('holds its branches in order, addressed by path <step>.<branch>.<index>', () => {
    const stock = branch('stock');
    const payment = branch('payment');
    const saga = new Saga('order').localStep().onExecute(() => undefined).parallelStep().branch(stock).branch(payment).commit();
    const step = saga.steps[1] as ParallelSagaStep;
    expect(step.kind).toBe('parallel');
    expect(step.branches).toEqual([stock, payment]);
    expect(stepAtPath(saga, '1.1.0')).toBe(payment.steps[0]);
    expect(stepAtPath(saga, '1.2.0')).toBeUndefined();
  });

  it('refuses fewer than two branches, saying what to do', () => {
    expect(() => new Saga('one').parallelStep().branch(branch('only')).commit()).toThrow(TooFewBranchesError);
    expect(() => new Saga('one').parallelStep().branch(branch('only')).commit()).toThrow(/at least two branches, but has 1/);
    expect(() => new Saga('none').parallelStep().commit()).toThrow(/call branch\(saga\) at least twice/);
  });

  it('refuses a branch that is not a committed saga, naming the branch', () => {
    expect(() => new Saga('p').parallelStep().branch(branch('a')).branch(new Saga('draft').localStep().onExecute(() => undefined).saga as Saga).commit()).toThrow(SagaNotCommittedError);
    expect(() => new Saga('p').parallelStep().branch({} as Saga)).toThrow(/branch\(\) needs a Saga/);
  });

  it('is part of the shape: another branch or an onJoin changes the fingerprint', () => {
    const a = branch('a');
    const b = branch('b');
    const plain = new Saga('p').parallelStep().branch(a).branch(b).commit();
    const joined = new Saga('p').parallelStep().branch(a).branch(b).onJoin((ctx) => ctx).commit();
    const three = new Saga('p').parallelStep().branch(a).branch(b).branch(a).commit();
    expect(new Set([plain.fingerprint, joined.fingerprint, three.fingerprint]).size).toBe(3);
    expect(plain.describe().steps[0]).toMatchObject({ kind: 'parallel', hooks: [] });
  });
});

describe('childStep', () => {
  it('pins the child by name, version and shape; hooks are part of the shape', () => {
    const child = new Saga('ship_parcel', { version: '2' }).localStep().onExecute(() => undefined).commit();
    const saga = new Saga('order').childStep(child).onExecute((ctx) => ctx).onSuccess((ctx) => ctx).commit();
    const step = saga.steps[0] as ChildSagaStep;
    expect(step.child).toBe(child);
    expect(saga.describe().steps[0]).toEqual({ kind: 'child', child: { name: 'ship_parcel', version: '2', fingerprint: child.fingerprint }, hooks: ['onExecute', 'onSuccess'] });
  });

  it('refuses a child that is not committed', () => {
    const draft = new Saga('draft');
    draft.localStep().onExecute(() => undefined);
    expect(() => new Saga('order').childStep(draft).commit()).toThrow(SagaNotCommittedError);
  });
});
