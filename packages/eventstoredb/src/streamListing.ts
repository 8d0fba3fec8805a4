import { START, streamNameFilter, type AllStreamRecordedEvent, type Position } from '@eventstore/db-client';
import { SagaError } from '@saga/core';
import { comparePositions } from './globalPosition.js';
import { headOfAll } from './allReader.js';
import type { EsdbClient } from './esdbClient.js';

/** The first event of a stream, found in `$all`. */
export interface StreamCreation {
  readonly event: AllStreamRecordedEvent;
  readonly position: Position;
}

export interface CreationScan {
  /** Up to `limit + 1` creations: one more than asked means another page follows. */
  readonly creations: readonly StreamCreation[];
  /**
   * Set when the scan ran out of time before the head of `$all`: the last position it got to (an
   * event's or a checkpoint's). The next page goes on from there.
   */
  readonly stoppedAt?: Position;
}

export interface ScanOptions {
  /** Physical stream-name prefix. */
  readonly prefix: string;
  /** Only creations after this position (exclusive). */
  readonly after: Position | undefined;
  readonly limit: number;
  /** Stops after this long, with what it found and where it got to (see `CreationScan`). */
  readonly timeoutMs: number;
}

/**
 * Finds stream creations (revision 0) by a server-side filtered read of `$all` on the stream-name
 * prefix. Needs no projections. With client 6.x `readAll` takes no filter, so the read is a
 * catch-up `subscribeToAll` with `streamNameFilter`, stopped once it reaches the head of `$all` as
 * it was when the scan began (the server's caught-up signal, or an event or checkpoint at or past
 * that head), or when `timeoutMs` is over: a scan of a `$all` full of other applications' events
 * takes time, and then the page holds what it found and says where it stopped (the server sends a
 * checkpoint every 32 events it looked at, so a scan that found nothing still moves on).
 */
export const scanStreamCreations = async (client: EsdbClient, options: ScanOptions): Promise<CreationScan> => {
  const head = await headOfAll(client);
  if (head === undefined || (options.after !== undefined && comparePositions(options.after, head) >= 0)) return { creations: [] };
  return new Promise<CreationScan>((resolve, reject) => {
    const found: StreamCreation[] = [];
    let done = false;
    /** The furthest position the scan got to (events and checkpoints). */
    let reached: Position | undefined;
    const reach = (position: Position): void => {
      if (options.after !== undefined && comparePositions(position, options.after) <= 0) return;
      if (reached === undefined || comparePositions(position, reached) > 0) reached = position;
    };
    const reachedHead = (position: Position): boolean => comparePositions(position, head) >= 0;
    const finish = (error?: unknown, stoppedAt?: Position): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void subscription.unsubscribe().catch(() => undefined);
      if (error !== undefined) reject(error);
      else resolve(stoppedAt === undefined ? { creations: found } : { creations: found, stoppedAt });
    };
    const checkpoint = (position: Position): void => {
      reach(position);
      if (reachedHead(position)) finish();
    };
    // An empty prefix would match the server's own '$' streams too.
    const filter =
      options.prefix === ''
        ? streamNameFilter({ regex: '^[^$]', checkpointReached: (_subscription, position) => checkpoint(position) })
        : streamNameFilter({ prefixes: [options.prefix], checkpointReached: (_subscription, position) => checkpoint(position) });
    const subscription = client.subscribeToAll({ fromPosition: options.after ?? START, filter });
    subscription.on('data', (resolved) => {
      const event = resolved.event;
      if (event === undefined || done) return;
      // A subscription from a position starts after it; checked anyway, a page must not repeat a stream.
      if (options.after !== undefined && comparePositions(event.position, options.after) <= 0) return;
      reach(event.position);
      if (event.revision === 0n && event.streamId.startsWith(options.prefix)) {
        found.push({ event, position: event.position });
        if (found.length > options.limit) return finish();
      }
      if (reachedHead(event.position)) finish();
    });
    subscription.on('caughtUp', () => finish());
    subscription.on('error', (error) => finish(error));
    subscription.on('end', () => finish());
    const timer = setTimeout(() => {
      // Progress is handed back with where it stopped; a scan that got nowhere says why.
      if (reached !== undefined) return finish(undefined, reached);
      finish(
        new SagaError(
          `listStreams got nowhere in $all within ${options.timeoutMs} ms (no event and no checkpoint of the filtered read). ` +
            "The scan stops on the server's caught-up signal (EventStoreDB 23.10 and later, KurrentDB); with an older server, or a slow one, raise listTimeoutMs or upgrade.",
        ),
      );
    }, options.timeoutMs);
  });
};
