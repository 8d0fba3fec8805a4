// Stream names and event ids. Ids must be deterministic so that a retried append of the same
// decision is recognised by stores that de-duplicate by id, and distinct for any other decision.
import { describe, expect, it } from 'vitest';
import { eventId, executionIdOf, executionStream } from './executionStream.js';

const UUID_V5_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('executionStream', () => {
  it('names the stream saga-<id> (EventStoreDB’s category is then $ce-saga), and reads the id back', () => {
    expect(executionStream('0b6f')).toBe('saga-0b6f');
    expect(executionIdOf(executionStream('a-b-c'))).toBe('a-b-c');
  });
});

describe('eventId', () => {
  const base = eventId('saga-exec-1', 3, 'StepFinished', { path: '0', kind: 'local' });

  it('is the same for the same stream, revision, type and data', () => {
    expect(base).toBe(eventId('saga-exec-1', 3, 'StepFinished', { path: '0', kind: 'local' }));
  });

  it('is shaped as an RFC 4122 version-5 UUID, so stores that require UUIDs accept it', () => {
    for (let revision = 0; revision < 50; revision++) expect(eventId('saga-exec-1', revision, 'StepFinished', {})).toMatch(UUID_V5_SHAPE);
  });

  it.each([
    ['stream', ['saga-exec-2', 3, 'StepFinished', { path: '0', kind: 'local' }]],
    ['revision', ['saga-exec-1', 4, 'StepFinished', { path: '0', kind: 'local' }]],
    ['type', ['saga-exec-1', 3, 'StepFailed', { path: '0', kind: 'local' }]],
    ['data', ['saga-exec-1', 3, 'StepFinished', { path: '1', kind: 'local' }]],
  ] as const)('differs when the %s differs', (_, [stream, revision, type, data]) => {
    expect(eventId(stream, revision, type, data)).not.toBe(base);
  });

  it('does not confuse fields across the separator', () => {
    expect(eventId('saga-1', 23, 'A', {})).not.toBe(eventId('saga-12', 3, 'A', {}));
  });
});
