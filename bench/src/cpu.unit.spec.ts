import { describe, expect, it } from 'vitest';
import { cpuDelta, parseProcStat } from './cpu.js';

describe('parseProcStat', () => {
  it('reads pid, command, parent and CPU ticks, even when the command has spaces and parentheses', () => {
    const line = '4242 (postgres: a (b)) S 2186 2186 2186 0 -1 4194560 500 0 0 0 120 30 7 3 20 0 1 0 100 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'postgres: a (b)', ppid: 2186, ownTicks: 150, childTicks: 10 });
  });

  it('gives undefined for a line it cannot read', () => {
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('cpuDelta', () => {
  it('sums what each process used between two snapshots; a process born meanwhile counts from zero', () => {
    const start = new Map([
      [1, 100],
      [2, 50],
    ]);
    const end = new Map([
      [1, 130],
      [3, 5],
    ]);
    expect(cpuDelta(start, end)).toBe(35);
  });
});
