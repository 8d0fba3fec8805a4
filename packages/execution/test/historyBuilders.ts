// Hand-made events for the history checker's specs: each builder gives one event as [type, data],
// and `history` decodes them at revisions 0…n-1 (so each has the engine's shape).
import type { JsonObject } from '@saga/definitions';
import { decodeEvent, type RecordedSagaEvent } from '../src/decodeEvent.js';

export type Raw = readonly [type: string, data: Record<string, unknown>];

export const at = '2030-01-01T00:00:00.000Z';
export const history = (...events: Raw[]): RecordedSagaEvent[] =>
  events.map(([type, data], revision) => decodeEvent({ revision, type, data: data as JsonObject, recordedAt: at }, 'test'));

export const error = { name: 'Error', message: 'boom' };
export const started: Raw = ['SagaStarted', { executionId: 'e1', definition: { name: 't', version: '1', fingerprint: 'f' }, context: {}, user: null, autocommit: true, service: 'order' }];
export const local = (path: string): Raw => ['StepFinished', { path, kind: 'local' }];
export const request = (path: string, requestId: string): Raw => ['RequestSent', { path, requestId, target: 'stock.reserve', payload: {} }];
export const compensationRequest = (path: string, requestId: string): Raw => ['CompensationRequestSent', { path, requestId, target: 'stock.release', payload: {} }];
export const reply = (path: string, requestId: string, status = 200): Raw => ['ReplyReceived', { path, requestId, status, payload: null, relatedServices: ['stock'] }];
export const remoteDone = (path: string): Raw => ['StepFinished', { path, kind: 'remote' }];
export const fired = (timerId: string): Raw => ['TimerFired', { timerId }];
export const compensated = (path: string, requestId?: string): Raw => ['StepCompensated', { path, ...(requestId ? { requestId } : {}) }];
export const attemptFailed = (path: string): Raw => ['CompensationAttemptFailed', { path, error, attempt: 1 }];
export const compensationFailed = (path: string): Raw => ['CompensationFailed', { path, error }];
export const sagaFailed: Raw = ['SagaFailed', { error }];
export const completed: Raw = ['SagaCompleted', { context: {} }];
export const votes: Raw = ['VotesRequested', { votes: [{ service: 'stock', requestId: 'v1' }] }];
export const vote = (yes: boolean, requestId = 'v1'): Raw => ['VoteReceived', { service: 'stock', requestId, vote: yes }];
export const rejected: Raw = ['TransactionRejected', { services: ['stock'], reason: 'no' }];
export const commitFailed: Raw = ['CommitFailed', { error }];
export const compensationStarted: Raw = ['CompensationStarted', {}];
