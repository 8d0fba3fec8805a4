import { describe, expect, it } from 'vitest';
import { resolveTransientRetry, withTransientRetry } from './transientRetry.js';

const transient = (error: unknown): boolean => error instanceof Error && error.message.startsWith('transient');

describe('resolveTransientRetry', () => {
  it('fills the defaults', () => {
    expect(resolveTransientRetry('SomeStore')).toEqual({ retries: 5, minDelayMs: 100, maxDelayMs: 2_000 });
    expect(resolveTransientRetry('SomeStore', { retries: 0 })).toEqual({ retries: 0, minDelayMs: 100, maxDelayMs: 2_000 });
  });

  it('refuses nonsense, naming the owner and the option', () => {
    expect(() => resolveTransientRetry('SomeStore', { retries: -1 })).toThrow('SomeStore option retry.retries must be a whole number ≥ 0, got -1.');
    expect(() => resolveTransientRetry('SomeStore', { minDelayMs: 1.5 })).toThrow(/retry\.minDelayMs must be a whole number/);
    expect(() => resolveTransientRetry('SomeStore', { minDelayMs: 10, maxDelayMs: 5 })).toThrow(/retry\.maxDelayMs \(5\) must not be below retry\.minDelayMs \(10\)/);
  });
});

describe('withTransientRetry', () => {
  const policy = resolveTransientRetry('SomeStore', { retries: 2, minDelayMs: 1, maxDelayMs: 2 });
  /** Runs an operation that always fails with `message`, and says how often it ran and how it ended. */
  const attemptsUntilGivenUp = async (message: string): Promise<{ attempts: number; error: unknown }> => {
    let attempts = 0;
    const error = await withTransientRetry(() => Promise.reject(new Error(`${message} ${(attempts += 1)}`)), policy, transient).catch((e: unknown) => e);
    return { attempts, error };
  };

  it('retries what the adapter calls transient, then gives up with the last error', async () => {
    const { attempts, error } = await attemptsUntilGivenUp('transient');
    expect(attempts).toBe(3);
    expect(error).toEqual(new Error('transient 3'));
  });

  it('fails at once on anything else', async () => {
    const { attempts, error } = await attemptsUntilGivenUp('conflict');
    expect(attempts).toBe(1);
    expect(error).toEqual(new Error('conflict 1'));
  });

  it('numbers the attempts 1, 2, 3 and backs off between them: about minDelayMs, then twice that', async () => {
    const seen: { attempt: number; at: number }[] = [];
    const spaced = resolveTransientRetry('SomeStore', { retries: 2, minDelayMs: 40, maxDelayMs: 1_000 });
    const started = performance.now();
    await withTransientRetry(
      async (attempt) => {
        seen.push({ attempt, at: performance.now() - started });
        if (attempt < 3) throw new Error('transient');
        return 'done';
      },
      spaced,
      transient,
    );
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3]);
    // Lower bounds only: a busy machine may wait longer, never shorter.
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(39);
    expect((seen[2]?.at ?? 0) - (seen[1]?.at ?? 0)).toBeGreaterThanOrEqual(79);
  });

  it('runs a call that succeeds once, with no retry', async () => {
    let calls = 0;
    await expect(withTransientRetry(async () => (calls += 1), policy, transient)).resolves.toBe(1);
    expect(calls).toBe(1);
  });
});
