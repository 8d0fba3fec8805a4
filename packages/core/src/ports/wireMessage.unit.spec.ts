import { describe, expect, it } from 'vitest';
import { isDeadLetterTopic } from './broker.js';
import { parseWireBody, toWireMessage } from './wireMessage.js';

describe('messages on the wire', () => {
  it('copies what leaves, with the body as JSON text', () => {
    const headers = { a: 'b' };
    const wire = toWireMessage('t', { id: 'm', headers, body: { n: [1, null] } });
    expect(wire).toEqual({ id: 'm', headers: { a: 'b' }, text: '{"n":[1,null]}' });
    expect(wire.headers).not.toBe(headers);
  });

  it('refuses what cannot leave, naming the message and the topic', () => {
    expect(() => toWireMessage('t', { id: '', headers: {}, body: null })).toThrow("Cannot publish to 't': the message needs a non-empty string id.");
    expect(() => toWireMessage('t', { id: 'm', headers: { n: 1 as never }, body: null })).toThrow("Cannot publish message 'm' to 't': header 'n' is not a string.");
    expect(() => toWireMessage('t', { id: 'm', headers: {}, body: 1n as never })).toThrow(/its body is not JSON \(TypeError/);
    expect(() => toWireMessage('t', { id: 'm', headers: {}, body: undefined as never })).toThrow(/use null for "no body"/);
  });

  it('reads JSON bodies; others are refused, except on a dead-letter topic, which keeps them as text', () => {
    expect(parseWireBody('t', '[1]')).toEqual({ ok: true, body: [1] });
    expect(parseWireBody('t', '{x')).toEqual({ ok: false, reason: 'body is not JSON' });
    expect(parseWireBody('t', undefined)).toEqual({ ok: false, reason: 'body is not JSON' });
    expect(parseWireBody('t.dead-letter', '{x')).toEqual({ ok: true, body: '{x' });
    expect(parseWireBody('t.dead-letter', undefined)).toEqual({ ok: true, body: null });
  });

  it('knows a dead-letter topic', () => {
    expect(isDeadLetterTopic('order.reply.dead-letter')).toBe(true);
    expect(isDeadLetterTopic('order.reply')).toBe(false);
    expect(isDeadLetterTopic('.dead-letter')).toBe(false);
  });
});
