/**
 * The messages between a manager and its participants, and their validation. Whatever arrives from
 * the wire is checked here: a message that does not fit throws `PoisonMessageError` and is
 * dead-lettered by the broker, so nothing malformed reaches an execution.
 */
import { randomUUID } from 'node:crypto';
import { SagaResponseStatus, maxJsonDepth, type JsonValue } from '@saga/definitions';
import type { BrokerMessage } from '../ports/broker.js';
import { PoisonMessageError } from '../ports/poisonMessageError.js';
import { Headers, headerValueProblem } from './headers.js';

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

/** An id the engine made: none has a control character or edge spaces, and a store may refuse them (\u0000). */
const requiredId = (message: BrokerMessage, name: typeof Headers.sagaId | typeof Headers.requestId, what: string): string => {
  const value = required(message, name, what);
  const problem = headerValueProblem(value);
  if (problem) throw new PoisonMessageError(`${what} ${message.id} has a '${name}' header that ${problem} (${JSON.stringify(value)}); ${headerPurpose[name]}.`);
  return value;
};

/** The documented forms only: "200", not "0200" or " 200". */
const statusByText = new Map<string, SagaResponseStatus>(Object.values(SagaResponseStatus).map((status) => [String(status), status]));

/** Whether arrays and objects nest deeper than `max`; iterative, so any depth is measured safely. */
const nestedDeeperThan = (value: JsonValue, max: number): boolean => {
  const pending: Array<{ value: JsonValue; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= max) return true;
    for (const item of Object.values(next.value)) pending.push({ value: item, depth: next.depth + 1 });
  }
  return false;
};

/**
 * A body nested past what the engine folds and stores safely (its walks are recursive) is refused
 * here, with the reason, not later with "Maximum call stack size exceeded" after retries.
 */
const checkedPayload = (message: BrokerMessage, what: string): JsonValue => {
  if (nestedDeeperThan(message.body, maxJsonDepth)) {
    throw new PoisonMessageError(`${what} ${message.id} has a payload that nests arrays and objects more than ${maxJsonDepth} levels deep.`);
  }
  return message.body;
};

export const decodeReply = (message: BrokerMessage): ReplyEnvelope => {
  const sagaId = requiredId(message, Headers.sagaId, 'Reply');
  const requestId = requiredId(message, Headers.requestId, 'Reply');
  const rawStatus = required(message, Headers.status, 'Reply');
  const status = statusByText.get(rawStatus);
  if (status === undefined) {
    throw new PoisonMessageError(`Reply ${message.id} for saga ${sagaId} has status '${rawStatus}'; expected 200 (SUCCESS), 400 (ERROR) or 500 (SYSTEM_ERROR).`);
  }
  const related = message.headers[Headers.relatedServices] ?? '';
  return {
    sagaId,
    requestId,
    status,
    relatedServices: related.split(',').filter((s) => s.length > 0),
    payload: checkedPayload(message, 'Reply'),
  };
};

export const decodeRequest = (message: BrokerMessage): RequestEnvelope => {
  const purpose = message.headers[Headers.purpose] ?? 'execute';
  if (purpose !== 'execute' && purpose !== 'compensate') {
    throw new PoisonMessageError(`Request ${message.id} has purpose '${purpose}'; expected 'execute' or 'compensate'.`);
  }
  const user = message.headers[Headers.user];
  return {
    sagaId: requiredId(message, Headers.sagaId, 'Request'),
    requestId: requiredId(message, Headers.requestId, 'Request'),
    replyTo: required(message, Headers.replyTo, 'Request'),
    purpose,
    ...(user ? { user } : {}),
    headers: message.headers,
    payload: checkedPayload(message, 'Request'),
  };
};

export const decodeTransactionCommand = (message: BrokerMessage): { action: TransactionAction; sagaId: string; requestId?: string; replyTo?: string } => {
  const sagaId = requiredId(message, Headers.sagaId, 'Transaction command');
  const action = required(message, Headers.transactionAction, 'Transaction command');
  if (action !== 'reserve' && action !== 'commit' && action !== 'reject') {
    throw new PoisonMessageError(`Transaction command ${message.id} has action '${action}'; expected reserve, commit or reject.`);
  }
  if (action === 'reserve') {
    return { action, sagaId, requestId: requiredId(message, Headers.requestId, 'Reserve command'), replyTo: required(message, Headers.replyTo, 'Reserve command') };
  }
  return { action, sagaId };
};
