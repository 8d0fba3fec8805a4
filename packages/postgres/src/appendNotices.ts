/**
 * Tells a store's `onAppended` listeners that events were appended: at once for this process's own
 * appends, and through PostgreSQL LISTEN/NOTIFY for appends of other processes.
 *
 * One dedicated connection per store LISTENs on the schema's channel, while somebody listens. Its
 * payload is the store's id, so a store skips its own notices (it told its listeners already).
 *
 * Coalesced: at most one NOTIFY per `minIntervalMs` (default 10 ms). A NOTIFY per append was a third
 * of a durable step's socket writes and round trips (4 per W1-durable saga, measured), while readers
 * in other processes wait longer than that anyway (the core's StoreFeed gathers notices for 20 ms).
 *
 * Carried: when a NOTIFY is due, the next append takes it into its own statement (`carry`), so it
 * costs no round trip and no transaction of its own, and it is heard exactly when that append
 * commits. Only one append per interval carries one: a NOTIFY inside a transaction takes a lock that
 * serialises the commits of all notifying transactions, which capped concurrent appends when every
 * append notified (see the README's measurements). What was appended after the last carrier is owed;
 * if no append comes to carry it within one more interval, it goes alone (a quiet spell's last
 * appends are heard at most two intervals later). The first append after a quiet spell carries one.
 *
 * NOTIFY is not stored: while the LISTEN connection is down, or when a process dies between its
 * append and the NOTIFY, notices are lost. After every (re)connect the listeners are told once, and
 * readers poll anyway (the core's StoreFeed reads every second): a notice may lag, never a read.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SagaError, type AppendListener, type Unsubscribe } from '@saga/core';
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
  /** At most one NOTIFY per this many ms (0: one per append, but never two in flight). Default 10. */
  readonly minIntervalMs?: number;
}

/** What an append that carries the NOTIFY adds to its statement: `pg_notify(channel, payload)`. */
export interface CarriedNotice {
  readonly channel: string;
  readonly payload: string;
}

/** See the module's comment: the measured cost of a NOTIFY per append, against readers that gather for 20 ms. */
export const defaultNotifyIntervalMs = 10;

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
  /** An append not yet covered by a NOTIFY. */
  #owed = false;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #intervalTimer: NodeJS.Timeout | undefined;
  readonly #minIntervalMs: number;

  constructor(options: AppendNoticesOptions) {
    this.#options = options;
    this.#minIntervalMs = options.minIntervalMs ?? defaultNotifyIntervalMs;
    if (!Number.isFinite(this.#minIntervalMs) || this.#minIntervalMs < 0) throw new SagaError(`PostgresEventStore option notifyIntervalMs must be a number of milliseconds >= 0, got ${String(options.minIntervalMs)}.`);
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

  /**
   * An append (or a batch of them) is about to be sent: when a NOTIFY is due, it carries it in its
   * own statement. `settle(true)` once it committed with it; `settle(false)` when the NOTIFY did not
   * go out (no event was written, or the statement failed): what it was to cover is owed again.
   * Never with `minIntervalMs` 0 (a NOTIFY per append alone, never two in flight, as configured).
   */
  carry(): { readonly notice: CarriedNotice; settle(delivered: boolean): void } | undefined {
    if (this.#closed || this.#minIntervalMs === 0 || this.#sending !== undefined) return undefined;
    const now = Date.now();
    if (now - this.#lastSentAt < this.#minIntervalMs) return undefined;
    const owedBefore = this.#owed;
    const sentBefore = this.#lastSentAt;
    this.#owed = false;
    this.#lastSentAt = now;
    return {
      notice: { channel: this.#options.channel, payload: this.#origin },
      settle: (delivered) => {
        if (delivered || !owedBefore) return;
        this.#owed = true;
        if (this.#lastSentAt === now) this.#lastSentAt = sentBefore;
        this.#sendWhenDue();
      },
    };
  }

  /**
   * This process appended: its listeners are told now, other processes through a NOTIFY — already
   * sent when the append `carried` it, else owed (the next carrier takes it, or it goes alone).
   */
  appended(carried = false): void {
    if (this.#closed) return;
    this.#tell();
    if (carried) return;
    this.#owed = true;
    this.#sendWhenDue();
  }

  /** Sends what is still owed at once, then sends nothing more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#intervalTimer);
    this.#intervalTimer = undefined;
    this.#listeners.clear();
    this.#stopListening();
    await this.#settled;
    await this.#sending;
    // Other processes hear the last appends now rather than at their next poll.
    if (this.#owed) await this.#send();
  }

  /**
   * Sends the owed NOTIFY alone if none is in flight and no append carried one for an interval more
   * than `minIntervalMs` (the next append usually carries it first), else later.
   */
  #sendWhenDue(): void {
    if (this.#closed || !this.#owed || this.#sending !== undefined || this.#intervalTimer !== undefined) return;
    const wait = this.#lastSentAt + 2 * this.#minIntervalMs - Date.now();
    if (wait > 0) {
      this.#intervalTimer = setTimeout(() => {
        this.#intervalTimer = undefined;
        this.#sendWhenDue();
      }, wait);
      this.#intervalTimer.unref();
      return;
    }
    this.#sending = this.#send().finally(() => {
      this.#sending = undefined;
      this.#sendWhenDue();
    });
  }

  async #send(): Promise<void> {
    this.#owed = false;
    this.#lastSentAt = Date.now();
    try {
      await this.#options.notify(this.#options.channel, this.#origin);
    } catch (error) {
      // The others read on their next poll; nothing is lost but time.
      this.#options.onError?.(error);
    }
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
