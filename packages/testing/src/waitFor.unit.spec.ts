import { describe, expect, it } from 'vitest';
import { waitFor } from './waitFor.js';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('accepts async predicates and retries ones that throw', async () => {
    let calls = 0;
    await expect(
      waitFor(
        async () => {
          calls += 1;
          expect(calls).toBeGreaterThan(2);
          return true;
        },
        { intervalMs: 1 },
      ),
    ).resolves.toBe(true);
  });

  it('times out naming what it waited for and the last failure', async () => {
    const started = Date.now();
    const error = await waitFor(
      () => {
        throw new Error('still 2 of 3');
      },
      { timeoutMs: 60, intervalMs: 5, message: 'three replies' },
    ).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/timed out after 60 ms waiting for three replies.*still 2 of 3/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('does not wait past the deadline for a predicate that never settles', async () => {
    const started = Date.now();
    await expect(waitFor(() => new Promise<boolean>(() => {}), { timeoutMs: 50 })).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
