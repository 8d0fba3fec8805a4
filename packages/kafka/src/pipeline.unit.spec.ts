import { describe, expect, it } from 'vitest';
import { Pipeline } from './pipeline.js';
import type { Process } from './pipeline.js';
import { Slots } from './slots.js';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const world = (concurrency: number) => {
  const log: string[] = [];
  const commits: string[] = [];
  const failures: string[] = [];
  let active = 0;
  let maxActive = 0;
  const pipeline = new Pipeline(new Slots(concurrency), {
    commit: async (next) => void commits.push(next),
    failed: (offset, error) => void failures.push(`${offset}: ${String(error)}`),
  });
  const work =
    (name: string, body: () => Promise<boolean | void> = () => tick(1)): Process =>
    async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      log.push(`start ${name}`);
      try {
        const outcome = await body();
        log.push(`end ${name}`);
        return outcome !== false;
      } finally {
        active -= 1;
      }
    };
  return { pipeline, log, commits, failures, work, maxActive: () => maxActive };
};

const later = (): { promise: Promise<void>; release: () => void } => {
  let release = (): void => {};
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
};

const settle = (): Promise<void> => tick(10);

describe('Pipeline (one partition)', () => {
  it('with concurrency 1, runs messages one at a time in offset order and commits past each', async () => {
    const w = world(1);
    for (let n = 0; n < 4; n += 1) w.pipeline.add(String(n), null, w.work(String(n)));
    await w.pipeline.below(1);
    await settle();
    expect(w.log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(w.commits.at(-1)).toBe('4');
    expect(w.maxActive()).toBe(1);
    expect(w.pipeline.busy).toBe(false);
  });

  it('runs different keys side by side, within the slots, and one key strictly in order', async () => {
    const w = world(2);
    w.pipeline.add('0', 'a', w.work('a0', () => tick(20)));
    w.pipeline.add('1', 'b', w.work('b1'));
    w.pipeline.add('2', 'a', w.work('a2'));
    w.pipeline.add('3', 'c', w.work('c3'));
    w.pipeline.add('4', 'b', w.work('b4'));
    await w.pipeline.below(1);
    expect(w.maxActive()).toBe(2);
    expect(w.log.indexOf('end a0')).toBeLessThan(w.log.indexOf('start a2'));
    expect(w.log.indexOf('end b1')).toBeLessThan(w.log.indexOf('start b4'));
  });

  it('keeps going across batches: a second message runs while the first is still in its handler', async () => {
    const w = world(2);
    w.pipeline.add('0', null, w.work('0', () => new Promise(() => {})));
    w.pipeline.add('1', null, w.work('1', () => new Promise(() => {})));
    await tick(5);
    expect(w.log).toEqual(['start 0', 'start 1']);
    expect(w.pipeline.pending).toBe(2);
    expect(w.pipeline.busy).toBe(true);
  });

  it('commits past a message only when every earlier one is settled', async () => {
    const w = world(3);
    const first = later();
    w.pipeline.add('10', 'a', w.work('10', () => first.promise));
    w.pipeline.add('11', 'b', w.work('11'));
    await settle();
    expect(w.commits).toEqual([]);
    expect(w.pipeline.busy).toBe(true);
    first.release();
    await w.pipeline.below(1);
    await settle();
    expect(w.commits).toEqual(['12']);
  });

  it('after abandon, starts nothing it had taken, and a late outcome commits nothing', async () => {
    const w = world(1);
    const first = later();
    w.pipeline.add('0', null, w.work('0', () => first.promise));
    w.pipeline.add('1', null, w.work('1'));
    await tick(5);
    w.pipeline.abandon();
    expect(w.pipeline.busy).toBe(false);
    first.release();
    await settle();
    expect(w.log).toEqual(['start 0', 'end 0']);
    expect(w.commits).toEqual([]);
  });

  it('a message given up (process resolved false) is not committed, nor anything after it', async () => {
    const w = world(1);
    w.pipeline.add('0', null, w.work('0'));
    w.pipeline.add('1', null, w.work('1', async () => false));
    w.pipeline.add('2', null, w.work('2'));
    await settle();
    expect(w.commits).toEqual(['1']);
  });

  it('reports a process that threw, and commits nothing past it', async () => {
    const w = world(1);
    w.pipeline.add('0', null, w.work('0'));
    w.pipeline.add('1', null, w.work('1', () => Promise.reject(new Error('bug'))));
    w.pipeline.add('2', null, w.work('2'));
    await settle();
    expect(w.failures).toEqual(['1: Error: bug']);
    expect(w.commits).toEqual(['1']);
  });

  it('below(limit) waits until enough messages finished', async () => {
    const w = world(1);
    const first = later();
    w.pipeline.add('0', null, w.work('0', () => first.promise));
    let passed = false;
    const waiting = w.pipeline.below(1).then(() => (passed = true));
    await tick(5);
    expect(passed).toBe(false);
    first.release();
    await waiting;
    expect(passed).toBe(true);
  });
});
