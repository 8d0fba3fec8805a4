// The wire format between a manager and its participants. Whatever arrives from a broker goes
// through these decoders, so a malformed message must be refused here (PoisonMessageError, which
// brokers dead-letter at once) with a reason an operator can act on.
import { describe, expect, it } from 'vitest';
import { isSagaError, maxJsonDepth, type JsonValue } from '@saga/definitions';
import type { BrokerMessage } from '../ports/broker.js';
import { PoisonMessageError, isPoisonMessageError } from '../ports/poisonMessageError.js';
import { Headers, replyTopic, transactionTopic } from './headers.js';
import {
  decodeReply,
  decodeRequest,
  decodeTransactionCommand,
  encodeReply,
  encodeRequest,
  encodeTransactionCommand,
  type ReplyEnvelope,
  type RequestEnvelope,
} from './sagaMessages.js';

const request: Omit<RequestEnvelope, 'headers'> = {
  sagaId: 'exec-1',
  requestId: 'req-1',
  replyTo: 'orders.reply',
  purpose: 'execute',
  user: 'alice',
  payload: { sku: 'A1', lines: [{ qty: 2 }] },
};
const reply: ReplyEnvelope = { sagaId: 'exec-1', requestId: 'req-1', status: 200, relatedServices: ['stock', 'warehouse'], payload: { reserved: true } };

const withHeaders = (message: BrokerMessage, headers: Record<string, string | undefined>): BrokerMessage => {
  const merged: Record<string, string> = { ...message.headers };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return { ...message, headers: merged };
};

/** The PoisonMessageError `decode` throws, or fails the test when it does not throw one. */
const poison = (decode: () => unknown): PoisonMessageError => {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonMessageError);
    expect(isPoisonMessageError(error)).toBe(true);
    expect(isSagaError(error)).toBe(true);
    return error as PoisonMessageError;
  }
  throw new Error('expected a PoisonMessageError');
};

describe('topics', () => {
  it('replies go to <service>.reply, transaction commands to <service>.transaction', () => {
    expect([replyTopic('orders'), transactionTopic('stock')]).toEqual(['orders.reply', 'stock.transaction']);
  });
});

describe('requests', () => {
  it('round-trip: what is encoded decodes to the same request, with the headers it travelled with', () => {
    const message = encodeRequest(request);
    // Each send is its own message (a re-send must not be de-duplicated by the broker).
    expect(message.id).not.toBe('req-1');
    expect(encodeRequest(request).id).not.toBe(message.id);
    expect(decodeRequest(message)).toEqual({ ...request, headers: message.headers });
    expect(message.headers).toEqual({ sagaId: 'exec-1', requestId: 'req-1', replyTo: 'orders.reply', transactions: 'exec-1', purpose: 'execute', user: 'alice' });
  });

  it('round-trip without a user and for a compensation', () => {
    const { user: _user, ...anonymous } = request;
    const compensation = { ...anonymous, purpose: 'compensate' as const, payload: null };
    const decoded = decodeRequest(encodeRequest(compensation));
    expect(decoded).toMatchObject(compensation);
    expect(decoded).not.toHaveProperty('user');
    expect(decoded.headers).not.toHaveProperty(Headers.user);
  });

  it('reads a request without a purpose header as an execution (older senders)', () => {
    expect(decodeRequest(withHeaders(encodeRequest(request), { purpose: undefined })).purpose).toBe('execute');
  });

  it.each(['sagaId', 'requestId', 'replyTo'])('without %s (absent or empty) is poison, naming the header', (header) => {
    for (const value of [undefined, '']) {
      const message = withHeaders(encodeRequest(request), { [header]: value });
      const error = poison(() => decodeRequest(message));
      expect(error.message).toMatch(new RegExp(`^Request ${message.id} has no '${header}' header; (it cannot be matched to a (saga execution|request)|there is nowhere to send the reply)\\.$`));
    }
  });

  it.each(['undo', 'reserve', 'EXECUTE'])('with purpose %j is poison, saying which purposes are expected', (purpose) => {
    const message = withHeaders(encodeRequest(request), { purpose });
    const error = poison(() => decodeRequest(message));
    expect(error.message).toBe(`Request ${message.id} has purpose '${purpose}'; expected 'execute' or 'compensate'.`);
  });
});

describe('replies', () => {
  it.each([200, 400, 500] as const)('round-trip with status %i', (status) => {
    const message = encodeReply({ ...reply, status });
    expect(message.headers).toEqual({ sagaId: 'exec-1', requestId: 'req-1', status: String(status), relatedServices: 'stock,warehouse' });
    expect(decodeReply(message)).toEqual({ ...reply, status });
  });

  it('round-trip with no related services', () => {
    expect(decodeReply(encodeReply({ ...reply, relatedServices: [] })).relatedServices).toEqual([]);
  });

  it('reads a reply without the relatedServices header as answered by nobody', () => {
    expect(decodeReply(withHeaders(encodeReply(reply), { relatedServices: undefined })).relatedServices).toEqual([]);
  });

  it('gives each reply its own message id', () => {
    expect(encodeReply(reply).id).not.toBe(encodeReply(reply).id);
  });

  it.each(['sagaId', 'requestId'])('without %s (absent or empty) is poison, naming the header', (header) => {
    for (const value of [undefined, '']) {
      const message = withHeaders(encodeReply(reply), { [header]: value });
      const error = poison(() => decodeReply(message));
      expect(error.message).toMatch(new RegExp(`^Reply ${message.id} has no '${header}' header; it cannot be matched to a (saga execution|request)\\.$`));
    }
  });

  it.each(['600', 'ok', '200.0', '2e2', ' 200', '-200', '0200', '00400', '+200', '200 '])('with status %j is poison, listing the statuses expected', (status) => {
    const message = withHeaders(encodeReply(reply), { status });
    const error = poison(() => decodeReply(message));
    expect(error.message).toBe(`Reply ${message.id} for saga exec-1 has status '${status}'; expected 200 (SUCCESS), 400 (ERROR) or 500 (SYSTEM_ERROR).`);
  });

  it.each([[''], [undefined]])('with status %j (no status at all) is poison, naming the header', (status) => {
    const message = withHeaders(encodeReply(reply), { status });
    expect(poison(() => decodeReply(message)).message).toBe(`Reply ${message.id} has no 'status' header; its outcome is unknown (expected 200, 400 or 500).`);
  });

  it.each(['sagaId', 'requestId'])('with a control character in %s is poison, naming the header (not a store error after retries)', (header) => {
    const message = withHeaders(encodeReply(reply), { [header]: 'exec-1\u0000' });
    expect(poison(() => decodeReply(message)).message).toMatch(`Reply ${message.id} has a '${header}' header that holds a line break or another control character ("exec-1\\u0000"); it cannot be matched`);
  });

  it('with a payload nested deeper than the engine accepts is poison, with the reason (not a stack overflow)', () => {
    let payload: JsonValue = null;
    for (let level = 0; level < 100_000; level += 1) payload = [payload];
    const message = { ...encodeReply(reply), body: payload };
    expect(poison(() => decodeReply(message)).message).toBe(`Reply ${message.id} has a payload that nests arrays and objects more than ${maxJsonDepth} levels deep.`);
    expect(poison(() => decodeRequest({ ...encodeRequest(request), body: payload })).message).toMatch(/^Request .* has a payload that nests arrays and objects more than/);
  });
});

describe('transaction commands', () => {
  it('reserve round-trips with the id and topic its vote must come back with', () => {
    const message = encodeTransactionCommand('reserve', 'exec-1', { requestId: 'vote-1', replyTo: 'orders.reply' });
    expect(message.body).toBeNull();
    expect(message.id).not.toBe('vote-1');
    expect(decodeTransactionCommand(message)).toEqual({ action: 'reserve', sagaId: 'exec-1', requestId: 'vote-1', replyTo: 'orders.reply' });
  });

  it.each(['commit', 'reject'] as const)('%s round-trips with the saga id only', (action) => {
    const message = encodeTransactionCommand(action, 'exec-1');
    expect(message.headers).toEqual({ sagaId: 'exec-1', transactionAction: action });
    expect(decodeTransactionCommand(message)).toEqual({ action, sagaId: 'exec-1' });
  });

  it.each(['abort', 'COMMIT', 'rollback'])('with action %j is poison, listing the actions expected', (action) => {
    const message = withHeaders(encodeTransactionCommand('commit', 'exec-1'), { transactionAction: action });
    expect(poison(() => decodeTransactionCommand(message)).message).toBe(
      `Transaction command ${message.id} has action '${action}'; expected reserve, commit or reject.`,
    );
  });

  it.each(['sagaId', 'transactionAction'])('without %s is poison, naming the header', (header) => {
    const message = withHeaders(encodeTransactionCommand('commit', 'exec-1'), { [header]: undefined });
    expect(poison(() => decodeTransactionCommand(message)).message).toMatch(new RegExp(`^Transaction command ${message.id} has no '${header}' header`));
  });

  it.each(['requestId', 'replyTo'])('a reserve without %s is poison (the vote could not be answered)', (header) => {
    const message = withHeaders(encodeTransactionCommand('reserve', 'exec-1', { requestId: 'vote-1', replyTo: 'orders.reply' }), { [header]: undefined });
    expect(poison(() => decodeTransactionCommand(message)).message).toMatch(new RegExp(`^Reserve command ${message.id} has no '${header}' header`));
  });
});
