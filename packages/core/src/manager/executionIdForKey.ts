/**
 * The execution id of an idempotent start: a name-based UUID (version 5) of the definition's name and
 * the caller's business key. Every manager, in any process, derives the same id from the same pair,
 * so the store's "no stream yet" expectation lets only one start win.
 */
import { v5 as uuidV5 } from 'uuid';
import type { Saga } from '@saga/definitions';
import { InvalidRunOptionsError } from '../errors/runErrors.js';

// A fixed namespace of this engine's own: the ids never collide with another system's v5 ids.
const namespace = '6f1c2a4e-8b1d-5f7e-9a3c-2d4b6e8f0a1c';

/** The id `run({ definition, key })` gives an execution of `definition` (a Saga or its name) started with `key`. */
export const executionIdForKey = (definition: Saga | string, key: string): string => {
  const name = typeof definition === 'string' ? definition : definition.name;
  if (typeof key !== 'string' || key === '') {
    throw new InvalidRunOptionsError(`An execution key must be a non-empty string (a business id such as 'order-1001'), but got ${JSON.stringify(key) ?? String(key)}.`);
  }
  // The NUL separator keeps ('a', 'b:c') and ('a:b', 'c') apart.
  return uuidV5(`${name}\u0000${key}`, namespace);
};
