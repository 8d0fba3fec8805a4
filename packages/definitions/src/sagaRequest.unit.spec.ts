import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidRequestError } from './errors/valueErrors.js';
import type { JsonValue } from './json.js';
import { SagaRequest } from './sagaRequest.js';

describe('SagaRequest', () => {
  it('keeps the target topic and the payload; the payload defaults to null', () => {
    const request = new SagaRequest('stock.reserve', { sku: 'A1', quantity: 2 });
    expect(request.target).toBe('stock.reserve');
    expect(request.payload).toEqual({ sku: 'A1', quantity: 2 });
    expect(new SagaRequest('ping').payload).toBeNull();
    expectTypeOf(request.payload).toEqualTypeOf<{ sku: string; quantity: number }>();
  });

  it('deep-copies and freezes the payload', () => {
    const payload = { items: [{ sku: 'A1' }] };
    const request = new SagaRequest('stock.reserve', payload);
    payload.items[0]!.sku = 'B2';
    expect(request.payload).toEqual({ items: [{ sku: 'A1' }] });
    expect(Object.isFrozen(request.payload.items[0])).toBe(true);
  });

  it('serialises to { target, payload }', () => {
    expect(JSON.parse(JSON.stringify(new SagaRequest('t', [1, 'x'])))).toEqual({ target: 't', payload: [1, 'x'] });
  });

  it.each([[''], ['   '], [undefined], [42]])('rejects the target %o, saying what to pass', (target) => {
    const build = () => new SagaRequest(target as string);
    expect(build).toThrow(InvalidRequestError);
    expect(build).toThrow(/the target must be a non-empty string naming the broker topic .*new SagaRequest\('stock\.reserve'/);
  });

  it('rejects a payload that is not JSON, naming where', () => {
    const build = () => new SagaRequest('stock.reserve', { items: [{ at: new Date(0) }] } as unknown as JsonValue);
    expect(build).toThrow(InvalidRequestError);
    expect(build).toThrow(/SagaRequest 'stock\.reserve': the value at 'payload\.items\[0\]\.at' is a Date instance.*send only JSON data/);
  });
});
