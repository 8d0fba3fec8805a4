import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordHistories, type Histories } from '../../test/histories.js';
import { exportHistory, historyDigest, historyJson } from './historyExport.js';

let histories: Histories;
beforeAll(async () => {
  histories = await recordHistories();
});

describe('exportHistory (saga-history/1)', () => {
  it('has a fixed shape: every key present, absent values null', () => {
    const { execution, events, stream } = histories.paused;
    const exported = exportHistory(execution, events, stream);
    expect(Object.keys(exported)).toEqual(['format', 'execution', 'events']);
    expect(exported.format).toBe('saga-history/1');
    expect(Object.keys(exported.execution)).toEqual([
      'id',
      'stream',
      'definition',
      'status',
      'user',
      'service',
      'startedAt',
      'updatedAt',
      'revision',
      'context',
      'error',
      'steps',
      'pendingRequest',
      'pendingRequests',
      'pendingChildren',
      'parent',
      'compensation',
      'timers',
      'transaction',
    ]);
    expect(exported.execution).toMatchObject({ status: 'paused', user: null, error: null, stream });
    expect(exported.execution.pendingRequest).toMatchObject({ target: 'stock.reserve', purpose: 'execute', attempt: 1 });
    expect(exported.execution.steps[0]).toEqual({ path: '0', kind: 'local', status: 'finished', branch: null, requestId: null, childId: null, error: null });
    expect(exported.events.map((e) => Object.keys(e).join())).toEqual(events.map(() => 'revision,type,recordedAt,data'));
  });

  it('digests exactly the JSON that is printed', () => {
    const { execution, events, stream } = histories.finished;
    const exported = exportHistory(execution, events, stream);
    expect(historyJson(exported).endsWith('}\n')).toBe(true);
    expect(historyDigest(exported)).toBe(createHash('sha256').update(historyJson(exported)).digest('hex'));
    expect(JSON.parse(historyJson(exported))).toEqual(exported);
  });
});
