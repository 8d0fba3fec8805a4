import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@saga/core';
import { batches, entryFor, eventsFor, parseScaleSize, scaleExecutionId, type Template } from './scaleData.js';

const template: Template = {
  executionId: 'old-id',
  events: [
    { stream: 'saga-old-id', revision: 0, type: 'SagaStarted', data: { executionId: 'old-id', context: { a: 1 } }, metadata: { executionId: 'old-id' }, recordedAt: '2026-01-01T00:00:00.000Z' },
    { stream: 'saga-old-id', revision: 1, type: 'SagaCompleted', data: { context: { a: 1 } }, metadata: {}, recordedAt: '2026-01-01T00:00:00.000Z' },
  ] as RecordedEvent[],
  entry: {
    executionId: 'old-id',
    service: 's',
    definitionName: 'd',
    definitionVersion: '1',
    status: 'finished',
    phase: 'ended',
    open: false,
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    user: null,
    nextDueAt: null,
    waitingFor: null,
    revision: 1,
  },
};

describe('scale data', () => {
  it('makes UUID-shaped ids as PostgreSQL md5()::uuid does', () => {
    const id = scaleExecutionId('open', 7);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(id.replaceAll('-', '')).toBe(createHash('md5').update('open-7').digest('hex'));
    expect(scaleExecutionId('finished', 7)).not.toBe(id);
  });

  it('gives the template new ids in data and metadata, and leaves the template alone', () => {
    const events = eventsFor(template, 'new-id');
    expect(events).toEqual([
      { type: 'SagaStarted', data: { executionId: 'new-id', context: { a: 1 } }, metadata: { executionId: 'new-id' } },
      { type: 'SagaCompleted', data: { context: { a: 1 } }, metadata: {} },
    ]);
    expect(template.events[0]?.data).toEqual({ executionId: 'old-id', context: { a: 1 } });
    expect(entryFor(template, 'new-id')).toEqual({ ...template.entry, executionId: 'new-id' });
  });

  it('cuts a range into batches', () => {
    expect(batches(5, 2)).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(batches(0, 2)).toEqual([]);
  });

  it('reads sizes with k and M', () => {
    expect(parseScaleSize('10000')).toBe(10_000);
    expect(parseScaleSize('100k')).toBe(100_000);
    expect(parseScaleSize('1M')).toBe(1_000_000);
    expect(parseScaleSize('x')).toBeNaN();
  });
});
