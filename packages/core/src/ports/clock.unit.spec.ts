import { afterEach, describe, expect, it, vi } from 'vitest';
import { maxTimerDelayMs, systemClock } from './clock.js';

afterEach(() => vi.useRealTimers());

describe('systemClock.setTimeout', () => {
  it('waits the full time past 2³¹−1 ms (24.8 days) instead of firing at once', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const thirtyDays = 30 * 24 * 3_600_000;
    systemClock.setTimeout(fired, thirtyDays);
    vi.advanceTimersByTime(1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(maxTimerDelayMs);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(thirtyDays - maxTimerDelayMs - 2);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cancelled in either part of a long wait', () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const cancel = systemClock.setTimeout(fired, maxTimerDelayMs + 1_000);
    vi.advanceTimersByTime(maxTimerDelayMs + 10);
    cancel();
    vi.advanceTimersByTime(10_000);
    expect(fired).not.toHaveBeenCalled();
  });
});
