/**
 * Reads of `$all` in order with the client's `readAll`. Client 6.x sends `readAll` without a filter
 * (its request always says "no filter"; only `subscribeToAll` takes one), so the stream-name prefix
 * is applied here, and a read scans the events of other streams too (the server's own, other
 * applications', projections' links). A scan is bounded: it stops after `maxScanned` events of any
 * stream, and then says how far it got, so that the next read goes on from there.
 */
import { BACKWARDS, END, FORWARDS, START, type AllStreamRecordedEvent, type Position } from '@eventstore/db-client';
import type { EsdbClient } from './esdbClient.js';
import { comparePositions } from './globalPosition.js';

export interface ScanOptions {
  /** Events after this position (exclusive); undefined: from the start of `$all`. */
  readonly after: Position | undefined;
  /** Which streams count (physical stream names). */
  readonly matches: (streamId: string) => boolean;
  /** Stop after this many matching events. */
  readonly limit: number;
  /** Stop after this many events of any stream. */
  readonly maxScanned: number;
  /** Hand on hard deletes' markers too (the projected index removes the execution on one). Default false. */
  readonly tombstones?: boolean;
}

export interface ScanResult {
  /** Matching events in `$all` order. */
  readonly events: readonly AllStreamRecordedEvent[];
  /** The last event looked at (matching or not); `after` when there was none. */
  readonly last: Position | undefined;
  /** True when the scan reached the end of `$all`. */
  readonly atEnd: boolean;
  /** True when the server had no event at or after `after` at all (used to detect a position past the end). */
  readonly nothingFrom: boolean;
}

/** The type of the event a hard delete (tombstone) writes to `$all`. */
const tombstoneType = '$streamDeleted';

/** Events per `readAll` call: the server streams them; a scan that stops early cancels the call. */
const batchSize = 1_000;

export const scanAll = async (client: EsdbClient, options: ScanOptions): Promise<ScanResult> => {
  const events: AllStreamRecordedEvent[] = [];
  let last = options.after;
  let scanned = 0;
  let first = true;
  let nothingFrom = false;
  for (;;) {
    const from = last;
    let received = 0;
    let stopped = false;
    const read = client.readAll({ direction: FORWARDS, fromPosition: from ?? START, maxCount: batchSize });
    try {
      for await (const resolved of read) {
        received += 1;
        const event = resolved.event;
        if (event === undefined) continue;
        // A forward read from a position includes the event at that position: skipped, `after` is exclusive.
        if (from !== undefined && comparePositions(event.position, from) <= 0) continue;
        scanned += 1;
        last = event.position;
        // A hard delete's marker ('$streamDeleted' at revision 2^63-1) is not an event of the stream:
        // readers see the delete when they read or write it (DeletedStreamError).
        if (options.matches(event.streamId) && (event.type !== tombstoneType || options.tombstones === true)) events.push(event);
        if (events.length >= options.limit || scanned >= options.maxScanned) {
          stopped = true;
          break;
        }
      }
    } finally {
      // Leaving the loop early does not end the server's stream by itself.
      if (stopped) await read.cancel().catch(() => undefined);
    }
    if (first) nothingFrom = received === 0;
    first = false;
    if (stopped) return { events, last, atEnd: false, nothingFrom };
    if (received < batchSize) return { events, last, atEnd: true, nothingFrom };
  }
};

/** The position of the last event in `$all` (of any stream), or undefined for an empty database. */
export const headOfAll = async (client: EsdbClient): Promise<Position | undefined> => {
  for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    if (resolved.event?.position !== undefined) return resolved.event.position;
  }
  return undefined;
};
