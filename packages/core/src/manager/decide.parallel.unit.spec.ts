// Parallel steps through `decide` alone: each branch's requests, replies applied to their branch
// by requestId in any order, the join (default merge or onJoin), and a failing branch that waits
// for the others' requests in flight before every branch is compensated in its own reverse order.
import { describe, expect, it } from 'vitest';
import { Saga, SagaRequest, type JsonValue, type SagaContext } from '@saga/definitions';
import { evolve, fold, sagaEvent, type SagaEvent, type SagaExecution } from '@saga/execution';
import { decide, type DecideInput, type Decision } from './decide.js';
import { deciderOptions } from '../../test/deciderOptions.js';

const options = deciderOptions;
const started = (definition: Saga, context = { sku: 'A1' }) =>
  fold([
    sagaEvent('SagaStarted', {
      executionId: 'exec-1',
      definition: { name: definition.name, version: definition.version, fingerprint: definition.fingerprint },
      context,
      user: 'alice',
      autocommit: true,
      service: 'orders',
    }),
  ]);
const when = async (definition: Saga, execution: SagaExecution, input: DecideInput = { kind: 'start' }): Promise<Decision & { execution: SagaExecution }> => {
  const decision = await decide(definition, execution, input, options);
  return { ...decision, execution: decision.events.reduce(evolve, execution) };
};
const requestTo = (execution: SagaExecution, target: string): string => {
  const pending = execution.pendingRequests.find((p) => p.target === target);
  if (!pending) throw new Error(`no request to ${target} is pending`);
  return pending.requestId;
};
const reply = (requestId: string, status: 200 | 400 | 500 = 200, payload: unknown = null) =>
  ({ kind: 'reply', reply: { sagaId: 'exec-1', requestId, status, payload, relatedServices: ['x'] } }) as DecideInput;
const steps = (decision: Decision) =>
  decision.events.filter((e) => e.type.startsWith('Step')).map((e) => `${e.type} ${(e.data as { path: string }).path}`);
const eventOf = <T extends SagaEvent['type']>(decision: Decision, type: T) =>
  decision.events.find((e): e is Extract<SagaEvent, { type: T }> => e.type === type);
const finishedAt = (decision: Decision, path: string) =>
  decision.events.find((e): e is Extract<SagaEvent, { type: 'StepFinished' }> => e.type === 'StepFinished' && e.data.path === path)?.data;

const undone: string[] = [];
// Branch a: a local step, then a remote one; branch b: one remote step.
const branchA = new Saga('a')
  .localStep()
  .onExecute((ctx) => ctx.with({ aLocal: true }))
  .onFailure(() => void undone.push('a local'))
  .remoteStep()
  .onExecute(() => new SagaRequest('a.do', { x: 1 }))
  .onSuccess((ctx, r) => ctx.with({ a: r.payload }))
  .onFailure(() => new SagaRequest('a.undo', { x: 1 }))
  .commit();
const branchB = new Saga('b')
  .remoteStep()
  .onExecute(() => new SagaRequest('b.do', {}))
  .onSuccess((ctx, r) => ctx.with({ b: r.payload }))
  .localStep()
  .onExecute((ctx) => ctx.with({ bLocal: true }))
  .commit();
const order = new Saga('parallel_order')
  .localStep()
  .onExecute((ctx) => ctx.with({ validated: true }))
  .onFailure(() => void undone.push('validation'))
  .parallelStep()
  .branch(branchA)
  .branch(branchB)
  .localStep()
  .onExecute((ctx) => ctx.with({ shipped: true }))
  .commit();

describe('decide: parallel steps', () => {
  it('start: ParallelStarted with the branch count, then each branch’s first request in branch order, and both in the outbox', async () => {
    const decision = await when(order, started(order));
    expect(steps(decision)).toEqual(['StepFinished 0', 'StepFinished 1.0.0']);
    expect(decision.events.map((e) => e.type)).toEqual(['StepFinished', 'ParallelStarted', 'StepFinished', 'RequestSent', 'TimerScheduled', 'RequestSent', 'TimerScheduled']);
    expect(eventOf(decision, 'ParallelStarted')?.data).toEqual({ path: '1', branches: 2 });
    const sent = decision.events.filter((e): e is Extract<SagaEvent, { type: 'RequestSent' }> => e.type === 'RequestSent').map((e) => [e.data.path, e.data.target, e.data.payload]);
    expect(sent).toEqual([
      ['1.0.1', 'a.do', { x: 1 }],
      ['1.1.0', 'b.do', {}],
    ]);
    expect(decision.outbox.map((o) => [o.topic, o.message.headers.purpose, o.message.body])).toEqual([
      ['a.do', 'execute', { x: 1 }],
      ['b.do', 'execute', {}],
    ]);
    // Each branch starts from the context the parallel step started with.
    expect(decision.execution.parallelSteps).toEqual([
      { path: '1', start: { sku: 'A1', validated: true }, branches: [{ sku: 'A1', validated: true, aLocal: true }, { sku: 'A1', validated: true }] },
    ]);
    expect(decision.execution.pendingRequests.map((p) => p.path)).toEqual(['1.0.1', '1.1.0']);
    expect(decision.execution.status).toBe('paused');
  });

  it('replies in any order: each goes to its own branch by requestId; the step joins (default merge, branch order) once both answered', async () => {
    const paused = await when(order, started(order));
    const first = await when(order, paused.execution, reply(requestTo(paused.execution, 'b.do'), 200, 'B'));
    // Branch b finishes; branch a still waits: no join, no later step.
    expect(steps(first)).toEqual(['StepFinished 1.1.0', 'StepFinished 1.1.1']);
    expect(finishedAt(first, '1.1.1')?.context).toEqual({ sku: 'A1', validated: true, b: 'B', bLocal: true });
    expect(first.events.map((e) => e.type)).not.toContain('SagaCompleted');
    expect(first.outbox).toEqual([]);
    expect(first.execution.pendingRequests.map((p) => p.target)).toEqual(['a.do']);

    const second = await when(order, first.execution, reply(requestTo(first.execution, 'a.do'), 200, 'A'));
    expect(steps(second)).toEqual(['StepFinished 1.0.1', 'StepFinished 1', 'StepFinished 2']);
    expect(finishedAt(second, '1.0.1')?.context).toEqual({ sku: 'A1', validated: true, aLocal: true, a: 'A' });
    expect(finishedAt(second, '1')).toEqual({ path: '1', kind: 'parallel', context: { sku: 'A1', validated: true, aLocal: true, a: 'A', b: 'B', bLocal: true } });
    expect(finishedAt(second, '2')?.context).toEqual({ sku: 'A1', validated: true, aLocal: true, a: 'A', b: 'B', bLocal: true, shipped: true });
    expect(second.execution.status).toBe('finished');
  });

  it('a reply for a request no branch sent is ignored', async () => {
    const paused = await when(order, started(order));
    const decision = await when(order, paused.execution, reply('nobody-sent-this'));
    expect(decision.events).toEqual([]);
    expect(decision.ignored).toEqual(expect.any(String));
  });

  describe('replies decided together (one input with several replies)', () => {
    const envelope = (requestId: string, payload: JsonValue) => ({ sagaId: 'exec-1', requestId, status: 200 as const, payload, relatedServices: ['x'] });

    it('both branches’ replies in one decision: each applied to its branch, the step joins once', async () => {
      const paused = await when(order, started(order));
      const decision = await when(order, paused.execution, {
        kind: 'replies',
        replies: [envelope(requestTo(paused.execution, 'b.do'), 'B'), envelope(requestTo(paused.execution, 'a.do'), 'A')],
      });
      expect(decision.ignored).toBeUndefined();
      expect(decision.ignoredReplies).toBeUndefined();
      // Both replies are applied first, then the walk goes on: branch b's local step, the join, the next step.
      expect(steps(decision)).toEqual(['StepFinished 1.1.0', 'StepFinished 1.0.1', 'StepFinished 1.1.1', 'StepFinished 1', 'StepFinished 2']);
      expect(finishedAt(decision, '1')?.context).toEqual({ sku: 'A1', validated: true, aLocal: true, a: 'A', b: 'B', bLocal: true });
    });

    it('a reply that matches nothing is listed with its reason while the others are applied', async () => {
      const paused = await when(order, started(order));
      const decision = await when(order, paused.execution, { kind: 'replies', replies: [envelope('stray', null), envelope(requestTo(paused.execution, 'b.do'), 'B')] });
      expect(decision.ignored).toBeUndefined();
      expect(decision.ignoredReplies).toHaveLength(1);
      expect(decision.ignoredReplies?.[0]).toContain('stray');
      expect(steps(decision)).toEqual(['StepFinished 1.1.0', 'StepFinished 1.1.1']);
    });

    it('when no reply of the batch matches, the decision is empty and says how many were ignored', async () => {
      const paused = await when(order, started(order));
      const decision = await when(order, paused.execution, { kind: 'replies', replies: [envelope('stray-1', null), envelope('stray-2', null)] });
      expect(decision.events).toEqual([]);
      expect(decision.outbox).toEqual([]);
      expect(decision.ignored).toBe('2 replies matched nothing');
      expect(decision.ignoredReplies).toHaveLength(2);
    });
  });

  describe('the default join', () => {
    const local = (name: string, change: (ctx: SagaContext) => SagaContext) =>
      new Saga(name).localStep().onExecute(change).commit();
    it('takes what each branch changed, branch by branch: a later branch wins a key both changed, a key a branch left as it was keeps the other’s change, a removed key is removed', async () => {
      const saga = new Saga('merge')
        .parallelStep()
        .branch(local('x', (ctx) => ctx.with({ shared: 'x', kept: 'x', x: 1 })))
        .branch(local('y', (ctx) => ctx.with({ shared: 'y', y: 2 }).without('gone')))
        .commit();
      const decision = await when(saga, started(saga, { shared: 'start', kept: 'start', gone: 'start', same: 1 } as never));
      expect(finishedAt(decision, '0')).toEqual({ path: '0', kind: 'parallel', context: { shared: 'y', kept: 'x', same: 1, x: 1, y: 2 } });
      expect(decision.execution.status).toBe('finished');
    });

    it('a branch that sets a key to the value it started with does not undo another branch’s change', async () => {
      const saga = new Saga('merge_same')
        .parallelStep()
        .branch(local('x', (ctx) => ctx.with({ n: { deep: 2 } })))
        .branch(local('y', (ctx) => ctx.with({ n: { deep: 1 } })))
        .commit();
      const decision = await when(saga, started(saga, { n: { deep: 1 } } as never));
      expect(finishedAt(decision, '0')?.context).toEqual({ n: { deep: 2 } });
    });
  });

  describe('onJoin', () => {
    it('gets the context before the step and each branch’s in branch order; what it returns is the step’s context', async () => {
      const seen: unknown[] = [];
      const saga = new Saga('join')
        .parallelStep()
        .branch(new Saga('a').localStep().onExecute((ctx) => ctx.with({ a: 1 })).commit())
        .branch(new Saga('b').localStep().onExecute((ctx) => ctx.with({ b: 2 })).commit())
        .onJoin((ctx, branches) => {
          seen.push(ctx.toJSON(), branches.map((b) => b.toJSON()));
          return ctx.with({ total: (branches[0]?.get('a') as number) + (branches[1]?.get('b') as number) });
        })
        .commit();
      const decision = await when(saga, started(saga, { start: true } as never));
      expect(seen).toEqual([{ start: true }, [{ start: true, a: 1 }, { start: true, b: 2 }]]);
      expect(finishedAt(decision, '0')).toEqual({ path: '0', kind: 'parallel', context: { start: true, total: 3 } });
    });

    it('an onJoin that throws fails the step (nothing of its own to undo) and the branches are compensated', async () => {
      const log: string[] = [];
      const saga = new Saga('join_throws')
        .parallelStep()
        .branch(new Saga('a').localStep().onExecute((ctx) => ctx.with({ a: 1 })).onFailure(() => void log.push('a')).commit())
        .branch(new Saga('b').localStep().onExecute((ctx) => ctx.with({ b: 2 })).onFailure(() => void log.push('b')).commit())
        .onJoin(() => {
          throw new Error('cannot join');
        })
        .commit();
      const decision = await when(saga, started(saga));
      const failed = eventOf(decision, 'StepFailed')?.data;
      expect(failed).toMatchObject({ path: '0', kind: 'parallel', status: 'errored-on-execute', compensate: false });
      expect(failed?.error).toMatchObject({ message: 'cannot join' });
      expect(steps(decision)).toEqual(['StepFinished 0.0.0', 'StepFinished 0.1.0', 'StepFailed 0', 'StepCompensated 0.1.0', 'StepCompensated 0.0.0']);
      expect(log).toEqual(['b', 'a']);
      expect(decision.execution.status).toBe('errored');
    });
  });

  it('a failing branch: the other branch starts nothing more, its request in flight is awaited, then each branch is compensated in its own reverse order, then the steps before', async () => {
    undone.length = 0;
    const paused = await when(order, started(order));
    const failed = await when(order, paused.execution, reply(requestTo(paused.execution, 'b.do'), 400, { reason: 'no' }));
    expect(steps(failed)).toEqual(['StepFailed 1.1.0']);
    // Branch a's request is still in flight: no compensation yet.
    expect(failed.events.map((e) => e.type)).not.toContain('CompensationStarted');
    expect(failed.outbox).toEqual([]);
    expect(failed.execution.phase).toBe('forward');
    expect(undone).toEqual([]);

    const answered = await when(order, failed.execution, reply(requestTo(failed.execution, 'a.do'), 200, 'A'));
    const types = answered.events.map((e) => e.type);
    expect(steps(answered)).toEqual(['StepFinished 1.0.1']);
    expect(types.indexOf('CompensationStarted')).toBeGreaterThan(types.indexOf('StepFinished'));
    expect(types).toContain('CompensationRequestSent');
    expect(eventOf(answered, 'CompensationRequestSent')?.data).toMatchObject({ path: '1.0.1', target: 'a.undo', payload: { x: 1 } });
    expect(answered.outbox.map((o) => [o.topic, o.message.headers.purpose])).toEqual([['a.undo', 'compensate']]);
    // The joined step and the step after it never ran.
    expect(finishedAt(answered, '1')).toBeUndefined();
    expect(finishedAt(answered, '2')).toBeUndefined();

    const undoneA = await when(order, answered.execution, reply(requestTo(answered.execution, 'a.undo')));
    expect(steps(undoneA)).toEqual(['StepCompensated 1.0.1', 'StepCompensated 1.0.0', 'StepCompensated 0']);
    expect(undone).toEqual(['a local', 'validation']);
    expect(undoneA.execution.status).toBe('errored');
  });

  describe('timers with a request in flight in each branch', () => {
    const hurried = new Saga('parallel_hurried', { deadlineMs: 10_000 })
      .localStep()
      .onExecute((ctx) => ctx.with({ validated: true }))
      .parallelStep()
      .branch(branchA)
      .branch(branchB)
      .commit();
    const timerOf = (execution: SagaExecution, purpose: string, requestId?: string) => {
      const found = execution.timers.find((t) => t.purpose === purpose && (requestId === undefined || t.requestId === requestId));
      if (!found) throw new Error(`no ${purpose} timer`);
      return found.timerId;
    };

    it('a reply timer fails the step of its own request, not the first one awaited', async () => {
      const paused = await when(order, started(order));
      const b = requestTo(paused.execution, 'b.do');
      const decision = await when(order, paused.execution, { kind: 'timer', timerId: timerOf(paused.execution, 'reply', b) });
      expect(eventOf(decision, 'StepFailed')?.data).toMatchObject({ path: '1.1.0', kind: 'remote', status: 'timed-out', requestId: b });
      expect(decision.events.filter((e) => e.type === 'StepFailed')).toHaveLength(1);
      expect(decision.execution.pendingRequests.map((p) => p.target)).toEqual(['a.do']);
    });

    it('the deadline fails every branch’s request in flight, each at its own path', async () => {
      const paused = await when(hurried, started(hurried));
      const a = requestTo(paused.execution, 'a.do');
      const b = requestTo(paused.execution, 'b.do');
      const decision = await when(hurried, paused.execution, { kind: 'timer', timerId: timerOf(paused.execution, 'deadline') });
      expect(decision.events.filter((e) => e.type === 'StepFailed').map((e) => [e.data.path, (e.data as { requestId?: string }).requestId, e.data.error.name])).toEqual([
        ['1.0.1', a, 'DeadlineExceededError'],
        ['1.1.0', b, 'DeadlineExceededError'],
      ]);
      expect(decision.warnings).toHaveLength(2);
    });
  });

  it('nested: a parallel step and a conditional step inside a branch run with their own paths and join into the outer step', async () => {
    const inner = new Saga('inner')
      .parallelStep()
      .branch(new Saga('i0').localStep().onExecute((ctx) => ctx.with({ i0: true })).commit())
      .branch(new Saga('i1').localStep().onExecute((ctx) => ctx.with({ i1: true })).commit())
      .commit();
    const saga = new Saga('nested')
      .parallelStep()
      .branch(inner)
      .branch(
        new Saga('cond')
          .conditionalStep()
          .ifThen((ctx) => ctx.get('sku') === 'A1', new Saga('yes').localStep().onExecute((ctx) => ctx.with({ chosen: 'yes' })).commit())
          .commit(),
      )
      .commit();
    const decision = await when(saga, started(saga));
    expect(decision.events.filter((e) => e.type === 'ParallelStarted').map((e) => e.data)).toEqual([
      { path: '0', branches: 2 },
      { path: '0.0.0', branches: 2 },
    ]);
    expect(finishedAt(decision, '0')?.context).toEqual({ sku: 'A1', i0: true, i1: true, chosen: 'yes' });
    expect(decision.execution.status).toBe('finished');
  });
});
