/**
 * A `BrokerMessage` on Kafka: the id travels in the `saga-message-id` header (Kafka has no message
 * id), the key is the execution id (the `sagaId` header) so one execution's messages share a
 * partition and stay in order, the body is JSON text. Whatever arrives is checked here: any client
 * can produce anything to a topic.
 */
import { Headers, SagaError, deadLetterTopic, parseWireBody, toWireMessage } from '@saga/core';
import type { BrokerMessage } from '@saga/core';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

export const idHeader = 'saga-message-id';

/** Kafka topic names: letters, digits, '.', '_' and '-', at most 249 of them. */
export const checkTopic = (topic: string): void => {
  if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/u.test(topic) || topic === '.' || topic === '..') {
    throw new SagaError(`Topic '${String(topic)}' cannot be a Kafka topic: use 1 to 249 letters, digits, '.', '_' or '-'.`);
  }
  if (topic.length + deadLetterTopic('').length > 249) {
    throw new SagaError(`Topic '${topic.slice(0, 40)}…' is too long for Kafka once '${deadLetterTopic('')}' is added: keep it under ${249 - deadLetterTopic('').length} characters.`);
  }
};

export const checkGroup = (group: string): void => {
  if (typeof group !== 'string' || group.length === 0) throw new SagaError('A group name must be a non-empty string.');
};

export const encodeMessage = (topic: string, message: BrokerMessage): Message => {
  const { id, headers, text } = toWireMessage(topic, message);
  return { key: keyOf(id, headers), value: text, headers: { ...headers, [idHeader]: id } };
};

/** The execution id when there is one; else the message id, so a re-published copy lands beside the first. */
const keyOf = (id: string, headers: Readonly<Record<string, string>>): string => headers[Headers.sagaId] || id;

/** A record as read from the topic, before the handler sees it. */
export type DecodedMessage =
  | { readonly ok: true; readonly message: BrokerMessage }
  | { readonly ok: false; readonly reason: string; readonly id: string | undefined; readonly headers: Record<string, string> };

export const decodeMessage = (topic: string, record: Pick<KafkaMessage, 'value' | 'headers'>): DecodedMessage => {
  const headers: Record<string, string> = {};
  let id: string | undefined;
  for (const [key, value] of Object.entries((record.headers ?? {}) as IHeaders)) {
    const text = headerText(value);
    if (text === undefined) continue;
    if (key === idHeader) id = text.length > 0 ? text : undefined;
    else headers[key] = text;
  }
  if (id === undefined) return { ok: false, reason: `message has no id (no ${idHeader} header)`, id, headers };
  const body = parseWireBody(topic, record.value === null ? undefined : record.value.toString('utf8'));
  return body.ok ? { ok: true, message: { id, headers, body: body.body } } : { ok: false, reason: body.reason, id, headers };
};

/** Headers are bytes in Kafka; a header sent twice keeps its last value. */
const headerText = (value: IHeaders[string]): string | undefined => {
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (last === undefined) return undefined;
  return typeof last === 'string' ? last : last.toString('utf8');
};
