import { describe, expect, it } from 'vitest';
import { Saga } from './saga.js';
import { SagaRequest } from './sagaRequest.js';
import { branchPrefix, sagaOfBranch, stepAtPath, stepPath } from './stepPath.js';
import { ConditionalSagaStep } from './steps/conditionalSagaStep.js';

const keep = () => undefined;
const always = () => true;

// top: 0 local, 1 remote, 2 conditional
//   2.0 = fast:   0 local, 1 conditional
//     2.0.1.0     = inner: 0 remote
//     2.0.1.else  = fallback: 0 local
//   2.else = slow: 0 local
const inner = new Saga('inner').remoteStep().onExecute(() => new SagaRequest('x')).commit();
const fallback = new Saga('fallback').localStep().onExecute(keep).commit();
const fast = new Saga('fast').localStep().onExecute(keep).conditionalStep().ifThen(always, inner).elseThen(fallback).commit();
const slow = new Saga('slow').localStep().onExecute(keep).commit();
const top = new Saga('top')
  .localStep()
  .onExecute(keep)
  .remoteStep()
  .onExecute(() => new SagaRequest('y'))
  .conditionalStep()
  .ifThen(always, fast)
  .elseThen(slow)
  .commit();

describe('stepPath and branchPrefix', () => {
  it('build dot-separated paths', () => {
    expect(stepPath(undefined, 2)).toBe('2');
    expect(branchPrefix('2', 0)).toBe('2.0');
    expect(branchPrefix('2', 'else')).toBe('2.else');
    expect(stepPath(branchPrefix('2', 0), 1)).toBe('2.0.1');
    expect(stepPath(branchPrefix(stepPath(branchPrefix('2', 0), 1), 'else'), 0)).toBe('2.0.1.else.0');
  });
});

describe('stepAtPath', () => {
  it('finds top-level steps', () => {
    expect(stepAtPath(top, '0')).toBe(top.steps[0]);
    expect(stepAtPath(top, '2')).toBe(top.steps[2]);
  });

  it('resolves through the branches of nested conditional steps', () => {
    expect(stepAtPath(top, '2.0.0')).toBe(fast.steps[0]);
    expect(stepAtPath(top, '2.0.1')).toBe(fast.steps[1]);
    expect(stepAtPath(top, '2.0.1.0.0')).toBe(inner.steps[0]);
    expect(stepAtPath(top, '2.0.1.else.0')).toBe(fallback.steps[0]);
    expect(stepAtPath(top, '2.else.0')).toBe(slow.steps[0]);
  });

  it('finds the step at every path the builders produce', () => {
    const path = stepPath(branchPrefix(stepPath(branchPrefix('2', 0), 1), 'else'), 0);
    expect(stepAtPath(top, path)?.kind).toBe('local');
  });

  it.each([
    ['a missing top-level step', '3'],
    ['a missing branch', '2.1.0'],
    ['a missing step in a branch', '2.else.1'],
    ['a branch of a step that is not conditional', '1.0.0'],
    ['a path that stops at a branch', '2.0'],
    ['an empty path', ''],
    ['a negative index', '-1'],
    ['a leading zero', '02'],
    ['a non-numeric segment', 'a'],
    ['a fractional index', '1.5'],
    ['a trailing dot', '2.'],
  ])('gives undefined for %s', (_case, path) => {
    expect(stepAtPath(top, path)).toBeUndefined();
  });
});

describe('sagaOfBranch', () => {
  it('gives the alternative saga by index, or the else saga', () => {
    const step = top.steps[2] as ConditionalSagaStep;
    expect(sagaOfBranch(step, 0)).toBe(fast);
    expect(sagaOfBranch(step, 'else')).toBe(slow);
    expect(sagaOfBranch(step, 1)).toBeUndefined();
    expect(sagaOfBranch(new ConditionalSagaStep().ifThen(always, fast), 'else')).toBeUndefined();
  });
});
