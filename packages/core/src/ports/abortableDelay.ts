/**
 * Waits `ms`, or less when `signal` aborts: a subscription's waits (before a redelivery, between
 * reconnect attempts) end as soon as it closes, so closing never waits for a delay nobody needs.
 */
export const abortableDelay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    // An aborted signal never fires 'abort' again: without this, the wait would run its full time.
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
