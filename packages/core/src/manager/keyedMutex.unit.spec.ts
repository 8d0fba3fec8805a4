// The per-execution queue inside one process: work on one key never overlaps, work on different
// keys does, and one failed task does not block the ones queued behind it.
import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyedMutex.js';

/** A promise the test settles by hand, so interleavings are explicit rather than timed. */
const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs work on the same key one at a time, in call order', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const first = deferred();
    const a = mutex.run('exec-1', async () => {
      log.push('a starts');
      await first.promise;
      log.push('a ends');
      return 'a';
    });
    const b = mutex.run('exec-1', async () => {
      log.push('b starts');
      return 'b';
    });
    await tick();
    expect(log).toEqual(['a starts']);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(log).toEqual(['a starts', 'a ends', 'b starts']);
  });

  it('runs work on different keys at the same time', async () => {
    const mutex = new KeyedMutex();
    const blocker = deferred();
    const log: string[] = [];
    const a = mutex.run('exec-1', async () => {
      log.push('a starts');
      await blocker.promise;
    });
    const b = mutex.run('exec-2', async () => {
      log.push('b runs');
    });
    await b;
    expect(log).toEqual(['a starts', 'b runs']);
    blocker.resolve();
    await a;
  });

  it('gives a rejected task’s error to its caller, and still runs the work queued behind it', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('exec-1', async () => {
      throw new Error('conflict');
    });
    const next = mutex.run('exec-1', async () => 'ran');
    await expect(failing).rejects.toThrow('conflict');
    await expect(next).resolves.toBe('ran');
    await expect(mutex.run('exec-1', async () => 'later')).resolves.toBe('later');
  });

  it('never overlaps work on one key, however many callers queue', async () => {
    const mutex = new KeyedMutex();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        mutex.run('exec-1', async () => {
          running += 1;
          most = Math.max(most, running);
          await tick();
          order.push(index);
          running -= 1;
          if (index % 3 === 0) throw new Error(`task ${index}`);
        }).catch(() => undefined),
      ),
    );
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });
});
