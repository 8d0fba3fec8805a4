/**
 * io-ts validation errors as `HistoryProblem`s: the path of the field in the stored event, what fits
 * there and what was found. Internal: nothing of io-ts leaves this package.
 */
import type * as t from 'io-ts';
import type { HistoryProblem } from './corruptedHistoryError.js';

/** Codecs that check "an object with these fields" (or any object): named `object`, not by their long io-ts name. */
const objectTags = new Set(['InterfaceType', 'PartialType', 'IntersectionType', 'ExactType', 'StrictType', 'UnknownRecordType', 'AnyDictionaryType', 'DictionaryType']);

const tagOf = (decoder: t.Decoder<unknown, unknown>): unknown => (decoder as { readonly _tag?: unknown })._tag;

/** What a codec accepts, for a person: `string`, `200 | 400 | 500`, `"local" | "remote"`, `object`, `Array<string>`. */
const expectation = (decoder: t.Decoder<unknown, unknown>): string => {
  const tag = tagOf(decoder);
  if (typeof tag === 'string' && objectTags.has(tag)) return 'object';
  if (tag === 'UnionType') return (decoder as unknown as { readonly types: readonly t.Decoder<unknown, unknown>[] }).types.map(expectation).join(' | ');
  return decoder.name;
};

const maxActual = 60;

/** A value as short JSON: `undefined` for a missing field, cut with `…` past 60 characters. */
export const shortJson = (value: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > maxActual ? `${text.slice(0, maxActual - 1)}…` : text;
};

/**
 * One problem per wrong field. A context is the chain of codecs from the root to the failing one;
 * the members of an intersection add no field to the path, and a union is reported as a whole (its
 * members' failures say the same thing, once per member).
 */
export const validationProblems = (errors: t.Errors, root = 'data'): HistoryProblem[] => {
  const problems = new Map<string, HistoryProblem>();
  for (const { context } of errors) {
    let [failing] = context;
    if (!failing) continue;
    let path = root;
    for (let i = 1; i < context.length; i += 1) {
      const parentTag = tagOf(context[i - 1]!.type);
      const entry = context[i]!;
      if (parentTag === 'UnionType') break;
      failing = entry;
      if (parentTag === 'IntersectionType') continue;
      path += parentTag === 'ArrayType' ? `[${entry.key}]` : `.${entry.key}`;
    }
    const problem = { path, expected: expectation(failing.type), actual: shortJson(failing.actual) };
    problems.set(`${problem.path}\u0000${problem.expected}`, problem);
  }
  return [...problems.values()];
};

/** A problem in a sentence: `kind is missing (must be string)`, `status must be 200 | 400 | 500, got 201`. */
export const describeProblem = ({ path, expected, actual }: HistoryProblem): string => {
  const field = path === 'data' ? 'the data' : path.startsWith('data.') ? path.slice('data.'.length) : path;
  return actual === 'undefined' ? `${field} is missing (must be ${expected})` : `${field} must be ${expected}, got ${actual}`;
};
