import { describe, expect, it } from 'vitest';
import { checkTopic, consumerNameOf, streamOf, subjectOf } from './subjects.js';
import { parseNatsUrl } from './natsConnection.js';
import { decodeMessage, encodeMessage, msgIdHeader, readHeaderBlock } from './natsMessage.js';

const naming = { subjectPrefix: 'saga', streamPrefix: 'SAGA' };

describe('NATS subjects and streams', () => {
  it('puts a topic in its service\'s stream, and dead letters in the one dead-letter stream', () => {
    expect(subjectOf(naming, 'order.reply')).toBe('saga.order.reply');
    expect(streamOf(naming, 'order.reply')).toEqual({ stream: 'SAGA_order', subjects: ['saga.order', 'saga.order.>'], deadLetters: false });
    expect(subjectOf(naming, 'order.reply.dead-letter')).toBe('saga-dead-letter.order.reply');
    expect(streamOf(naming, 'order.reply.dead-letter').stream).toBe('SAGA_DEAD_LETTERS');
  });

  it('keeps stream names apart for services that differ only in characters streams cannot hold', () => {
    expect(streamOf(naming, 'a/b.x').stream).not.toBe(streamOf(naming, 'a_b.x').stream);
  });

  it('names one consumer per topic and group', () => {
    expect(consumerNameOf('order.reply', 'order')).toMatch(/^order_order_reply_[0-9a-f]{12}$/);
    expect(consumerNameOf('a.b', 'c')).not.toBe(consumerNameOf('a', 'b.c'));
  });

  it('refuses topics that are not subjects', () => {
    for (const topic of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>']) expect(() => checkTopic(topic)).toThrow();
  });

  it('reads nats:// URLs with several servers and credentials, and never shows the password', () => {
    const parsed = parseNatsUrl('nats://app:s3cret@n1:4223,n2');
    expect(parsed.servers).toEqual(['n1:4223', 'n2:4222']);
    expect(parsed.credentials).toEqual({ user: 'app', pass: 's3cret' });
    expect(parsed.where).not.toContain('s3cret');
    expect(parseNatsUrl('nats://tok@n1').credentials).toEqual({ token: 'tok' });
  });

  it('carries the id as Nats-Msg-Id, and says why a message cannot be handled', () => {
    const { data, headers } = encodeMessage('t', { id: 'm', headers: { a: 'b' }, body: [1] });
    headers.set(msgIdHeader, 'm');
    expect(decodeMessage('t', data, readHeaderBlock({ headers }))).toEqual({ ok: true, message: { id: 'm', headers: { a: 'b' }, body: [1] } });
    expect(decodeMessage('t', data, readHeaderBlock({ headers: undefined }))).toMatchObject({ ok: false, reason: expect.stringMatching(/no id/) });
    expect(decodeMessage('t', new TextEncoder().encode('{x'), readHeaderBlock({ headers }))).toMatchObject({ ok: false, reason: 'body is not JSON' });
  });
});
