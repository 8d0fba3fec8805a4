import { describe, expect, it } from 'vitest';
import { abortableDelay } from './abortableDelay.js';

describe('abortableDelay', () => {
  it('waits the time, or ends at once when the signal aborts', async () => {
    const started = Date.now();
    await abortableDelay(20, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const stopping = new AbortController();
    const waiting = abortableDelay(60_000, stopping.signal);
    stopping.abort();
    await waiting;
  });
});
