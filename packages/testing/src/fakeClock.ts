import type { Clock } from '@saga/core';

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly callback: () => void;
}

/** More firings than this in one `advance` means a timer that keeps re-arming itself at zero delay. */
const maxFiringsPerAdvance = 100_000;

/** More event-loop turns than this in one settle means something keeps queueing immediates forever. */
const maxSettleTurns = 1_000;

const immediatesQueued = (): boolean => process.getActiveResourcesInfo().includes('Immediate');

/**
 * Lets the async work in flight run: turns of the event loop (each draining the promise jobs) until
 * no `setImmediate` callback is left queued. An in-process world (the in-memory store and broker, a
 * participant, a manager's reply handling) moves by promises and immediates only, so one `advanceAsync`
 * sees a timer's whole consequence — the appends, the messages, the timers they arm. Work waiting on
 * real timers or real I/O is not waited for.
 */
const settle = async (): Promise<void> => {
  for (let turn = 0; turn < maxSettleTurns; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!immediatesQueued()) return;
  }
};

/**
 * A `Clock` whose time moves only when the test says so. Timers fire inside `advance`/`set`, in
 * order of due time (then of creation), each seeing `now()` equal to its due time.
 */
export class FakeClock implements Clock {
  private current: number;
  private created = 0;
  private readonly timers = new Set<Timer>();

  constructor(start: Date | string | number = '2024-01-01T00:00:00.000Z') {
    this.current = toMillis(start, 'start');
  }

  now(): Date {
    return new Date(this.current);
  }

  setTimeout(callback: () => void, ms: number): () => void {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: Timer = { due: this.current + delay, order: this.created++, callback };
    this.timers.add(timer);
    return () => {
      this.timers.delete(timer);
    };
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, including timers that
   * those callbacks schedule within the window. If callbacks throw, the rest still fire and the first
   * error is thrown at the end.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.advance expects a finite number of ms ≥ 0, got ${ms}.`);
    const target = this.current + ms;
    const errors: unknown[] = [];
    let firings = 0;
    for (let timer = this.nextDue(target); timer !== undefined; timer = this.nextDue(target)) {
      if (++firings > maxFiringsPerAdvance) throw loopError();
      this.fire(timer, errors);
    }
    this.current = target;
    throwFirst(errors);
  }

  /**
   * Like `advance`, but lets the async work in flight settle before the first timer and after every
   * timer (see `settle`), so the timers it arms fire within the same window when they fall due, and
   * what a timer started is finished when the returned promise resolves.
   */
  async advanceAsync(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.advanceAsync expects a finite number of ms ≥ 0, got ${ms}.`);
    const target = this.current + ms;
    const errors: unknown[] = [];
    let firings = 0;
    await settle();
    for (let timer = this.nextDue(target); timer !== undefined; timer = this.nextDue(target)) {
      if (++firings > maxFiringsPerAdvance) throw loopError();
      this.fire(timer, errors);
      await settle();
    }
    this.current = target;
    throwFirst(errors);
  }

  /** Jumps to `date`. Forward, it fires what falls due as `advance` does; backward, it fires nothing. */
  set(date: Date | string | number): void {
    const target = toMillis(date, 'date');
    if (target >= this.current) this.advance(target - this.current);
    else this.current = target;
  }

  private nextDue(target: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.due > target) continue;
      if (next === undefined || timer.due < next.due || (timer.due === next.due && timer.order < next.order)) next = timer;
    }
    return next;
  }

  private fire(timer: Timer, errors: unknown[]): void {
    this.timers.delete(timer);
    this.current = Math.max(this.current, timer.due);
    try {
      timer.callback();
    } catch (error) {
      errors.push(error);
    }
  }
}

const toMillis = (value: Date | string | number, what: string): number => {
  const millis = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (!Number.isFinite(millis)) throw new RangeError(`FakeClock: invalid ${what} ${String(value)}.`);
  return millis;
};

const loopError = (): Error =>
  new Error(`FakeClock: more than ${maxFiringsPerAdvance} timers fired in one advance; a timer probably re-arms itself with no delay.`);

const throwFirst = (errors: readonly unknown[]): void => {
  if (errors.length > 0) throw errors[0];
};
