import { describe, expect, it } from 'vitest';
import { checkTopic, decodeMessage, encodeMessage, idHeader } from './kafkaMessage.js';
import { parseKafkaUrl } from './kafkaUrl.js';

describe('Kafka records', () => {
  it('keys a message by its execution id, else by its own id, and carries the id in a header', () => {
    const keyed = encodeMessage('order.reply', { id: 'm-1', headers: { sagaId: 'exec-1' }, body: { ok: true } });
    expect(keyed.key).toBe('exec-1');
    expect(keyed.headers?.[idHeader]).toBe('m-1');
    expect(encodeMessage('order.reply', { id: 'm-2', headers: {}, body: null }).key).toBe('m-2');
  });

  it('reads back what it wrote, without the id header among the headers', () => {
    const record = encodeMessage('t', { id: 'm-1', headers: { a: 'ü' }, body: [1, 'two'] });
    const headers = Object.fromEntries(Object.entries(record.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]));
    expect(decodeMessage('t', { value: Buffer.from(String(record.value)), headers })).toEqual({ ok: true, message: { id: 'm-1', headers: { a: 'ü' }, body: [1, 'two'] } });
  });

  it('says why a record cannot be delivered: no id, no value, not JSON', () => {
    expect(decodeMessage('t', { value: Buffer.from('{}'), headers: {} })).toMatchObject({ ok: false, reason: expect.stringMatching(/no id/) });
    expect(decodeMessage('t', { value: null, headers: { [idHeader]: 'x' } })).toMatchObject({ ok: false, reason: 'body is not JSON' });
    expect(decodeMessage('t', { value: Buffer.from('nope'), headers: { [idHeader]: 'x' } })).toMatchObject({ ok: false, reason: 'body is not JSON', id: 'x' });
  });

  it('gives a dead letter that is not JSON to its reader as text', () => {
    expect(decodeMessage('t.dead-letter', { value: Buffer.from('nope'), headers: { [idHeader]: 'x' } })).toEqual({ ok: true, message: { id: 'x', headers: {}, body: 'nope' } });
  });

  it('refuses topics Kafka cannot name, and messages without an id, saying why', () => {
    expect(() => checkTopic('a b')).toThrow(/cannot be a Kafka topic/);
    expect(() => checkTopic('order.reply')).not.toThrow();
    expect(() => encodeMessage('t', { id: '', headers: {}, body: null })).toThrow(/non-empty string id/);
  });
});

describe('kafka:// URLs', () => {
  it('lists the brokers, with the default port, and never shows the password', () => {
    const parsed = parseKafkaUrl('kafka://app:p%40ss@k1:9093,k2?ssl=true&mechanism=scram-sha-512');
    expect(parsed.brokers).toEqual(['k1:9093', 'k2:9092']);
    expect(parsed.ssl).toBe(true);
    expect(parsed.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'app', password: 'p@ss' });
    expect(parsed.where).not.toContain('p%40ss');
  });

  it('refuses what is not a kafka:// URL, saying what one looks like', () => {
    expect(() => parseKafkaUrl('http://k1:9092')).toThrow(/kafka:\/\/127.0.0.1:9092/);
  });
});
