import { describe, expect, it } from 'vitest';
import { stepLatenciesOf } from './localSubject.js';

describe('W3 step latencies from append times', () => {
  it('takes each of the first three steps as the gap between consecutive appends of a stream', () => {
    const times = new Map([
      ['saga-a', [0, 10, 25, 45, 50, 51, 52]],
      ['saga-b', [100, 103]],
    ]);
    expect(stepLatenciesOf(times)).toEqual([10, 15, 20, 3]);
  });
});
