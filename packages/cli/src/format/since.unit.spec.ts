import { describe, expect, it } from 'vitest';
import { UsageError } from '../cliError.js';
import { parseDuration, parseSince } from './since.js';

const now = new Date('2026-03-10T12:00:00Z');

describe('parseSince', () => {
  it('reads durations back from now', () => {
    expect(parseSince('24h', now).toISOString()).toBe('2026-03-09T12:00:00.000Z');
    expect(parseSince('1h30m', now).toISOString()).toBe('2026-03-10T10:30:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-03-03T12:00:00.000Z');
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('reads ISO dates', () => {
    expect(parseSince('2026-03-01', now).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parseSince('2026-03-01T08:15:00Z', now).toISOString()).toBe('2026-03-01T08:15:00.000Z');
    expect(parseSince('2026-03-01T08:15:00+02:00', now).toISOString()).toBe('2026-03-01T06:15:00.000Z');
  });

  it('refuses anything else, saying what it takes', () => {
    expect(() => parseSince('yesterday', now)).toThrow(UsageError);
    expect(() => parseSince('2026-13-45', now)).toThrow(/use an ISO date such as 2026-03-01/);
    expect(() => parseSince('10 minutes', now)).toThrow(/30m, 24h, 7d or 1h30m/);
    expect(() => parseSince('later', now, '--until')).toThrow(/^--until 'later' is neither a date nor a duration/);
  });
});
