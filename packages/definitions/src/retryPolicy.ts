/**
 * How a failed attempt is tried again: capped exponential backoff with jitter.
 *
 *   delay(n) = min(maxDelayMs, initialDelayMs × factor^(n-1)), then, with jitter, a random value
 *   between half of it and all of it, so retries of many executions do not arrive together.
 */
import { InvalidStepOptionError } from './errors/definitionErrors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  readonly attempts: number;
  /** Delay before the second attempt. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Cap on any delay. Default 30 s. */
  readonly maxDelayMs?: number;
  /** Growth of the delay per attempt. Default 2. */
  readonly factor?: number;
  /** Spread delays randomly over [delay/2, delay]. Default true. */
  readonly jitter?: boolean;
}

export type ResolvedRetryPolicy = Required<RetryPolicy>;

export const noRetry: ResolvedRetryPolicy = { attempts: 1, initialDelayMs: 100, maxDelayMs: 30_000, factor: 2, jitter: true };

const positive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** Fills defaults and checks every field; `where` names the step or option in the error. */
export const resolveRetryPolicy = (policy: RetryPolicy, where: string): ResolvedRetryPolicy => {
  const resolved = { ...noRetry, ...policy };
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) {
    throw new InvalidStepOptionError(`${where}: retry attempts must be a whole number ≥ 1 (attempts in all, the first included), got ${String(policy.attempts)}.`);
  }
  for (const key of ['initialDelayMs', 'maxDelayMs', 'factor'] as const) {
    if (!positive(resolved[key])) throw new InvalidStepOptionError(`${where}: retry ${key} must be a number ≥ 0, got ${String(resolved[key])}.`);
  }
  return resolved;
};

/** The delay before attempt `attempt + 1`, after `attempt` failed attempts (attempt ≥ 1). */
export const retryDelayMs = (policy: ResolvedRetryPolicy, attempt: number, random: () => number = Math.random): number => {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(policy.jitter ? base / 2 + (random() * base) / 2 : base);
};

/** Checks a duration option (timeout, deadline). */
export const checkDuration = (value: unknown, what: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidStepOptionError(`${what} must be a number of milliseconds > 0, got ${String(value)}.`);
  }
  return value;
};
