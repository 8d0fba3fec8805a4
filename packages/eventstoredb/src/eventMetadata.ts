import type { JsonObject } from '@saga/core';

/**
 * What the store adds to an event's metadata, and takes away again on read so callers get back
 * exactly what they appended:
 * - `$correlationId` / `$causationId` (unless the caller set them): the server's own tools
 *   (`$by_correlation_id`, the UI) then show a saga's events as one causal chain.
 * - `sagaStore.recordedAt`: the one timestamp of the append (the port wants one per append; the
 *   server's own `created` differs per event and stays visible in the server's UI).
 * `sagaStore.added` lists the `$` keys the store added. Keys starting with `$` are the server's, so
 * the store's own key is not one of them.
 */
export const storeKey = 'sagaStore';

export interface SystemMetadata {
  readonly correlationId: string;
  /** The id of the event this one follows, when known. */
  readonly causationId: string | undefined;
  readonly recordedAt: string;
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
  result[storeKey] = { recordedAt: system.recordedAt, added };
  return result;
};

export interface StoredMetadata {
  /** The metadata as the caller appended it. */
  readonly metadata: JsonObject;
  /** The append's timestamp, when the event was written by this store. */
  readonly recordedAt: string | undefined;
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
  return { metadata: metadata as JsonObject, recordedAt: typeof own.recordedAt === 'string' ? own.recordedAt : undefined };
};
