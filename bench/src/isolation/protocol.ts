/**
 * The messages between the bench process and a subject's child process (node's IPC channel, `advanced`
 * serialization). The bench process sends numbered requests, one at a time; the child answers each
 * with its number, or, if it is about to die of an error nobody awaited, sends a `fatal` message so
 * the reason reaches the report instead of a bare exit code. Pure: building and checking messages.
 */
import { SubjectUnavailable, type SagaWorkload } from '../subjects/subject.js';
import type { RoundRequest, RoundResult, SubjectFacts, SweepMeasure } from './subjectHandle.js';
import type { SubjectSpec } from './subjectSpec.js';

export type HostRequest =
  | { readonly type: 'open'; readonly spec: SubjectSpec }
  | { readonly type: 'warmUp'; readonly workload: SagaWorkload; readonly count: number; readonly inFlight: number }
  | { readonly type: 'profile'; readonly request: RoundRequest; readonly name: string }
  | { readonly type: 'round'; readonly request: RoundRequest }
  | { readonly type: 'sweep' }
  | { readonly type: 'close' };

/** What the child answers to each request. */
export interface ReplyValues {
  readonly open: SubjectFacts;
  readonly warmUp: null;
  readonly profile: null;
  readonly round: RoundResult;
  readonly sweep: SweepMeasure;
  readonly close: null;
}

export interface RequestMessage {
  readonly id: number;
  readonly request: HostRequest;
}

/** An error as it crosses the channel: its message, and whether it made the subject unavailable or skipped. */
export interface EncodedError {
  readonly message: string;
  readonly status?: 'skipped' | 'unavailable';
}

export type ReplyMessage = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: EncodedError };

export interface FatalMessage {
  readonly fatal: EncodedError;
}

/** A message that is none of the protocol's: a bug on one side, named so that it is found. */
export class ProtocolError extends Error {
  constructor(what: string, message: unknown) {
    super(`${what}: ${JSON.stringify(message)?.slice(0, 200) ?? String(message)}; the bench process and its subject host must be built from the same source (pnpm --filter @saga/bench build).`);
    this.name = 'ProtocolError';
  }
}

const requestTypes: ReadonlySet<string> = new Set<HostRequest['type']>(['open', 'warmUp', 'profile', 'round', 'sweep', 'close']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const encodeError = (error: unknown): EncodedError => {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return error instanceof SubjectUnavailable ? { message, status: error.status } : { message };
};

/** The error as the bench process throws it: a SubjectUnavailable keeps its status, so the report lists it the same way. */
export const decodeError = (encoded: EncodedError): Error => (encoded.status === undefined ? new Error(encoded.message) : new SubjectUnavailable(encoded.message, encoded.status));

export const parseRequest = (message: unknown): RequestMessage => {
  if (!isRecord(message) || typeof message.id !== 'number' || !isRecord(message.request) || !requestTypes.has(String(message.request.type))) {
    throw new ProtocolError('not a request of the subject host protocol', message);
  }
  return message as unknown as RequestMessage;
};

const isEncodedError = (value: unknown): value is EncodedError =>
  isRecord(value) && typeof value.message === 'string' && (value.status === undefined || value.status === 'skipped' || value.status === 'unavailable');

export const parseMessage = (message: unknown): ReplyMessage | FatalMessage => {
  if (isRecord(message) && isEncodedError(message.fatal)) return { fatal: message.fatal };
  if (isRecord(message) && typeof message.id === 'number') {
    if (message.ok === true && 'value' in message) return message as unknown as ReplyMessage;
    if (message.ok === false && isEncodedError(message.error)) return { id: message.id, ok: false, error: message.error };
  }
  throw new ProtocolError('not a reply of the subject host protocol', message);
};
