/**
 * The messages between a manager and its participants, and their validation. Whatever arrives from
 * the wire is checked here: a message that does not fit throws `PoisonMessageError` and is
 * dead-lettered by the broker, so nothing malformed reaches an execution.
 */
import { randomUUID } from 'node:crypto';
import { isSagaResponseStatus, type JsonValue, type SagaResponseStatus } from '@saga/definitions';
import type { BrokerMessage } from '../ports/broker.js';
import { PoisonMessageError } from '../ports/poisonMessageError.js';
import { Headers } from './headers.js';

export interface RequestEnvelope {
  readonly sagaId: string;
  readonly requestId: string;
  readonly replyTo: string;
  readonly purpose: 'execute' | 'compensate' | 'reserve';
  readonly user?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: JsonValue;
}

export interface ReplyEnvelope {
  readonly sagaId: string;
  readonly requestId: string;
  readonly status: SagaResponseStatus;
  readonly relatedServices: readonly string[];
  readonly payload: JsonValue;
}

export type TransactionAction = 'reserve' | 'commit' | 'reject';

// Every send is a new message with its own id, re-sends of one request included: brokers that
// de-duplicate by message id (NATS JetStream) would otherwise swallow a deliberate re-send. The
// request's identity travels in the requestId header, which is what participants de-duplicate on.
export const encodeRequest = (request: Omit<RequestEnvelope, 'headers'>): BrokerMessage => ({
  id: randomUUID(),
  headers: {
    [Headers.sagaId]: request.sagaId,
    [Headers.requestId]: request.requestId,
    [Headers.replyTo]: request.replyTo,
    [Headers.transactions]: request.sagaId,
    [Headers.purpose]: request.purpose,
    ...(request.user ? { [Headers.user]: request.user } : {}),
  },
  body: request.payload,
});

export const encodeReply = (reply: ReplyEnvelope): BrokerMessage => ({
  id: randomUUID(),
  headers: {
    [Headers.sagaId]: reply.sagaId,
    [Headers.requestId]: reply.requestId,
    [Headers.status]: String(reply.status),
    [Headers.relatedServices]: reply.relatedServices.join(','),
  },
  body: reply.payload,
});

export const encodeTransactionCommand = (
  action: TransactionAction,
  sagaId: string,
  reply?: { requestId: string; replyTo: string },
): BrokerMessage => ({
  id: randomUUID(),
  headers: {
    [Headers.sagaId]: sagaId,
    [Headers.transactionAction]: action,
    ...(reply ? { [Headers.requestId]: reply.requestId, [Headers.replyTo]: reply.replyTo } : {}),
  },
  body: null,
});

const headerPurpose: Record<string, string> = {
  [Headers.sagaId]: 'it cannot be matched to a saga execution',
  [Headers.requestId]: 'it cannot be matched to a request',
  [Headers.replyTo]: 'there is nowhere to send the reply',
  [Headers.status]: 'its outcome is unknown (expected 200, 400 or 500)',
  [Headers.transactionAction]: 'it does not say reserve, commit or reject',
};

const required = (message: BrokerMessage, name: string, what: string): string => {
  const value = message.headers[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new PoisonMessageError(`${what} ${message.id} has no '${name}' header; ${headerPurpose[name] ?? 'the engine needs it'}.`);
  }
  return value;
};

export const decodeReply = (message: BrokerMessage): ReplyEnvelope => {
  const sagaId = required(message, Headers.sagaId, 'Reply');
  const requestId = required(message, Headers.requestId, 'Reply');
  const rawStatus = required(message, Headers.status, 'Reply');
  const status = Number(rawStatus);
  if (!/^\d+$/.test(rawStatus) || !isSagaResponseStatus(status)) {
    throw new PoisonMessageError(`Reply ${message.id} for saga ${sagaId} has status '${rawStatus}'; expected 200 (SUCCESS), 400 (ERROR) or 500 (SYSTEM_ERROR).`);
  }
  const related = message.headers[Headers.relatedServices] ?? '';
  return {
    sagaId,
    requestId,
    status,
    relatedServices: related.split(',').filter((s) => s.length > 0),
    payload: message.body,
  };
};

export const decodeRequest = (message: BrokerMessage): RequestEnvelope => {
  const purpose = message.headers[Headers.purpose] ?? 'execute';
  if (purpose !== 'execute' && purpose !== 'compensate') {
    throw new PoisonMessageError(`Request ${message.id} has purpose '${purpose}'; expected 'execute' or 'compensate'.`);
  }
  const user = message.headers[Headers.user];
  return {
    sagaId: required(message, Headers.sagaId, 'Request'),
    requestId: required(message, Headers.requestId, 'Request'),
    replyTo: required(message, Headers.replyTo, 'Request'),
    purpose,
    ...(user ? { user } : {}),
    headers: message.headers,
    payload: message.body,
  };
};

export const decodeTransactionCommand = (message: BrokerMessage): { action: TransactionAction; sagaId: string; requestId?: string; replyTo?: string } => {
  const sagaId = required(message, Headers.sagaId, 'Transaction command');
  const action = required(message, Headers.transactionAction, 'Transaction command');
  if (action !== 'reserve' && action !== 'commit' && action !== 'reject') {
    throw new PoisonMessageError(`Transaction command ${message.id} has action '${action}'; expected reserve, commit or reject.`);
  }
  if (action === 'reserve') {
    return { action, sagaId, requestId: required(message, Headers.requestId, 'Reserve command'), replyTo: required(message, Headers.replyTo, 'Reserve command') };
  }
  return { action, sagaId };
};
