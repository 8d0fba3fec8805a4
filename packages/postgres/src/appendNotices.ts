/**
 * Tells a store's `onAppended` listeners that events were appended: at once for this process's own
 * appends, and through PostgreSQL LISTEN/NOTIFY for appends of other processes.
 *
 * One dedicated connection per store LISTENs on the schema's channel, while somebody listens. The
 * NOTIFY of an append is sent after the append committed, in a transaction of its own, and coalesced
 * (one in flight per store; appends meanwhile make one more): a NOTIFY inside the append's
 * transaction takes a lock that serialises the commits of all notifying transactions, which capped
 * concurrent appends (see the README's measurements). Its payload is the store's id, so a store skips
 * its own notices (it told its listeners already).
 *
 * NOTIFY is not stored: while the LISTEN connection is down, or when a process dies between its
 * append and the NOTIFY, notices are lost. After every (re)connect the listeners are told once, and
 * readers poll anyway (the core's StoreFeed reads every second): a notice may lag, never a read.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AppendListener, Unsubscribe } from '@saga/core';
import { quoteIdentifier } from './sqlIdentifiers.js';

export interface AppendNoticesOptions {
  /** How to open the one dedicated LISTEN connection (never a pooled one: it is held for good). */
  readonly clientConfig: pg.ClientConfig;
  readonly channel: string;
  /** Sends `SELECT pg_notify(channel, payload)` on the store's pool. */
  readonly notify: (channel: string, payload: string) => Promise<unknown>;
  /** Told about a lost or failed LISTEN connection, or a NOTIFY that failed; notices resume by themselves. */
  readonly onError?: (error: unknown) => void;
  /** Delay before reconnecting; doubles after each failed attempt, up to the maximum. */
  readonly reconnectDelayMs?: { readonly min: number; readonly max: number };
}

export class AppendNotices {
  readonly #options: AppendNoticesOptions;
  /** This store's NOTIFY payload. */
  readonly #origin = randomUUID();
  readonly #listeners = new Set<AppendListener>();
  #tellPending = false;
  #client: pg.Client | undefined;
  /** Connections ended on purpose: their end is no loss. */
  readonly #retired = new WeakSet<pg.Client>();
  #connecting = false;
  #closed = false;
  #failures = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Resolves when the current connection attempt has settled. */
  #settled: Promise<void> = Promise.resolve();
  #sending: Promise<void> | undefined;
  #sendAgain = false;

  constructor(options: AppendNoticesOptions) {
    this.#options = options;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  add(listener: AppendListener): Unsubscribe {
    const entry: AppendListener = () => listener();
    this.#listeners.add(entry);
    this.#ensureListening();
    return () => {
      this.#listeners.delete(entry);
      if (this.#listeners.size === 0) this.#stopListening();
    };
  }

  /** This process appended: its listeners are told now, other processes through a NOTIFY. */
  appended(): void {
    if (this.#closed) return;
    this.#tell();
    if (this.#sending !== undefined) {
      this.#sendAgain = true;
      return;
    }
    this.#sending = this.#send().finally(() => {
      this.#sending = undefined;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stopListening();
    await this.#settled;
    await this.#sending;
  }

  async #send(): Promise<void> {
    do {
      this.#sendAgain = false;
      try {
        await this.#options.notify(this.#options.channel, this.#origin);
      } catch (error) {
        // The others read on their next poll; nothing is lost but time.
        this.#options.onError?.(error);
      }
    } while (this.#sendAgain && !this.#closed);
  }

  /** Calls every listener once, soon: notices that arrive together are told once. */
  #tell(): void {
    if (this.#tellPending) return;
    this.#tellPending = true;
    queueMicrotask(() => {
      this.#tellPending = false;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch {
          // A listener's bug is not the writer's.
        }
      }
    });
  }

  #ensureListening(): void {
    if (this.#closed || this.#client !== undefined || this.#connecting || this.#reconnectTimer !== undefined) return;
    this.#settled = this.#connect();
  }

  #stopListening(): void {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) this.#retire(client);
    // A connection still being made is ended when it is made (#connect sees nobody listening).
  }

  #wanted(): boolean {
    return !this.#closed && this.#listeners.size > 0;
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
      if (message.channel === this.#options.channel && message.payload !== this.#origin) this.#tell();
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
    if (lost || !this.#wanted()) {
      this.#retire(client);
      return;
    }
    this.#client = client;
    this.#failures = 0;
    // Appends made before LISTEN was up (or while it was down) had no notice that reached us.
    this.#tell();
  }

  #retire(client: pg.Client): void {
    this.#retired.add(client);
    void client.end().catch(() => undefined);
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#retired.has(client)) return;
    if (this.#client === client) this.#client = undefined;
    this.#retire(client);
    if (!this.#wanted()) return;
    if (error !== undefined) this.#options.onError?.(error);
    const { min, max } = this.#options.reconnectDelayMs ?? { min: 100, max: 5_000 };
    const delay = Math.min(max, min * 2 ** this.#failures);
    this.#failures += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#wanted()) this.#ensureListening();
    }, delay);
    this.#reconnectTimer.unref();
  }
}
