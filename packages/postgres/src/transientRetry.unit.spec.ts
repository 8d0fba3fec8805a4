import { describe, expect, it } from 'vitest';
import { ConcurrencyConflictError, resolveTransientRetry, withTransientRetry } from '@saga/core';
import { isTransientError } from './transientErrors.js';

const withCode = (code: string, message = 'failed'): Error => Object.assign(new Error(message), { code });

// PostgreSQL's transient errors in the retry every server store shares.
describe('withTransientRetry with isTransientError', () => {
  const policy = resolveTransientRetry('PostgresEventStore', { retries: 3, minDelayMs: 1, maxDelayMs: 2 });

  it('retries transient failures, then succeeds', async () => {
    let attempts = 0;
    const result = await withTransientRetry(async () => {
      attempts += 1;
      if (attempts < 3) throw withCode('ECONNRESET');
      return 'done';
    }, policy, isTransientError);
    expect(result).toBe('done');
    expect(attempts).toBe(3);
  });

  it('gives up after the retries, with the last error', async () => {
    let attempts = 0;
    await expect(
      withTransientRetry(async () => {
        attempts += 1;
        throw withCode('ECONNREFUSED', `refused ${attempts}`);
      }, policy, isTransientError),
    ).rejects.toThrow('refused 4');
    expect(attempts).toBe(4);
  });

  it('never retries a conflict', async () => {
    let attempts = 0;
    await expect(
      withTransientRetry(async () => {
        attempts += 1;
        throw new ConcurrencyConflictError('saga-1', 0, 1);
      }, policy, isTransientError),
    ).rejects.toBeInstanceOf(ConcurrencyConflictError);
    expect(attempts).toBe(1);
  });
});
