export { SagaError, isSagaError, isSagaErrorNamed } from './errors/sagaError.js';
export {
  AlreadyCommittedError,
  AlreadyOnSagaError,
  EmptySagaError,
  EmptySagaStepError,
  InvalidSagaNameError,
  MultipleElseThenError,
  TooFewBranchesError,
  InvalidStepOptionError,
  MultipleOnErrorError,
  MultipleOnExecuteError,
  MultipleOnFailureError,
  MultipleOnSuccessError,
  SagaDefinitionError,
  SagaNotCommittedError,
  SagaNotDefinedError,
  UndefinedOnExecuteError,
} from './errors/definitionErrors.js';
export { InvalidContextError, InvalidRequestError, InvalidResponseError } from './errors/valueErrors.js';

export type { JsonObject, JsonValue, MaybePromise } from './json.js';
export { maxJsonDepth } from './frozenJson.js';
export { SagaContext } from './sagaContext.js';
export { SagaRequest } from './sagaRequest.js';
export { SagaResponse } from './sagaResponse.js';
export type { SagaResponseInit } from './sagaResponse.js';
export { SagaResponseStatus, isSagaResponseStatus } from './sagaResponseStatus.js';

export type { Condition, ContextResult, LocalCallback, RequestBuilder, ResponseCallback } from './steps/callbacks.js';
export { SagaStep } from './steps/sagaStep.js';
export type { SagaStepKind } from './steps/sagaStep.js';
export { LocalSagaStep } from './steps/localSagaStep.js';
export { RemoteSagaStep } from './steps/remoteSagaStep.js';
export { ConditionalSagaStep } from './steps/conditionalSagaStep.js';
export type { IfThenAlternative } from './steps/conditionalSagaStep.js';
export { ParallelSagaStep, type JoinCallback } from './steps/parallelSagaStep.js';
export { ChildSagaStep, type ChildOutcome, type ChildContextBuilder, type ChildSuccessCallback } from './steps/childSagaStep.js';

export { Saga } from './saga.js';
export type { SagaOptions } from './saga.js';
export type {
  ConditionalStepShape,
  ParallelStepShape,
  ChildStepShape,
  LocalStepShape,
  RemoteStepShape,
  SagaShape,
  SagaStepShape,
  StepHook,
} from './sagaShape.js';
export { branchPrefix, sagaOfBranch, stepAtPath, stepPath } from './stepPath.js';
export type { BranchKey } from './stepPath.js';
export { resolveRetryPolicy, retryDelayMs, noRetry } from './retryPolicy.js';
export type { RetryPolicy, ResolvedRetryPolicy } from './retryPolicy.js';
