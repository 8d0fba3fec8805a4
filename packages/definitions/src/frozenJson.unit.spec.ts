import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from './errors/valueErrors.js';
import { findJsonProblem, formatJsonPath, jsonEquals, maxJsonDepth, toFrozenJson } from './frozenJson.js';
import type { JsonValue } from './json.js';
import { SagaResponse } from './sagaResponse.js';

describe('findJsonProblem', () => {
  it('accepts plain JSON data, including null-prototype objects and undefined properties', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(findJsonProblem({ a: [1, 'x', true, null, { b: { c: [] } }], bare, gone: undefined })).toBeUndefined();
  });

  it.each([
    ['a function', { f: () => 1 }, ['f'], 'is a function'],
    ['a bigint', { n: 10n }, ['n'], 'is a bigint'],
    ['a symbol', { s: Symbol('s') }, ['s'], 'is a symbol'],
    ['NaN', { x: [0, Number.NaN] }, ['x', 1], 'is NaN, which JSON cannot represent'],
    ['Infinity', { x: Infinity }, ['x'], 'is Infinity, which JSON cannot represent'],
    ['undefined in an array', { x: [1, undefined] }, ['x', 1], 'is undefined inside an array'],
    ['a Date', { at: new Date(0) }, ['at'], 'is a Date instance, not a plain object'],
    ['a Map', { m: new Map() }, ['m'], 'is a Map instance, not a plain object'],
  ])('reports %s with its path', (_label, value, path, reason) => {
    expect(findJsonProblem(value)).toEqual({ path, reason });
  });

  it('reports a cycle but accepts the same object shared twice', () => {
    const shared = { a: 1 };
    expect(findJsonProblem({ left: shared, right: shared })).toBeUndefined();
    const cyclic: Record<string, unknown> = { a: { b: {} } };
    (cyclic.a as { b: Record<string, unknown> }).b.back = cyclic;
    expect(findJsonProblem(cyclic)).toEqual({ path: ['a', 'b', 'back'], reason: 'refers back to one of its own parents (a cycle)' });
  });
});

describe('nesting depth', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = null;
    for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? [value] : { v: value };
    return value;
  };

  it(`accepts ${maxJsonDepth} levels and refuses deeper values with a reason, not a stack overflow`, () => {
    expect(findJsonProblem(nested(maxJsonDepth))).toBeUndefined();
    expect(findJsonProblem(nested(maxJsonDepth + 1))).toEqual({ path: [], reason: `nests arrays and objects more than ${maxJsonDepth} levels deep` });
    expect(() => new SagaResponse({ sagaId: 's', requestId: 'r', payload: nested(100_000) as JsonValue })).toThrow(
      new InvalidResponseError(`SagaResponse for request 'r': the value at 'payload' nests arrays and objects more than ${maxJsonDepth} levels deep, which is not JSON; reply with JSON data only.`),
    );
  });
});

describe('formatJsonPath', () => {
  it('uses dots for identifiers, brackets for indexes and odd keys', () => {
    expect(formatJsonPath(['order', 'items', 2, 'odd key'])).toBe('order.items[2]["odd key"]');
    expect(formatJsonPath([0, 'a'], 'payload')).toBe('payload[0].a');
    expect(formatJsonPath([], 'payload')).toBe('payload');
  });
});

describe('toFrozenJson', () => {
  it('returns a deep, frozen copy that shares nothing with its input', () => {
    const input = { list: [{ n: 1 }] };
    const copy = toFrozenJson(input, () => new Error('unreachable'));
    expect(copy).toEqual(input);
    expect(copy.list).not.toBe(input.list);
    expect(Object.isFrozen(copy.list[0])).toBe(true);
  });

  it('throws the caller-built error for the first problem', () => {
    const value = { bad: 1n } as unknown as JsonValue;
    expect(() => toFrozenJson(value, (problem) => new RangeError(problem.reason))).toThrow(new RangeError('is a bigint'));
  });
});

describe('jsonEquals', () => {
  it('compares structurally, ignoring key order', () => {
    expect(jsonEquals({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEquals([1, 2], [2, 1])).toBe(false);
    expect(jsonEquals([], {})).toBe(false);
    expect(jsonEquals({ a: null }, { b: null })).toBe(false);
    expect(jsonEquals('1', 1)).toBe(false);
  });
});
