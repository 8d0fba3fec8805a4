import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidContextError } from './errors/valueErrors.js';
import type { JsonObject, JsonValue } from './json.js';
import { SagaContext } from './sagaContext.js';

type Order = { sku: string; quantity: number; tags?: string[] };

describe('SagaContext', () => {
  it('reads values; a missing key gives undefined', () => {
    const context = new SagaContext({ sku: 'A1', nested: { n: 1 } });
    expect(context.get('sku')).toBe('A1');
    expect(context.get('nested')).toEqual({ n: 1 });
    expect(new SagaContext().get('missing')).toBeUndefined();
    expect(context.has('sku')).toBe(true);
    expect(context.has('missing')).toBe(false);
    expect(context.keys()).toEqual(['sku', 'nested']);
  });

  it('never exposes inherited properties as values', () => {
    const context = new SagaContext();
    expect(context.get('toString')).toBeUndefined();
    expect(context.has('constructor')).toBe(false);
  });

  it('is not changed by mutating the object it was built from', () => {
    const input = { order: { items: ['a'] } };
    const context = new SagaContext(input);
    input.order.items.push('b');
    (input as Record<string, unknown>).extra = true;
    expect(context.toJSON()).toEqual({ order: { items: ['a'] } });
  });

  it('hands out a deep-frozen object from toJSON, so it cannot be changed through it', () => {
    const context = new SagaContext({ order: { items: ['a'] } });
    const values = context.toJSON() as { order: { items: string[] } };
    expect(Object.isFrozen(values)).toBe(true);
    expect(() => values.order.items.push('b')).toThrow(TypeError);
    expect(() => {
      (values as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
    expect(context.toJSON()).toEqual({ order: { items: ['a'] } });
  });

  it('serialises to its values with JSON.stringify', () => {
    expect(JSON.stringify(new SagaContext({ a: 1, b: [true, null] }))).toBe('{"a":1,"b":[true,null]}');
  });

  it('with() returns a new context with the top-level keys merged, leaving the original unchanged', () => {
    const original = new SagaContext({ a: 1, b: { x: 1 } });
    const next = original.with({ b: { y: 2 }, c: 3 });
    expect(next).not.toBe(original);
    expect(next.toJSON()).toEqual({ a: 1, b: { y: 2 }, c: 3 });
    expect(original.toJSON()).toEqual({ a: 1, b: { x: 1 } });
  });

  it('with() drops a key set to undefined, as JSON does', () => {
    const context = new SagaContext<{ a: number; b?: number }>({ a: 1, b: 2 });
    expect(context.with({ b: undefined }).toJSON()).toEqual({ a: 1 });
  });

  it('without() removes keys and returns a new context', () => {
    const context = new SagaContext({ a: 1, b: 2, c: 3 });
    expect(context.without('a', 'c', 'missing').toJSON()).toEqual({ b: 2 });
    expect(context.keys()).toEqual(['a', 'b', 'c']);
  });

  it('equals() compares structure, not identity or key order', () => {
    const left = new SagaContext({ a: 1, b: { c: [1, 2] } });
    expect(left.equals(new SagaContext({ b: { c: [1, 2] }, a: 1 }))).toBe(true);
    expect(left.equals(left.with({ a: 2 }))).toBe(false);
    expect(left.equals(new SagaContext({ a: 1 }))).toBe(false);
  });

  it('copies another context without re-parsing it', () => {
    const context = new SagaContext({ a: 1 });
    const copy = new SagaContext(context);
    expect(copy.equals(context)).toBe(true);
    expect(copy.toJSON()).toBe(context.toJSON());
  });

  it('from() passes a context through, wraps a plain object and treats undefined as empty', () => {
    const context = new SagaContext({ a: 1 });
    expect(SagaContext.from(context)).toBe(context);
    expect(SagaContext.from({ b: 2 }).toJSON()).toEqual({ b: 2 });
    expect(SagaContext.from(undefined).keys()).toEqual([]);
  });

  it.each([
    ['a function', { total: { compute: () => 1 } }, /the value at 'total\.compute' is a function/],
    ['a bigint', { amount: 10n }, /the value at 'amount' is a bigint/],
    ['a Date', { at: new Date(0) }, /the value at 'at' is a Date instance/],
    ['NaN', { ratio: Number.NaN }, /the value at 'ratio' is NaN/],
  ])('rejects %s with InvalidContextError naming the key and what to do', (_label, values, where) => {
    const build = () => new SagaContext(values as unknown as JsonObject);
    expect(build).toThrow(InvalidContextError);
    expect(build).toThrow(where);
    expect(build).toThrow(/not JSON; keep only JSON data .*toISOString\(\)/);
  });

  it('rejects a cycle with InvalidContextError naming the key', () => {
    const values: Record<string, unknown> = { a: {} };
    (values.a as Record<string, unknown>).self = values;
    const build = () => new SagaContext(values as JsonObject);
    expect(build).toThrow(InvalidContextError);
    expect(build).toThrow(/the value at 'a\.self' refers back to one of its own parents \(a cycle\)/);
  });

  it('rejects values that are not an object, saying to wrap them', () => {
    for (const value of [[1], 'text', 42, null]) {
      const build = () => new SagaContext(value as unknown as JsonObject);
      expect(build).toThrow(InvalidContextError);
      expect(build).toThrow(/must be a plain JSON object .*wrap the value in an object/);
    }
  });

  it('rejects a non-JSON patch in with() and keeps the original', () => {
    const context = new SagaContext({ a: 1 });
    const patch = () => context.with({ f: (() => 1) as unknown as JsonValue });
    expect(patch).toThrow(InvalidContextError);
    expect(patch).toThrow(/the value at 'f' is a function/);
    expect(() => context.with([] as unknown as JsonObject)).toThrow(/the patch given to with\(\) must be a plain JSON object/);
    expect(context.toJSON()).toEqual({ a: 1 });
  });

  it('keeps the value types of a typed context', () => {
    const context = new SagaContext<Order>({ sku: 'A1', quantity: 2 });
    expectTypeOf(context.get('sku')).toEqualTypeOf<string>();
    expectTypeOf(context.with({ quantity: 3 })).toEqualTypeOf<SagaContext<Order>>();
    expectTypeOf(context.toJSON()).toEqualTypeOf<Order>();
    expectTypeOf(new SagaContext().get('anything')).toEqualTypeOf<JsonValue>();
    const general: SagaContext = context;
    expect(general.get('quantity')).toBe(2);
  });
});
