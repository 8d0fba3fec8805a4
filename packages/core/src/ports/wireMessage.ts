/**
 * A `BrokerMessage` as every broker adapter carries it: the id and headers in the broker's own
 * places, the body as JSON text. What leaves is checked here, and so is what arrives, because any
 * client can publish anything to a topic.
 */
import { SagaError } from '@saga/definitions';
import type { JsonValue } from '@saga/definitions';
import { isDeadLetterTopic, type BrokerMessage } from './broker.js';

/** A message checked for publishing. */
export interface WireMessage {
  readonly id: string;
  /** Copied: later changes by the publisher cannot reach the wire. */
  readonly headers: Record<string, string>;
  /** The body as JSON text. */
  readonly text: string;
}

/** A non-empty id, string headers, and a body that JSON can carry; else a SagaError naming the message and topic. */
export const toWireMessage = (topic: string, message: BrokerMessage): WireMessage => {
  if (typeof message.id !== 'string' || message.id.length === 0) {
    throw new SagaError(`Cannot publish to '${topic}': the message needs a non-empty string id.`);
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    if (typeof value !== 'string') {
      throw new SagaError(`Cannot publish message '${message.id}' to '${topic}': header '${key}' is not a string.`);
    }
    headers[key] = value;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(message.body);
  } catch (error) {
    throw new SagaError(`Cannot publish message '${message.id}' to '${topic}': its body is not JSON (${String(error)}).`, { cause: error });
  }
  if (text === undefined) {
    throw new SagaError(`Cannot publish message '${message.id}' to '${topic}': its body is not JSON (use null for "no body").`);
  }
  return { id: message.id, headers, text };
};

export type WireBody = { readonly ok: true; readonly body: JsonValue } | { readonly ok: false; readonly reason: string };

/**
 * The body of a delivery from its text (undefined: it has none). A body that is not JSON is refused
 * with the reason `body is not JSON`, except on a dead-letter topic: a dead letter keeps the bytes it
 * was published with, and its readers still get to see them, as text.
 */
export const parseWireBody = (topic: string, text: string | undefined): WireBody => {
  try {
    if (text === undefined) throw new Error('no body');
    return { ok: true, body: JSON.parse(text) as JsonValue };
  } catch {
    return isDeadLetterTopic(topic) ? { ok: true, body: text ?? null } : { ok: false, reason: 'body is not JSON' };
  }
};
