/** Time, as the engine sees it: injectable so tests can skip time (see `FakeClock` in @saga/testing). */
export interface Clock {
  now(): Date;
  /** Calls `callback` after `ms`; the returned function cancels it. */
  setTimeout(callback: () => void, ms: number): () => void;
}

/** Node's setTimeout fires at once for delays past 2³¹−1 ms (24.8 days); longer waits are chained. */
export const maxTimerDelayMs = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (callback, ms) => {
    let timer: ReturnType<typeof setTimeout>;
    const arm = (remaining: number): void => {
      const step = Math.min(Math.max(0, remaining), maxTimerDelayMs);
      timer = setTimeout(() => (remaining > maxTimerDelayMs ? arm(remaining - maxTimerDelayMs) : callback()), step);
      timer.unref?.();
    };
    arm(ms);
    return () => clearTimeout(timer);
  },
};
