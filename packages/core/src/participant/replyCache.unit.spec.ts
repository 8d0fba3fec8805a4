// De-duplication of requests by id: a redelivered request must get the first reply again without
// running the handler twice, while a failure that escaped must be retried rather than remembered.
import { describe, expect, it } from 'vitest';
import { ReplyCache } from './replyCache.js';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** A producer that counts its calls and answers `${key}#${call}`. */
const counting = () => {
  const calls: string[] = [];
  const produce = (key: string) => async () => {
    calls.push(key);
    return `${key}#${calls.length}`;
  };
  return { calls, produce };
};

describe('ReplyCache', () => {
  it('runs the producer once per key; later calls get the first value, flagged duplicate', async () => {
    const cache = new ReplyCache<string>();
    const { calls, produce } = counting();
    expect(await cache.once('req-1', produce('req-1'))).toEqual({ value: 'req-1#1', duplicate: false });
    expect(await cache.once('req-1', produce('req-1'))).toEqual({ value: 'req-1#1', duplicate: true });
    expect(await cache.once('req-2', produce('req-2'))).toEqual({ value: 'req-2#2', duplicate: false });
    expect(calls).toEqual(['req-1', 'req-2']);
  });

  it('concurrent callers with the same key share the one run in flight', async () => {
    const cache = new ReplyCache<string>();
    const gate = deferred<string>();
    let runs = 0;
    const produce = () => {
      runs += 1;
      return gate.promise;
    };
    const first = cache.once('req-1', produce);
    const second = cache.once('req-1', produce);
    gate.resolve('reply');
    expect(await Promise.all([first, second])).toEqual([
      { value: 'reply', duplicate: false },
      { value: 'reply', duplicate: true },
    ]);
    expect(runs).toBe(1);
  });

  it('does not cache a failure: every caller of the failed run sees it, and the next call runs again', async () => {
    const cache = new ReplyCache<string>();
    const gate = deferred<string>();
    const first = cache.once('req-1', () => gate.promise);
    const sharing = cache.once('req-1', async () => 'never runs');
    gate.reject(new Error('could not build the reply'));
    await expect(first).rejects.toThrow('could not build the reply');
    await expect(sharing).rejects.toThrow('could not build the reply');
    expect(await cache.once('req-1', async () => 'second try')).toEqual({ value: 'second try', duplicate: false });
  });

  it('forgets the oldest key beyond its capacity, and keeps the newer ones', async () => {
    const cache = new ReplyCache<string>(2);
    const { calls, produce } = counting();
    for (const key of ['a', 'b', 'c']) await cache.once(key, produce(key));
    expect((await cache.once('c', produce('c'))).duplicate).toBe(true);
    expect((await cache.once('b', produce('b'))).duplicate).toBe(true);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(await cache.once('a', produce('a'))).toEqual({ value: 'a#4', duplicate: false });
  });
});

describe('ReplyCache.forgetBefore', () => {
  it('forgets the entries recorded before the time, keeps the later ones', async () => {
    let now = 1_000;
    const cache = new ReplyCache<string>(10, () => now);
    const { calls, produce } = counting();
    await cache.once('old', produce('old'));
    now = 2_000;
    await cache.once('new', produce('new'));
    expect(cache.forgetBefore(2_000)).toBe(1);
    expect(cache.size).toBe(1);
    expect((await cache.once('new', produce('new'))).duplicate).toBe(true);
    expect(await cache.once('old', produce('old'))).toEqual({ value: 'old#3', duplicate: false });
    expect(calls).toEqual(['old', 'new', 'old']);
  });
});
