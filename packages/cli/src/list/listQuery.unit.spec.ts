import { describe, expect, it } from 'vitest';
import { encodeIndexCursor } from '@saga/core';
import { UsageError } from '../cliError.js';
import { listQuery } from './listQuery.js';

const now = new Date('2026-03-10T12:00:00Z');

describe('listQuery', () => {
  it('turns every indexed option into the index query, and says it in words', () => {
    const { query, criteria } = listQuery(
      {
        status: ['Paused,errored', 'paused'],
        definition: 'create_order@1',
        service: 'order',
        user: 'alice',
        since: '24h',
        until: '2026-03-10T11:00:00Z',
        open: true,
        context: ['orderId=o-1'],
        limit: 20,
      },
      now,
    );
    expect(query).toEqual({
      status: ['paused', 'errored'],
      definitionName: 'create_order',
      definitionVersion: '1',
      service: 'order',
      user: 'alice',
      startedFrom: '2026-03-09T12:00:00.000Z',
      startedTo: '2026-03-10T11:00:00.000Z',
      open: true,
    });
    expect(criteria).toEqual([
      'status paused,errored',
      'definition create_order@1',
      'service order',
      'user alice',
      'since 2026-03-09 12:00:00Z',
      'until 2026-03-10 11:00:00Z',
      'open',
      'context orderId=o-1',
    ]);
  });

  it('asks for nothing it was not given', () => {
    expect(listQuery({ limit: 20 }, now)).toEqual({ query: {}, criteria: [] });
    expect(listQuery({ definition: 'create_order', limit: 20 }, now).query).toEqual({ definitionName: 'create_order' });
    expect(listQuery({ definition: '@scope/saga@2', limit: 20 }, now).query).toEqual({ definitionName: '@scope/saga', definitionVersion: '2' });
  });

  it('refuses what cannot match or cannot be asked, as usage errors', () => {
    const refused = (options: Parameters<typeof listQuery>[0]): string => {
      try {
        listQuery(options, now);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ status: ['done'], limit: 20 })).toMatch(/unknown status done; use one or more of created, running, paused, finished, errored/);
    expect(refused({ status: ['corrupted'], limit: 20 })).toMatch(/found by `saga verify --all`/);
    expect(refused({ definition: 'create_order@', limit: 20 })).toMatch(/use a saga's name, or name@version/);
    expect(refused({ since: '1h', until: '2h', limit: 20 })).toMatch(/--since 2026-03-10 11:00:00Z is not before --until 2026-03-10 10:00:00Z/);
    expect(refused({ until: 'soon', limit: 20 })).toMatch(/^--until 'soon'/);
    expect(refused({ limit: 1001 })).toMatch(/--limit must be at most 1000/);
    expect(refused({ after: 'x', limit: 20 })).toMatch(/--after 'x' is not a cursor/);
    expect(listQuery({ after: encodeIndexCursor({ startedAt: '2026-03-01T00:00:00Z', executionId: 'a' }), limit: 20 }, now).query).toEqual({});
  });
});
