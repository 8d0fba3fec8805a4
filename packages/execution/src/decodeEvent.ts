import { isLeft } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type { JsonObject } from '@saga/definitions';
import { CorruptedHistoryError } from './corruptedHistoryError.js';
import { isSagaEventType, sagaEventCodecs, type SagaEvent } from './sagaEvents.js';

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

/** Decodes one stored event, or throws `CorruptedHistoryError` naming the stream, revision and reason. */
export const decodeEvent = (event: StoredEvent, stream = event.stream ?? '?'): RecordedSagaEvent => {
  if (!isSagaEventType(event.type)) {
    throw new CorruptedHistoryError(stream, event.revision, `unknown event type '${event.type}'`);
  }
  const result = sagaEventCodecs[event.type].decode(event.data);
  if (isLeft(result)) {
    const reason = PathReporter.report(result).join('; ');
    throw new CorruptedHistoryError(stream, event.revision, `${event.type} does not decode: ${reason}`);
  }
  return { type: event.type, data: result.right, revision: event.revision, recordedAt: event.recordedAt } as RecordedSagaEvent;
};

/**
 * Decodes a whole stream and checks its shape: dense revisions from 0, `SagaStarted` first and only
 * first. A history that breaks these was not written by this engine and must not be resumed.
 */
export const decodeHistory = (events: readonly StoredEvent[], stream = events[0]?.stream ?? '?'): RecordedSagaEvent[] =>
  events.map((stored, index) => {
    const expected = index;
    if (stored.revision !== expected) {
      throw new CorruptedHistoryError(stream, stored.revision, `expected revision ${expected} (revisions must be dense)`);
    }
    const event = decodeEvent(stored, stream);
    if ((stored.revision === 0) !== (event.type === 'SagaStarted')) {
      throw new CorruptedHistoryError(
        stream,
        stored.revision,
        stored.revision === 0 ? `the first event is ${event.type}, not SagaStarted` : 'SagaStarted appears after the first event',
      );
    }
    return event;
  });
