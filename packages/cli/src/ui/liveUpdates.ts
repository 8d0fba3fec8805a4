/**
 * `GET /api/live`: Server-Sent Events telling open pages which executions changed. The console holds
 * one subscription to the store's feed (the process's one `StoreFeed`) whatever the number of pages,
 * and sends each page one message per `coalesceMs` at most: a busy store must not flood a browser.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { executionIdOf, StoreFeed, type EventStore, type GlobalEvent, type Logger, type Unsubscribe } from '@saga/core';
import { securityHeaders } from './uiSecurity.js';

export interface LiveUpdates {
  /** Answers an SSE request until the page goes away. */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Sends one event to every open page. */
  broadcast(event: string, data: unknown): void;
  close(): void;
}

export interface LiveUpdatesOptions {
  readonly pollMs?: number;
  readonly coalesceMs?: number;
  readonly keepAliveMs?: number;
  readonly logger?: Logger;
  /** Called with the executions that changed (e.g. to count statuses again). */
  readonly onChange?: (executionIds: readonly string[]) => void;
}

export const liveUpdates = (store: EventStore, options: LiveUpdatesOptions = {}): LiveUpdates => {
  const clients = new Set<ServerResponse>();
  const coalesceMs = options.coalesceMs ?? 250;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  let pending = new Set<string>();
  let flushing: NodeJS.Timeout | undefined;
  let unsubscribe: Unsubscribe | undefined;
  let subscribing: Promise<void> | undefined;

  const flush = (): void => {
    flushing = undefined;
    const executions = [...pending];
    pending = new Set();
    options.onChange?.(executions);
    broadcast('changed', { executions });
  };

  const onEvents = (events: readonly GlobalEvent[]): void => {
    for (const event of events) if (event.stream.startsWith('saga-')) pending.add(executionIdOf(event.stream));
    if (pending.size > 0 && !flushing) flushing = setTimeout(flush, coalesceMs);
  };

  const ensureSubscribed = (): Promise<void> =>
    (subscribing ??= StoreFeed.of(store, { pollMs: options.pollMs ?? 1_000, ...(options.logger ? { logger: options.logger } : {}) })
      .subscribeAll(onEvents)
      .then((stop) => void (unsubscribe = stop))
      .catch((error: unknown) => {
        subscribing = undefined;
        throw error;
      }));

  const broadcast = (event: string, data: unknown): void => {
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) client.write(message);
  };

  return {
    broadcast,
    async serve(req, res) {
      await ensureSubscribed();
      res.writeHead(200, { ...securityHeaders, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      // The page knows it is connected (and from when changes count) once this arrives.
      res.write(`retry: 2000\nevent: ready\ndata: {}\n\n`);
      clients.add(res);
      const alive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
      alive.unref();
      req.on('close', () => {
        clearInterval(alive);
        clients.delete(res);
      });
    },
    close() {
      if (flushing) clearTimeout(flushing);
      unsubscribe?.();
      for (const client of clients) client.end();
      clients.clear();
    },
  };
};
