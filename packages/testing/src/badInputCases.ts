/**
 * Malformed messages for the bad-input scenario: raw bytes and headers as any client could publish
 * them, each with the reason it must be dead-lettered with, or none when it is well-formed but
 * foreign (the engine ignores it without writing anything).
 */
import type { RawMessage } from './rawMessage.js';

export interface BadInputCase extends RawMessage {
  readonly kind: string;
  readonly headers: Record<string, string>;
  readonly reason: RegExp | undefined;
}

export interface BadInputTargets {
  readonly sagaId: string;
  readonly requestId: string;
  readonly replyTopic: string;
  readonly requestTopic: string;
  readonly transactionTopic: string;
}

type Template = Omit<BadInputCase, 'headers' | 'id'> & { readonly headers: Record<string, string>; readonly withId?: false };

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

const templates = (t: BadInputTargets): Template[] => {
  // Each of these would move the waiting execution if it were taken for a reply.
  const reply = { sagaId: t.sagaId, requestId: t.requestId, status: '200', relatedServices: '' };
  const request = { sagaId: t.sagaId, requestId: 'r-1', replyTo: t.replyTopic, purpose: 'execute' };
  const without = (headers: Record<string, string>, name: string): Record<string, string> => Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
  return [
    { kind: 'reply: body not JSON', topic: t.replyTopic, headers: reply, body: Buffer.from('{"ok": tru'), reason: /^body is not JSON$/ },
    { kind: 'reply: empty body', topic: t.replyTopic, headers: reply, body: Buffer.alloc(0), reason: /^body is not JSON$/ },
    // JSON text has no byte order mark; a decoder that drops it silently accepts what others refuse.
    { kind: 'reply: body after a byte order mark', topic: t.replyTopic, headers: reply, body: Buffer.from('\uFEFF{"ok":true}'), reason: /^body is not JSON$/ },
    { kind: 'reply: binary body', topic: t.replyTopic, headers: reply, body: Buffer.from([0xff, 0xfe, 0x00, 0x01]), reason: /^body is not JSON$/ },
    { kind: 'reply: no message id', topic: t.replyTopic, headers: reply, body: json({ ok: true }), reason: /no id/, withId: false },
    { kind: 'reply: no sagaId', topic: t.replyTopic, headers: without(reply, 'sagaId'), body: json({ ok: true }), reason: /no 'sagaId' header/ },
    { kind: 'reply: no requestId', topic: t.replyTopic, headers: without(reply, 'requestId'), body: json({ ok: true }), reason: /no 'requestId' header/ },
    { kind: 'reply: no status', topic: t.replyTopic, headers: without(reply, 'status'), body: json({ ok: true }), reason: /no 'status' header/ },
    { kind: 'reply: unknown status', topic: t.replyTopic, headers: { ...reply, status: '299' }, body: json({ ok: true }), reason: /status '299'/ },
    { kind: 'reply: status not a number', topic: t.replyTopic, headers: { ...reply, status: 'OK' }, body: json({ ok: true }), reason: /status 'OK'/ },
    { kind: 'reply: negative status', topic: t.replyTopic, headers: { ...reply, status: '-200' }, body: json(null), reason: /status '-200'/ },
    { kind: 'request: body not JSON', topic: t.requestTopic, headers: request, body: Buffer.from('<xml/>'), reason: /^body is not JSON$/ },
    { kind: 'request: no replyTo', topic: t.requestTopic, headers: without(request, 'replyTo'), body: json({ sku: 'A1' }), reason: /no 'replyTo' header/ },
    { kind: 'request: no sagaId', topic: t.requestTopic, headers: without(request, 'sagaId'), body: json({ sku: 'A1' }), reason: /no 'sagaId' header/ },
    { kind: 'request: unknown purpose', topic: t.requestTopic, headers: { ...request, purpose: 'explode' }, body: json({}), reason: /purpose 'explode'/ },
    { kind: 'transaction: unknown action', topic: t.transactionTopic, headers: { sagaId: t.sagaId, transactionAction: 'explode' }, body: json(null), reason: /action 'explode'/ },
    { kind: 'transaction: no action', topic: t.transactionTopic, headers: { sagaId: t.sagaId }, body: json(null), reason: /no 'transactionAction' header/ },
    { kind: 'transaction: reserve without requestId', topic: t.transactionTopic, headers: { sagaId: t.sagaId, transactionAction: 'reserve', replyTo: t.replyTopic }, body: json(null), reason: /no 'requestId' header/ },
    // Well-formed, but not for the pending request: ignored by the manager, never dead-lettered.
    { kind: 'reply: foreign requestId', topic: t.replyTopic, headers: { ...reply, requestId: 'not-the-pending-one' }, body: json({ ok: true }), reason: undefined },
    { kind: 'reply: unknown execution', topic: t.replyTopic, headers: { ...reply, sagaId: 'no-such-execution' }, body: json({ ok: true }), reason: undefined },
  ];
};

/** `count` cases, cycling through every kind; each carries `x-case` so its dead letter can be found. */
export const badInputCases = (targets: BadInputTargets, count: number): BadInputCase[] => {
  const kinds = templates(targets);
  return Array.from({ length: count }, (_, n) => {
    const template = kinds[n % kinds.length] as Template;
    const { withId, ...rest } = template;
    return { ...rest, id: withId === false ? undefined : `bad-${n}-${Math.random().toString(36).slice(2)}`, headers: { ...template.headers, 'x-case': String(n) } };
  });
};
