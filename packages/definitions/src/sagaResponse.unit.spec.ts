import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from './errors/valueErrors.js';
import type { JsonValue } from './json.js';
import { SagaResponse } from './sagaResponse.js';
import type { SagaResponseInit } from './sagaResponse.js';
import { SagaResponseStatus, isSagaResponseStatus } from './sagaResponseStatus.js';

const ids = { sagaId: 'saga-1', requestId: 'request-1' };

describe('SagaResponseStatus', () => {
  it('has the reference values', () => {
    expect(SagaResponseStatus).toEqual({ SUCCESS: 200, ERROR: 400, SYSTEM_ERROR: 500 });
  });

  it('recognises exactly those values', () => {
    expect([200, 400, 500].every(isSagaResponseStatus)).toBe(true);
    expect([600, 0, '200', null, undefined].some(isSagaResponseStatus)).toBe(false);
  });
});

describe('SagaResponse', () => {
  it('defaults to SUCCESS with a null payload and no related services', () => {
    const response = new SagaResponse(ids);
    expect(response.status).toBe(SagaResponseStatus.SUCCESS);
    expect(response.ok).toBe(true);
    expect(response.payload).toBeNull();
    expect([...response.relatedServices]).toEqual([]);
    expect(response.sagaId).toBe('saga-1');
    expect(response.requestId).toBe('request-1');
  });

  it('is ok only for SUCCESS', () => {
    expect(new SagaResponse({ ...ids, status: SagaResponseStatus.ERROR }).ok).toBe(false);
    expect(new SagaResponse({ ...ids, status: 500 }).ok).toBe(false);
  });

  it('keeps the payload as a frozen copy and the related services as a set', () => {
    const payload = { reservation: { id: 'r1' } };
    const response = new SagaResponse({ ...ids, payload, relatedServices: ['stock', 'stock', 'billing'] });
    payload.reservation.id = 'changed';
    expect(response.payload).toEqual({ reservation: { id: 'r1' } });
    expect(Object.isFrozen(response.payload)).toBe(true);
    expect([...response.relatedServices]).toEqual(['stock', 'billing']);
  });

  it('serialises the related services as a list', () => {
    const response = new SagaResponse({ ...ids, status: 400, payload: 'out of stock', relatedServices: new Set(['stock']) });
    expect(JSON.parse(JSON.stringify(response))).toEqual({
      ...ids,
      status: 400,
      payload: 'out of stock',
      relatedServices: ['stock'],
    });
  });

  it.each([600, 201, 0, Number.NaN])('rejects the unknown status %s, naming the allowed values', (status) => {
    const build = () => new SagaResponse({ ...ids, status });
    expect(build).toThrow(InvalidResponseError);
    expect(build).toThrow(/status .* is unknown; use one of 200 \(SUCCESS\), 400 \(ERROR\), 500 \(SYSTEM_ERROR\)/);
  });

  it.each([
    ['sagaId', { ...ids, sagaId: '' }, /sagaId must be a non-empty string.*pass the id of the saga execution/],
    ['requestId', { ...ids, requestId: undefined }, /requestId must be a non-empty string.*pass the id of the request it answers/],
  ])('rejects a missing %s, saying what to pass', (_field, init, message) => {
    const build = () => new SagaResponse(init as unknown as SagaResponseInit);
    expect(build).toThrow(InvalidResponseError);
    expect(build).toThrow(message);
  });

  it('rejects a string as relatedServices rather than splitting it into letters', () => {
    const build = () => new SagaResponse({ ...ids, relatedServices: 'stock' });
    expect(build).toThrow(InvalidResponseError);
    expect(build).toThrow(/relatedServices must be a list of service names, not a string; pass \['stock'\]/);
  });

  it('rejects an empty service name', () => {
    const build = () => new SagaResponse({ ...ids, relatedServices: ['stock', ''] });
    expect(build).toThrow(InvalidResponseError);
    expect(build).toThrow(/list only non-empty service names/);
  });

  it('rejects a payload that is not JSON, naming where', () => {
    const build = () => new SagaResponse({ ...ids, payload: { total: 1n } as unknown as JsonValue });
    expect(build).toThrow(InvalidResponseError);
    expect(build).toThrow(/the value at 'payload\.total' is a bigint, which is not JSON; reply with JSON data only/);
  });
});
