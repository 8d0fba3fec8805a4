/**
 * A `BrokerMessage` on the AMQP wire: the id is the `message-id` property, the headers are the
 * header table, and the body is its JSON text. Whatever arrives is checked here, because any client
 * can publish anything to the exchange.
 */
import { DeadLetterHeaders, deadLetterTopic, isDeadLetterTopic, parseWireBody, toWireMessage } from '@saga/core';
import type { BrokerMessage } from '@saga/core';
import type { ConsumeMessage, Options } from 'amqplib';

/** Deliveries a message had before it was republished to the retry queue (our own count). */
export const deliveriesHeader = 'x-saga-deliveries';

/** Headers the broker or this adapter add, which are not part of the message a handler sees. */
const internalHeaders = new Set([
  deliveriesHeader,
  'x-delivery-count',
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

export const jsonContentType = 'application/json';

export interface EncodedMessage {
  readonly content: Buffer;
  readonly options: Options.Publish;
}

export const encodeMessage = (topic: string, message: BrokerMessage): EncodedMessage => {
  const { id, headers, text } = toWireMessage(topic, message);
  return {
    content: Buffer.from(text, 'utf8'),
    options: { messageId: id, headers, persistent: true, contentType: jsonContentType },
  };
};

/** A delivery as read from the queue, before the handler sees it. */
export type DecodedDelivery =
  | { readonly ok: true; readonly message: BrokerMessage; readonly deliveryCount: number }
  | { readonly ok: false; readonly reason: string; readonly id: string | undefined; readonly headers: Record<string, string>; readonly deliveryCount: number };

export const decodeDelivery = (topic: string, delivery: ConsumeMessage): DecodedDelivery => {
  const raw = (delivery.properties.headers ?? {}) as Record<string, unknown>;
  const headers = userHeaders(topic, raw);
  const deliveryCount = countDeliveries(raw, delivery.fields.redelivered);
  const messageId: unknown = delivery.properties.messageId;
  const id = typeof messageId === 'string' && messageId.length > 0 ? messageId : undefined;
  if (id === undefined) {
    return { ok: false, reason: 'message has no id (the AMQP message-id property is missing)', id, headers, deliveryCount };
  }
  const body = parseWireBody(topic, delivery.content.toString('utf8'));
  return body.ok ? { ok: true, message: { id, headers, body: body.body }, deliveryCount } : { ok: false, reason: body.reason, id, headers, deliveryCount };
};

/**
 * Deliveries so far, this one included: what earlier consumers spent (our header, carried by the
 * retry copy) plus the returns the queue counted for this copy (quorum queues count consumers that
 * closed or died; a classic queue only says "redelivered").
 */
const countDeliveries = (raw: Record<string, unknown>, redelivered: boolean): number => {
  const before = Number(headerText(raw[deliveriesHeader]) ?? 0);
  const returns = raw['x-delivery-count'];
  const returned = typeof returns === 'number' ? returns : redelivered ? 1 : 0;
  return (Number.isSafeInteger(before) && before > 0 ? before : 0) + returned + 1;
};

const userHeaders = (topic: string, raw: Record<string, unknown>): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (internalHeaders.has(key)) continue;
    const text = headerText(value);
    if (text !== undefined) headers[key] = text;
  }
  // RabbitMQ itself dead-letters a message the queue gave up on (a quorum queue's delivery limit);
  // such a letter gets the port's headers too, so its readers need not know AMQP.
  const brokerReason = headerText(raw['x-first-death-reason']);
  if (isDeadLetterTopic(topic) && headers[DeadLetterHeaders.reason] === undefined && brokerReason !== undefined) {
    headers[DeadLetterHeaders.reason] = `RabbitMQ dead-lettered it (${brokerReason}): it was delivered too many times without being acknowledged`;
    headers[DeadLetterHeaders.originalTopic] ??= topic.slice(0, -deadLetterTopic('').length);
  }
  return headers;
};

/** Header tables may hold numbers, booleans, byte arrays or tables when another client wrote them. */
const headerText = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
};
