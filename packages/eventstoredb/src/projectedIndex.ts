/**
 * The execution index of the EventStoreDB store, `consistency: 'projected'`: EventStoreDB has no
 * transaction spanning a stream and a table, so the index is a projection of `$all` kept in the
 * store's process.
 *
 * - **Source.** The engine hands the execution's entry to `append(…, { index })`; the store writes it
 *   into the metadata of the append's last event (`$sagaIndex`). The projection reads the saga
 *   streams' events in `$all` order from its checkpoint and keeps, per execution, the entry of the
 *   latest one. `put` and `remove` (rebuilds and repairs) are events of a stream of their own,
 *   `<namespace>saga_index-changes`, projected in the same order.
 * - **Merge.** Every entry is stamped with the `$all` position it was written at; an entry replaces
 *   another only when it was written later. So the order in which this process learns of writes does
 *   not matter: its own appends are applied at once (read-your-writes in this process), others when
 *   the projection reads them, and a rebuild may replay old events.
 * - **Following.** The projection is one of the listeners of the store's one `$all` subscription
 *   (`AppendNotices`): a notice makes it read on; it also reads every `pollMs`. It starts with the
 *   first use of the index, and the first call waits until it has caught up with the head of `$all`.
 * - **Restart.** Every `snapshotEvery` projected events (or `snapshotIntervalMs` when something
 *   changed), and on `destroy`, the checkpoint and the OPEN entries are written as a snapshot
 *   (`IndexSnapshots`); a restarted store loads it and reads `$all` from the checkpoint on, so
 *   recovery and timers (which need open entries only) cost what happened since. FINISHED entries
 *   of before the checkpoint are rebuilt lazily, in the background, by a second pass over `$all` from
 *   the start to the checkpoint, begun by the first query that may list finished executions:
 *   listing finished executions is eventually complete after a restart. `get` does not wait for it:
 *   an execution it does not know yet is looked up in its stream's last events.
 * - **claim** cannot lease (nothing spans processes here): it returns every matching open entry, and
 *   the first append wins, as everywhere.
 */
import type { AllStreamRecordedEvent, Position } from '@eventstore/db-client';
import { SagaError, assertIndexEntry, assertOwner, encodeIndexCursor, matchesExecutionQuery, newestFirst, resolveClaimOptions, resolveExecutionQuery, resolveLeaseOptions } from '@saga/core';
import type { ClaimOptions, ExecutionIndex, ExecutionIndexEntry, ExecutionPage, ExecutionQuery, GlobalPosition, JsonObject, LeaseOptions, Logger, Unsubscribe } from '@saga/core';
import type { ScanResult } from './allReader.js';
import { fromStoredMetadata } from './eventMetadata.js';
import { comparePositions, formatPosition, laterOf } from './globalPosition.js';
import type { IndexSnapshot, PositionedEntry } from './indexSnapshots.js';

/** `store.index` of the EventStoreDB store: the port's index, and what tells how complete it is. */
export interface EventStoreDbExecutionIndex extends ExecutionIndex {
  readonly consistency: 'projected';
  /** Whether executions that finished before the last restart are all listed (see the README). */
  readonly complete: boolean;
  /** Where the projection is in `$all` (`<commit>:<prepare>`), once it started. */
  readonly position: GlobalPosition | undefined;
  /** Reads on from where the projection is, now (it also does on every notice and every `pollMs`). */
  poke(): void;
  /** Resolves once `complete`; starts the rebuild of finished entries if it did not run yet. */
  whenComplete(): Promise<void>;
}

export const entriesPutType = 'SagaIndexEntriesPut';
/** The type of the event a hard delete (tombstone) writes to `$all`. */
const tombstoneType = '$streamDeleted';
/** The type of the events of a metadata stream (`$$<stream>`). */
const metadataType = '$metadata';
export const entriesRemovedType = 'SagaIndexEntriesRemoved';

export interface ProjectedIndexOptions {
  /** Write a snapshot after this many projected events. Default 1000. */
  readonly snapshotEvery?: number;
  /** Write a snapshot this often when something was projected since the last one. Default 30 000 ms. */
  readonly snapshotIntervalMs?: number;
  /** Read on this often even without a notice. Default 5000 ms. */
  readonly pollMs?: number;
}

export interface ProjectedIndexDeps {
  /** Events of the saga streams and of the changes stream after a position, in `$all` order (bounded). */
  readonly scan: (after: Position | undefined, limit: number) => Promise<ScanResult>;
  /** The position of the last event of `$all`. */
  readonly head: () => Promise<Position | undefined>;
  readonly loadSnapshot: () => Promise<IndexSnapshot | undefined>;
  readonly saveSnapshot: (snapshot: IndexSnapshot) => Promise<void>;
  /** Appends to the changes stream; the position of the last event written. */
  readonly appendChanges: (events: ReadonlyArray<{ readonly type: string; readonly data: JsonObject }>) => Promise<Position | undefined>;
  /** The newest entry written with the last events of an execution's stream. */
  readonly latestOfStream: (executionId: string) => Promise<ExecutionIndexEntry | undefined>;
  /** The physical name of the changes stream. */
  readonly changesStream: string;
  /** The execution a physical saga stream (or its '$$' metadata stream) belongs to: deletes carry no entry. */
  readonly executionOf: (streamId: string) => string;
  /** Subscribes to the store's append notices. */
  readonly listen: (listener: () => void) => Unsubscribe;
  /** Runs a call with the store's retry policy (and its "destroyed" check). */
  readonly retrying: <T>(what: string, operation: () => Promise<T>) => Promise<T>;
  readonly logger: Logger;
}

interface Slot {
  /** Undefined: removed. */
  readonly entry: ExecutionIndexEntry | undefined;
  readonly position: Position;
}

/** Entries per event of the changes stream (an entry is a few hundred bytes). */
const changesPerEvent = 500;
const pageOfEvents = 1_000;
/** `lag()` counts at most this many events. */
export const lagCountLimit = 10_000;
const finalSnapshotTimeoutMs = 2_000;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const jsonCopy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const validEntry = (value: unknown): value is ExecutionIndexEntry => {
  if (!isObject(value)) return false;
  try {
    assertIndexEntry(value as unknown as ExecutionIndexEntry);
    return true;
  } catch {
    return false;
  }
};

const wholeNumber = (name: string, value: number | undefined, fallback: number): number => {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) throw new SagaError(`EventStoreDbEventStore option index.${name} must be a whole number ≥ 1, got ${String(value)}.`);
  return resolved;
};

export class ProjectedIndex implements EventStoreDbExecutionIndex {
  readonly #leases = new Map<string, { owner: string; until: number }>();
  readonly consistency = 'projected' as const;
  readonly #deps: ProjectedIndexDeps;
  readonly #snapshotEvery: number;
  readonly #snapshotIntervalMs: number;
  readonly #pollMs: number;
  readonly #slots = new Map<string, Slot>();
  readonly #open = new Set<string>();
  /** Every event of `$all` up to here is projected. */
  #position: Position | undefined;
  #loaded = false;
  #ready: Promise<void> | undefined;
  /** Whether finished entries are all known (no snapshot was loaded, or the rebuild is done). */
  #complete = false;
  /** The loaded snapshot's checkpoint: where the rebuild of finished entries ends. */
  #rebuildTarget: Position | undefined;
  #rebuildPosition: Position | undefined;
  #rebuilding: Promise<void> | undefined;
  #reading: Promise<void> | undefined;
  #again = false;
  /** Projected events since the last snapshot. */
  #sinceSnapshot = 0;
  /** The checkpoint of the last snapshot written or loaded. */
  #snapshotAt: Position | undefined;
  #snapshotting: Promise<void> | undefined;
  #stopListening: Unsubscribe | undefined;
  #timers: NodeJS.Timeout[] = [];
  #closed = false;
  /** Events read by the projection (live and rebuild), for tests and diagnostics. */
  eventsProjected = 0;

  constructor(deps: ProjectedIndexDeps, options: ProjectedIndexOptions = {}) {
    this.#deps = deps;
    this.#snapshotEvery = wholeNumber('snapshotEvery', options.snapshotEvery, 1_000);
    this.#snapshotIntervalMs = wholeNumber('snapshotIntervalMs', options.snapshotIntervalMs, 30_000);
    this.#pollMs = wholeNumber('pollMs', options.pollMs, 5_000);
  }

  /** True once the index was used (it then follows `$all` until the store is destroyed). */
  get started(): boolean {
    return this.#ready !== undefined;
  }

  get complete(): boolean {
    return this.#complete;
  }

  get position(): GlobalPosition | undefined {
    return this.#position === undefined ? undefined : formatPosition(this.#position);
  }

  async get(executionId: string): Promise<ExecutionIndexEntry | undefined> {
    if (typeof executionId !== 'string' || executionId.length === 0) throw new SagaError(`index.get needs an execution id (a non-empty string), got ${String(executionId)}.`);
    await this.#start();
    const slot = this.#slots.get(executionId);
    if (slot !== undefined) return slot.entry && jsonCopy(slot.entry);
    if (this.#complete) return undefined;
    // Finished before the checkpoint, and not rebuilt yet: its stream says.
    const found = await this.#deps.retrying('read the index entry of an execution', () => this.#deps.latestOfStream(executionId));
    return found && jsonCopy(found);
  }

  async query(query: ExecutionQuery = {}): Promise<ExecutionPage> {
    const resolved = resolveExecutionQuery(query);
    await this.#start();
    if (resolved.open !== true) this.#rebuildInBackground();
    const candidates = resolved.open === true ? [...this.#open] : [...this.#slots.keys()];
    const matching: ExecutionIndexEntry[] = [];
    for (const id of candidates) {
      const entry = this.#slots.get(id)?.entry;
      if (entry !== undefined && matchesExecutionQuery(resolved, entry)) matching.push(entry);
    }
    matching.sort((a, b) => newestFirst(a, b));
    if (matching.length <= resolved.limit) return { entries: matching.map(jsonCopy) };
    const page = matching.slice(0, resolved.limit);
    return { entries: page.map(jsonCopy), nextCursor: encodeIndexCursor(page[page.length - 1] as ExecutionIndexEntry) };
  }

  async claim(options: ClaimOptions): Promise<readonly ExecutionIndexEntry[]> {
    const { service, limit, dueBefore, owner, leaseMs } = resolveClaimOptions(options);
    await this.#start();
    const due = Date.parse(dueBefore ?? '');
    const matching: ExecutionIndexEntry[] = [];
    for (const id of this.#open) {
      const entry = this.#slots.get(id)?.entry;
      if (entry === undefined || entry.service !== service) continue;
      if (dueBefore !== undefined && (entry.nextDueAt === null || Date.parse(entry.nextDueAt) > due)) continue;
      matching.push(entry);
    }
    const key = (entry: ExecutionIndexEntry): number => Date.parse(entry.nextDueAt ?? entry.startedAt);
    matching.sort((a, b) => key(a) - key(b) || (a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0));
    // Leases live in this process only (EventStoreDB has no row to lock): workers in one process
    // share; across processes every worker may take an execution over, and the first append wins.
    const now = Date.now();
    const free = matching.filter((entry) => (this.#leases.get(entry.executionId)?.until ?? 0) <= now).slice(0, limit);
    for (const entry of free) this.#leases.set(entry.executionId, { owner, until: now + leaseMs });
    return free.map(jsonCopy);
  }

  /** An append by `owner` (the worker driving the execution) takes its lease, in this process. */
  lease(executionId: string, lease: { readonly owner: string; readonly leaseMs: number }): void {
    this.#leases.set(executionId, { owner: lease.owner, until: Date.now() + lease.leaseMs });
  }

  async renew(options: LeaseOptions): Promise<number> {
    const { service, owner, leaseMs } = resolveLeaseOptions(options);
    let held = 0;
    for (const [id, lease] of this.#leases) {
      const entry = this.#slots.get(id)?.entry;
      if (lease.owner !== owner || !entry?.open || entry.service !== service) continue;
      lease.until = Date.now() + leaseMs;
      held += 1;
    }
    return held;
  }

  async release(owner: string): Promise<number> {
    assertOwner(owner);
    let released = 0;
    for (const [id, lease] of this.#leases) {
      if (lease.owner !== owner) continue;
      this.#leases.delete(id);
      if (this.#slots.get(id)?.entry?.open) released += 1;
    }
    return released;
  }

  async put(entries: readonly ExecutionIndexEntry[]): Promise<void> {
    if (!Array.isArray(entries)) throw new SagaError('index.put needs a list of entries.');
    for (const entry of entries) assertIndexEntry(entry);
    if (entries.length === 0) return;
    const copies = entries.map(jsonCopy);
    await this.#start();
    const events = chunk(copies, changesPerEvent).map((list) => ({ type: entriesPutType, data: { entries: list as unknown as JsonObject[] } }));
    const position = await this.#deps.appendChanges(events);
    if (position !== undefined) for (const entry of copies) this.#set(entry.executionId, entry, position, 'live');
  }

  async remove(executionIds: readonly string[]): Promise<void> {
    if (!Array.isArray(executionIds) || executionIds.some((id) => typeof id !== 'string' || id.length === 0)) {
      throw new SagaError('index.remove needs a list of execution ids (non-empty strings).');
    }
    if (executionIds.length === 0) return;
    await this.#start();
    const events = chunk([...executionIds], changesPerEvent).map((list) => ({ type: entriesRemovedType, data: { executionIds: list } }));
    const position = await this.#deps.appendChanges(events);
    if (position !== undefined) for (const id of executionIds) this.#set(id, undefined, position, 'live');
  }

  async lag(): Promise<{ readonly events: number; readonly position?: string }> {
    await this.#start();
    const head = await this.#deps.retrying('read the head of $all', () => this.#deps.head());
    const from = this.#position;
    const at = from === undefined ? {} : { position: formatPosition(from) };
    if (head === undefined || (from !== undefined && comparePositions(from, head) >= 0)) return { events: 0, ...at };
    // Counted by reading what the projection has not read yet, up to the head seen above.
    let events = 0;
    let after = from;
    while (events < lagCountLimit) {
      const page = await this.#deps.retrying('measure the lag of the execution index', () => this.#deps.scan(after, lagCountLimit - events));
      events += page.events.filter((event) => comparePositions(event.position, head) <= 0).length;
      after = page.last;
      if (page.atEnd || after === undefined || comparePositions(after, head) >= 0) break;
    }
    return { events: Math.min(events, lagCountLimit), ...at };
  }

  /** After an append of this process: its entry at once, stamped with the append's position. */
  applyLocal(entry: ExecutionIndexEntry, position: Position | undefined): void {
    // Before the index is used nothing is kept: the projection reads it from $all when it starts.
    if (!this.#loaded || position === undefined || this.#closed) return;
    this.#set(entry.executionId, jsonCopy(entry), position, 'live');
  }

  poke(): void {
    if (!this.#loaded || this.#closed) return;
    this.#catchUp().catch((error: unknown) => {
      if (!this.#closed) this.#deps.logger.warn({ error: messageOf(error) }, 'The execution index could not read $all; it reads again on the next notice or poll');
    });
  }

  async whenComplete(): Promise<void> {
    await this.#start();
    while (!this.#complete) {
      if (this.#closed) throw new SagaError('This EventStoreDbEventStore was destroyed before its execution index was complete.');
      await this.#rebuild();
    }
  }

  /** Stops following `$all`; writes a last snapshot when something changed since the one before (best effort). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening?.();
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    // Reads in flight stop after their page (or fail on the closed client); a snapshot in flight is waited for.
    const deadline = new Promise((resolve) => setTimeout(resolve, finalSnapshotTimeoutMs).unref());
    await Promise.race([this.#snapshotting, deadline]);
    if (this.#loaded && this.#position !== undefined && this.#changedSinceSnapshot()) {
      await Promise.race([this.#deps.saveSnapshot(this.#snapshot(this.#position)).catch(() => undefined), deadline]);
    }
  }

  #start(): Promise<void> {
    if (this.#closed) return Promise.reject(new SagaError('This EventStoreDbEventStore was destroyed: create a new one (its events stay on the server).'));
    this.#ready ??= this.#begin().catch((error: unknown) => {
      this.#ready = undefined; // The next call tries again.
      throw error;
    });
    return this.#ready;
  }

  async #begin(): Promise<void> {
    if (!this.#loaded) {
      const snapshot = await this.#deps.retrying('load the execution index snapshot', () => this.#deps.loadSnapshot());
      if (snapshot === undefined) {
        this.#complete = true;
      } else {
        for (const { entry, position } of snapshot.entries) this.#set(entry.executionId, entry, position, 'live');
        this.#position = laterOf(this.#position, snapshot.checkpoint);
        this.#rebuildTarget = snapshot.checkpoint;
        this.#snapshotAt = snapshot.checkpoint;
      }
      this.#loaded = true;
    }
    this.#stopListening ??= this.#deps.listen(() => this.poke());
    if (this.#timers.length === 0) {
      this.#timers.push(setInterval(() => this.poke(), this.#pollMs).unref());
      this.#timers.push(setInterval(() => this.#maybeSnapshot(true), this.#snapshotIntervalMs).unref());
    }
    // The first use waits for what happened since the checkpoint: recovery must see every open execution.
    await this.#catchUp();
  }

  /** Reads until the end of `$all`; a call made while a read runs gets a read that starts after it. */
  #catchUp(): Promise<void> {
    if (this.#reading !== undefined) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false;
          await this.#readToEnd();
        } while (this.#again && !this.#closed);
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  async #readToEnd(): Promise<void> {
    for (;;) {
      const from = this.#position;
      const page = await this.#deps.retrying('project the execution index', () => this.#deps.scan(from, pageOfEvents));
      if (this.#closed) return;
      if (page.nothingFrom && from !== undefined && (await this.#pastTheEnd(from))) continue;
      for (const event of page.events) this.#apply(event, 'live');
      this.#position = laterOf(this.#position, page.last);
      this.#sinceSnapshot += page.events.length;
      this.#maybeSnapshot(false);
      if (page.atEnd) return;
    }
  }

  /**
   * A checkpoint past the end of `$all`: the database was restored from an older backup, or the
   * snapshot stream was copied from another server. The projection starts again from the start.
   */
  async #pastTheEnd(from: Position): Promise<boolean> {
    const head = await this.#deps.retrying('read the head of $all', () => this.#deps.head());
    if (head !== undefined && comparePositions(from, head) <= 0) return false;
    this.#deps.logger.warn(
      { checkpoint: formatPosition(from), head: head === undefined ? null : formatPosition(head) },
      'The execution index checkpoint is past the end of $all (a database restored from an older backup?): projecting again from the start',
    );
    this.#slots.clear();
    this.#open.clear();
    this.#position = undefined;
    this.#rebuildTarget = undefined;
    this.#snapshotAt = undefined;
    this.#complete = true;
    return true;
  }

  #rebuildInBackground(): void {
    if (this.#complete || this.#closed) return;
    this.#rebuild().catch((error: unknown) => {
      if (!this.#closed) this.#deps.logger.warn({ error: messageOf(error) }, 'The execution index could not rebuild finished entries; the next listing tries again');
    });
  }

  /** The second pass: finished entries (and removals) from the start of `$all` to the loaded checkpoint. */
  #rebuild(): Promise<void> {
    this.#rebuilding ??= (async () => {
      try {
        const target = this.#rebuildTarget;
        while (!this.#complete && !this.#closed && target !== undefined) {
          const from = this.#rebuildPosition;
          const page = await this.#deps.retrying('rebuild the finished entries of the execution index', () => this.#deps.scan(from, pageOfEvents));
          if (this.#closed || this.#rebuildTarget !== target) return;
          for (const event of page.events) if (comparePositions(event.position, target) <= 0) this.#apply(event, 'rebuild');
          this.#rebuildPosition = page.last;
          if (page.atEnd || page.last === undefined || comparePositions(page.last, target) >= 0) this.#complete = true;
        }
        if (target === undefined) this.#complete = true;
      } finally {
        this.#rebuilding = undefined;
      }
    })();
    return this.#rebuilding;
  }

  #apply(event: AllStreamRecordedEvent, mode: 'live' | 'rebuild'): void {
    this.eventsProjected += 1;
    const position = event.position;
    if (event.streamId === this.#deps.changesStream) {
      if (!event.isJson || !isObject(event.data)) return;
      const data = event.data;
      if (event.type === entriesPutType && Array.isArray(data.entries)) {
        for (const entry of data.entries) if (validEntry(entry)) this.#set(entry.executionId, entry, position, mode);
      } else if (event.type === entriesRemovedType && Array.isArray(data.executionIds)) {
        for (const id of data.executionIds) if (typeof id === 'string') this.#set(id, undefined, position, mode);
      }
      return;
    }
    // A deleted execution leaves the index: its history cannot be read any more (the store refuses it),
    // and recovery would otherwise pick it again at every sweep. A hard delete is a marker in the
    // stream; a soft delete, a '$tb' (truncate before) in the metadata stream '$$<stream>'.
    if (event.type === tombstoneType) return this.#set(this.#deps.executionOf(event.streamId), undefined, position, mode);
    if (event.streamId.startsWith('$$')) {
      if (event.type === metadataType && event.isJson && isObject(event.data) && '$tb' in event.data) this.#set(this.#deps.executionOf(event.streamId), undefined, position, mode);
      return;
    }
    const { index } = fromStoredMetadata(event.metadata);
    if (validEntry(index)) this.#set(index.executionId, index, position, mode);
  }

  /** Last writer wins, by `$all` position. The rebuild never opens an entry: open ones came with the snapshot. */
  #set(id: string, entry: ExecutionIndexEntry | undefined, position: Position, mode: 'live' | 'rebuild'): void {
    if (mode === 'rebuild' && entry?.open === true) return;
    const slot = this.#slots.get(id);
    if (slot !== undefined && comparePositions(position, slot.position) <= 0) return;
    this.#slots.set(id, { entry, position });
    if (entry?.open === true) this.#open.add(id);
    else this.#open.delete(id);
  }

  #snapshot(checkpoint: Position): IndexSnapshot {
    const entries: PositionedEntry[] = [];
    for (const id of this.#open) {
      const slot = this.#slots.get(id);
      if (slot?.entry !== undefined) entries.push({ entry: slot.entry, position: slot.position });
    }
    return { checkpoint, entries };
  }

  /** Whether a snapshot now would say more than the last one: projected events, or a checkpoint moved past other streams' events. */
  #changedSinceSnapshot(): boolean {
    return this.#sinceSnapshot > 0 || (this.#position !== undefined && (this.#snapshotAt === undefined || comparePositions(this.#position, this.#snapshotAt) > 0));
  }

  /** `due`: the interval passed (then any change is written); otherwise only after `snapshotEvery` events. */
  #maybeSnapshot(due: boolean): void {
    if (this.#snapshotting !== undefined || this.#closed || this.#position === undefined) return;
    if (due ? !this.#changedSinceSnapshot() : this.#sinceSnapshot < this.#snapshotEvery) return;
    const counted = this.#sinceSnapshot;
    const snapshot = this.#snapshot(this.#position);
    this.#snapshotting = this.#deps
      .retrying('write an execution index snapshot', () => this.#deps.saveSnapshot(snapshot))
      .then(
        () => {
          this.#sinceSnapshot = Math.max(0, this.#sinceSnapshot - counted);
          this.#snapshotAt = laterOf(this.#snapshotAt, snapshot.checkpoint);
        },
        (error: unknown) => {
          if (!this.#closed) this.#deps.logger.warn({ error: messageOf(error) }, 'Could not write an execution index snapshot; the next one is tried later');
        },
      )
      .finally(() => {
        this.#snapshotting = undefined;
      });
  }
}

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
