import pg from 'pg';
import { StreamListeners } from '@saga/core';
import type { StreamListener, Unsubscribe } from '@saga/core';
import { quoteIdentifier } from './sqlIdentifiers.js';

export interface StreamWatchersOptions {
  /** How to open the one dedicated LISTEN connection (never a pooled one: it is held for good). */
  readonly clientConfig: pg.ClientConfig;
  readonly channel: string;
  /** The last revisions of `streams` (absent: no such stream), to catch up after (re)connecting. */
  readonly lastRevisions: (streams: readonly string[]) => Promise<ReadonlyMap<string, number>>;
  /** Told about a lost or failed LISTEN connection; the watchers reconnect by themselves. */
  readonly onConnectionError?: (error: unknown) => void;
  /** Delay before reconnecting; doubles after each failed attempt, up to the maximum. */
  readonly reconnectDelayMs?: { readonly min: number; readonly max: number };
}

interface NoticePayload {
  readonly stream?: unknown;
  readonly lastRevision?: unknown;
}

/**
 * In-process listeners per stream, fed by PostgreSQL LISTEN/NOTIFY on one dedicated connection
 * (started with the first watcher) and by this process's own appends.
 *
 * NOTIFY is not stored: while the connection is down, notices are lost. So after every (re)connect
 * the last revision of each watched stream is read and announced, and a watcher misses nothing.
 */
export class StreamWatchers {
  readonly #options: StreamWatchersOptions;
  readonly #listeners = new StreamListeners();
  #client: pg.Client | undefined;
  #connecting = false;
  #closed = false;
  #failures = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Resolves when the current connection attempt has settled; for close() and tests. */
  #settled: Promise<void> = Promise.resolve();

  constructor(options: StreamWatchersOptions) {
    this.#options = options;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  watch(stream: string, listener: StreamListener): Unsubscribe {
    const unsubscribe = this.#listeners.add(stream, listener);
    this.#ensureListening();
    return unsubscribe;
  }

  /** Tells the watchers of `stream` that it reached `lastRevision`, unless they know already. */
  notify(stream: string, lastRevision: number): void {
    this.#listeners.notify(stream, lastRevision);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#listeners.clear();
    await this.#settled;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureListening(): void {
    if (this.#closed || this.#client !== undefined || this.#connecting || this.#reconnectTimer !== undefined) return;
    this.#settled = this.#connect();
  }

  async #connect(): Promise<void> {
    this.#connecting = true;
    const client = new pg.Client({ keepAlive: true, ...this.#options.clientConfig });
    let lost = false;
    const onLost = (error?: unknown): void => {
      if (lost) return;
      lost = true;
      this.#lost(client, error);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel === this.#options.channel) this.#onNotice(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.#options.channel)}`);
    } catch (error) {
      this.#connecting = false;
      onLost(error);
      return;
    }
    this.#connecting = false;
    if (this.#closed || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#failures = 0;
    await this.#catchUp();
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client === client) this.#client = undefined;
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    if (error !== undefined) this.#options.onConnectionError?.(error);
    const { min, max } = this.#options.reconnectDelayMs ?? { min: 100, max: 5_000 };
    const delay = Math.min(max, min * 2 ** this.#failures);
    this.#failures += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      // Reconnect only while somebody watches; the next watch() starts listening again otherwise.
      if (this.#listeners.size > 0) this.#ensureListening();
    }, delay);
    this.#reconnectTimer.unref();
  }

  async #catchUp(): Promise<void> {
    const streams = this.#listeners.streams();
    if (streams.length === 0) return;
    try {
      const revisions = await this.#options.lastRevisions(streams);
      for (const [stream, revision] of revisions) this.notify(stream, revision);
    } catch (error) {
      // The notices resume anyway; only appends made while disconnected go unannounced.
      this.#options.onConnectionError?.(error);
    }
  }

  #onNotice(payload: string | undefined): void {
    let notice: NoticePayload;
    try {
      notice = JSON.parse(payload ?? '') as NoticePayload;
    } catch {
      return; // Not ours: somebody else NOTIFYs on this channel.
    }
    if (typeof notice.stream === 'string' && typeof notice.lastRevision === 'number') this.notify(notice.stream, notice.lastRevision);
  }
}
