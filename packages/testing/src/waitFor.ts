export interface WaitForOptions {
  /** Give up after this long. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Pause between two checks. Default 10 ms. */
  readonly intervalMs?: number;
  /** Names what was awaited, in the timeout error. */
  readonly message?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Checks `predicate` until it returns a truthy value, and returns that value. A predicate that throws
 * counts as "not yet" (so `expect(...)` can be used inside it); on timeout the last error is the cause.
 * Real timers on purpose: it waits for real I/O, whatever clock the code under test uses.
 */
/** What `waitFor` resolves with: the predicate's value, known to be truthy. */
export type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

export const waitFor = async <T>(predicate: () => T | Promise<T>, options: WaitForOptions = {}): Promise<Truthy<T>> => {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    try {
      // A predicate that never settles must not outlive the deadline.
      const value = await Promise.race([
        Promise.resolve().then(predicate),
        sleep(Math.max(remaining, 0)).then(() => timedOut),
      ]);
      if (value !== timedOut) {
        if (value) return value as Truthy<T>;
        lastValue = value;
        lastError = undefined;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(deadline - Date.now(), 0)));
  }
  const what = options.message ?? 'the condition';
  const last = lastError === undefined ? `last result: ${describe(lastValue)}` : `last error: ${describe(lastError)}`;
  throw new Error(`waitFor timed out after ${timeoutMs} ms waiting for ${what} (${last}).`, { cause: lastError });
};

const timedOut = Symbol('timedOut');

const describe = (value: unknown): string => {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};
