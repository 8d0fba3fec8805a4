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

export interface ScanOptions {
  /** Physical stream-name prefix. */
  readonly prefix: string;
  /** Only creations after this position (exclusive). */
  readonly after: Position | undefined;
  readonly limit: number;
  /** Gives up after this long (a server without the caught-up signal, see the README). */
  readonly timeoutMs: number;
}

/**
 * Finds stream creations (revision 0) by a server-side filtered read of `$all` on the stream-name
 * prefix. Needs no projections. With client 6.x `readAll` takes no filter, so the read is a
 * catch-up `subscribeToAll` with `streamNameFilter`, stopped once it reaches the head of `$all` as
 * it was when the scan began (the server's caught-up signal, or an event or checkpoint at or past
 * that head). Returns up to `limit + 1` creations: one more than asked means another page follows.
 */
export const scanStreamCreations = async (client: EsdbClient, options: ScanOptions): Promise<StreamCreation[]> => {
  const head = await headOfAll(client);
  if (head === undefined || (options.after !== undefined && comparePositions(options.after, head) >= 0)) return [];
  return new Promise<StreamCreation[]>((resolve, reject) => {
    const found: StreamCreation[] = [];
    let done = false;
    const reachedHead = (position: Position): boolean => comparePositions(position, head) >= 0;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void subscription.unsubscribe().catch(() => undefined);
      if (error === undefined) resolve(found);
      else reject(error);
    };
    // An empty prefix would match the server's own '$' streams too.
    const filter =
      options.prefix === ''
        ? streamNameFilter({ regex: '^[^$]', checkpointReached: (_subscription, position) => void (reachedHead(position) && finish()) })
        : streamNameFilter({ prefixes: [options.prefix], checkpointReached: (_subscription, position) => void (reachedHead(position) && finish()) });
    const subscription = client.subscribeToAll({ fromPosition: options.after ?? START, filter });
    subscription.on('data', (resolved) => {
      const event = resolved.event;
      if (event === undefined || done) return;
      // A subscription from a position starts after it; checked anyway, a page must not repeat a stream.
      if (options.after !== undefined && comparePositions(event.position, options.after) <= 0) return;
      if (event.revision === 0n && event.streamId.startsWith(options.prefix)) {
        found.push({ event, position: event.position });
        if (found.length > options.limit) return finish();
      }
      if (reachedHead(event.position)) finish();
    });
    subscription.on('caughtUp', () => finish());
    subscription.on('error', (error) => finish(error));
    subscription.on('end', () => finish());
    const timer = setTimeout(
      () =>
        finish(
          new SagaError(
            `listStreams did not reach the end of $all within ${options.timeoutMs} ms. The scan stops on the server's caught-up ` +
              'signal (EventStoreDB 23.10 and later, KurrentDB); with an older server, raise listTimeoutMs or upgrade.',
          ),
        ),
      options.timeoutMs,
    );
  });
};
