import type { JsonObject } from '@saga/core';

/**
 * What the store adds to an event's metadata, and takes away again on read so callers get back
 * exactly what they appended:
 * - `$correlationId` / `$causationId` (unless the caller set them): the server's own tools
 *   (`$by_correlation_id`, the UI) then show a saga's events as one causal chain.
 * - `sagaStore.recordedAt`: the one timestamp of the append (the port wants one per append; the
 *   server's own `created` differs per event and stays visible in the server's UI).
 * - `$sagaIndex`: the execution's index entry given with the append (`append(…, { index })`), on the
 *   append's last event only; the projected execution index reads it back from `$all`.
 * `sagaStore.added` lists the `$` keys the store added (only those are taken away and only a listed
 * `$sagaIndex` is an index entry). Keys starting with `$` are the server's, so the store's own key is
 * not one of them.
 */
export const storeKey = 'sagaStore';
export const indexKey = '$sagaIndex';

export interface SystemMetadata {
  readonly correlationId: string;
  /** The id of the event this one follows, when known. */
  readonly causationId: string | undefined;
  readonly recordedAt: string;
  /** The execution's index entry, on the last event of an append that came with one. */
  readonly index?: JsonObject;
}

export const withSystemMetadata = (metadata: JsonObject | undefined, system: SystemMetadata): JsonObject => {
  const given = metadata ?? {};
  const added: string[] = [];
  const result: Record<string, JsonObject[string]> = { ...given };
  if (!('$correlationId' in given)) {
    result.$correlationId = system.correlationId;
    added.push('$correlationId');
  }
  if (!('$causationId' in given) && system.causationId !== undefined) {
    result.$causationId = system.causationId;
    added.push('$causationId');
  }
  if (system.index !== undefined) {
    // The caller's own key of that name would be taken away on read: checked by the store first.
    result[indexKey] = system.index;
    added.push(indexKey);
  }
  result[storeKey] = { recordedAt: system.recordedAt, added };
  return result;
};

export interface StoredMetadata {
  /** The metadata as the caller appended it. */
  readonly metadata: JsonObject;
  /** The append's timestamp, when the event was written by this store. */
  readonly recordedAt: string | undefined;
  /** The index entry the store wrote with the event (unchecked: the reader checks it). */
  readonly index?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/** Splits what the store added from what the caller gave. Metadata of other writers is kept as is. */
export const fromStoredMetadata = (stored: unknown): StoredMetadata => {
  if (!isObject(stored)) return { metadata: {}, recordedAt: undefined };
  const own = stored[storeKey];
  if (!isObject(own)) return { metadata: stored as JsonObject, recordedAt: undefined };
  const added = Array.isArray(own.added) ? own.added.filter((key): key is string => typeof key === 'string') : [];
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (key !== storeKey && !added.includes(key)) metadata[key] = value;
  }
  const recordedAt = typeof own.recordedAt === 'string' ? own.recordedAt : undefined;
  return added.includes(indexKey) ? { metadata: metadata as JsonObject, recordedAt, index: stored[indexKey] } : { metadata: metadata as JsonObject, recordedAt };
};
