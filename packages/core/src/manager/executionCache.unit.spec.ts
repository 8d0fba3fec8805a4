import { describe, expect, it } from 'vitest';
import { fold, sagaEvent, type SagaExecution } from '@saga/execution';
import { ExecutionCache } from './executionCache.js';

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
    const size = JSON.stringify(small).length;
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
});
