// Child steps through `decide` alone: the parent records ChildStarted and hands back the child's
// SagaStarted as a command; the child's end (given as the child execution) finishes or fails the
// parent step; compensating the parent step asks the finished child to compensate its own steps.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest } from '@saga/definitions';
import { evolve, fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import { decide, type DecideInput, type Decision } from './decide.js';
import { executionIdForKey } from './executionIdForKey.js';
import { childExecutionId, childStartOf } from './stepKinds/childStep.js';
import { deciderOptions } from '../../test/deciderOptions.js';

const options = deciderOptions;
const startedFor = (definition: Saga, user: string | null = 'alice') =>
  sagaEvent('SagaStarted', {
    executionId: 'exec-1',
    definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
    context: { sku: 'A1' },
    user,
    autocommit: false,
    service: 'orders',
  });
const when = async (definition: Saga, execution: SagaExecution, input: DecideInput = { kind: 'start' }): Promise<Decision & { execution: SagaExecution }> => {
  const decision = await decide(definition, execution, input, options);
  return { ...decision, execution: decision.events.reduce(evolve, execution) };
};
const eventOf = <T extends SagaEvent['type']>(decision: Decision, type: T) =>
  decision.events.find((e): e is Extract<SagaEvent, { type: T }> => e.type === type);
const typesOf = (decision: Decision) => decision.events.map((e) => e.type);
/** The child's SagaStarted from the parent's decision, run as its own execution to its first rest. */
const runChild = async (child: Saga, parentDecision: Decision) => {
  const command = parentDecision.children?.find((c) => c.kind === 'start');
  if (command?.kind !== 'start') throw new Error('no child started');
  return when(child, fold([command.started]));
};

const undone: string[] = [];
const kid = new Saga('kid')
  .localStep()
  .onExecute((ctx) => ctx.with({ k: `K-${String(ctx.get('p'))}` }))
  .onFailure(() => void undone.push('kid'))
  .commit();
const parent = new Saga('parent')
  .localStep()
  .onExecute((ctx) => ctx.with({ p: 1 }))
  .onFailure(() => void undone.push('parent 0'))
  .childStep(kid)
  .onExecute((ctx) => ({ p: ctx.get('p') ?? null }))
  .onSuccess((ctx, shipped) => ctx.with({ got: shipped.context.get('k') ?? null, id: shipped.id }))
  .commit();
const kidId = executionIdForKey(kid, 'exec-1/1');

describe('decide: child steps', () => {
  it('startChild: ChildStarted with the derived child id, its definition and the context onExecute built; the child’s SagaStarted as a command', async () => {
    const decision = await when(parent, fold([startedFor(parent)]));
    expect(childExecutionId('exec-1', '1', kid)).toBe(kidId);
    expect(childExecutionId('exec-2', '1', kid)).not.toBe(kidId);
    expect(childExecutionId('exec-1', '2', kid)).not.toBe(kidId);
    const definition = { name: 'kid', version: kid.version, fingerprint: kid.fingerprint };
    expect(decision.events).toEqual([
      sagaEvent('StepFinished', { path: '0', kind: 'local', context: { sku: 'A1', p: 1 } }),
      sagaEvent('ChildStarted', { path: '1', childId: kidId, definition, context: { p: 1 } }),
    ]);
    expect(decision.outbox).toEqual([]);
    expect(decision.children).toHaveLength(1);
    const [command] = decision.children ?? [];
    expect(command?.kind).toBe('start');
    if (command?.kind !== 'start') return;
    expect(command.definition).toBe(kid);
    expect(command.started).toEqual(
      sagaEvent('SagaStarted', {
        executionId: kidId,
        definition,
        context: { p: 1 },
        user: 'alice',
        autocommit: false,
        service: 'orders',
        key: 'exec-1/1',
        parent: { executionId: 'exec-1', path: '1' },
      }),
    );
    expect(decision.execution).toMatchObject({ status: 'paused', phase: 'forward' });
    expect(decision.execution.pendingChildren).toMatchObject([{ path: '1', childId: kidId, purpose: 'execute' }]);
  });

  it('without onExecute the child starts from the parent’s context; a parent without a user gives the child none', async () => {
    const saga = new Saga('plain').childStep(kid).commit();
    const decision = await when(saga, fold([startedFor(saga, null)]));
    const id = executionIdForKey(kid, 'exec-1/0');
    expect(eventOf(decision, 'ChildStarted')?.data).toMatchObject({ path: '0', childId: id, context: { sku: 'A1' } });
    const [command] = decision.children ?? [];
    expect(command?.kind === 'start' && command.started.data).toMatchObject({ executionId: id, user: null, key: 'exec-1/0', context: { sku: 'A1' }, parent: { executionId: 'exec-1', path: '0' } });
  });

  it('an onExecute that throws fails the step without starting a child; the steps before are compensated', async () => {
    undone.length = 0;
    const saga = new Saga('bad_input')
      .localStep()
      .onExecute(keep)
      .onFailure(() => void undone.push('before'))
      .childStep(kid)
      .onExecute(() => {
        throw new Error('no input');
      })
      .commit();
    const decision = await when(saga, fold([startedFor(saga)]));
    const failed = eventOf(decision, 'StepFailed')?.data;
    expect(failed).toMatchObject({ path: '1', kind: 'child', status: 'errored-on-execute', compensate: false, error: { message: 'no input' } });
    expect(typesOf(decision)).not.toContain('ChildStarted');
    expect(decision.children ?? []).toEqual([]);
    expect(undone).toEqual(['before']);
    expect(decision.execution.status).toBe('errored');
  });

  it('childEnded, finished: ChildEnded with the child’s context, onSuccess merges into the parent’s context, the step finishes and the parent goes on', async () => {
    const paused = await when(parent, fold([startedFor(parent)]));
    const child = await runChild(kid, paused);
    expect(child.execution).toMatchObject({ status: 'finished', parent: { executionId: 'exec-1', path: '1' } });
    const decision = await when(parent, paused.execution, { kind: 'childEnded', child: child.execution });
    expect(decision.ignored).toBeUndefined();
    expect(decision.events.slice(0, 2)).toEqual([
      sagaEvent('ChildEnded', { path: '1', childId: kidId, outcome: 'finished', context: { p: 1, k: 'K-1' } }),
      sagaEvent('StepFinished', { path: '1', kind: 'child', context: { sku: 'A1', p: 1, got: 'K-1', id: kidId } }),
    ]);
    expect(decision.execution.context).toEqual({ sku: 'A1', p: 1, got: 'K-1', id: kidId });
    expect(decision.execution.pendingChildren).toEqual([]);
    expect(decision.execution.phase).not.toBe('compensating');
  });

  it('childEnded, finished, no onSuccess: the step finishes with the parent’s context unchanged', async () => {
    const saga = new Saga('plain').childStep(kid).commit();
    const paused = await when(saga, fold([startedFor(saga)]));
    const child = await runChild(kid, paused);
    const decision = await when(saga, paused.execution, { kind: 'childEnded', child: child.execution });
    expect(eventOf(decision, 'StepFinished')?.data).toEqual({ path: '0', kind: 'child', context: { sku: 'A1' } });
  });

  it('childEnded, finished, onSuccess throws: the step fails to be compensated with the others (the child is asked to compensate)', async () => {
    const saga = new Saga('unhappy')
      .childStep(kid)
      .onSuccess(() => {
        throw new Error('cannot read');
      })
      .commit();
    const paused = await when(saga, fold([startedFor(saga)]));
    const child = await runChild(kid, paused);
    const id = executionIdForKey(kid, 'exec-1/0');
    const decision = await when(saga, paused.execution, { kind: 'childEnded', child: child.execution });
    expect(eventOf(decision, 'StepFailed')?.data).toMatchObject({ path: '0', kind: 'child', status: 'errored-on-success', compensate: true, error: { message: 'cannot read' } });
    expect(eventOf(decision, 'ChildCompensationRequested')?.data).toEqual({ path: '0', childId: id });
    expect(decision.children).toEqual([{ kind: 'compensate', childId: id, parentId: 'exec-1' }]);
  });

  it('childEnded, errored: ChildEnded with the child’s error, the parent step fails (nothing left to undo in it) and the steps before are compensated', async () => {
    undone.length = 0;
    const failing = new Saga('kid').localStep().onExecute(() => {
      throw new Error('boom');
    }).commit();
    const saga = new Saga('parent')
      .localStep()
      .onExecute(keep)
      .onFailure(() => void undone.push('parent 0'))
      .childStep(failing)
      .commit();
    const paused = await when(saga, fold([startedFor(saga)]));
    const child = await runChild(failing, paused);
    expect(child.execution.status).toBe('errored');
    const id = executionIdForKey(failing, 'exec-1/1');
    const decision = await when(saga, paused.execution, { kind: 'childEnded', child: child.execution });
    const error = child.execution.error;
    expect(error).toMatchObject({ message: 'boom' });
    expect(decision.events.slice(0, 2)).toEqual([
      sagaEvent('ChildEnded', { path: '1', childId: id, outcome: 'errored', error: error as never }),
      sagaEvent('StepFailed', {
        path: '1',
        kind: 'child',
        status: 'errored-by-on-execute',
        error: { name: 'ChildSagaFailedError', message: `Child ${id} (kid) failed: ${String(error?.name)}: boom` },
        compensate: false,
      }),
    ]);
    expect(eventOf(decision, 'StepCompensated')?.data).toEqual({ path: '0', context: { sku: 'A1' } });
    expect(typesOf(decision)).not.toContain('ChildCompensationRequested');
    expect(undone).toEqual(['parent 0']);
    expect(decision.execution).toMatchObject({ status: 'errored', error: { name: 'ChildSagaFailedError' } });
  });

  describe('compensating a parent step whose child finished', () => {
    const failsAfter = (child: Saga) =>
      new Saga('parent_fails')
        .childStep(child)
        .localStep()
        .onExecute(() => {
          throw new Error('invoice refused');
        })
        .commit();
    const toCompensation = async (child: Saga) => {
      const saga = failsAfter(child);
      const paused = await when(saga, fold([startedFor(saga)]));
      const ran = await runChild(child, paused);
      const compensating = await when(saga, paused.execution, { kind: 'childEnded', child: ran.execution });
      return { saga, ran, compensating, id: executionIdForKey(child, 'exec-1/0') };
    };

    it('the parent records ChildCompensationRequested and commands the child to compensate; it waits for the child', async () => {
      const { compensating, id } = await toCompensation(kid);
      expect(typesOf(compensating)).toEqual(['ChildEnded', 'StepFinished', 'StepFailed', 'ChildCompensationRequested']);
      expect(eventOf(compensating, 'ChildCompensationRequested')?.data).toEqual({ path: '0', childId: id });
      expect(compensating.children).toEqual([{ kind: 'compensate', childId: id, parentId: 'exec-1' }]);
      expect(compensating.outbox).toEqual([]);
      expect(compensating.execution.pendingChildren).toMatchObject([{ path: '0', childId: id, purpose: 'compensate' }]);
    });

    it('compensateAsChild on the child: CompensationRequested with the parent, then the child undoes its steps; the parent’s childEnded marks the step compensated', async () => {
      undone.length = 0;
      const { saga, ran, compensating, id } = await toCompensation(kid);
      const childSide = await when(kid, ran.execution, { kind: 'compensateAsChild', parentId: 'exec-1' });
      expect(childSide.events[0]).toEqual(sagaEvent('CompensationRequested', { parentId: 'exec-1' }));
      expect(typesOf(childSide)).toContain('StepCompensated');
      expect(undone).toEqual(['kid']);
      const done = await when(saga, compensating.execution, { kind: 'childEnded', child: childSide.execution });
      expect(done.events.slice(0, 2)).toEqual([sagaEvent('ChildEnded', { path: '0', childId: id, outcome: 'compensated' }), sagaEvent('StepCompensated', { path: '0' })]);
      expect(done.execution).toMatchObject({ status: 'errored', phase: 'ended' });
    });

    it('a child whose compensation failed: ChildEnded compensation-failed and the parent’s compensation fails at that step, naming the child’s', async () => {
      const stubborn = new Saga('kid')
        .localStep()
        .onExecute((ctx) => ctx.with({ k: 1 }))
        .onFailure(() => {
          throw new Error('cannot undo');
        })
        .commit();
      const { saga, ran, compensating, id } = await toCompensation(stubborn);
      const childSide = await when(stubborn, ran.execution, { kind: 'compensateAsChild', parentId: 'exec-1' });
      const failed = childSide.execution.compensation.failed;
      expect(failed).toMatchObject({ path: '0' });
      const done = await when(saga, compensating.execution, { kind: 'childEnded', child: childSide.execution });
      expect(done.events.slice(0, 2)).toEqual([
        sagaEvent('ChildEnded', { path: '0', childId: id, outcome: 'compensation-failed', error: failed?.error as never }),
        sagaEvent('CompensationFailed', { path: '0', error: { name: String(failed?.error.name), message: `Child ${id} could not compensate step 0: ${String(failed?.error.message)}` } }),
      ]);
    });

    it('a child step with no child recorded cannot be compensated: CompensationFailed names a corrupted history', async () => {
      const saga = failsAfter(kid);
      const execution = fold([startedFor(saga), sagaEvent('StepFinished', { path: '0', kind: 'child', context: { sku: 'A1' } })]);
      const decision = await when(saga, execution, { kind: 'continue' });
      expect(eventOf(decision, 'CompensationFailed')?.data).toEqual({
        path: '0',
        error: { name: 'CorruptedHistoryError', message: 'Child step 0 has no child execution recorded to compensate.' },
      });
      expect(typesOf(decision)).toEqual(['StepFailed', 'CompensationFailed']);
      expect(decision.children ?? []).toEqual([]);
    });
  });

  it('compensateAsChild on an execution that has not finished is ignored with a reason', async () => {
    const waiting = new Saga('kid').remoteStep().onExecute(() => new SagaRequest('x.do', {})).commit();
    const paused = await when(waiting, fold([startedFor(waiting)]));
    const decision = await when(waiting, paused.execution, { kind: 'compensateAsChild', parentId: 'exec-0' });
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toBe('not a finished execution (paused): nothing to compensate');
  });

  it('compensateAsChild on an execution that ended without finishing (errored) is ignored with a reason', async () => {
    const failing = new Saga('kid')
      .localStep()
      .onExecute(() => {
        throw new Error('boom');
      })
      .commit();
    const ended = await when(failing, fold([startedFor(failing)]));
    expect(ended.execution).toMatchObject({ phase: 'ended', status: 'errored' });
    const decision = await when(failing, ended.execution, { kind: 'compensateAsChild', parentId: 'exec-0' });
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toBe('not a finished execution (errored): nothing to compensate');
  });

  it('childStartOf rebuilds the child’s SagaStarted from the parent’s record (what recovery starts a lost child with)', async () => {
    const paused = await when(parent, fold([startedFor(parent)]));
    const [command] = paused.children ?? [];
    const [pending] = paused.execution.pendingChildren;
    if (command?.kind !== 'start' || !pending) throw new Error('no child started');
    expect(childStartOf(paused.execution, pending)).toEqual(command.started);
  });

  it('childEnded, errored without an error recorded: the step fails with the default error', async () => {
    const failing = new Saga('kid')
      .localStep()
      .onExecute(() => {
        throw new Error('boom');
      })
      .commit();
    const saga = new Saga('parent').childStep(failing).commit();
    const paused = await when(saga, fold([startedFor(saga)]));
    const child = await runChild(failing, paused);
    const id = executionIdForKey(failing, 'exec-1/0');
    const { error: _dropped, ...withoutError } = child.execution;
    const decision = await when(saga, paused.execution, { kind: 'childEnded', child: withoutError as SagaExecution });
    expect(eventOf(decision, 'ChildEnded')?.data).toEqual({ path: '0', childId: id, outcome: 'errored', error: { name: 'SagaFailedError', message: 'the child failed' } });
    expect(eventOf(decision, 'StepFailed')?.data.error).toEqual({ name: 'ChildSagaFailedError', message: `Child ${id} (kid) failed: SagaFailedError: the child failed` });
  });

  it('a child step in a parallel branch starts its child and the other branch still sends its request in the same decision', async () => {
    const saga = new Saga('parallel_child')
      .parallelStep()
      .branch(new Saga('with_child').childStep(kid).commit())
      .branch(new Saga('with_request').remoteStep().onExecute(() => new SagaRequest('b.do', {})).commit())
      .commit();
    const decision = await when(saga, fold([startedFor(saga)]));
    const id = executionIdForKey(kid, 'exec-1/0.0.0');
    expect(eventOf(decision, 'ChildStarted')?.data).toMatchObject({ path: '0.0.0', childId: id });
    expect(eventOf(decision, 'RequestSent')?.data).toMatchObject({ path: '0.1.0', target: 'b.do' });
    expect(decision.outbox.map((o) => o.topic)).toEqual(['b.do']);
    expect(decision.children?.map((c) => c.kind)).toEqual(['start']);
  });

  it('compensating a child step that is not the first step asks the child recorded at its own path', async () => {
    const saga = new Saga('parent_later')
      .localStep()
      .onExecute(keep)
      .childStep(kid)
      .localStep()
      .onExecute(() => {
        throw new Error('invoice refused');
      })
      .commit();
    const paused = await when(saga, fold([startedFor(saga)]));
    const ran = await runChild(kid, paused);
    const decision = await when(saga, paused.execution, { kind: 'childEnded', child: ran.execution });
    const id = executionIdForKey(kid, 'exec-1/1');
    expect(eventOf(decision, 'ChildCompensationRequested')?.data).toEqual({ path: '1', childId: id });
    expect(typesOf(decision)).not.toContain('CompensationFailed');
    expect(decision.children).toEqual([{ kind: 'compensate', childId: id, parentId: 'exec-1' }]);
  });

  it('a child end for a child it does not await is ignored with a reason; so is a child that has not ended', async () => {
    const paused = await when(parent, fold([startedFor(parent)]));
    const other = fold([{ ...startedFor(kid), data: { ...startedFor(kid).data, executionId: 'someone-else' } }]);
    const stranger = await when(parent, paused.execution, { kind: 'childEnded', child: other });
    expect(stranger.events).toEqual([]);
    expect(stranger.ignored).toBe('child someone-else is not awaited by execution exec-1');

    const notYet = fold([{ ...startedFor(kid), data: { ...startedFor(kid).data, executionId: kidId } }]);
    const early = await when(parent, paused.execution, { kind: 'childEnded', child: notYet });
    expect(early.events).toEqual([]);
    expect(early.ignored).toBe(`child ${kidId} has not ended yet (${notYet.status})`);
  });
});

const keep = () => undefined;
