import { fold } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexOf, recordHistories, type Histories } from '../../test/histories.js';
import { diffExecutions, diffJson, isEmptyDiff } from './executionDiff.js';

describe('diffJson', () => {
  it('follows nested objects key by key and compares arrays and scalars whole', () => {
    expect(
      diffJson(
        { state: 'pending', reservation: { id: 'R1', qty: 1 }, tags: ['a'], gone: true, 'odd key': 1 },
        { state: 'cancelled', reservation: { id: 'R1', qty: 2 }, tags: ['a', 'b'], added: null, 'odd key': 2 },
      ),
    ).toEqual([
      { path: 'state', kind: 'changed', before: 'pending', after: 'cancelled' },
      { path: 'reservation.qty', kind: 'changed', before: 1, after: 2 },
      { path: 'tags', kind: 'changed', before: ['a'], after: ['a', 'b'] },
      { path: 'gone', kind: 'removed', before: true },
      { path: '["odd key"]', kind: 'changed', before: 1, after: 2 },
      { path: 'added', kind: 'added', after: null },
    ]);
  });

  it('finds nothing between equal values', () => {
    expect(diffJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
});

describe('diffExecutions', () => {
  let histories: Histories;
  beforeAll(async () => {
    histories = await recordHistories();
  });

  const around = (type: string, path?: string) => {
    const { events } = histories.compensated;
    const at = indexOf(events, type, path);
    return diffExecutions(fold(events.slice(0, at)), fold(events.slice(0, at + 1)));
  };

  it('says what a failure changed: phase, step status, error, compensation plan', () => {
    const diff = around('StepFailed');
    expect(diff.phase).toEqual({ before: 'forward', after: 'compensating' });
    expect(diff.steps).toEqual([{ path: '2', kind: 'remote', before: 'running-on-error', after: 'errored-on-error' }]);
    expect(diff.error?.after?.message).toContain('card declined');
    expect(diff.compensation).toEqual({ before: undefined, after: 'plan 1, 0; done (nothing yet)' });
    expect(diff.context).toEqual([]);
  });

  it('says what a compensation changed in the context', () => {
    const diff = around('StepCompensated', '0');
    expect(diff.steps).toEqual([{ path: '0', kind: 'local', before: 'finished', after: 'compensated' }]);
    expect(diff.context).toEqual([{ path: 'state', kind: 'changed', before: 'pending', after: 'cancelled' }]);
  });

  it('sees a request go out and a timer start', () => {
    const sent = around('RequestSent', '1');
    expect(sent.status).toEqual({ before: 'running', after: 'paused' });
    expect(sent.pendingRequest?.after?.target).toBe('stock.reserve');
    expect(sent.steps[0]).toMatchObject({ path: '1', after: 'paused-by-on-execute' });
    expect(sent.steps[0]?.before).toBeUndefined();
  });

  it('starts from nothing at revision 0', () => {
    const { events } = histories.finished;
    const diff = diffExecutions(fold([]), fold(events.slice(0, 1)));
    expect(diff.status).toEqual({ before: undefined, after: 'running' });
    expect(diff.context.map((c) => c.path)).toEqual(['orderId', 'sku', 'amount', 'express']);
    expect(isEmptyDiff(diffExecutions(fold(events), fold(events)))).toBe(true);
  });
});
