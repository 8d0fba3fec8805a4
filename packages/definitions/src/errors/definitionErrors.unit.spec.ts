import { describe, expect, it } from 'vitest';
import {
  AlreadyCommittedError,
  AlreadyOnSagaError,
  EmptySagaError,
  EmptySagaStepError,
  InvalidSagaNameError,
  MultipleElseThenError,
  MultipleOnErrorError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  MultipleOnSuccessError,
  SagaDefinitionError,
  SagaNotCommittedError,
  SagaNotDefinedError,
  UndefinedOnExecuteError,
  locateDefinitionError,
} from './definitionErrors.js';
import { InvalidContextError, InvalidRequestError, InvalidResponseError } from './valueErrors.js';
import { SagaError, isSagaError, isSagaErrorNamed } from './sagaError.js';

const definitionErrors = {
  AlreadyCommittedError,
  AlreadyOnSagaError,
  EmptySagaError,
  EmptySagaStepError,
  InvalidSagaNameError,
  MultipleElseThenError,
  MultipleOnErrorError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  MultipleOnSuccessError,
  SagaNotCommittedError,
  SagaNotDefinedError,
  UndefinedOnExecuteError,
};

describe('definition errors', () => {
  it.each(Object.entries(definitionErrors))('%s is a SagaDefinitionError and a SagaError named after its class', (name, ErrorClass) => {
    const error = new ErrorClass('what is wrong; what to do');
    expect(error).toBeInstanceOf(SagaDefinitionError);
    expect(error).toBeInstanceOf(SagaError);
    expect(error.name).toBe(name);
    expect(isSagaError(error)).toBe(true);
    expect(isSagaErrorNamed(error, name)).toBe(true);
    expect(String(error)).toBe(`${name}(message="what is wrong; what to do")`);
  });

  it.each([InvalidContextError, InvalidRequestError, InvalidResponseError])('%o is a SagaError but not a definition error', (ErrorClass) => {
    const error = new ErrorClass('bad value');
    expect(error).toBeInstanceOf(SagaError);
    expect(error).not.toBeInstanceOf(SagaDefinitionError);
    expect(error.name).toBe(ErrorClass.name);
  });
});

describe('locateDefinitionError', () => {
  it('re-throws the same class with the location first and the original as cause', () => {
    const original = new EmptySagaError("Saga 'inner'@1: a saga must have at least one step");
    const located = locateDefinitionError(original, "Saga 'outer'@1, step 0 (conditional), branch 0");
    expect(located).toBeInstanceOf(EmptySagaError);
    expect((located as Error).message).toBe(
      "Saga 'outer'@1, step 0 (conditional), branch 0 → Saga 'inner'@1: a saga must have at least one step",
    );
    expect((located as Error).cause).toBe(original);
  });

  it('leaves errors that are not definition errors untouched', () => {
    const error = new TypeError('boom');
    expect(locateDefinitionError(error, 'somewhere')).toBe(error);
  });
});
