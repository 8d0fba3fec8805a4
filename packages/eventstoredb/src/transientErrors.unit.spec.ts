import { describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NotLeaderError,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { ConcurrencyConflictError } from '@saga/core';
import { comparePositions, formatPosition, readPosition } from './globalPosition.js';
import { isTransientError } from './transientErrors.js';

describe('transient errors', () => {
  it('are an unreachable server, a missed deadline, a leader change and a node that cancels calls as it stops (24.4+)', () => {
    expect(isTransientError(new CancelledError(undefined, '1 CANCELLED'))).toBe(true);
    expect(isTransientError(new UnavailableError())).toBe(true);
    expect(isTransientError(new DeadlineExceededError())).toBe(true);
    expect(isTransientError(Object.assign(Object.create(NotLeaderError.prototype) as NotLeaderError, { type: 'not-leader' }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 }))).toBe(true);
  });

  it('are never a wrong expected version, a missing stream, refused credentials or a conflict', () => {
    expect(isTransientError(new WrongExpectedVersionError(undefined, { streamName: 's', expected: 0n, current: 1n }))).toBe(false);
    expect(isTransientError(new StreamNotFoundError(undefined, 's'))).toBe(false);
    expect(isTransientError(new AccessDeniedError())).toBe(false);
    expect(isTransientError(StreamDeletedError.fromStreamName('s'))).toBe(false);
    expect(isTransientError(MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576))).toBe(false);
    expect(isTransientError(new ConcurrencyConflictError('s', 0, 1))).toBe(false);
    expect(isTransientError('unavailable')).toBe(false);
  });
});

describe('$all positions', () => {
  // The listStreams cursor carries one of these; its codec is tested in @saga/core (streamCursor).
  it('round-trip as text, refuse any other text, and order like the log', () => {
    const position = { commit: 123456789012345n, prepare: 123456789012300n };
    expect(readPosition(formatPosition(position))).toEqual(position);
    expect(readPosition('garbage')).toBeUndefined();
    expect(readPosition('01:2')).toBeUndefined();
    expect(comparePositions({ commit: 1n, prepare: 1n }, { commit: 2n, prepare: 0n })).toBe(-1);
    expect(comparePositions({ commit: 2n, prepare: 1n }, { commit: 2n, prepare: 1n })).toBe(0);
  });
});
