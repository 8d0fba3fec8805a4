/**
 * The console's HTTP server (node:http, no framework): checks access on every request, routes it,
 * and turns failures into answers that say what to do. It reads the store through the execution
 * index and the streams, follows it through the process's one store feed, and writes only when
 * started with actions allowed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SagaError, type Broker, type EventStore, type Logger } from '@saga/core';
import { CliError, UsageError } from '../cliError.js';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import { HttpError } from './httpError.js';
import { sendError } from './httpResponse.js';
import { liveUpdates } from './liveUpdates.js';
import { errorPage, type ConsoleInfo } from './pageLayout.js';
import { statusCounter } from './statusCounts.js';
import { route, type RouteContext } from './uiRoutes.js';
import { checkAccess, isLoopback, securityHeaders, tokenCookie, type AccessPolicy } from './uiSecurity.js';

export interface UiServerOptions {
  readonly store: EventStore;
  /** The store as shown (credentials hidden: `describeStore`). */
  readonly storeLabel: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Required of every request when set (and always set when `host` is not loopback). */
  readonly token?: string;
  readonly allowActions: boolean;
  /** Who actions are recorded as done by. */
  readonly operator: string;
  readonly definitions: readonly DefinitionLike[];
  readonly openBroker: () => Promise<Broker>;
  readonly logger: Logger;
  /** How often the live updates read a store that cannot announce appends (SQLite written by another process). */
  readonly pollMs?: number;
  readonly generator: string;
}

export interface UiServer {
  /** The address to open (with the token when one is required). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Refuses to listen beyond loopback without a token: the console shows every context in the store. */
export class UnprotectedConsoleError extends CliError {
  constructor(host: string) {
    super(`saga ui would listen on ${host} without a token: pass --token <secret> (or set SAGA_UI_TOKEN), or listen on 127.0.0.1.`);
  }
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** Errors of the store and the engine, as answers: a bad parameter is the caller's, the rest are the server's. */
const asHttpError = (error: unknown): HttpError | undefined => {
  if (error instanceof HttpError) return error;
  if (error instanceof UsageError) return new HttpError('bad_parameter', error.message);
  if (error instanceof CliError) return new HttpError('not_found', error.message);
  if (error instanceof SagaError && /^Invalid execution (query|index cursor)/.test(error.message)) return new HttpError('bad_parameter', error.message);
  if (error instanceof SagaError) return new HttpError('conflict', error.message);
  return undefined;
};

export const startUiServer = async (options: UiServerOptions): Promise<UiServer> => {
  if (!isLoopback(options.host) && options.token === undefined) throw new UnprotectedConsoleError(options.host);
  const info: ConsoleInfo = { storeLabel: options.storeLabel, allowActions: options.allowActions, operator: options.operator };
  // Each page hears of new counts when a walk of the index finishes, not when it asks.
  const counter = statusCounter(options.store, { onUpdate: (counts) => live.broadcast('counts', counts) });
  const live = liveUpdates(options.store, { ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}), logger: options.logger, onChange: () => counter.invalidate() });
  const ctx: RouteContext = {
    store: options.store,
    info,
    definitions: options.definitions,
    counter,
    live,
    openBroker: options.openBroker,
    logger: options.logger,
    generator: options.generator,
  };
  let policy: AccessPolicy = options.token !== undefined ? { token: options.token } : {};

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const asJson = url.pathname.startsWith('/api/');
    try {
      checkAccess(req, url, policy);
      // The printed URL carries the token once: it becomes a cookie, and the address bar forgets it.
      if (options.token !== undefined && url.searchParams.has('token') && !asJson && req.method === 'GET') {
        url.searchParams.delete('token');
        res.writeHead(303, {
          ...securityHeaders,
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${tokenCookie}=${encodeURIComponent(options.token)}; HttpOnly; SameSite=Strict; Path=/`,
        });
        return void res.end();
      }
      await route(req, res, url, ctx);
    } catch (error) {
      const known = asHttpError(error);
      if (!known) options.logger.error({ error: error instanceof Error ? (error.stack ?? error.message) : String(error), path: url.pathname }, 'saga ui: a request failed');
      const answer = known ?? new HttpError('unavailable', `The console could not answer: ${error instanceof Error ? error.message : String(error)}. See its output for details.`);
      if (res.headersSent) return void res.end();
      sendError(res, answer, asJson, (message, status) => errorPage(info, message, status));
    }
  };

  // One read before listening: the store's statements and caches are ready for the operator's
  // first page, and a store without a usable index fails here, with its message, not on a page.
  await options.store.index.query({ limit: 1 });
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = urlHost(options.host);
  if (isLoopback(options.host)) {
    // DNS rebinding: a page on another site resolving its name to 127.0.0.1 still names its own host.
    const names = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
    policy = { ...policy, allowedHosts: [...names] };
  }
  const url = `http://${host}:${port}/${options.token !== undefined ? `?token=${encodeURIComponent(options.token)}` : ''}`;
  return {
    url,
    port,
    close: async () => {
      live.close();
      counter.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
