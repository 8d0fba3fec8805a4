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

  it('gives the appends of the next 10 ms (the default) one NOTIFY; with no append to carry it, alone an interval later', async () => {
    const { store, sent } = notices();
    store.appended();
    await vi.advanceTimersByTimeAsync(1);
    for (let i = 0; i < 5; i += 1) {
      store.appended();
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(sent, 'nothing more before the interval ends').toHaveLength(1);
    await vi.advanceTimersByTimeAsync(13); // 19 ms after the first: an append could still carry it
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([1_000_000, 1_000_020]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent, 'nothing owed, nothing sent').toHaveLength(2);
  });

  it('takes its interval from minIntervalMs', async () => {
    const { store, sent } = notices(50);
    store.appended();
    store.appended();
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([1_000_000, 1_000_100]);
  });

  describe('carried by an append', () => {
    it('lets the first append after a quiet spell carry the NOTIFY, then no other until the interval ends', async () => {
      const { store, sent } = notices();
      const first = store.carry();
      expect(first?.notice.channel).toBe('saga_events:test');
      first?.settle(true);
      store.appended(true);
      await vi.advanceTimersByTimeAsync(5);
      expect(store.carry(), 'within the interval').toBeUndefined();
      await vi.advanceTimersByTimeAsync(5);
      expect(store.carry(), 'an interval later').toBeDefined();
      await vi.advanceTimersByTimeAsync(100);
      expect(sent, 'no NOTIFY of its own: each went with an append').toEqual([]);
    });

    it('has what appends owe carried by the next append that is due, instead of a NOTIFY alone', async () => {
      const { store, sent } = notices();
      store.carry()?.settle(true);
      store.appended(true);
      for (let i = 0; i < 9; i += 1) {
        await vi.advanceTimersByTimeAsync(1);
        expect(store.carry()).toBeUndefined();
        store.appended();
      }
      await vi.advanceTimersByTimeAsync(1);
      const next = store.carry();
      expect(next, 'due after 10 ms: it carries what the nine owe').toBeDefined();
      next?.settle(true);
      store.appended(true);
      await vi.advanceTimersByTimeAsync(100);
      expect(sent).toEqual([]);
    });

    it('owes again what a carrier was to cover when its NOTIFY did not go out (no event written, or an error)', async () => {
      const { store, sent } = notices();
      store.appended();
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toEqual([1_000_000]);
      await vi.advanceTimersByTimeAsync(1);
      store.appended();
      await vi.advanceTimersByTimeAsync(9);
      const carrier = store.carry();
      expect(carrier).toBeDefined();
      carrier?.settle(false);
      await vi.advanceTimersByTimeAsync(9);
      expect(sent).toEqual([1_000_000]);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent, 'sent alone when it was due without a carrier').toEqual([1_000_000, 1_000_020]);
    });

    it('carries nothing when a NOTIFY per append is asked for (minIntervalMs 0)', () => {
      const { store } = notices(0);
      expect(store.carry()).toBeUndefined();
    });
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
