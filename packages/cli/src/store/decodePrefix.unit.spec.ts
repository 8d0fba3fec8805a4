import { CorruptedHistoryError, type RecordedEvent } from '@saga/core';
import { describe, expect, it } from 'vitest';
import { decodePrefix } from './loadExecution.js';

const at = '2026-03-01T00:00:00.000Z';
const event = (revision: number, type: string, data: Record<string, unknown>): RecordedEvent => ({ stream: 'saga-x', revision, type, data: data as RecordedEvent['data'], metadata: {}, recordedAt: at });
const started = event(0, 'SagaStarted', {
  executionId: 'x',
  definition: { name: 'n', version: '1', fingerprint: 'f' },
  context: {},
  user: null,
  autocommit: true,
  service: 's',
});

describe('decodePrefix', () => {
  it('decodes a good stream whole', () => {
    const { events, corruption } = decodePrefix([started, event(1, 'StepFinished', { path: '0', kind: 'local' })], 'saga-x');
    expect(events.map((e) => e.type)).toEqual(['SagaStarted', 'StepFinished']);
    expect(corruption).toBeUndefined();
  });

  it('keeps what decodes before the first bad event, and says where and why', () => {
    const { events, corruption } = decodePrefix(
      [started, event(1, 'StepFinished', { path: '0', kind: 'local' }), event(2, 'StepFinished', { path: '1' }), event(3, 'Mystery', {})],
      'saga-x',
    );
    expect(events).toHaveLength(2);
    expect(corruption).toBeInstanceOf(CorruptedHistoryError);
    expect(corruption?.revision).toBe(2);
    expect(corruption?.reason).toBe('StepFinished does not decode: kind must be "local" | "remote" | "conditional" | "parallel" | "child", got undefined');
  });

  it('reports a gap in revisions and a stream that does not start with SagaStarted', () => {
    expect(decodePrefix([started, event(2, 'StepFinished', { path: '0', kind: 'local' })], 'saga-x').corruption?.reason).toBe(
      'expected revision 1 (revisions must be dense)',
    );
    const headless = decodePrefix([event(0, 'StepFinished', { path: '0', kind: 'local' })], 'saga-x');
    expect(headless.events).toEqual([]);
    expect(headless.corruption?.reason).toBe('the first event is StepFinished, not SagaStarted');
  });
});
