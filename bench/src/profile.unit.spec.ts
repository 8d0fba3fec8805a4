import { describe, expect, it } from 'vitest';
import { groupOf, inclusiveTimes, summarizeProfile, type CpuProfile } from './profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

describe('summarizeProfile', () => {
  // root → decide (packages/core) → toFrozenJson (packages/definitions); root → (idle); root → (garbage collector)
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 1_000,
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
      { id: 2, callFrame: frame('decide', 'file:///repo/packages/core/dist/manager/decide.js', 96), children: [3] },
      { id: 3, callFrame: frame('toFrozenJson', 'file:///repo/packages/definitions/dist/frozenJson.js', 67) },
      { id: 4, callFrame: frame('(idle)') },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    // Each sample's node is charged the delta that follows it.
    samples: [2, 3, 3, 4, 5, 2],
    timeDeltas: [0, 100, 200, 300, 400, 100],
  };

  it('adds up self time per function from the samples, and leaves idle time out of the shares', () => {
    const summary = summarizeProfile(profile);
    const byName = Object.fromEntries(summary.functions.map((f) => [f.functionName, f]));
    // decide: 0.1 ms (first sample) + 1/6 ms (last sample gets the mean interval); toFrozenJson 0.2 + 0.3; GC 0.1.
    expect(byName.toFrozenJson?.selfMs).toBeCloseTo(0.5);
    expect(byName.decide?.selfMs).toBeCloseTo(0.1 + 1 / 6);
    expect(byName['(idle)']).toBeUndefined();
    expect(summary.total).toBeCloseTo(0.5 + 0.1 + 1 / 6 + 0.1);
    expect(summary.functions[0]?.functionName).toBe('toFrozenJson');
    expect(summary.functions[0]?.location).toBe('packages/definitions/dist/frozenJson.js:68');
  });

  it('gives inclusive time: a caller is charged what its callees spent', () => {
    const inclusive = inclusiveTimes(profile, (group) => group.startsWith('@saga/'));
    expect(inclusive.map((entry) => entry.functionName)).toEqual(['decide', 'toFrozenJson']);
    expect(inclusive[0]?.selfMs).toBeCloseTo(0.1 + 1 / 6 + 0.5);
  });

  it('groups self time by package', () => {
    const groups = Object.fromEntries(summarizeProfile(profile).groups.map((g) => [g.group, g.selfMs]));
    expect(Object.keys(groups).sort()).toEqual(['@saga/core', '@saga/definitions', 'GC']);
  });
});

describe('groupOf', () => {
  it('names workspace packages, dependencies (pnpm layout too), node internals and V8 categories', () => {
    expect(groupOf('file:///w/packages/sqlite/dist/sqliteEventStore.js', 'append')).toBe('@saga/sqlite');
    expect(groupOf('file:///w/bench/dist/workloads/replay.js', 'replayAll')).toBe('@saga/bench');
    expect(groupOf('file:///w/node_modules/.pnpm/io-ts@2.2.22/node_modules/io-ts/lib/index.js', 'decode')).toBe('io-ts');
    expect(groupOf('file:///w/node_modules/@opentelemetry/api/build/index.js', 'with')).toBe('@opentelemetry/api');
    expect(groupOf('node:internal/process/task_queues', 'runMicrotasks')).toBe('node internals');
    expect(groupOf('', '(garbage collector)')).toBe('GC');
    expect(groupOf('', 'run')).toBe('V8 / native');
  });
});
