import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortableDelay } from './abortableDelay.js';

describe('abortableDelay', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** Whether `promise` has settled once pending callbacks ran, without moving the clock. */
  const settledNow = async (promise: Promise<void>): Promise<boolean> => {
    let settled = false;
    void promise.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    return settled;
  };

  it('waits the whole time when nothing aborts', async () => {
    const waiting = abortableDelay(1_000, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settledNow(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settledNow(waiting)).toBe(true);
  });

  it('ends at once when the signal aborts, and leaves no timer behind', async () => {
    const stopping = new AbortController();
    const waiting = abortableDelay(60_000, stopping.signal);
    expect(await settledNow(waiting)).toBe(false);
    stopping.abort();
    expect(await settledNow(waiting)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not wait at all on a signal that already aborted', async () => {
    const stopped = new AbortController();
    stopped.abort();
    expect(await settledNow(abortableDelay(60_000, stopped.signal))).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
