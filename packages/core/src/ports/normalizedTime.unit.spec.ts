import { describe, expect, it } from 'vitest';
import { assertIndexEntry, normalizedTime } from './executionQuery.js';

describe('normalizedTime', () => {
  it('keeps a time already in the engine’s form as it is', () => {
    expect(normalizedTime('2026-12-01T10:20:30.456Z')).toBe('2026-12-01T10:20:30.456Z');
  });

  it('normalises any other ISO-8601 time to UTC with milliseconds', () => {
    expect(normalizedTime('2026-12-01T00:00:00Z')).toBe('2026-12-01T00:00:00.000Z');
    expect(normalizedTime('2026-12-01T01:00:00.5+01:00')).toBe('2026-12-01T00:00:00.500Z');
  });

  it('refuses what is no time, also in the engine’s shape', () => {
    expect(normalizedTime('2026-13-01T00:00:00.000Z')).toBeUndefined();
    expect(normalizedTime('2026-02-30T99:00:00.000Z')).toBeUndefined();
    expect(normalizedTime('tomorrow')).toBeUndefined();
    expect(normalizedTime(17)).toBeUndefined();
  });

  it('is what index entries are checked with: an impossible time in the engine’s shape is refused, naming the field', () => {
    const entry = {
      executionId: 'e-1',
      service: 's',
      definitionName: 'd',
      definitionVersion: '1',
      status: 'running',
      phase: 'forward' as const,
      open: true,
      startedAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-13-01T00:00:00.000Z',
      user: null,
      nextDueAt: null,
      waitingFor: null,
      revision: 0,
    };
    expect(() => assertIndexEntry(entry)).toThrow(/index entry of execution 'e-1' updatedAt '2026-13-01T00:00:00.000Z' is not an ISO-8601 time/);
    expect(() => assertIndexEntry({ ...entry, updatedAt: entry.startedAt })).not.toThrow();
  });
});
