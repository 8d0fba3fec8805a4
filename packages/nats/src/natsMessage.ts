/**
 * A `BrokerMessage` on NATS: the id travels as `Nats-Msg-Id` (so JetStream drops a re-published
 * copy within the stream's duplicate window) or, on dead letters, as `Saga-Message-Id`; the headers
 * as NATS headers; the body as JSON text. Whatever arrives is checked here: any client can publish
 * anything to a subject.
 */
import { SagaError, parseWireBody, toWireMessage } from '@saga/core';
import type { BrokerMessage } from '@saga/core';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { MsgHdrs } from '@nats-io/transport-node';

export const msgIdHeader = 'Nats-Msg-Id';
/** Carries the id where `Nats-Msg-Id` must not (dead letters must never be dropped as duplicates). */
export const sagaIdHeader = 'Saga-Message-Id';

export interface EncodedMessage {
  readonly data: Uint8Array;
  readonly headers: MsgHdrs;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeMessage = (topic: string, message: BrokerMessage): EncodedMessage => {
  const { id, headers, text } = toWireMessage(topic, message);
  return { data: encoder.encode(text), headers: toNatsHeaders(topic, id, headers) };
};

/**
 * NATS header names are printable ASCII without ':'; values cannot hold CR or LF and lose
 * surrounding spaces. Refused here, with the header named, rather than mangled on the wire.
 */
export const toNatsHeaders = (topic: string, id: string, headers: Readonly<Record<string, string>>): MsgHdrs => {
  const encoded = natsHeaders();
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new SagaError(`Cannot publish message '${id}' to '${topic}': header '${key}' is not a string.`);
    }
    if (!/^[!-9;-~]+$/u.test(key)) {
      throw new SagaError(`Cannot publish message '${id}' to '${topic}': NATS header names are printable ASCII without ':' or spaces, got '${key}'.`);
    }
    if (/[\r\n]/u.test(value) || value !== value.trim()) {
      throw new SagaError(`Cannot publish message '${id}' to '${topic}': NATS header '${key}' cannot hold line breaks or leading/trailing spaces.`);
    }
    encoded.set(key, value);
  }
  return encoded;
};

/** A delivery as read from the stream, before the handler sees it. */
export type DecodedMessage =
  | { readonly ok: true; readonly message: BrokerMessage }
  | { readonly ok: false; readonly reason: string; readonly id: string | undefined; readonly headers: Record<string, string> };

export const decodeMessage = (topic: string, data: Uint8Array, raw: MsgHdrs | undefined): DecodedMessage => {
  const headers: Record<string, string> = {};
  let id: string | undefined;
  for (const key of raw?.keys() ?? []) {
    const value = raw?.get(key) ?? '';
    if (key === msgIdHeader || key === sagaIdHeader) {
      if (value.length > 0) id ??= value;
      continue;
    }
    // Nats-* headers belong to the server and client (expectations, rollups, TTLs).
    if (key.startsWith('Nats-')) continue;
    headers[key] = value;
  }
  if (id === undefined) return { ok: false, reason: `message has no id (no ${msgIdHeader} header)`, id, headers };
  const body = parseWireBody(topic, decoder.decode(data));
  return body.ok ? { ok: true, message: { id, headers, body: body.body } } : { ok: false, reason: body.reason, id, headers };
};

/** Header values cannot hold line breaks; a multi-line error message becomes one line. */
export const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/gu, ' ').trim();
