/** How `decide` is configured: retry policies, timeouts, clocks, and what a test swaps out. */
import pRetry from 'p-retry';
import { resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from '@saga/definitions';
import type { Outcome } from './callUserCode.js';

export interface DecideOptions {
  /** How a failing compensation is retried (local: in-process; remote: durable `retry` timers). */
  readonly compensationRetry: ResolvedRetryPolicy;
  /** The timeout of a remote step without its own `timeout()`. */
  readonly replyTimeoutMs: number;
  /** How long the commit waits for every participant's vote. */
  readonly commitTimeoutMs: number;
  readonly now: () => Date;
  readonly random: () => number;
  /** New request, timer and vote ids. Default: random UUIDs; a test gives a sequence. */
  readonly newId?: () => string;
  /**
   * How a callback that fails is called again under a policy (a local step's `retry()`, a local
   * compensation). Default: with the policy's backoff (sleeps); a test gives one that does not wait.
   */
  readonly retry?: RetryCall;
  /**
   * Wraps each step action (spans, timings). Default: a span and the step-duration metric; a test
   * gives none. The decision is the same either way.
   */
  readonly observeStep?: StepObserver;
}

export type RetryCall = <T>(policy: ResolvedRetryPolicy, call: () => Promise<Outcome<T>>) => Promise<Outcome<T>>;

/** What a step observer is told: which action runs, and what it came to once it ran. */
export interface ObservedStep {
  readonly executionId: string;
  readonly path: string;
  readonly kind: string;
  readonly compensating: boolean;
}

export type StepObserver = (step: ObservedStep, run: () => Promise<{ readonly goOn: boolean; readonly outcome: string }>) => Promise<boolean>;

export const defaultCompensationRetry: RetryPolicy = { attempts: 4, initialDelayMs: 50, maxDelayMs: 2_000 };

export const defaultDecideOptions: DecideOptions = {
  compensationRetry: resolveRetryPolicy(defaultCompensationRetry, 'compensationRetry'),
  replyTimeoutMs: 60_000,
  commitTimeoutMs: 60_000,
  now: () => new Date(),
  random: Math.random,
};

/** Calls a callback that reports failure as data until it succeeds or the policy is spent, with its backoff. */
export const withRetries: RetryCall = async <T>(policy: ResolvedRetryPolicy, call: () => Promise<Outcome<T>>): Promise<Outcome<T>> => {
  if (policy.attempts <= 1) return call();
  let last: Outcome<T> | undefined;
  try {
    return await pRetry(
      async () => {
        last = await call();
        if (!last.ok) throw new Error(last.error.message);
        return last;
      },
      { retries: policy.attempts - 1, minTimeout: policy.initialDelayMs, maxTimeout: policy.maxDelayMs, factor: policy.factor, randomize: policy.jitter },
    );
  } catch {
    return last ?? { ok: false, error: { name: 'Error', message: 'no attempt was made' } };
  }
};
