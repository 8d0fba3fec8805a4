import pRetry from 'p-retry';
import { SagaError } from '@saga/core';
import { isTransientError } from './transientErrors.js';

/** Retries of an operation that failed with a transient error (never of a conflict). */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 5. */
  readonly retries?: number;
  /** Delay before the first retry; it doubles after each. Default 100 ms. */
  readonly minDelayMs?: number;
  /** Cap of the delay. Default 2 000 ms. */
  readonly maxDelayMs?: number;
}

export const defaultRetryPolicy = { retries: 5, minDelayMs: 100, maxDelayMs: 2_000 } as const satisfies Required<RetryPolicy>;

export const resolveRetryPolicy = (policy: RetryPolicy = {}): Required<RetryPolicy> => {
  const resolved = { ...defaultRetryPolicy, ...policy };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new SagaError(`EventStoreDbEventStore option retry.${name} must be a whole number ≥ 0, got ${String(value)}.`);
    }
  }
  if (resolved.maxDelayMs < resolved.minDelayMs) {
    throw new SagaError(`EventStoreDbEventStore option retry.maxDelayMs (${resolved.maxDelayMs}) must not be below retry.minDelayMs (${resolved.minDelayMs}).`);
  }
  return resolved;
};

/** Runs `operation`, retrying transient failures with capped, jittered exponential backoff. */
export const withRetry = <T>(operation: () => Promise<T>, policy: Required<RetryPolicy>): Promise<T> =>
  pRetry(operation, {
    retries: policy.retries,
    minTimeout: policy.minDelayMs,
    maxTimeout: policy.maxDelayMs,
    factor: 2,
    randomize: true,
    shouldRetry: ({ error }) => isTransientError(error),
  });
