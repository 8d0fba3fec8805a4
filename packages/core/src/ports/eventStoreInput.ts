/**
 * What every EventStore adapter checks of its caller's input before it touches storage, so that a
 * bad call fails the same way, with the same message, on every store.
 */
import { SagaError } from '@saga/definitions';
import type { ExpectedRevision, GlobalPosition, JsonObject, ListStreamsOptions, NewEvent, ReadAllOptions, ReadOptions } from './eventStore.js';

/** The defaults of `listStreams`, as the port documents them. */
export const defaultListStreams = { prefix: 'saga-', limit: 100 } as const;

const isJsonObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export const assertStreamName = (stream: string): void => {
  if (typeof stream !== 'string' || stream.length === 0) throw new SagaError('A stream name must be a non-empty string.');
};

/** A non-empty stream name, and at least one event, each with a type, a JSON object as data and, if any, as metadata. */
export const assertAppendable = (stream: string, events: readonly NewEvent[]): void => {
  assertStreamName(stream);
  if (!Array.isArray(events) || events.length === 0) {
    throw new SagaError(`Cannot append to stream '${stream}': the list of events is empty. Append at least one event.`);
  }
  events.forEach((event: NewEvent | undefined, index) => {
    if (typeof event?.type !== 'string' || event.type.length === 0) {
      throw new SagaError(`Cannot append to stream '${stream}': event ${index} has no type; give every event a non-empty type.`);
    }
    if (!isJsonObject(event.data)) {
      throw new SagaError(`Cannot append to stream '${stream}': the data of event ${index} (${event.type}) must be a JSON object.`);
    }
    if (event.metadata !== undefined && !isJsonObject(event.metadata)) {
      throw new SagaError(`Cannot append to stream '${stream}': the metadata of event ${index} (${event.type}) must be a JSON object.`);
    }
  });
};

/**
 * `'no_stream'`, `'any'` or a whole number ≥ 0; `below` is where the store's revisions end (a column's
 * range), so that the revision after the expected one still fits.
 */
export const assertExpectedRevision = (stream: string, expected: ExpectedRevision, below = Number.MAX_SAFE_INTEGER): void => {
  if (expected === 'no_stream' || expected === 'any') return;
  if (!Number.isSafeInteger(expected) || expected < 0 || expected >= below) {
    throw new SagaError(`Cannot append to stream '${stream}': expected revision ${String(expected)} is not 'no_stream', 'any' or a whole number ≥ 0.`);
  }
};

/** The first revision a `read` returns. */
export const readFromRevision = (stream: string, options: ReadOptions): number => {
  const fromRevision = options.fromRevision ?? 0;
  if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
    throw new SagaError(`Cannot read stream '${stream}' from revision ${String(fromRevision)}: use a whole number ≥ 0.`);
  }
  return fromRevision;
};

/** The prefix and page size of a `listStreams`, defaults filled in; the cursor is the store's to decode. */
export const resolveListStreamsOptions = (options: ListStreamsOptions): { readonly prefix: string; readonly limit: number } => {
  const prefix = options.prefix ?? defaultListStreams.prefix;
  const limit = options.limit ?? defaultListStreams.limit;
  if (typeof prefix !== 'string') throw new SagaError(`Invalid listStreams prefix ${String(prefix)}: use a string.`);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new SagaError(`Invalid listStreams limit ${String(limit)}: use a whole number ≥ 1.`);
  return { prefix, limit };
};

/** The defaults of `readAll`, as the port documents them. */
export const defaultReadAll = { prefix: 'saga-', limit: 500 } as const;

export const resolveReadAllOptions = (options: ReadAllOptions = {}): { readonly prefix: string; readonly limit: number; readonly after?: GlobalPosition } => {
  const prefix = options.prefix ?? defaultReadAll.prefix;
  const limit = options.limit ?? defaultReadAll.limit;
  if (typeof prefix !== 'string') throw new SagaError(`Invalid readAll prefix ${String(prefix)}: use a string.`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new SagaError(`Invalid readAll limit ${String(limit)}: use a whole number from 1 to 10000.`);
  if (options.after !== undefined && (typeof options.after !== 'string' || options.after.length === 0)) {
    throw new SagaError(`Invalid readAll position ${String(options.after)}: pass a position this store returned, or omit it.`);
  }
  return options.after === undefined ? { prefix, limit } : { prefix, limit, after: options.after };
};

/**
 * A position of a store whose global order is a whole number (PostgreSQL, SQLite, in memory), as the
 * decimal string it gave out. `head` is the store's last position: a later one was never given.
 */
export const parseIntegerPosition = (store: string, position: GlobalPosition, head: number): number => {
  const value = /^(0|[1-9]\d{0,15})$/.test(position) ? Number(position) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new SagaError(`${store}: '${position}' is not a position of this store (a whole number it returned). Start from the beginning by omitting it.`);
  }
  if (value > head) {
    throw new SagaError(
      `${store}: position ${position} is past the end of the store (its last is ${head}). Was the store restored from an older backup, or is this position from another store? Start from the beginning by omitting it.`,
    );
  }
  return value;
};
