import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppendNotices } from './appendNotices.js';

/** AppendNotices without a LISTEN connection (no listener is added): only its NOTIFYs are looked at. */
const notices = (minIntervalMs?: number) => {
  const sent: number[] = [];
  let inFlight: Array<() => void> = [];
  const instant = { value: true };
  const store = new AppendNotices({
    clientConfig: {},
    channel: 'saga_events:test',
    notify: () => {
      sent.push(Date.now());
      if (instant.value) return Promise.resolve();
      return new Promise<void>((resolve) => inFlight.push(resolve));
    },
    ...(minIntervalMs === undefined ? {} : { minIntervalMs }),
  });
  const settle = () => {
    const waiting = inFlight;
    inFlight = [];
    for (const resolve of waiting) resolve();
  };
  return { store, sent, instant, settle, inFlight: () => inFlight.length };
};

describe('AppendNotices: how often other processes are told', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('notifies the first append after a quiet spell at once', async () => {
    const { store, sent } = notices();
    store.appended();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([1_000_000]);
  });

  it('gives the appends of the next 10 ms (the default) one NOTIFY, at the end of the interval', async () => {
    const { store, sent } = notices();
    store.appended();
    await vi.advanceTimersByTimeAsync(1);
    for (let i = 0; i < 5; i += 1) {
      store.appended();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(sent, 'nothing more before the interval ends').toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3); // 9 ms after the first
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([1_000_000, 1_000_010]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent, 'nothing owed, nothing sent').toHaveLength(2);
  });

  it('takes its interval from minIntervalMs', async () => {
    const { store, sent } = notices(50);
    store.appended();
    store.appended();
    await vi.advanceTimersByTimeAsync(49);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([1_000_000, 1_000_050]);
  });

  it('with minIntervalMs 0 notifies every append, but never two at once', async () => {
    const { store, sent, instant, settle, inFlight } = notices(0);
    instant.value = false;
    store.appended();
    store.appended();
    store.appended();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent, 'one in flight; the others wait for it').toHaveLength(1);
    expect(inFlight()).toBe(1);
    settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent, 'the appends made meanwhile share the next one').toHaveLength(2);
    settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(2);
  });

  it('sends what it owes when closed, and nothing after', async () => {
    const { store, sent } = notices();
    store.appended();
    store.appended();
    await vi.advanceTimersByTimeAsync(2);
    expect(sent).toHaveLength(1);
    await store.close();
    expect(sent, 'the owed NOTIFY sent at close, not 8 ms later').toEqual([1_000_000, 1_000_002]);
    store.appended();
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toHaveLength(2);
  });

  it('refuses an interval that is not a number of milliseconds', () => {
    for (const minIntervalMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => notices(minIntervalMs), String(minIntervalMs)).toThrow(/option notifyIntervalMs must be a number of milliseconds >= 0/);
    }
  });
});
