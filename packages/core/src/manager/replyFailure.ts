import { SagaResponseStatus, type JsonObject, type SagaResponse } from '@saga/definitions';
import type { ErrorInfo } from '@saga/execution';

/** A reply payload's `message` if it has one (what SagaParticipant sends for errors), else its JSON. */
export const detailOf = (payload: SagaResponse['payload']): string =>
  payload && typeof payload === 'object' && !Array.isArray(payload) && typeof (payload as JsonObject).message === 'string'
    ? String((payload as JsonObject).message)
    : JSON.stringify(payload);

/** The error a failed reply stands for, in the step's history and in the saga's error. */
export const failureOf = (response: SagaResponse, path: string): ErrorInfo => {
  const name = response.status === SagaResponseStatus.SYSTEM_ERROR ? 'SystemErrorReply' : 'ErrorReply';
  return { name, message: `Step ${path} got a ${response.status} reply: ${detailOf(response.payload)}` };
};
