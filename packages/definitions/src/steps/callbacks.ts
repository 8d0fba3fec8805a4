import type { MaybePromise, JsonObject } from '../json.js';
import type { SagaContext } from '../sagaContext.js';
import type { SagaRequest } from '../sagaRequest.js';
import type { SagaResponse } from '../sagaResponse.js';

/**
 * What a context-producing callback may return: a new context (or plain object), nothing to
 * keep the current context, or an `Error` instance to fail the step without throwing (as the
 * reference's returned Exception).
 */
export type ContextResult = SagaContext | JsonObject | void | undefined | Error;

export type LocalCallback = (context: SagaContext) => MaybePromise<ContextResult>;

export type RequestBuilder = (context: SagaContext) => MaybePromise<SagaRequest>;

export type ResponseCallback = (context: SagaContext, response: SagaResponse) => MaybePromise<ContextResult>;

export type Condition = (context: SagaContext) => MaybePromise<boolean>;
