// The step kind registry: one module per kind the definitions know, each performing exactly the
// actions it produces, and nextAction/decide reaching a kind only through it.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, type SagaStepKind } from '@saga/definitions';
import { bind, compensationOf, isStepAction, startOf, stepActionTypes, stepKinds, type StepAction } from './index.js';

// Typed over the definitions' kind union: a kind added there and missing here fails to compile.
const definitionKinds: { readonly [K in SagaStepKind]: true } = { local: true, remote: true, conditional: true, parallel: true, child: true };

const keep = () => undefined;
const branch = (name: string) => new Saga(name).localStep().onExecute(keep).commit();
const child = new Saga('child').localStep().onExecute(keep).commit();

/** One step of every kind, built as users build them. */
const everyKind = (() => {
  const saga = new Saga('every_kind');
  saga.localStep().onExecute(keep).onFailure(keep);
  saga.remoteStep().onExecute(() => new SagaRequest('stock.reserve')).onFailure(() => new SagaRequest('stock.release'));
  saga.conditionalStep().ifThen(() => true, branch('express'));
  saga.parallelStep().branch(branch('left')).branch(branch('right'));
  saga.childStep(child);
  return saga.commit();
})();

describe('stepKinds: the registry', () => {
  it('has a module for every kind the definitions know, and only those, each under its own kind', () => {
    expect(Object.keys(stepKinds).sort()).toEqual(Object.keys(definitionKinds).sort());
    for (const [key, module] of Object.entries(stepKinds)) expect(module.kind).toBe(key);
  });

  it('gives every step its own kind module: the action that starts it is one that kind performs', () => {
    expect(everyKind.steps.map((step) => step.kind)).toEqual(['local', 'remote', 'conditional', 'parallel', 'child']);
    for (const [index, step] of everyKind.steps.entries()) {
      const action = startOf(step, String(index));
      expect(isStepAction(action)).toBe(true);
      if (!isStepAction(action)) continue;
      expect(bind(action)).toMatchObject({ kind: step.kind, path: String(index) });
    }
  });

  it('says which action starts each kind', () => {
    expect(everyKind.steps.map((step, index) => startOf(step, String(index)).type)).toEqual(['runLocal', 'sendRequest', 'chooseBranch', 'startParallel', 'startChild']);
  });

  it('has each step action performed by exactly one kind, and none of the decider’s own', () => {
    const types = stepActionTypes();
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual(
      ['runLocal', 'compensateLocal', 'sendRequest', 'compensateRemote', 'chooseBranch', 'finishConditional', 'startParallel', 'joinParallel', 'startChild', 'compensateChild'].sort(),
    );
    for (const type of ['complete', 'fail', 'requestVotes', 'decideVotes', 'cancel', 'startCompensation', 'await', 'idle'] as const) {
      expect(isStepAction({ type })).toBe(false);
    }
  });

  it('observes as a step of its own only the actions that run a step’s callbacks', () => {
    const observed = everyKind.steps.map((step, index) => {
      const action = startOf(step, String(index));
      return isStepAction(action) ? bind(action).observe : undefined;
    });
    expect(observed).toEqual([{ compensating: false }, { compensating: false }, { compensating: false }, undefined, undefined]);
  });

  it('compensates by kind: local and remote through onFailure, a child always, conditional and parallel never', () => {
    const compensations = everyKind.steps.map((step, index) => compensationOf(step, String(index))?.type);
    expect(compensations).toEqual(['compensateLocal', 'compensateRemote', undefined, undefined, 'compensateChild']);
    const plain = new Saga('plain').localStep().onExecute(keep).remoteStep().onExecute(() => new SagaRequest('stock.reserve')).commit();
    expect(plain.steps.map((step, index) => compensationOf(step, String(index)))).toEqual([undefined, undefined]);
    const undo = compensationOf(everyKind.steps[0]!, '0');
    expect(undo && bind(undo).observe).toEqual({ compensating: true });
  });

  // The decider binds only after isStepAction, and StepAction's type names only actions a kind
  // performs, so no typed caller gets here; a caller that casts (or plain JavaScript) does, and must
  // hear which action has no kind, not a TypeError about reading `kind` of undefined.
  it('refuses to bind an action no kind performs, naming the action', () => {
    for (const type of ['complete', 'fail', 'runRemote']) {
      expect(() => bind({ type, path: '0' } as unknown as StepAction)).toThrow(new TypeError(`No step kind performs the action '${type}'.`));
    }
  });
});
