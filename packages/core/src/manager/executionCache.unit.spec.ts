import { describe, expect, it } from 'vitest';
import { fold, sagaEvent, type SagaExecution } from '@saga/execution';
import { ExecutionCache, sizeOf } from './executionCache.js';

const execution = (id: string, revision = 0, context: Record<string, string> = {}): SagaExecution => {
  const started = fold([
    sagaEvent('SagaStarted', {
      executionId: id,
      definition: { name: 'cached', version: '1', fingerprint: 'f' },
      context,
      user: null,
      autocommit: true,
      service: 'orders',
    }),
  ]);
  return { ...started, revision };
};

describe('ExecutionCache', () => {
  it('keeps executions and gives them back, newest revision winning', () => {
    const cache = new ExecutionCache();
    cache.set(execution('a', 3));
    cache.set(execution('a', 2));
    expect(cache.get('a')?.revision).toBe(3);
    cache.set(execution('a', 4));
    expect(cache.get('a')?.revision).toBe(4);
    expect(cache.size).toBe(1);
  });

  it('drops the least recently used beyond maxEntries', () => {
    const cache = new ExecutionCache({ maxEntries: 2 });
    cache.set(execution('a'));
    cache.set(execution('b'));
    cache.get('a');
    cache.set(execution('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.id).toBe('a');
    expect(cache.get('c')?.id).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('stays under maxBytes, and does not keep an execution larger than the whole budget', () => {
    const small = execution('a');
    const size = sizeOf(small);
    const cache = new ExecutionCache({ maxBytes: size * 2 + 10 });
    cache.set(small);
    cache.set(execution('b'));
    cache.set(execution('c'));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBeLessThanOrEqual(size * 2 + 10);
    expect(cache.get('a')).toBeUndefined();
    cache.set(execution('huge', 0, { blob: 'x'.repeat(size * 3) }));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('forgets on delete and clear; maxEntries 0 turns it off', () => {
    const cache = new ExecutionCache();
    cache.set(execution('a'));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.bytes).toBe(0);
    cache.set(execution('b'));
    cache.clear();
    expect(cache.size).toBe(0);
    const off = new ExecutionCache({ maxEntries: 0 });
    off.set(execution('a'));
    expect(off.get('a')).toBeUndefined();
  });

  describe('sizeOf: the estimate the byte budget counts', () => {
    const grown = (steps: number, contextBytes: number, payloadBytes: number): SagaExecution => {
      const id = `grown-${steps}-${contextBytes}-${payloadBytes}`;
      const events = [
        sagaEvent('SagaStarted', { executionId: id, definition: { name: 'cached', version: '1', fingerprint: 'f' }, context: { blob: 'c'.repeat(contextBytes) }, user: 'ada', autocommit: true, service: 'orders' }),
        ...Array.from({ length: steps }, (_, step) => sagaEvent('StepFinished', { path: String(step), kind: 'local', context: { blob: 'c'.repeat(contextBytes), step } })),
        sagaEvent('RequestSent', { path: String(steps), requestId: `req-${id}`, target: 'stock.reserve', payload: { blob: 'p'.repeat(payloadBytes) } }),
        sagaEvent('TimerScheduled', { timerId: `t-${id}`, purpose: 'reply', dueAt: '2030-01-01T00:00:00.000Z', requestId: `req-${id}`, path: String(steps) }),
      ];
      return fold(events.map((event, revision) => ({ ...event, revision, recordedAt: '2030-01-01T00:00:00.000Z' })));
    };

    it.each([
      [0, 10, 10],
      [3, 50, 20],
      [20, 100, 100],
      [5, 100_000, 10],
      [2, 10, 50_000],
      [200, 10, 10],
    ])('is within a factor of two of the JSON size: %i steps, a context of %i bytes, a payload of %i bytes', (steps, contextBytes, payloadBytes) => {
      const execution = grown(steps, contextBytes, payloadBytes);
      const actual = JSON.stringify(execution).length;
      expect(sizeOf(execution)).toBeGreaterThanOrEqual(actual / 2);
      expect(sizeOf(execution)).toBeLessThanOrEqual(actual * 2);
    });
  });
});
