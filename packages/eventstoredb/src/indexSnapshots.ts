/**
 * Snapshots of the projected execution index, kept in a stream of their own
 * (`<namespace>saga_index-checkpoint`): where the projection was in `$all` (its checkpoint) and its
 * OPEN entries, so that a restarted store reads `$all` from the checkpoint on instead of from the
 * start before recovery can begin. Finished entries are not in it (see `ProjectedIndex`).
 *
 * A snapshot is written as parts of at most 256 KiB (an append must stay under the server's maximum
 * append size, 1 MiB by default) and a last event naming the parts; one part and the last event go
 * in one append, so a small snapshot is atomic. A snapshot whose parts are not all there (truncated,
 * or interrupted) is passed over for the one before it. The stream's `$maxCount` keeps the last few
 * snapshots only.
 */
import { randomUUID } from 'node:crypto';
import { ANY, BACKWARDS, END, ErrorType, isCommandError, jsonEvent, type Position } from '@eventstore/db-client';
import { assertIndexEntry } from '@saga/core';
import type { ExecutionIndexEntry, JsonObject } from '@saga/core';
import type { EsdbClient } from './esdbClient.js';
import { formatPosition, parsePosition } from './globalPosition.js';

export interface PositionedEntry {
  readonly entry: ExecutionIndexEntry;
  /** Where in `$all` the entry was written. */
  readonly position: Position;
}

export interface IndexSnapshot {
  /** Every event up to here is reflected. */
  readonly checkpoint: Position;
  /** The open entries at the checkpoint (and any newer one this process wrote meanwhile). */
  readonly entries: readonly PositionedEntry[];
}

export const snapshotEventType = 'SagaIndexSnapshot';
export const snapshotPartEventType = 'SagaIndexSnapshotPart';
const partBytes = 256 * 1024;
/** Events the stream keeps at least: several snapshots of one part each. */
const minMaxCount = 20;
/** How many events of the stream `load` looks at, newest first. */
const loadWindow = 1_000;

interface SnapshotEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export class IndexSnapshots {
  readonly #client: EsdbClient;
  /** The physical stream name. */
  readonly stream: string;
  #maxCountSet = 0;
  #metadataRefused = false;

  constructor(client: EsdbClient, stream: string) {
    this.#client = client;
    this.stream = stream;
  }

  /** The newest complete snapshot, or undefined when there is none. */
  async load(): Promise<IndexSnapshot | undefined> {
    const newestFirst: SnapshotEvent[] = [];
    try {
      for await (const resolved of this.#client.readStream(this.stream, { direction: BACKWARDS, fromRevision: END, maxCount: loadWindow })) {
        const event = resolved.event;
        if (event !== undefined && event.isJson && isObject(event.data)) newestFirst.push({ type: event.type, data: event.data });
      }
    } catch (error) {
      if (error instanceof Error && isCommandError(error) && (error.type === ErrorType.STREAM_NOT_FOUND || error.type === ErrorType.STREAM_DELETED)) return undefined;
      throw error;
    }
    for (const last of newestFirst) {
      if (last.type !== snapshotEventType || last.data.version !== 1) continue;
      const snapshot = decode(last, newestFirst);
      if (snapshot !== undefined) return snapshot;
    }
    return undefined;
  }

  async save(snapshot: IndexSnapshot): Promise<void> {
    const id = randomUUID();
    const parts = split(snapshot.entries);
    const needed = Math.max(minMaxCount, 2 * (parts.length + 1) + 2);
    if (needed !== this.#maxCountSet && !this.#metadataRefused) {
      try {
        await this.#client.setStreamMetadata(this.stream, { maxCount: needed });
        this.#maxCountSet = needed;
      } catch (error) {
        // A user without metadata-write on the stream: the snapshots are kept all, which is harmless.
        if (!(error instanceof Error && isCommandError(error) && error.type === ErrorType.ACCESS_DENIED)) throw error;
        this.#metadataRefused = true;
      }
    }
    const partEvents = parts.map((entries, part) =>
      jsonEvent({ type: snapshotPartEventType, data: { snapshot: id, part, entries: entries.map(({ entry, position }) => [entry as unknown as JsonObject, formatPosition(position)]) } }),
    );
    const last = jsonEvent({
      type: snapshotEventType,
      data: { version: 1, snapshot: id, parts: parts.length, checkpoint: formatPosition(snapshot.checkpoint), entries: snapshot.entries.length },
    });
    if (partEvents.length <= 1) {
      await this.#client.appendToStream(this.stream, [...partEvents, last], { expectedRevision: ANY });
      return;
    }
    for (const part of partEvents) await this.#client.appendToStream(this.stream, part, { expectedRevision: ANY });
    await this.#client.appendToStream(this.stream, last, { expectedRevision: ANY });
  }
}

const split = (entries: readonly PositionedEntry[]): PositionedEntry[][] => {
  const parts: PositionedEntry[][] = [[]];
  let size = 0;
  for (const item of entries) {
    const bytes = Buffer.byteLength(JSON.stringify(item.entry), 'utf8') + 64;
    const current = parts[parts.length - 1] as PositionedEntry[];
    if (current.length > 0 && size + bytes > partBytes) {
      parts.push([item]);
      size = bytes;
    } else {
      current.push(item);
      size += bytes;
    }
  }
  return parts;
};

/** The snapshot a last event names, if all its parts are among `events`. */
const decode = (last: SnapshotEvent, events: readonly SnapshotEvent[]): IndexSnapshot | undefined => {
  const { snapshot: id, parts, checkpoint } = last.data;
  if (typeof id !== 'string' || typeof parts !== 'number' || !Number.isSafeInteger(parts) || parts < 0 || typeof checkpoint !== 'string') return undefined;
  const found = new Map<number, unknown[]>();
  for (const event of events) {
    const { snapshot, part, entries } = event.data;
    if (event.type === snapshotPartEventType && snapshot === id && typeof part === 'number' && Array.isArray(entries)) found.set(part, entries);
  }
  const entries: PositionedEntry[] = [];
  try {
    for (let part = 0; part < parts; part += 1) {
      const list = found.get(part);
      if (list === undefined) return undefined;
      for (const item of list) {
        if (!Array.isArray(item) || typeof item[1] !== 'string') return undefined;
        const entry = item[0] as ExecutionIndexEntry;
        assertIndexEntry(entry);
        entries.push({ entry, position: parsePosition(item[1]) });
      }
    }
    return { checkpoint: parsePosition(checkpoint), entries };
  } catch {
    return undefined;
  }
};
