import { describe, expect, it } from 'vitest';
import { ConcurrencyConflictError } from '@saga/core';
import { isTransientError } from './transientErrors.js';

const withCode = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

describe('transient errors', () => {
  it('are broken or refused connections and the server asking to try again', () => {
    for (const error of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('40001'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''),
    ]) {
      expect(isTransientError(error), String(error)).toBe(true);
    }
  });

  it('are never conflicts, bad SQL, bad data or refused credentials', () => {
    for (const error of [
      new ConcurrencyConflictError('saga-1', 0, 1),
      withCode('23505', 'duplicate key value violates unique constraint'),
      withCode('42P01', 'relation does not exist'),
      withCode('28P01', 'password authentication failed for user "saga"'),
      withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db.example'),
      new TypeError('x is not a function'),
      'not even an error',
    ]) {
      expect(isTransientError(error), String(error)).toBe(false);
    }
  });
});
