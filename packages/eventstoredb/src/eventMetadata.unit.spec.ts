import { describe, expect, it } from 'vitest';
import { fromStoredMetadata, withSystemMetadata } from './eventMetadata.js';

const system = { correlationId: 'saga-1', causationId: 'c0ffee00-0000-4000-8000-000000000000', recordedAt: '2030-01-01T00:00:00.000Z' };

describe('event metadata', () => {
  it("adds the server's correlation and causation keys and takes them away again on read", () => {
    const stored = withSystemMetadata({ user: 'u-1' }, system);
    expect(stored).toEqual({
      user: 'u-1',
      $correlationId: 'saga-1',
      $causationId: system.causationId,
      sagaStore: { recordedAt: system.recordedAt, added: ['$correlationId', '$causationId'] },
    });
    expect(fromStoredMetadata(stored)).toEqual({ metadata: { user: 'u-1' }, recordedAt: system.recordedAt });
  });

  it("keeps the caller's own $correlationId and $causationId, and gives them back", () => {
    const given = { $correlationId: 'order-7', $causationId: 'command-3' };
    const stored = withSystemMetadata(given, system);
    expect(stored).toMatchObject({ ...given, sagaStore: { added: [] } });
    expect(fromStoredMetadata(stored).metadata).toEqual(given);
  });

  it('omits $causationId when the cause is unknown', () => {
    expect(withSystemMetadata(undefined, { ...system, causationId: undefined })).toEqual({
      $correlationId: 'saga-1',
      sagaStore: { recordedAt: system.recordedAt, added: ['$correlationId'] },
    });
  });

  it('reads metadata written by other tools as it is, and anything else as none', () => {
    expect(fromStoredMetadata({ $correlationId: 'x', other: 1 })).toEqual({ metadata: { $correlationId: 'x', other: 1 }, recordedAt: undefined });
    for (const stored of [undefined, null, 'text', [1, 2], new Uint8Array([1, 2])]) {
      expect(fromStoredMetadata(stored)).toEqual({ metadata: {}, recordedAt: undefined });
    }
  });

  it('carries the index entry of an append as $sagaIndex, gives it to the projection and takes it away on read', () => {
    const index = { executionId: 'e-1', revision: 3 };
    const stored = withSystemMetadata({ user: 'u-1' }, { ...system, index });
    expect(stored).toMatchObject({ $sagaIndex: index, sagaStore: { added: ['$correlationId', '$causationId', '$sagaIndex'] } });
    expect(fromStoredMetadata(stored)).toEqual({ metadata: { user: 'u-1' }, recordedAt: system.recordedAt, index });
  });

  it("does not take a $sagaIndex the store did not add for an index entry", () => {
    const stored = withSystemMetadata({ $sagaIndex: 'mine' }, system);
    expect(fromStoredMetadata(stored)).toEqual({ metadata: { $sagaIndex: 'mine' }, recordedAt: system.recordedAt });
    expect(fromStoredMetadata({ $sagaIndex: { executionId: 'x' } })).toEqual({ metadata: { $sagaIndex: { executionId: 'x' } }, recordedAt: undefined });
  });
});
