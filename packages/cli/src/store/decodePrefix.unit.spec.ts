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
    expect(corruption?.reason).toBe('StepFinished does not decode: kind is missing (must be "local" | "remote" | "conditional" | "parallel" | "child")');
    expect(corruption?.problems).toEqual([{ path: 'data.kind', expected: '"local" | "remote" | "conditional" | "parallel" | "child"', actual: 'undefined' }]);
  });

  it('names every wrong field of the event that stops decoding, in the reason and as problems', () => {
    const { events, corruption } = decodePrefix([started, event(1, 'ReplyReceived', { path: '0', requestId: 'r-1', status: 201, payload: null, relatedServices: ['stock', 7] })], 'saga-x');
    expect(events).toHaveLength(1);
    expect(corruption?.reason).toBe('ReplyReceived does not decode: status must be 200 | 400 | 500, got 201; relatedServices[1] must be string, got 7');
    expect(corruption?.problems).toEqual([
      { path: 'data.status', expected: '200 | 400 | 500', actual: '201' },
      { path: 'data.relatedServices[1]', expected: 'string', actual: '7' },
    ]);
  });

  it('reports a gap in revisions and a stream that does not start with SagaStarted', () => {
    expect(decodePrefix([started, event(2, 'StepFinished', { path: '0', kind: 'local' })], 'saga-x').corruption?.reason).toBe(
      'expected revision 1 (revisions must be dense)',
    );
    const headless = decodePrefix([event(0, 'StepFinished', { path: '0', kind: 'local' })], 'saga-x');
    expect(headless.events).toEqual([]);
    expect(headless.corruption?.reason).toBe('the first event is StepFinished, not SagaStarted');
    expect(headless.corruption?.problems).toEqual([{ path: 'type', expected: '"SagaStarted"', actual: '"StepFinished"' }]);
  });
});
