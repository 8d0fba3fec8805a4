/**
 * A `BrokerMessage` on Kafka: the id travels in the `saga-message-id` header (Kafka has no message
 * id), the key is the execution id (the `sagaId` header) so one execution's messages share a
 * partition and stay in order, the body is JSON text. Whatever arrives is checked here: any client
 * can produce anything to a topic.
 */
import { Headers, SagaError, deadLetterTopic } from '@saga/core';
import type { BrokerMessage, JsonValue } from '@saga/core';
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

export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith(deadLetterTopic(''));

export const encodeMessage = (topic: string, message: BrokerMessage): Message => {
  if (typeof message.id !== 'string' || message.id.length === 0) {
    throw new SagaError(`Cannot publish to '${topic}': the message needs a non-empty string id.`);
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    if (typeof value !== 'string') throw new SagaError(`Cannot publish message '${message.id}' to '${topic}': header '${key}' is not a string.`);
    headers[key] = value;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(message.body);
  } catch (error) {
    throw new SagaError(`Cannot publish message '${message.id}' to '${topic}': its body is not JSON (${String(error)}).`, { cause: error });
  }
  if (text === undefined) throw new SagaError(`Cannot publish message '${message.id}' to '${topic}': its body is not JSON (use null for "no body").`);
  return { key: keyOf(message.id, headers), value: text, headers: { ...headers, [idHeader]: message.id } };
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
  const text = record.value === null ? undefined : record.value.toString('utf8');
  let body: JsonValue;
  try {
    if (text === undefined) throw new Error('no value');
    body = JSON.parse(text) as JsonValue;
  } catch {
    // A dead letter keeps the bytes it was published with; its readers still get to see them.
    if (!isDeadLetterTopic(topic)) return { ok: false, reason: 'body is not JSON', id, headers };
    body = text ?? null;
  }
  return { ok: true, message: { id, headers, body } };
};

/** Headers are bytes in Kafka; a header sent twice keeps its last value. */
const headerText = (value: IHeaders[string]): string | undefined => {
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (last === undefined) return undefined;
  return typeof last === 'string' ? last : last.toString('utf8');
};
