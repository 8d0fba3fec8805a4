import { describe, expect, it } from 'vitest';
import type { ConsumeMessage } from 'amqplib';
import { decodeDelivery, deliveriesHeader, encodeMessage } from './amqpMessage.js';
import { describeServer } from './amqpConnection.js';

const delivery = (content: string, properties: Partial<ConsumeMessage['properties']>, redelivered = false): ConsumeMessage =>
  ({ content: Buffer.from(content), fields: { redelivered }, properties: { headers: {}, ...properties } }) as unknown as ConsumeMessage;

describe('AMQP messages', () => {
  it('publishes the id as message-id, the headers as the table, the body as persistent JSON', () => {
    const { content, options } = encodeMessage('t', { id: 'm-1', headers: { a: 'b' }, body: { n: 1 } });
    expect(content.toString()).toBe('{"n":1}');
    expect(options).toMatchObject({ messageId: 'm-1', headers: { a: 'b' }, persistent: true, contentType: 'application/json' });
  });

  it('counts deliveries: earlier ones carried by the retry copy, plus the returns the queue counted', () => {
    expect(decodeDelivery('t', delivery('1', { messageId: 'm' }))).toMatchObject({ ok: true, deliveryCount: 1 });
    expect(decodeDelivery('t', delivery('1', { messageId: 'm', headers: { [deliveriesHeader]: '2' } }))).toMatchObject({ ok: true, deliveryCount: 3 });
    expect(decodeDelivery('t', delivery('1', { messageId: 'm', headers: { [deliveriesHeader]: '2', 'x-delivery-count': 2 } }))).toMatchObject({ deliveryCount: 5 });
    // A classic queue only says "redelivered".
    expect(decodeDelivery('t', delivery('1', { messageId: 'm' }, true))).toMatchObject({ deliveryCount: 2 });
  });

  it('hides the headers RabbitMQ and the adapter add, and turns other clients\' header values into text', () => {
    const decoded = decodeDelivery('t', delivery('null', { messageId: 'm', headers: { n: 7, yes: true, bytes: Buffer.from('é'), 'x-death': [], 'x-delivery-count': 1, [deliveriesHeader]: '1' } as ConsumeMessage['properties']['headers'] }));
    expect(decoded).toMatchObject({ ok: true, message: { id: 'm', headers: { n: '7', yes: 'true', bytes: 'é' }, body: null } });
    expect(Object.keys(decoded.ok ? decoded.message.headers : {})).toEqual(['n', 'yes', 'bytes']);
  });

  it('says why a delivery cannot be handled: no id, or a body that is not JSON', () => {
    expect(decodeDelivery('t', delivery('{}', {}))).toMatchObject({ ok: false, reason: expect.stringMatching(/no id/) });
    expect(decodeDelivery('t', delivery('{x', { messageId: 'm' }))).toMatchObject({ ok: false, reason: 'body is not JSON', id: 'm' });
    expect(decodeDelivery('t.dead-letter', delivery('{x', { messageId: 'm' }))).toMatchObject({ ok: true, message: { body: '{x' } });
  });

  it('names the server without the credentials', () => {
    expect(describeServer('amqp://user:secret@rabbit.internal/orders')).toBe('rabbit.internal:5672 vhost orders (amqp://***@rabbit.internal/orders)');
  });
});
