import { describe, expect, it } from 'vitest';
import { InvalidStepOptionError } from './errors/definitionErrors.js';
import { checkDuration, resolveRetryPolicy, retryDelayMs } from './retryPolicy.js';
import { Saga } from './saga.js';

describe('retry policies', () => {
  it('grows exponentially up to the cap, without jitter', () => {
    const policy = resolveRetryPolicy({ attempts: 6, initialDelayMs: 100, maxDelayMs: 1_000, jitter: false }, 'here');
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('spreads each delay over [delay/2, delay] with jitter', () => {
    const policy = resolveRetryPolicy({ attempts: 3, initialDelayMs: 400 }, 'here');
    expect(retryDelayMs(policy, 2, () => 0)).toBe(400);
    expect(retryDelayMs(policy, 2, () => 1)).toBe(800);
  });

  it('refuses impossible values, naming where and what', () => {
    expect(() => resolveRetryPolicy({ attempts: 0 }, 'Saga x, step 1')).toThrow(InvalidStepOptionError);
    expect(() => resolveRetryPolicy({ attempts: 2, factor: -1 }, 'Saga x, step 1')).toThrow(/Saga x, step 1: retry factor must be a number ≥ 0/);
    expect(() => checkDuration(0, 'timeout()')).toThrow(/timeout\(\) must be a number of milliseconds > 0/);
  });

  it('is set on steps and sagas, and is not part of the shape (changing it keeps old executions resumable)', () => {
    const build = (timeout: number) =>
      new Saga('timed', { deadlineMs: 60_000 })
        .localStep()
        .onExecute(() => undefined)
        .retry({ attempts: 3 })
        .remoteStep()
        .onExecute(() => undefined as never)
        .timeout(timeout)
        .retry({ attempts: 2, initialDelayMs: 50 })
        .commit();
    const a = build(1_000);
    const b = build(5_000);
    expect(a.deadlineMs).toBe(60_000);
    expect(a.fingerprint).toBe(b.fingerprint);
    const remote = a.steps[1] as unknown as { timeoutMs: number; retryPolicy: { attempts: number } };
    expect(remote.timeoutMs).toBe(1_000);
    expect(remote.retryPolicy.attempts).toBe(2);
    expect(() => new Saga('bad', { deadlineMs: -5 })).toThrow(/deadlineMs must be a number of milliseconds > 0/);
  });

  it('cannot be changed once the saga is committed', () => {
    const saga = new Saga('frozen').remoteStep().onExecute(() => undefined as never).commit();
    const step = saga.steps[0] as unknown as { timeout(ms: number): unknown };
    expect(() => step.timeout(10)).toThrow(/already committed/);
  });
});
