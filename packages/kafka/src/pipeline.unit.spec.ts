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
    commit: async (partition, next) => void commits.push(`${partition}@${next}`),
    failed: (partition, offset, error) => void failures.push(`${partition}@${offset}: ${String(error)}`),
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

describe('Pipeline', () => {
  it('with concurrency 1, runs messages one at a time in offset order and commits past each', async () => {
    const w = world(1);
    for (let n = 0; n < 4; n += 1) w.pipeline.add(0, String(n), null, w.work(String(n)));
    await w.pipeline.below(1);
    await tick(5);
    expect(w.log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(w.commits.at(-1)).toBe('0@4');
    expect(w.maxActive()).toBe(1);
  });

  it('runs different keys side by side, within the slots, and one key strictly in order', async () => {
    const w = world(2);
    w.pipeline.add(0, '0', 'a', w.work('a0', () => tick(20)));
    w.pipeline.add(0, '1', 'b', w.work('b1'));
    w.pipeline.add(0, '2', 'a', w.work('a2'));
    w.pipeline.add(0, '3', 'c', w.work('c3'));
    w.pipeline.add(0, '4', 'b', w.work('b4'));
    await w.pipeline.below(1);
    expect(w.maxActive()).toBe(2);
    expect(w.log.indexOf('end a0')).toBeLessThan(w.log.indexOf('start a2'));
    expect(w.log.indexOf('end b1')).toBeLessThan(w.log.indexOf('start b4'));
  });

  it('keeps going across batches: a second message runs while the first is still in its handler', async () => {
    const w = world(2);
    w.pipeline.add(0, '0', null, w.work('0', () => new Promise(() => {})));
    w.pipeline.add(0, '1', null, w.work('1', () => new Promise(() => {})));
    await tick(5);
    expect(w.log).toEqual(['start 0', 'start 1']);
    expect(w.pipeline.pending).toBe(2);
  });

  it('commits past a message only when every earlier one on its partition is done', async () => {
    const w = world(3);
    let releaseFirst = (): void => {};
    w.pipeline.add(0, '10', 'a', w.work('10', () => new Promise<void>((resolve) => (releaseFirst = resolve))));
    w.pipeline.add(0, '11', 'b', w.work('11'));
    w.pipeline.add(1, '7', 'c', w.work('7'));
    await tick(10);
    expect(w.commits).toEqual(['1@8']);
    releaseFirst();
    await w.pipeline.below(1);
    await tick(1);
    expect(w.commits).toEqual(['1@8', '0@12']);
  });

  it('after reset, starts nothing it had taken, and a late outcome commits nothing', async () => {
    const w = world(1);
    let release = (): void => {};
    w.pipeline.add(0, '0', null, w.work('0', () => new Promise<void>((resolve) => (release = resolve))));
    w.pipeline.add(0, '1', null, w.work('1'));
    await tick(5);
    w.pipeline.reset();
    expect(w.pipeline.pending).toBe(0);
    release();
    await tick(5);
    expect(w.log).toEqual(['start 0', 'end 0']);
    expect(w.commits).toEqual([]);
  });

  it('a message given up (process resolved false) is not committed, nor anything after it', async () => {
    const w = world(1);
    w.pipeline.add(0, '0', null, w.work('0'));
    w.pipeline.add(0, '1', null, w.work('1', async () => false));
    w.pipeline.add(0, '2', null, w.work('2'));
    await tick(20);
    expect(w.commits).toEqual(['0@1']);
  });

  it('reports a message that could not be settled, and commits nothing past it', async () => {
    const w = world(1);
    w.pipeline.add(0, '0', null, w.work('0'));
    w.pipeline.add(0, '1', null, w.work('1', () => Promise.reject(new Error('dead letter not stored'))));
    w.pipeline.add(0, '2', null, w.work('2'));
    await tick(20);
    expect(w.failures).toEqual(['0@1: Error: dead letter not stored']);
    expect(w.commits).toEqual(['0@1']);
  });

  it('below(limit) waits until enough messages finished', async () => {
    const w = world(1);
    let release = (): void => {};
    w.pipeline.add(0, '0', null, w.work('0', () => new Promise<void>((resolve) => (release = resolve))));
    let passed = false;
    const waiting = w.pipeline.below(1).then(() => (passed = true));
    await tick(5);
    expect(passed).toBe(false);
    release();
    await waiting;
    expect(passed).toBe(true);
  });
});
