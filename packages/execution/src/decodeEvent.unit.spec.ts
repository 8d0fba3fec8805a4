// Reading a stream back: every event of the catalogue survives the trip through JSON, and a history
// the engine did not write is refused with an error that says where and why.
import { describe, expect, it } from 'vitest';
import { SagaError, type JsonObject } from '@saga/definitions';
import { CorruptedHistoryError } from './corruptedHistoryError.js';
import { decodeEvent, decodeHistory, tryDecodeEvent, tryDecodeHistory, type DecodedHistory, type StoredEvent } from './decodeEvent.js';
import { sagaEventCodecs, type SagaEventData, type SagaEventType } from './sagaEvents.js';

const recordedAt = '2030-01-01T00:00:00.000Z';
const stored = (revision: number, type: string, data: unknown, stream = 'saga-exec-1'): StoredEvent => ({
  stream,
  revision,
  type,
  data: data as JsonObject,
  recordedAt,
});

// Typed as a complete record, so a new event type does not compile until it has an example here.
const examples: { [K in SagaEventType]: SagaEventData[K] } = {
  SagaStarted: {
    executionId: 'exec-1',
    definition: { name: 'order', version: '1', fingerprint: 'f00d' },
    context: { sku: 'A1', lines: [{ qty: 2 }] },
    user: null,
    autocommit: true,
    service: 'orders',
  },
  StepFinished: { path: '0', kind: 'local', context: { total: 42 } },
  StepFailed: { path: '1', kind: 'remote', status: 'timed-out', error: { name: 'ReplyTimeoutError', message: 'late' }, compensate: true, requestId: 'r-1' },
  RequestSent: { path: '1', requestId: 'r-1', target: 'stock.reserve', payload: { sku: 'A1' } },
  ReplyReceived: { path: '1', requestId: 'r-1', status: 400, payload: null, relatedServices: ['stock'] },
  BranchChosen: { path: '2', branch: 'else' },
  SagaCompleted: { context: { done: true } },
  CompensationRequestSent: { path: '1', requestId: 'c-1', target: 'stock.release', payload: [1, 'two'] },
  StepCompensated: { path: '1', requestId: 'c-1' },
  CompensationFailed: { path: '0', error: { name: 'Error', message: 'ledger down' } },
  SagaFailed: { error: { name: 'Error', message: 'boom' } },
  VotesRequested: { votes: [{ service: 'stock', requestId: 'v-1' }] },
  VoteReceived: { service: 'stock', requestId: 'v-1', vote: false, reason: 'no stock' },
  TransactionCommitted: { services: ['stock'] },
  TransactionRejected: { services: ['stock'], reason: 'payment voted no' },
  CommitFailed: { error: { name: 'CommitFailedError', message: 'payment voted no' } },
  TimerScheduled: { timerId: 't-1', purpose: 'reply', dueAt: '2030-01-01T00:01:00.000Z', requestId: 'r-1', path: '1' },
  TimerFired: { timerId: 't-1' },
  RequestResent: { path: '1', requestId: 'r-1', attempt: 2 },
  CompensationAttemptFailed: { path: '1', error: { name: 'ErrorReply', message: 'busy' }, attempt: 1 },
  CompensationResumed: { path: '1' },
  TransactionNotified: { services: ['stock'] },
  CancelRequested: { reason: 'the customer called', by: 'ops@example.com' },
  CancelStarted: {},
  ParallelStarted: { path: '1', branches: 2 },
  CompensationStarted: {},
  ChildStarted: { path: '2', childId: 'c1', definition: { name: 'ship', version: '1', fingerprint: 'f' }, context: { parcel: 1 } },
  ChildEnded: { path: '2', childId: 'c1', outcome: 'finished', context: { tracking: 'T1' } },
  ChildCompensationRequested: { path: '2', childId: 'c1' },
  CompensationRequested: { parentId: 'p1' },
};

// The optional fields left out, and the other values of the unions.
const variants: [SagaEventType, unknown][] = [
  ['SagaStarted', { ...examples.SagaStarted, user: 'alice', autocommit: false }],
  ['StepFinished', { path: '2', kind: 'conditional' }],
  ['StepFailed', { path: '0', kind: 'local', status: 'errored-on-execute', error: { name: 'Error', message: 'x' }, compensate: false }],
  ['ReplyReceived', { ...examples.ReplyReceived, status: 200, relatedServices: [] }],
  ['ReplyReceived', { ...examples.ReplyReceived, status: 500 }],
  ['BranchChosen', { path: '2', branch: 0 }],
  ['BranchChosen', { path: '2', branch: null }],
  ['StepCompensated', { path: '0', context: { undone: true } }],
  ['VoteReceived', { service: 'stock', requestId: 'v-1', vote: true }],
  ['TimerScheduled', { timerId: 't-2', purpose: 'deadline', dueAt: '2030-01-01T01:00:00.000Z' }],
  ['TimerScheduled', { timerId: 't-3', purpose: 'retry', dueAt: '2030-01-01T00:00:01.000Z', path: '0' }],
];

/** What `decodeEvent` throws, or fails the test if it does not throw. */
const corruption = (decode: () => unknown): CorruptedHistoryError => {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptedHistoryError);
    return error as CorruptedHistoryError;
  }
  throw new Error('expected a CorruptedHistoryError');
};

describe('decodeEvent', () => {
  it('has an example for every event type of the catalogue', () => {
    expect(Object.keys(examples).sort()).toEqual(Object.keys(sagaEventCodecs).sort());
  });

  it.each(Object.entries(examples))('%s round-trips through JSON unchanged', (type, data) => {
    const json = JSON.parse(JSON.stringify(data)) as unknown;
    expect(decodeEvent(stored(4, type, json))).toEqual({ type, data, revision: 4, recordedAt });
  });

  it.each(variants)('%s round-trips with its optional fields and other union members: %j', (type, data) => {
    expect(decodeEvent(stored(0, type, data)).data).toEqual(data);
  });

  it('refuses an unknown type, naming it', () => {
    const error = corruption(() => decodeEvent(stored(3, 'StepExploded', { path: '0' })));
    expect(error).toMatchObject({ stream: 'saga-exec-1', revision: 3, reason: "unknown event type 'StepExploded'" });
    expect(error.problems).toEqual([{ path: 'type', expected: 'an event type of the catalogue', actual: '"StepExploded"' }]);
    expect(error).toBeInstanceOf(SagaError);
    expect(error.message).toMatch(/^The history of 'saga-exec-1' is corrupted at revision 3: unknown event type 'StepExploded'/);
  });

  it('refuses an event with a missing field, naming the event type and the field', () => {
    const { path: _path, ...withoutPath } = examples.RequestSent;
    const error = corruption(() => decodeEvent(stored(2, 'RequestSent', withoutPath)));
    expect(error.revision).toBe(2);
    expect(error.problems).toEqual([{ path: 'data.path', expected: 'string', actual: 'undefined' }]);
    expect(error.reason).toBe('RequestSent does not decode: path is missing (must be string)');
  });

  it.each([
    ['ReplyReceived', { ...examples.ReplyReceived, status: 201 }, 'data.status', '200 | 400 | 500', '201'],
    ['ReplyReceived', { ...examples.ReplyReceived, status: '200' }, 'data.status', '200 | 400 | 500', '"200"'],
    ['ReplyReceived', { ...examples.ReplyReceived, relatedServices: 'stock' }, 'data.relatedServices', 'Array<string>', '"stock"'],
    ['ReplyReceived', { ...examples.ReplyReceived, relatedServices: ['stock', 7] }, 'data.relatedServices[1]', 'string', '7'],
    ['StepFailed', { ...examples.StepFailed, status: 'exploded' }, 'data.status', expect.stringContaining('"errored-on-execute" | ') as unknown as string, '"exploded"'],
    ['StepFinished', { path: '0', kind: 'lambda' }, 'data.kind', '"local" | "remote" | "conditional" | "parallel" | "child"', '"lambda"'],
    ['BranchChosen', { path: '2', branch: 'otherwise' }, 'data.branch', 'number | "else" | null', '"otherwise"'],
    ['SagaStarted', { ...examples.SagaStarted, context: ['not', 'an', 'object'] }, 'data.context', 'object', '["not","an","object"]'],
    ['SagaStarted', { ...examples.SagaStarted, forkedFrom: { executionId: 'e-0', revision: '3' } }, 'data.forkedFrom.revision', 'number', '"3"'],
    ['VoteReceived', { ...examples.VoteReceived, vote: 'yes' }, 'data.vote', 'boolean', '"yes"'],
    ['VotesRequested', { votes: [{ service: 'stock' }] }, 'data.votes[0].requestId', 'string', 'undefined'],
    ['TimerScheduled', { timerId: 't-1', purpose: 'alarm', dueAt: '2030-01-01T00:00:00.000Z' }, 'data.purpose', '"reply" | "resend" | "votes" | "deadline" | "retry"', '"alarm"'],
    ['RequestResent', { path: '1', requestId: 'r-1', attempt: '2' }, 'data.attempt', 'number', '"2"'],
    ['SagaCompleted', null, 'data', 'object', 'null'],
  ])('refuses %s with a wrong value %j: one problem at %s', (type, data, path, expected, actual) => {
    const error = corruption(() => decodeEvent(stored(1, type, data)));
    // A union is one problem (not one per member), an intersection's members add nothing to the path.
    expect(error.problems).toEqual([{ path, expected, actual }]);
    expect(error.reason).toMatch(new RegExp(`^${type} does not decode: `));
  });

  it('names every wrong field, in a sentence for people and as data for programs', () => {
    const error = corruption(() => decodeEvent(stored(1, 'StepFailed', { path: '1', kind: 'local', status: 'timed-out', error: { name: 'E' }, compensate: 1 })));
    expect(error.problems).toEqual([
      { path: 'data.error.message', expected: 'string', actual: 'undefined' },
      { path: 'data.compensate', expected: 'boolean', actual: '1' },
    ]);
    expect(error.reason).toBe('StepFailed does not decode: error.message is missing (must be string); compensate must be boolean, got 1');
    expect(error.message).toContain('error.message is missing (must be string); compensate must be boolean, got 1');
  });

  it('shortens a long wrong value in the problem', () => {
    const error = corruption(() => decodeEvent(stored(1, 'StepFinished', { path: '0', kind: 'x'.repeat(500) })));
    expect(error.problems[0]?.actual).toBe(`"${'x'.repeat(58)}…`);
  });

  it('tryDecodeEvent returns the event or the error, and never throws', () => {
    expect(tryDecodeEvent(stored(0, 'TimerFired', { timerId: 't-1' }))).toEqual({ ok: true, event: { type: 'TimerFired', data: { timerId: 't-1' }, revision: 0, recordedAt } });
    const failed = tryDecodeEvent(stored(0, 'TimerFired', {}));
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error).toBeInstanceOf(CorruptedHistoryError);
    expect(!failed.ok && failed.error.problems).toEqual([{ path: 'data.timerId', expected: 'string', actual: 'undefined' }]);
  });

  it('names the stream given explicitly, or "?" when nobody knows it', () => {
    const { stream: _stream, ...anonymous } = stored(0, 'Nope', {});
    expect(corruption(() => decodeEvent(anonymous, 'saga-given')).stream).toBe('saga-given');
    expect(corruption(() => decodeEvent(anonymous)).stream).toBe('?');
  });
});

describe('decodeHistory', () => {
  const history = (): StoredEvent[] => [
    stored(0, 'SagaStarted', examples.SagaStarted),
    stored(1, 'StepFinished', examples.StepFinished),
    stored(2, 'SagaCompleted', examples.SagaCompleted),
  ];

  it('decodes a well-formed stream in order, keeping revisions and times', () => {
    expect(decodeHistory(history()).map((e) => [e.revision, e.type, e.recordedAt])).toEqual([
      [0, 'SagaStarted', recordedAt],
      [1, 'StepFinished', recordedAt],
      [2, 'SagaCompleted', recordedAt],
    ]);
  });

  it('decodes an empty stream to no events', () => {
    expect(decodeHistory([])).toEqual([]);
  });

  it('refuses a revision gap, at the revision after the gap', () => {
    const [first, , third] = history();
    const error = corruption(() => decodeHistory([first!, third!]));
    expect(error).toMatchObject({ stream: 'saga-exec-1', revision: 2, reason: 'expected revision 1 (revisions must be dense)' });
    expect(error.problems).toEqual([{ path: 'revision', expected: '1', actual: '2' }]);
  });

  it('refuses a stream whose first event is not SagaStarted', () => {
    const error = corruption(() => decodeHistory([stored(0, 'StepFinished', examples.StepFinished)]));
    expect(error).toMatchObject({ revision: 0, reason: 'the first event is StepFinished, not SagaStarted' });
    expect(error.problems).toEqual([{ path: 'type', expected: '"SagaStarted"', actual: '"StepFinished"' }]);
  });

  it('refuses SagaStarted a second time', () => {
    const error = corruption(() => decodeHistory([...history().slice(0, 2), stored(2, 'SagaStarted', examples.SagaStarted)]));
    expect(error).toMatchObject({ revision: 2, reason: 'SagaStarted appears after the first event' });
    expect(error.problems).toEqual([{ path: 'type', expected: 'not "SagaStarted" (only revision 0 is)', actual: '"SagaStarted"' }]);
  });

  it('refuses the whole stream when one event in it does not decode', () => {
    const events = history();
    events[1] = stored(1, 'StepFinished', { kind: 'local' });
    expect(corruption(() => decodeHistory(events))).toMatchObject({ revision: 1, reason: expect.stringMatching(/^StepFinished does not decode/) as unknown });
  });

  it('names the stream given explicitly over the one on the events', () => {
    expect(corruption(() => decodeHistory([stored(0, 'StepFinished', examples.StepFinished)], 'saga-explicit')).stream).toBe('saga-explicit');
  });

  it('refuses a stream that does not start at revision 0 (its SagaStarted is missing)', () => {
    expect(corruption(() => decodeHistory(history().slice(1))).problems).toEqual([{ path: 'revision', expected: '0', actual: '1' }]);
  });
});

describe('tryDecodeHistory', () => {
  const history = (): StoredEvent[] => [
    stored(0, 'SagaStarted', examples.SagaStarted),
    stored(1, 'StepFinished', examples.StepFinished),
    stored(2, 'RequestSent', examples.RequestSent),
    stored(3, 'SagaCompleted', examples.SagaCompleted),
  ];
  /** The failure, or fails the test when the history decodes. */
  const failure = (result: DecodedHistory) => {
    if (result.ok) throw new Error('expected the history not to decode');
    expect(result.error).toBeInstanceOf(CorruptedHistoryError);
    return result;
  };

  it('returns every event of a well-formed stream, as decodeHistory does', () => {
    expect(tryDecodeHistory(history())).toEqual({ ok: true, events: decodeHistory(history()) });
    expect(tryDecodeHistory([])).toEqual({ ok: true, events: [] });
  });

  it('returns the error and the events before it for a wrong type, never throwing', () => {
    const events = history();
    events[2] = stored(2, 'RequestSent', { ...examples.RequestSent, target: 42 });
    const { error, decoded } = failure(tryDecodeHistory(events));
    expect(error).toMatchObject({ stream: 'saga-exec-1', revision: 2, reason: 'RequestSent does not decode: target must be string, got 42' });
    expect(error.problems).toEqual([{ path: 'data.target', expected: 'string', actual: '42' }]);
    expect(decoded.map((e) => e.type)).toEqual(['SagaStarted', 'StepFinished']);
  });

  it('returns the error and the events before it for a missing field', () => {
    const events = history();
    events[1] = stored(1, 'StepFinished', { kind: 'local' });
    const { error, decoded } = failure(tryDecodeHistory(events, 'saga-explicit'));
    expect(error).toMatchObject({ stream: 'saga-explicit', revision: 1, reason: 'StepFinished does not decode: path is missing (must be string)' });
    expect(error.problems).toEqual([{ path: 'data.path', expected: 'string', actual: 'undefined' }]);
    expect(decoded.map((e) => e.revision)).toEqual([0]);
  });

  it('returns the error and the events before it for an unknown event type', () => {
    const events = history();
    events[3] = stored(3, 'SagaExploded', {});
    const { error, decoded } = failure(tryDecodeHistory(events));
    expect(error).toMatchObject({ revision: 3, reason: "unknown event type 'SagaExploded'" });
    expect(error.problems).toEqual([{ path: 'type', expected: 'an event type of the catalogue', actual: '"SagaExploded"' }]);
    expect(decoded).toHaveLength(3);
  });

  it('returns the error for a revision gap: it is at the revision after the gap', () => {
    const events = history();
    events.splice(1, 1);
    const { error, decoded } = failure(tryDecodeHistory(events));
    expect(error).toMatchObject({ revision: 2, reason: 'expected revision 1 (revisions must be dense)' });
    expect(error.problems).toEqual([{ path: 'revision', expected: '1', actual: '2' }]);
    expect(decoded.map((e) => e.type)).toEqual(['SagaStarted']);
  });

  it('returns the error and the events before it for SagaStarted not first, and SagaStarted again later', () => {
    const headless = failure(tryDecodeHistory([stored(0, 'StepFinished', examples.StepFinished)]));
    expect(headless.error).toMatchObject({ revision: 0, reason: 'the first event is StepFinished, not SagaStarted' });
    expect(headless.error.problems).toEqual([{ path: 'type', expected: '"SagaStarted"', actual: '"StepFinished"' }]);
    expect(headless.decoded).toEqual([]);
    const events = history();
    events[1] = stored(1, 'SagaStarted', examples.SagaStarted);
    const twice = failure(tryDecodeHistory(events));
    expect(twice.error).toMatchObject({ revision: 1, reason: 'SagaStarted appears after the first event' });
    expect(twice.error.problems).toEqual([{ path: 'type', expected: 'not "SagaStarted" (only revision 0 is)', actual: '"SagaStarted"' }]);
    expect(twice.decoded).toHaveLength(1);
  });

  it('reports the first wrong revision only: what comes after it is not looked at', () => {
    const events = history();
    events[1] = stored(1, 'StepFinished', { path: 1, kind: 'local' });
    events[2] = stored(2, 'Mystery', {});
    const { error, decoded } = failure(tryDecodeHistory(events));
    expect(error.revision).toBe(1);
    expect(error.problems).toEqual([{ path: 'data.path', expected: 'string', actual: '1' }]);
    expect(decoded).toHaveLength(1);
  });

  it('decodeHistory throws exactly the error tryDecodeHistory returns', () => {
    const events = history();
    events[2] = stored(2, 'RequestSent', { ...examples.RequestSent, target: 42 });
    const thrown = corruption(() => decodeHistory(events));
    const { error } = failure(tryDecodeHistory(events));
    expect(thrown).toMatchObject({ stream: error.stream, revision: error.revision, reason: error.reason, problems: error.problems });
  });
});
