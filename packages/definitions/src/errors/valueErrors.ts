import { SagaError } from './sagaError.js';

/** A `SagaContext` was given something that is not a plain JSON object. */
export class InvalidContextError extends SagaError {}

/** A `SagaRequest` was given an unusable target or a payload that is not JSON. */
export class InvalidRequestError extends SagaError {}

/** A `SagaResponse` was given missing ids, an unknown status or a payload that is not JSON. */
export class InvalidResponseError extends SagaError {}
