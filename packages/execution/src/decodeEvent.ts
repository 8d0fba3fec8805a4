import { isLeft } from 'fp-ts/lib/Either.js';
import type { JsonObject } from '@saga/definitions';
import { CorruptedHistoryError } from './corruptedHistoryError.js';
import { isSagaEventType, sagaEventCodecs, type SagaEvent } from './sagaEvents.js';
import { describeProblem, shortJson, validationProblems } from './validationProblems.js';

/** An event as a store returns it (structurally the core's `RecordedEvent`). */
export interface StoredEvent {
  readonly stream?: string;
  readonly revision: number;
  readonly type: string;
  readonly data: JsonObject;
  readonly recordedAt: string;
}

/** A decoded event with its place in the stream. */
export type RecordedSagaEvent = SagaEvent & { readonly revision: number; readonly recordedAt: string };

/** What `tryDecodeEvent` returns: the event, or why it does not decode. */
export type DecodedEvent = { readonly ok: true; readonly event: RecordedSagaEvent } | { readonly ok: false; readonly error: CorruptedHistoryError };

/**
 * What `tryDecodeHistory` returns: every event, or the error at the first revision that is wrong
 * together with the events before it (`decoded`, the part that can still be folded and shown).
 */
export type DecodedHistory =
  | { readonly ok: true; readonly events: RecordedSagaEvent[] }
  | { readonly ok: false; readonly error: CorruptedHistoryError; readonly decoded: RecordedSagaEvent[] };

/** Decodes one stored event; never throws. The error's `problems` name every field that is wrong. */
export const tryDecodeEvent = (event: StoredEvent, stream = event.stream ?? '?'): DecodedEvent => {
  if (!isSagaEventType(event.type)) {
    const problem = { path: 'type', expected: 'an event type of the catalogue', actual: shortJson(event.type) };
    return { ok: false, error: new CorruptedHistoryError(stream, event.revision, `unknown event type '${event.type}'`, [problem]) };
  }
  const result = sagaEventCodecs[event.type].decode(event.data);
  if (isLeft(result)) {
    const problems = validationProblems(result.left);
    const reason = `${event.type} does not decode: ${problems.map(describeProblem).join('; ')}`;
    return { ok: false, error: new CorruptedHistoryError(stream, event.revision, reason, problems) };
  }
  return { ok: true, event: { type: event.type, data: result.right, revision: event.revision, recordedAt: event.recordedAt } as RecordedSagaEvent };
};

/** Decodes one stored event, or throws `CorruptedHistoryError` naming the stream, revision and reason. */
export const decodeEvent = (event: StoredEvent, stream = event.stream ?? '?'): RecordedSagaEvent => {
  const decoded = tryDecodeEvent(event, stream);
  if (!decoded.ok) throw decoded.error;
  return decoded.event;
};

/** A revision out of sequence: the stream has a gap, a duplicate, or does not start at 0. */
const revisionError = (stored: StoredEvent, index: number, stream: string): CorruptedHistoryError =>
  new CorruptedHistoryError(stream, stored.revision, `expected revision ${index} (revisions must be dense)`, [
    { path: 'revision', expected: String(index), actual: shortJson(stored.revision) },
  ]);

/** Why a decoded event is out of place (`SagaStarted` first and only first), or undefined. */
const placementError = (event: RecordedSagaEvent, index: number, stream: string): CorruptedHistoryError | undefined => {
  if (index === 0 && event.type !== 'SagaStarted') {
    return new CorruptedHistoryError(stream, event.revision, `the first event is ${event.type}, not SagaStarted`, [
      { path: 'type', expected: '"SagaStarted"', actual: shortJson(event.type) },
    ]);
  }
  if (index > 0 && event.type === 'SagaStarted') {
    return new CorruptedHistoryError(stream, event.revision, 'SagaStarted appears after the first event', [
      { path: 'type', expected: 'not "SagaStarted" (only revision 0 is)', actual: shortJson(event.type) },
    ]);
  }
  return undefined;
};

/**
 * Decodes a whole stream and checks its shape: dense revisions from 0, `SagaStarted` first and only
 * first; never throws. A history that breaks these was not written by this engine and must not be
 * resumed, but the events before the first wrong one can still be shown.
 */
export const tryDecodeHistory = (events: readonly StoredEvent[], stream = events[0]?.stream ?? '?'): DecodedHistory => {
  const decoded: RecordedSagaEvent[] = [];
  for (const [index, stored] of events.entries()) {
    // The revision first (a gap says more than the event after it), then the data, then its place.
    if (stored.revision !== index) return { ok: false, error: revisionError(stored, index, stream), decoded };
    const event = tryDecodeEvent(stored, stream);
    if (!event.ok) return { ok: false, error: event.error, decoded };
    const misplaced = placementError(event.event, index, stream);
    if (misplaced) return { ok: false, error: misplaced, decoded };
    decoded.push(event.event);
  }
  return { ok: true, events: decoded };
};

/**
 * Decodes a whole stream and checks its shape, like `tryDecodeHistory`, but throws the
 * `CorruptedHistoryError` at the first revision that is wrong.
 */
export const decodeHistory = (events: readonly StoredEvent[], stream = events[0]?.stream ?? '?'): RecordedSagaEvent[] => {
  const history = tryDecodeHistory(events, stream);
  if (!history.ok) throw history.error;
  return history.events;
};
