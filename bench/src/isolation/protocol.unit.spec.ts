import { describe, expect, it } from 'vitest';
import { SubjectUnavailable } from '../subjects/subject.js';
import { decodeError, encodeError, parseMessage, parseRequest, ProtocolError } from './protocol.js';

describe('the subject host protocol', () => {
  it('carries a SubjectUnavailable across with its status, so the report lists the subject as skipped or unavailable', () => {
    const decoded = decodeError(encodeError(new SubjectUnavailable('@saga/postgres is not built', 'skipped')));
    expect(decoded).toBeInstanceOf(SubjectUnavailable);
    expect(decoded).toMatchObject({ message: '@saga/postgres is not built', status: 'skipped' });
  });

  it('carries any other error as a plain failure with its message', () => {
    const decoded = decodeError(encodeError(new TypeError('W1 execution x ended errored')));
    expect(decoded).not.toBeInstanceOf(SubjectUnavailable);
    expect(decoded.message).toBe('W1 execution x ended errored');
    expect(encodeError('thrown string')).toEqual({ message: 'thrown string' });
  });

  it('reads replies, failures and a dying child’s last word', () => {
    expect(parseMessage({ id: 3, ok: true, value: null })).toEqual({ id: 3, ok: true, value: null });
    expect(parseMessage({ id: 4, ok: false, error: { message: 'no', status: 'unavailable' } })).toEqual({ id: 4, ok: false, error: { message: 'no', status: 'unavailable' } });
    expect(parseMessage({ fatal: { message: 'out of memory' } })).toEqual({ fatal: { message: 'out of memory' } });
  });

  it('refuses what is not one of its messages, saying to rebuild both sides', () => {
    expect(() => parseMessage({ id: 1, ok: false, error: { message: 'x', status: 'gone' } })).toThrow(ProtocolError);
    expect(() => parseMessage({ id: 1, ok: true })).toThrow(/built from the same source/);
    expect(() => parseRequest({ id: 1, request: { type: 'explode' } })).toThrow(ProtocolError);
    expect(parseRequest({ id: 2, request: { type: 'sweep' } })).toEqual({ id: 2, request: { type: 'sweep' } });
  });
});
