import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConcurrencyConflictError } from '@saga/core';
import type {
  EventStore,
  ExecutionIndexEntry,
  ExpectedRevision,
  GlobalEvent,
  GlobalPage,
  GlobalPosition,
  JsonObject,
  NewEvent,
  RecordedEvent,
  StreamSummary,
} from '@saga/core';
import { uniqueName } from './uniqueName.js';
import { waitFor } from './waitFor.js';

export interface EventStoreContractOptions {
  /** Skips the whole suite; the reason is shown in the suite's title (e.g. "no server: set SAGA_TEST_…"). */
  readonly skip?: string;
  /**
   * How long to wait for what a store may do after a call returned: an `onAppended` notice, and a
   * `'projected'` execution index catching up with an append or a `put`. Default 10 000 ms.
   */
  readonly timeoutMs?: number;
  /**
   * Whether `index.claim` leases: an entry claimed by one owner is not given to another owner until
   * the lease expires. The port lets a store that cannot lease return every matching entry instead
   * (first append wins, as everywhere); pass `false` for such a store, and the suite checks that
   * fallback (every owner gets every matching entry) instead of disjoint claims. Default true.
   */
  readonly leases?: boolean;
  /**
   * A position this store never gave because it lies past its end, given the store's head (the
   * suite checks that `readAll` refuses it). The default suits stores whose positions are whole
   * numbers written in decimal (PostgreSQL, SQLite, in memory): the head plus 1,000,000,000, far
   * enough that other writers on a shared server do not reach it. A store with other positions
   * (EventStoreDB) passes its own; without it the check fails, naming this option.
   */
  readonly positionPastEnd?: (head: GlobalPosition | undefined) => GlobalPosition;
}

const defaultPositionPastEnd = (head: GlobalPosition | undefined): GlobalPosition => {
  if (head !== undefined && !/^\d+$/.test(head)) {
    throw new Error(
      `eventStoreContract: this store's head position '${head}' is not a whole number, so the suite cannot make a position past its end. Pass the option positionPastEnd.`,
    );
  }
  return (BigInt(head ?? '0') + 1_000_000_000n).toString();
};

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const event = (type: string, data: JsonObject = {}, metadata?: JsonObject): NewEvent =>
  metadata === undefined ? { type, data } : { type, data, metadata };

const numbered = (count: number, from = 0): NewEvent[] =>
  Array.from({ length: count }, (_, index) => event('Numbered', { n: from + index }));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The execution ids of entries, sorted: claims come in no particular order. */
const idsOf = (entries: readonly Pick<ExecutionIndexEntry, 'executionId'>[]): string[] => entries.map((e) => e.executionId).sort();

const settle = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/**
 * The behaviour every `EventStore` adapter must have. Call it at the top level of a spec file:
 *
 *   eventStoreContract('PostgresEventStore', async () => new PostgresEventStore({ url }));
 *
 * `makeStore` is called before every test; the suite calls `setup()` on the store (so it must be
 * safe to call twice) and `destroy()` after the test. The suite can run against a shared server that
 * already holds other streams and index entries, and that other processes write to meanwhile: stream
 * names, prefixes and the services of index entries are random, and the global order is checked
 * relative to the head taken at the start of a test, never from an empty store.
 */
export const eventStoreContract = (
  name: string,
  makeStore: () => Promise<EventStore>,
  options: EventStoreContractOptions = {},
): void => {
  if (options.skip !== undefined) {
    describe.skip(`${name} — EventStore contract skipped: ${options.skip}`, () => {
      it('is skipped', () => {});
    });
    return;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const leases = options.leases ?? true;
  const positionPastEnd = options.positionPastEnd ?? defaultPositionPastEnd;

  describe(`${name} — EventStore contract`, () => {
    let store: EventStore;
    let cleanups: Array<() => void> = [];

    beforeEach(async () => {
      store = await makeStore();
      await store.setup();
    });

    afterEach(async () => {
      for (const cleanup of cleanups) cleanup();
      cleanups = [];
      await store.destroy();
    });

    const stream = (): string => uniqueName('saga-contract-');

    const expectConflict = async (
      attempt: Promise<unknown>,
      expected: { stream: string; expectedRevision: ExpectedRevision; actualRevision: number | 'no_stream' },
    ): Promise<void> => {
      const error = await settle(attempt);
      expect(isConcurrencyConflictError(error), `expected a ConcurrencyConflictError, got ${String(error)}`).toBe(true);
      if (!isConcurrencyConflictError(error)) return;
      expect({ stream: error.stream, expectedRevision: error.expectedRevision, actualRevision: error.actualRevision }).toEqual(expected);
    };

    describe('append', () => {
      it("creates a stream with 'no_stream'; the first event has revision 0", async () => {
        const s = stream();
        const result = await store.append(s, [event('Created', { a: 1 })], 'no_stream');
        expect(result.lastRevision).toBe(0);
        const events = await store.read(s);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ stream: s, revision: 0, type: 'Created', data: { a: 1 }, metadata: {} });
      });

      it('appends when the expected revision is the last one', async () => {
        const s = stream();
        await store.append(s, [event('First')], 'no_stream');
        expect((await store.append(s, [event('Second')], 0)).lastRevision).toBe(1);
        expect((await store.append(s, [event('Third')], 1)).lastRevision).toBe(2);
        expect((await store.read(s)).map((e) => [e.revision, e.type])).toEqual([
          [0, 'First'],
          [1, 'Second'],
          [2, 'Third'],
        ]);
      });

      it("appends with 'any' whether the stream exists or not", async () => {
        const s = stream();
        expect((await store.append(s, [event('A')], 'any')).lastRevision).toBe(0);
        expect((await store.append(s, [event('B')], 'any')).lastRevision).toBe(1);
      });

      it('appends several events atomically with dense revisions', async () => {
        const s = stream();
        const result = await store.append(s, [event('A', { i: 0 }), event('B', { i: 1 }), event('C', { i: 2 })], 'no_stream');
        expect(result.lastRevision).toBe(2);
        const more = await store.append(s, [event('D', { i: 3 }), event('E', { i: 4 })], 2);
        expect(more.lastRevision).toBe(4);
        const events = await store.read(s);
        // recordedAt in the result is optional; when given, it is the one the events were stored with.
        if (result.recordedAt !== undefined) expect(events.slice(0, 3).map((e) => e.recordedAt)).toEqual(Array(3).fill(result.recordedAt));
        if (more.recordedAt !== undefined) expect(events.slice(3).map((e) => e.recordedAt)).toEqual(Array(2).fill(more.recordedAt));
        expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
        expect(events.map((e) => e.type)).toEqual(['A', 'B', 'C', 'D', 'E']);
        expect(events.map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4]);
      });

      it('rejects an empty list of events and writes nothing', async () => {
        const s = stream();
        await expect(store.append(s, [], 'no_stream')).rejects.toThrow();
        expect(await store.read(s)).toEqual([]);
      });
    });

    describe('optimistic concurrency', () => {
      it('rejects a wrong revision with a ConcurrencyConflictError and writes nothing', async () => {
        const s = stream();
        await store.append(s, [event('A'), event('B')], 'no_stream');
        await expectConflict(store.append(s, [event('X'), event('Y')], 0), { stream: s, expectedRevision: 0, actualRevision: 1 });
        await expectConflict(store.append(s, [event('X')], 5), { stream: s, expectedRevision: 5, actualRevision: 1 });
        expect((await store.read(s)).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it("rejects 'no_stream' on an existing stream", async () => {
        const s = stream();
        await store.append(s, [event('A'), event('B'), event('C')], 'no_stream');
        await expectConflict(store.append(s, [event('X')], 'no_stream'), { stream: s, expectedRevision: 'no_stream', actualRevision: 2 });
        expect(await store.read(s)).toHaveLength(3);
      });

      it('rejects a revision number on a stream that does not exist', async () => {
        const s = stream();
        await expectConflict(store.append(s, [event('X')], 0), { stream: s, expectedRevision: 0, actualRevision: 'no_stream' });
        expect(await store.read(s)).toEqual([]);
        const page = await store.listStreams({ prefix: s });
        expect(page.streams).toEqual([]);
      });

      it('lets exactly one of 10 concurrent appends at the same revision win', async () => {
        const s = stream();
        await store.append(s, [event('Start')], 'no_stream');
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, writer) =>
            store.append(s, [event('Raced', { writer }), event('Raced', { writer })], 0).then(
              () => ({ writer, error: undefined as unknown }),
              (error: unknown) => ({ writer, error }),
            ),
          ),
        );
        const winners = outcomes.filter((o) => o.error === undefined);
        const losers = outcomes.filter((o) => o.error !== undefined);
        expect(winners).toHaveLength(1);
        for (const loser of losers) expect(isConcurrencyConflictError(loser.error), String(loser.error)).toBe(true);
        const events = await store.read(s);
        expect(events).toHaveLength(3);
        expect(events.slice(1).map((e) => e.data.writer)).toEqual([winners[0]?.writer, winners[0]?.writer]);
      });

      it("lets exactly one of 10 concurrent 'no_stream' appends create the stream", async () => {
        const s = stream();
        const outcomes = await Promise.all(
          Array.from({ length: 10 }, (_, writer) =>
            store.append(s, [event('Created', { writer })], 'no_stream').then(
              () => undefined,
              (error: unknown) => error,
            ),
          ),
        );
        expect(outcomes.filter((error) => error === undefined)).toHaveLength(1);
        for (const error of outcomes.filter((e) => e !== undefined)) expect(isConcurrencyConflictError(error), String(error)).toBe(true);
        expect(await store.read(s)).toHaveLength(1);
      });
    });

    describe('read', () => {
      it('reads from a revision on', async () => {
        const s = stream();
        await store.append(s, numbered(5), 'no_stream');
        expect((await store.read(s, { fromRevision: 3 })).map((e) => [e.revision, e.data.n])).toEqual([
          [3, 3],
          [4, 4],
        ]);
        expect(await store.read(s, { fromRevision: 5 })).toEqual([]);
        expect(await store.read(s, { fromRevision: 0 })).toHaveLength(5);
      });

      it('returns [] for a stream that does not exist', async () => {
        expect(await store.read(stream())).toEqual([]);
      });

      it('keeps the order of 1,000 events', async () => {
        const s = stream();
        for (let batch = 0; batch < 10; batch += 1) {
          await store.append(s, numbered(100, batch * 100), batch === 0 ? 'no_stream' : batch * 100 - 1);
        }
        const events = await store.read(s);
        expect(events).toHaveLength(1_000);
        events.forEach((e, index) => {
          expect(e.revision).toBe(index);
          expect(e.data.n).toBe(index);
        });
      });

      it('does not share objects with the caller', async () => {
        const s = stream();
        const data = { nested: { value: 1 }, list: [1, 2] };
        await store.append(s, [{ type: 'A', data, metadata: { m: { x: 1 } } }], 'no_stream');
        data.nested.value = 2;
        data.list.push(3);
        const [first] = await store.read(s);
        expect(first?.data).toEqual({ nested: { value: 1 }, list: [1, 2] });
        try {
          (first?.data as { nested: { value: number } }).nested.value = 3;
        } catch {
          // A frozen result is fine too.
        }
        const [again] = await store.read(s);
        expect(again?.data).toEqual({ nested: { value: 1 }, list: [1, 2] });
      });
    });

    describe('payloads', () => {
      it('round-trips a ~1 MB payload', async () => {
        const s = stream();
        const rows = Array.from({ length: 10_000 }, (_, i) => ({ i, text: `row ${i} `.padEnd(80, 'x'), ok: i % 2 === 0 }));
        const data = { rows, blob: 'y'.repeat(100_000) };
        expect(JSON.stringify(data).length).toBeGreaterThan(1_000_000);
        await store.append(s, [event('Big', data)], 'no_stream');
        const [read] = await store.read(s);
        expect(read?.data).toEqual(data);
      });

      it('round-trips unicode exactly', async () => {
        const s = stream();
        const data = {
          emoji: '🚀 👩‍👩‍👧‍👦 🏳️‍🌈 ✔︎',
          rtl: 'مرحبا بالعالم — שלום עולם',
          mixed: 'abc אבג def',
          cjk: '漢字かなカナ한국어',
          combining: 'e\u0301 n\u0303 A\u030A',
          controls: '\u0001\u0002\t\n\r\u001b\u001f\u007f\u0085\u2028\u2029',
          quotes: `'single' "double" \`back\` \\ backslash`,
          zeroWidth: 'a\u200bb\u200dc\ufeffd',
          astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎',
          '🔑 clé': 'ключ',
        };
        await store.append(s, [event('Unicode', data, { note: 'ملاحظة 📝' })], 'no_stream');
        const [read] = await store.read(s);
        expect(read?.data).toEqual(data);
        expect(read?.metadata).toEqual({ note: 'ملاحظة 📝' });
        for (const [key, value] of Object.entries(data)) expect(read?.data[key]).toBe(value);
      });

      it('round-trips JSON values of every kind, and metadata', async () => {
        const s = stream();
        const data = {
          nothing: null,
          yes: true,
          no: false,
          zero: 0,
          negative: -17,
          float: 3.141592653589793,
          tiny: 1e-12,
          large: Number.MAX_SAFE_INTEGER,
          empty: '',
          emptyList: [],
          emptyObject: {},
          deep: { a: [{ b: [null, { c: 'd' }] }] },
        };
        const metadata = { correlationId: 'c-1', user: { id: 'u-1', roles: ['admin'] }, attempt: 2 };
        await store.append(s, [event('Kinds', data, metadata), event('NoMetadata', { x: 1 })], 'no_stream');
        const events = await store.read(s);
        expect(events[0]?.data).toEqual(data);
        expect(events[0]?.metadata).toEqual(metadata);
        expect(events[1]?.metadata).toEqual({});
      });

      it('records recordedAt as an ISO-8601 timestamp', async () => {
        const s = stream();
        await store.append(s, [event('A'), event('B')], 'no_stream');
        for (const e of await store.read(s)) {
          expect(e.recordedAt).toMatch(isoTimestamp);
          expect(Number.isNaN(Date.parse(e.recordedAt))).toBe(false);
        }
      });
    });

    describe('listStreams', () => {
      const listAll = async (prefix: string, limit: number): Promise<{ pages: StreamSummary[][]; all: StreamSummary[] }> => {
        const pages: StreamSummary[][] = [];
        let after: string | undefined;
        do {
          const page = await store.listStreams(after === undefined ? { prefix, limit } : { prefix, limit, after });
          expect(page.streams.length).toBeLessThanOrEqual(limit);
          pages.push([...page.streams]);
          after = page.nextCursor;
          if (pages.length > 100) throw new Error('listStreams kept returning a nextCursor');
        } while (after !== undefined);
        return { pages, all: pages.flat() };
      };

      it('pages through streams with a cursor, in creation order, each exactly once', async () => {
        const prefix = uniqueName('saga-list-') + '-';
        const names = Array.from({ length: 25 }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
        // Created in an order that differs from name order, so creation order is really tested.
        const creation = [...names].reverse();
        for (const [index, name] of creation.entries()) {
          await store.append(name, numbered(index % 3 === 0 ? 2 : 1), 'no_stream');
        }
        const { pages, all } = await listAll(prefix, 10);
        expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
        expect(all.map((summary) => summary.stream)).toEqual(creation);
        all.forEach((summary, index) => {
          expect(summary.lastRevision).toBe(index % 3 === 0 ? 1 : 0);
          expect(summary.createdAt).toMatch(isoTimestamp);
        });
      });

      it('filters by prefix', async () => {
        const base = uniqueName('saga-filter-');
        await store.append(`${base}-a-1`, [event('A')], 'no_stream');
        await store.append(`${base}-b-1`, [event('B')], 'no_stream');
        await store.append(`${base}-a-2`, [event('A')], 'no_stream');
        const { all } = await listAll(`${base}-a-`, 100);
        expect(all.map((summary) => summary.stream)).toEqual([`${base}-a-1`, `${base}-a-2`]);
        expect((await store.listStreams({ prefix: `${base}-nothing-` })).streams).toEqual([]);
        expect((await store.listStreams({ prefix: `${base}-nothing-` })).nextCursor).toBeUndefined();
      });

      it("lists only 'saga-' streams by default", async () => {
        const id = uniqueName('');
        await store.append(`other-${id}`, [event('A')], 'no_stream');
        await store.append(`saga-${id}`, [event('A')], 'no_stream');
        const seen: string[] = [];
        let after: string | undefined;
        do {
          const page = await store.listStreams(after === undefined ? { limit: 500 } : { limit: 500, after });
          seen.push(...page.streams.map((summary) => summary.stream));
          after = page.nextCursor;
        } while (after !== undefined);
        expect(seen.every((s) => s.startsWith('saga-'))).toBe(true);
        expect(seen).toContain(`saga-${id}`);
        expect(seen).not.toContain(`other-${id}`);
      });

      it('reports the last revision and the creation time', async () => {
        const s = stream();
        await store.append(s, numbered(3), 'no_stream');
        await store.append(s, numbered(2, 3), 2);
        const [first] = await store.read(s);
        const page = await store.listStreams({ prefix: s });
        expect(page.streams).toEqual([{ stream: s, lastRevision: 4, createdAt: page.streams[0]?.createdAt }]);
        expect(Date.parse(page.streams[0]?.createdAt ?? '')).toBe(Date.parse(first?.recordedAt ?? ''));
        expect(page.nextCursor).toBeUndefined();
      });
    });

