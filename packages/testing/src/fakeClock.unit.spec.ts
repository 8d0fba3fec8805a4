import { describe, expect, it } from 'vitest';
import { FakeClock } from './fakeClock.js';

describe('FakeClock', () => {
  it('starts at a fixed instant by default, or at the one given', () => {
    expect(new FakeClock().now().toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(new FakeClock('2030-05-06T07:08:09.010Z').now().toISOString()).toBe('2030-05-06T07:08:09.010Z');
    expect(new FakeClock(new Date(0)).now().getTime()).toBe(0);
  });

  it('returns a new Date each time, so callers cannot move its time', () => {
    const clock = new FakeClock();
    clock.now().setFullYear(1999);
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('fires due timers in order of due time, then of creation, each at its own time', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const at = (label: string) => () => fired.push(`${label}@${clock.now().getTime()}`);
    clock.setTimeout(at('c'), 30);
    clock.setTimeout(at('a'), 10);
    clock.setTimeout(at('b1'), 20);
    clock.setTimeout(at('b2'), 20);
    clock.setTimeout(at('late'), 100);
    clock.advance(50);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
    expect(clock.now().getTime()).toBe(50);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(50);
    expect(fired.at(-1)).toBe('late@100');
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not fire a timer before it is due', () => {
    const clock = new FakeClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 100);
    clock.advance(99);
    expect(fired).toBe(false);
    clock.advance(1);
    expect(fired).toBe(true);
  });

  it('waits out delays past 2³¹−1 ms (where Node\'s setTimeout fires at once)', () => {
    const clock = new FakeClock();
    const thirtyDays = 30 * 24 * 3_600_000;
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(clock.now().toISOString()), thirtyDays);
    clock.advance(1);
    clock.advance(2 ** 31 - 1);
    expect(fired).toEqual([]);
    clock.advance(thirtyDays - 2 ** 31);
    expect(fired).toEqual(['2024-01-31T00:00:00.000Z']);
  });

  it('fires timers that callbacks schedule inside the window', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now().getTime());
      clock.setTimeout(() => fired.push(clock.now().getTime()), 15);
      clock.setTimeout(() => fired.push(clock.now().getTime()), 500);
    }, 10);
    clock.advance(30);
    expect(fired).toEqual([10, 25]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('cancels a timer', () => {
    const clock = new FakeClock(0);
    let fired = false;
    const cancel = clock.setTimeout(() => (fired = true), 10);
    cancel();
    cancel();
    clock.advance(20);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('treats a zero, negative or NaN delay as "at the next advance"', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(1), 0);
    clock.setTimeout(() => fired.push(2), -5);
    clock.setTimeout(() => fired.push(3), Number.NaN);
    expect(fired).toEqual([]);
    clock.advance(0);
    expect(fired).toEqual([1, 2, 3]);
  });

  it('set() jumps forward firing what falls due, and backward firing nothing', () => {
    const clock = new FakeClock('2024-01-01T00:00:00.000Z');
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(clock.now().toISOString()), 60_000);
    clock.set('2023-12-31T00:00:00.000Z');
    expect(fired).toEqual([]);
    expect(clock.now().toISOString()).toBe('2023-12-31T00:00:00.000Z');
    clock.set(new Date('2024-01-02T00:00:00.000Z'));
    expect(fired).toEqual(['2024-01-01T00:01:00.000Z']);
    expect(clock.now().toISOString()).toBe('2024-01-02T00:00:00.000Z');
  });

  it('fires every due timer even when one throws, then throws the first error', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      throw new Error('first');
    }, 1);
    clock.setTimeout(() => fired.push(2), 2);
    expect(() => clock.advance(5)).toThrow('first');
    expect(fired).toEqual([2]);
    expect(clock.now().getTime()).toBe(5);
  });

  it('stops a timer that re-arms itself forever with no delay', () => {
    const clock = new FakeClock(0);
    const rearm = (): void => {
      clock.setTimeout(rearm, 0);
    };
    clock.setTimeout(rearm, 0);
    expect(() => clock.advance(1)).toThrow(/re-arms itself/);
  });

  it('rejects invalid input', () => {
    expect(() => new FakeClock('not a date')).toThrow(RangeError);
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
    expect(() => new FakeClock().set('nope')).toThrow(RangeError);
  });

  it('advanceAsync lets async work started by a timer schedule timers in the same window', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => clock.setTimeout(() => fired.push(clock.now().getTime()), 5));
    }, 10);
    await clock.advanceAsync(20);
    expect(fired).toEqual([15]);

    const sync = new FakeClock(0);
    const syncFired: number[] = [];
    sync.setTimeout(() => {
      void Promise.resolve().then(() => sync.setTimeout(() => syncFired.push(sync.now().getTime()), 5));
    }, 10);
    sync.advance(20);
    await Promise.resolve();
    expect(syncFired).toEqual([]);
    expect(sync.pendingTimers).toBe(1);
  });

  it('advanceAsync waits for work that takes several event-loop turns, before the first timer and after each', async () => {
    const clock = new FakeClock(0);
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    const fired: string[] = [];
    // Armed only after 5 turns, as a timer is after an append and a broker round trip.
    void turns(5).then(() =>
      clock.setTimeout(() => {
        fired.push(`first@${clock.now().getTime()}`);
        void turns(5).then(() => fired.push('after first'));
      }, 10),
    );
    await clock.advanceAsync(10);
    expect(fired).toEqual(['first@10', 'after first']);
  });

  it('advanceAsync stops waiting when something queues immediates forever', async () => {
    const clock = new FakeClock(0);
    let stop = false;
    const spin = (): void => {
      if (!stop) setImmediate(spin);
    };
    spin();
    clock.setTimeout(() => undefined, 10);
    await clock.advanceAsync(10);
    stop = true;
    expect(clock.pendingTimers).toBe(0);
  });
});
