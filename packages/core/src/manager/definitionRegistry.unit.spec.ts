// Definitions are pinned: an execution resumes only with the name, version and shape it started
// with, and one name@version can never mean two shapes in one manager.
import { describe, expect, it } from 'vitest';
import { Saga, SagaNotCommittedError, SagaRequest } from '@saga/definitions';
import type { SagaExecution } from '@saga/execution';
import { fold, sagaEvent } from '@saga/execution';
import { DefinitionConflictError, DefinitionNotRegisteredError } from '../errors/runErrors.js';
import { DefinitionRegistry } from './definitionRegistry.js';

const keep = () => undefined;
const oneStep = (name = 'order', version = '1') => new Saga(name, { version }).localStep().onExecute(keep).commit();
const twoSteps = (name = 'order', version = '1') =>
  new Saga(name, { version }).localStep().onExecute(keep).remoteStep().onExecute(() => new SagaRequest('stock.reserve')).commit();

const startedWith = (definition: { name: string; version: string; fingerprint: string }): SagaExecution =>
  fold([sagaEvent('SagaStarted', { executionId: 'exec-1', definition, context: {}, user: null, autocommit: true, service: 'orders' })]);
const executionOf = (saga: Saga) => startedWith({ name: saga.name, version: saga.version, fingerprint: saga.fingerprint });

describe('DefinitionRegistry', () => {
  it('resolves the definition an execution started with, by name@version and fingerprint', () => {
    const registry = new DefinitionRegistry();
    const v1 = oneStep('order', '1');
    const v2 = twoSteps('order', '2');
    registry.register(v1);
    registry.register(v2);
    expect(registry.resolve(executionOf(v1))).toBe(v1);
    expect(registry.resolve(executionOf(v2))).toBe(v2);
  });

  it('accepts the same definition object again', () => {
    const registry = new DefinitionRegistry();
    const first = oneStep();
    registry.register(first);
    registry.register(first);
    expect(registry.resolve(executionOf(first))).toBe(first);
  });

  it('refuses another object under the same name@version even with the same shape: running executions would switch callbacks', () => {
    const registry = new DefinitionRegistry();
    const first = oneStep();
    const again = oneStep();
    registry.register(first);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(() => registry.register(again)).toThrow(DefinitionConflictError);
    expect(() => registry.register(again)).toThrow(/already registered with another Saga object.*build each definition once/);
    // The first registration stands.
    expect(registry.resolve(executionOf(first))).toBe(first);
  });

  it('refuses a different shape under the same name@version, saying to bump the version', () => {
    const registry = new DefinitionRegistry();
    const original = oneStep();
    registry.register(original);
    const changed = twoSteps();
    const register = () => registry.register(changed);
    expect(register).toThrow(DefinitionConflictError);
    expect(register).toThrow(`Saga 'order'@1 is already registered with fingerprint ${original.fingerprint}, and this definition has ${changed.fingerprint}`);
    expect(register).toThrow(/Give the changed definition a new version/);
    // The registered definition is kept: executions started with it can still drain.
    expect(registry.resolve(executionOf(original))).toBe(original);
  });

  it('refuses an uncommitted definition (it could still change shape)', () => {
    const draft = new Saga('draft');
    draft.localStep().onExecute(keep);
    expect(() => new DefinitionRegistry().register(draft)).toThrow(SagaNotCommittedError);
  });

  it('throws DefinitionNotRegisteredError for an unknown name or version, leaving the execution untouched', () => {
    const registry = new DefinitionRegistry();
    registry.register(oneStep('order', '1'));
    for (const definition of [
      { name: 'invoice', version: '1', fingerprint: 'f' },
      { name: 'order', version: '2', fingerprint: 'f' },
    ]) {
      const resolve = () => registry.resolve(startedWith(definition));
      expect(resolve).toThrow(DefinitionNotRegisteredError);
      expect(resolve).toThrow(
        `Execution exec-1 started with definition '${definition.name}'@${definition.version} (fingerprint f), which is not registered with this manager.`,
      );
      expect(resolve).toThrow(/Pass that exact definition in new SagaManager\(\{ definitions: \[\.\.\.\] \}\) or manager\.register/);
    }
  });

  it('throws DefinitionNotRegisteredError when the shape under that name@version differs from the recorded one', () => {
    const registry = new DefinitionRegistry();
    const registered = twoSteps();
    registry.register(registered);
    const execution = executionOf(oneStep());
    let error: unknown;
    try {
      registry.resolve(execution);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DefinitionNotRegisteredError);
    expect(error).toMatchObject({ executionId: 'exec-1', definition: execution.definition });
    expect((error as Error).message).toMatch(`is registered with a different shape (fingerprint ${registered.fingerprint})`);
  });
});
