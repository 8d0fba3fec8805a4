import type { SagaRequest } from '@saga/definitions';
import type { SagaExecution } from '@saga/execution';
import type { BrokerMessage } from '../ports/broker.js';
import { replyTopic } from '../wire/headers.js';
import { encodeRequest } from '../wire/sagaMessages.js';
import { traceHeaders } from '../observability/telemetry.js';

/** A step's request (or its compensation's) as it goes on the wire; sent again as is by a re-send or recovery. */
export const requestMessage = (execution: SagaExecution, requestId: string, request: { target: string; payload: SagaRequest['payload'] }, purpose: 'execute' | 'compensate'): BrokerMessage => {
  const message = encodeRequest({
    sagaId: execution.id,
    requestId,
    replyTo: replyTopic(execution.service),
    purpose,
    ...(execution.user ? { user: execution.user } : {}),
    payload: request.payload,
  });
  // The step's span is active here: the participant's handler span joins the saga's trace.
  return { ...message, headers: { ...message.headers, ...traceHeaders() } };
};
