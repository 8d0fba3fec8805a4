/**
 * A `BrokerMessage` on NATS: the id travels as `Nats-Msg-Id` (so JetStream drops a re-published
 * copy within the stream's duplicate window) or, on dead letters, as `Saga-Message-Id`; the headers
 * as NATS headers; the body as JSON text. Whatever arrives is checked here: any client can publish
 * anything to a subject.
 */
import { DeadLetterHeaders, SagaError, parseWireBody, toWireMessage } from '@saga/core';
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
// A byte order mark stays in the text (and so is not JSON), as on every other broker.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

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
    if (!validHeaderName(key)) {
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

/** A delivery's headers as they came, in order, and what made some of them unreadable. */
export interface HeaderBlock {
  readonly entries: ReadonlyArray<readonly [string, string]>;
  /** Why the headers cannot be taken as they are (a name NATS forbids); undefined when they can. */
  readonly problem: string | undefined;
}

/**
 * Any client can put header names on the wire that nats.js refuses: its `headers` getter then
 * throws, on every delivery, before anything could dead-letter the message (issue 14, item 2).
 * The raw header block is read instead, leniently, and a forbidden name becomes the reason.
 */
export const readHeaderBlock = (message: { readonly headers: MsgHdrs | undefined }): HeaderBlock => {
  try {
    const headers = message.headers;
    return { entries: (headers?.keys() ?? []).map((key) => [key, headers?.get(key) ?? ''] as const), problem: undefined };
  } catch (error) {
    const raw = rawHeaderBytes(message);
    if (raw === undefined) return { entries: [], problem: `its headers cannot be read (${error instanceof Error ? error.message : String(error)})` };
    return parseHeaderBlock(raw);
  }
};

/** `NATS/1.0…\r\nName: value\r\n…` as the server relays it; names NATS forbids are named in `problem`. */
export const parseHeaderBlock = (raw: Uint8Array): HeaderBlock => {
  const entries: Array<readonly [string, string]> = [];
  const invalid: string[] = [];
  for (const line of decoder.decode(raw).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    if (validHeaderName(key)) entries.push([key, line.slice(colon + 1).trim()]);
    else invalid.push(JSON.stringify(key));
  }
  const problem = invalid.length === 0 ? undefined : `header name ${invalid.join(', ')} is not allowed on NATS (printable ASCII without ':' or spaces)`;
  return { entries, problem };
};

/** nats.js keeps the bytes of a delivery (headers first) on the core message it wraps. */
const rawHeaderBytes = (message: object): Uint8Array | undefined => {
  const core = (message as { msg?: { _rdata?: unknown; _msg?: { hdr?: unknown } } }).msg;
  const data = core?._rdata;
  const length = core?._msg?.hdr;
  return data instanceof Uint8Array && typeof length === 'number' && length > 0 ? data.subarray(0, length) : undefined;
};

export const decodeMessage = (topic: string, data: Uint8Array, block: HeaderBlock): DecodedMessage => {
  const headers: Record<string, string> = {};
  let id: string | undefined;
  for (const [key, value] of block.entries) {
    if (key === msgIdHeader || key === sagaIdHeader) {
      if (value.length > 0) id ??= value;
      continue;
    }
    // Nats-* headers belong to the server and client (expectations, rollups, TTLs).
    if (key.startsWith('Nats-')) continue;
    headers[key] ??= value;
  }
  if (block.problem !== undefined) return { ok: false, reason: block.problem, id, headers };
  if (id === undefined) return { ok: false, reason: `message has no id (no ${msgIdHeader} header)`, id, headers };
  const body = parseWireBody(topic, decoder.decode(data));
  return body.ok ? { ok: true, message: { id, headers, body: body.body } } : { ok: false, reason: body.reason, id, headers };
};

const validHeaderName = (key: string): boolean => /^[!-9;-~]+$/u.test(key);

/** Header values cannot hold line breaks; a multi-line error message becomes one line. */
export const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/gu, ' ').trim();

/**
 * A dead letter the server will take: header block and body within `maxPayload` bytes. A letter
 * that would not fit (a body near the limit, plus the reason) is never retried forever: its body is
 * cut, then the message's own headers are dropped, and the reason says what was cut.
 */
export const fitDeadLetter = (
  data: Uint8Array,
  own: Readonly<Record<string, string>>,
  letter: Readonly<Record<string, string>> & { readonly [DeadLetterHeaders.reason]: string },
  maxPayload: number,
): { readonly data: Uint8Array; readonly headers: Record<string, string> } => {
  const whole = { ...own, ...letter };
  if (headerBlockSize(whole) + data.length <= maxPayload) return { data, headers: whole };
  const reason = letter[DeadLetterHeaders.reason];
  const cut = (kept: Record<string, string>, note: string) => ({ ...kept, ...letter, [DeadLetterHeaders.reason]: `${reason} (${note})` });
  // Sized with the longest note (a kept count as long as the total), so the note written fits too.
  const total = data.length;
  const withOwn = cut(own, truncatedNote(total, total, true));
  const keepOwn = headerBlockSize(withOwn) <= maxPayload;
  const room = Math.max(0, maxPayload - headerBlockSize(keepOwn ? withOwn : cut({}, truncatedNote(total, total, false))));
  const kept = Math.min(room, total);
  return { data: data.subarray(0, kept), headers: cut(keepOwn ? own : {}, truncatedNote(kept < total ? kept : undefined, total, keepOwn)) };
};

/** `kept` undefined: the body is whole. */
const truncatedNote = (kept: number | undefined, total: number, ownHeadersKept: boolean): string => {
  const cuts = [kept === undefined ? '' : `body cut to ${kept} of ${total} bytes`, ownHeadersKept ? '' : 'its own headers dropped'].filter((part) => part !== '');
  return `dead letter too large for NATS: ${cuts.join(', ')}`;
};

const headerBlockSize = (headers: Readonly<Record<string, string>>): number =>
  encoder.encode(`NATS/1.0\r\n${Object.entries(headers).map(([key, value]) => `${key}: ${value}\r\n`).join('')}\r\n`).length;
