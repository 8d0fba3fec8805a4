import { describe, expect, it, vi } from 'vitest';
import { GroupCommit, defaultGroupCommit, resolveGroupCommit, type GroupCommitOptions, type Outcome } from './groupCommit.js';

interface Sent {
  readonly items: readonly number[];
  readonly done: (outcomes?: readonly Outcome<string>[]) => void;
  readonly fail: (error: unknown) => void;
}

/** A queue whose round trips the test completes by hand. */
const harness = (options: GroupCommitOptions = {}) => {
  const sent: Sent[] = [];
  const queue = new GroupCommit<number, string>(resolveGroupCommit(options) ?? defaultGroupCommit, (items) => {
    return new Promise<readonly Outcome<string>[]>((resolve, reject) => {
      sent.push({ items, done: (outcomes) => resolve(outcomes ?? items.map((item) => ({ ok: true, value: `stored ${item}` }))), fail: reject });
    });
  });
  return { queue, sent };
};

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('sends a lone item at once, alone; what is issued while every round trip is busy goes in one batch when one returns', async () => {
    const { queue, sent } = harness({ maxInFlight: 1 });
    const first = queue.submit(1);
    expect(sent.map((s) => s.items)).toEqual([[1]]);
    const others = [2, 3, 4].map((item) => queue.submit(item));
    expect(sent).toHaveLength(1);
    sent[0]?.done();
    expect(await first).toBe('stored 1');
    await turn();
    expect(sent.map((s) => s.items)).toEqual([[1], [2, 3, 4]]);
    sent[1]?.done();
    expect(await Promise.all(others)).toEqual(['stored 2', 'stored 3', 'stored 4']);
    expect(queue.sent).toEqual({ batches: 2, items: 4, largest: 3 });
  });

  it('keeps up to maxInFlight round trips going and cuts batches at maxBatch', async () => {
    const { queue, sent } = harness({ maxInFlight: 2, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5, 6].map((item) => queue.submit(item));
    expect(sent.map((s) => s.items)).toEqual([[1], [2]]);
    sent[0]?.done();
    await turn();
    expect(sent.map((s) => s.items)).toEqual([[1], [2], [3, 4]]);
    sent[1]?.done();
    await turn();
    expect(sent.map((s) => s.items)).toEqual([[1], [2], [3, 4], [5, 6]]);
    sent[2]?.done();
    sent[3]?.done();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5, 6].map((item) => `stored ${item}`));
  });

  it('gives each item its own outcome, and fails every item of a round trip that fails', async () => {
    const { queue, sent } = harness({ maxInFlight: 1 });
    const first = settle(queue.submit(1));
    const batch = [2, 3, 4].map((item) => settle(queue.submit(item)));
    sent[0]?.fail(new Error('connection lost'));
    expect(await first).toMatchObject({ ok: false, error: { message: 'connection lost' } });
    await turn();
    sent[1]?.done([
      { ok: true, value: 'two' },
      { ok: false, error: new Error('conflict') },
      { ok: true, value: 'four' },
    ]);
    expect(await Promise.all(batch)).toMatchObject([
      { ok: true, value: 'two' },
      { ok: false, error: { message: 'conflict' } },
      { ok: true, value: 'four' },
    ]);
    // The queue goes on after a failure.
    const later = queue.submit(5);
    sent[2]?.done();
    expect(await later).toBe('stored 5');
  });

  it('with maxWaitMs, holds a batch that is not full for more items, and sends a full one at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { queue, sent } = harness({ maxInFlight: 1, maxBatch: 3, maxWaitMs: 20 });
      const waiting = [queue.submit(1), queue.submit(2)];
      await vi.advanceTimersByTimeAsync(19);
      expect(sent, 'held while maxWaitMs has not passed').toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent.map((s) => s.items)).toEqual([[1, 2]]);
      sent[0]?.done();
      await Promise.all(waiting);
      const full = [3, 4, 5].map((item) => queue.submit(item));
      expect(sent.map((s) => s.items)).toEqual([[1, 2], [3, 4, 5]]);
      sent[1]?.done();
      await Promise.all(full);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes true, false or settings, and refuses settings that are not whole numbers', () => {
    expect(resolveGroupCommit(undefined)).toEqual(defaultGroupCommit);
    expect(resolveGroupCommit(true)).toEqual(defaultGroupCommit);
    expect(resolveGroupCommit(false)).toBeUndefined();
    expect(resolveGroupCommit({ maxBatch: 8 })).toEqual({ ...defaultGroupCommit, maxBatch: 8 });
    expect(() => resolveGroupCommit({ maxBatch: 0 })).toThrow(/groupCommit.maxBatch must be a whole number ≥ 1, got 0/);
    expect(() => resolveGroupCommit({ maxInFlight: 1.5 })).toThrow(/groupCommit.maxInFlight/);
    expect(() => resolveGroupCommit({ maxWaitMs: -1 })).toThrow(/groupCommit.maxWaitMs must be a whole number ≥ 0/);
  });
});
