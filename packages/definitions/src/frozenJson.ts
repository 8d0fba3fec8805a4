import type { JsonValue } from './json.js';

export type JsonPathSegment = string | number;

export interface JsonProblem {
  readonly path: readonly JsonPathSegment[];
  /** Completes "the value at <path> ...", e.g. "is a bigint". */
  readonly reason: string;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/** `order.items[2]["odd key"]`; `root` names the value itself (e.g. "payload"). */
export const formatJsonPath = (path: readonly JsonPathSegment[], root = ''): string => {
  let text = root;
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (identifier.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
};

/**
 * How deeply arrays and objects may nest. Far beyond any real payload; below it, every recursive
 * walk of the engine (this one, JSON.stringify, the stores' encoders) stays within Node's stack, so
 * a hostile 100,000-deep reply is refused with a reason instead of "Maximum call stack size exceeded".
 */
export const maxJsonDepth = 1_000;

const article = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);

const walk = (
  value: unknown,
  path: readonly JsonPathSegment[],
  ancestors: readonly object[],
): JsonProblem | undefined => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { path, reason: `is ${value}, which JSON cannot represent` };
  }
  if (typeof value !== 'object') return { path, reason: `is ${article(typeof value)}` };
  if (ancestors.length >= maxJsonDepth) return { path: [], reason: `nests arrays and objects more than ${maxJsonDepth} levels deep` };
  if (ancestors.includes(value)) return { path, reason: 'refers back to one of its own parents (a cycle)' };
  const parents = [...ancestors, value];
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      // JSON would silently turn it into null, which is not what the caller stored.
      if (item === undefined) return { path: [...path, index], reason: 'is undefined inside an array' };
      const problem = walk(item, [...path, index], parents);
      if (problem) return problem;
    }
    return undefined;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return { path, reason: `is ${article(typeof name === 'string' && name ? name : 'class')} instance, not a plain object` };
  }
  for (const [key, item] of Object.entries(value)) {
    // An undefined property means "absent", exactly as JSON.stringify treats it.
    if (item === undefined) continue;
    const problem = walk(item, [...path, key], parents);
    if (problem) return problem;
  }
  return undefined;
};

/** The first place where `value` is not plain JSON data, or undefined when it all is. */
export const findJsonProblem = (value: unknown): JsonProblem | undefined => walk(value, [], []);

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
};

/**
 * A deep, frozen copy that shares nothing with `value`. `fail` builds the error for the first
 * non-JSON part, so each caller can say what it was building and how to fix it.
 */
export const toFrozenJson = <T extends JsonValue>(value: T, fail: (problem: JsonProblem) => Error): T => {
  const problem = findJsonProblem(value);
  if (problem) throw fail(problem);
  return deepFreeze(JSON.parse(JSON.stringify(value)) as T);
};

const isJsonArray = (value: JsonValue): value is readonly JsonValue[] => Array.isArray(value);

/** Structural equality of JSON data; object key order does not matter. */
export const jsonEquals = (left: JsonValue, right: JsonValue): boolean => {
  if (left === right) return true;
  if (left === null || right === null || typeof left !== 'object' || typeof right !== 'object') return false;
  if (isJsonArray(left) || isJsonArray(right)) {
    if (!isJsonArray(left) || !isJsonArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => jsonEquals(item, right[index] ?? null));
  }
  const leftKeys = Object.keys(left);
  if (leftKeys.length !== Object.keys(right).length) return false;
  return leftKeys.every((key) => Object.hasOwn(right, key) && jsonEquals(left[key] ?? null, right[key] ?? null));
};
