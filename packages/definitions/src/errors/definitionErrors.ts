import { SagaError } from './sagaError.js';

/**
 * A saga definition is wrong: thrown while building, committing or validating a `Saga`.
 * Every subclass takes a ready message that says where (saga name@version, step index),
 * what is wrong and what to do.
 */
export class SagaDefinitionError extends SagaError {}

export class InvalidSagaNameError extends SagaDefinitionError {}
export class EmptySagaError extends SagaDefinitionError {}
export class SagaNotCommittedError extends SagaDefinitionError {}
export class AlreadyCommittedError extends SagaDefinitionError {}
export class AlreadyOnSagaError extends SagaDefinitionError {}
export class SagaNotDefinedError extends SagaDefinitionError {}
export class EmptySagaStepError extends SagaDefinitionError {}
export class UndefinedOnExecuteError extends SagaDefinitionError {}
export class MultipleOnExecuteError extends SagaDefinitionError {}
export class MultipleOnSuccessError extends SagaDefinitionError {}
export class MultipleOnErrorError extends SagaDefinitionError {}
export class MultipleOnFailureError extends SagaDefinitionError {}
export class MultipleElseThenError extends SagaDefinitionError {}
/** A retry policy, timeout or deadline with an impossible value. */
export class InvalidStepOptionError extends SagaDefinitionError {}
/** A parallel step with fewer than two branches: run the one saga as steps instead. */
export class TooFewBranchesError extends SagaDefinitionError {}

type DefinitionErrorClass = new (message: string, options?: ErrorOptions) => SagaDefinitionError;

/**
 * A sub-saga's own message names only the sub-saga; re-throwing the same class with the branch
 * that holds it lets the author find it from the top-level saga. Other errors pass unchanged.
 */
export const locateDefinitionError = (error: unknown, location: string): unknown => {
  if (!(error instanceof SagaDefinitionError)) return error;
  const ErrorClass = error.constructor as DefinitionErrorClass;
  return new ErrorClass(`${location} → ${error.message}`, { cause: error });
};
