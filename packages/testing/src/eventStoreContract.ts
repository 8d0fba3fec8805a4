import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConcurrencyConflictError } from '@saga/core';
import type {
  EventStore,
  ExecutionIndexEntry,
  ExecutionQuery,
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
   * Whether `index.claim` leases: an entry claimed is not given to anyone again (another owner, or
   * the same one) until the lease expires. The port lets a store that cannot lease return every matching entry instead
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


    describe('readAll and headPosition', () => {
      /** A prefix no other test or process uses, so that only this test's events match it. */
      const allPrefix = (): string => `${uniqueName('saga-all-')}-`;

      const readPage = (after: GlobalPosition | undefined, prefix: string | undefined, limit?: number): Promise<GlobalPage> =>
        store.readAll({
          ...(after === undefined ? {} : { after }),
          ...(prefix === undefined ? {} : { prefix }),
          ...(limit === undefined ? {} : { limit }),
        });

      /**
       * Reads page after page from `after`, each page continuing at the previous page's `position`,
       * until a page finds nothing and does not move on (or `until` says enough).
       */
      const readOn = async (
        after: GlobalPosition | undefined,
        prefix: string | undefined,
        { limit, until }: { limit?: number; until?: (events: readonly GlobalEvent[]) => boolean } = {},
      ): Promise<{ events: GlobalEvent[]; pages: GlobalPage[]; position: GlobalPosition | undefined }> => {
        const events: GlobalEvent[] = [];
        const pages: GlobalPage[] = [];
        let position = after;
        for (;;) {
          if (pages.length === 1_000) throw new Error(`readAll was still returning pages after 1,000 reads (prefix '${String(prefix)}')`);
          const page = await readPage(position, prefix, limit);
          pages.push(page);
          expect(page.events.length).toBeLessThanOrEqual(limit ?? 500);
          events.push(...page.events);
          if (page.events.length > 0) {
            expect(page.position, 'a page with events has a position').toBeDefined();
          } else if (position !== undefined) {
            expect(page.position, 'a page after a position has a position').toBeDefined();
          }
          const moved = page.position !== position;
          position = page.position;
          if (until?.(events)) break;
          if (page.events.length === 0 && !moved) break;
        }
        return { events, pages, position };
      };

      const summary = (e: RecordedEvent): [string, number, string] => [e.stream, e.revision, e.type];

      /**
       * Reads until `count` events are readable after `after` (bounded by the suite's timeout). A store
       * may show an append in its global order only once older transactions elsewhere on the server
       * have ended (PostgreSQL, globalOrder.ts): a test reads what it appended once it is readable.
       */
      const readCount = async (after: GlobalPosition | undefined, prefix: string, count: number): Promise<void> => {
        const started = Date.now();
        while ((await readOn(after, prefix)).events.length < count) {
          if (Date.now() - started > timeoutMs) throw new Error(`${count} events after ${String(after)} never became readable`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };

      it('reads every stream in the order of its appends: each append contiguous, in revision order', async () => {
        const prefix = allPrefix();
        const [a, b, c] = [`${prefix}a`, `${prefix}b`, `${prefix}c`];
        const head = await store.headPosition();
        await store.append(a, [event('A0', { i: 0 }), event('A1', { i: 1 })], 'no_stream');
        await store.append(b, [event('B0', { i: 2 })], 'no_stream');
        await store.append(a, [event('A2', { i: 3 })], 1);
        await store.append(c, [event('C0', { i: 4 }), event('C1', { i: 5 }), event('C2', { i: 6 })], 'no_stream');
        await store.append(b, [event('B1', { i: 7 }), event('B2', { i: 8 })], 0);
        await readCount(head, prefix, 9);
        const { events } = await readOn(head, prefix);
        expect(events.map(summary)).toEqual([
          [a, 0, 'A0'],
          [a, 1, 'A1'],
          [b, 0, 'B0'],
          [a, 2, 'A2'],
          [c, 0, 'C0'],
          [c, 1, 'C1'],
          [c, 2, 'C2'],
          [b, 1, 'B1'],
          [b, 2, 'B2'],
        ]);
        expect(events.map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
        expect(new Set(events.map((e) => e.position)).size).toBe(9);
        // A global event is the stream's event, with its position.
        const byStream = new Map<string, readonly RecordedEvent[]>();
        for (const s of [a, b, c]) byStream.set(s, await store.read(s));
        for (const { position, ...recorded } of events) {
          expect(typeof position).toBe('string');
          expect(recorded).toEqual(byStream.get(recorded.stream)?.[recorded.revision]);
        }
      });

      it('keeps the events of each of 8 concurrent appends contiguous and in revision order', async () => {
        const prefix = allPrefix();
        const head = await store.headPosition();
        const streams = Array.from({ length: 8 }, (_, i) => `${prefix}${i}`);
        await Promise.all(streams.map((s) => store.append(s, numbered(4), 'no_stream')));
        await readCount(head, prefix, 32);
        const { events } = await readOn(head, prefix);
        expect(events).toHaveLength(32);
        for (let start = 0; start < 32; start += 4) {
          const run = events.slice(start, start + 4);
          expect(new Set(run.map((e) => e.stream)).size, `events ${start}–${start + 3} are one append`).toBe(1);
          expect(run.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
        }
        expect(new Set(events.map((e) => e.stream))).toEqual(new Set(streams));
      });

      it('reads after a position (exclusive), at most `limit` events, and continues at `position` with nothing skipped or repeated', async () => {
        const prefix = allPrefix();
        const head = await store.headPosition();
        for (let i = 0; i < 7; i += 1) await store.append(`${prefix}${i % 3}`, numbered(i === 3 ? 3 : 1, i * 10), i < 3 ? 'no_stream' : 'any');
        await readCount(head, prefix, 9);
        const all = (await readOn(head, prefix)).events;
        expect(all).toHaveLength(9);
        // `after` is exclusive.
        const fromThird = (await readOn(all[1]?.position, prefix)).events;
        expect(fromThird.map(summary)).toEqual(all.slice(2).map(summary));
        expect((await readOn(all[8]?.position, prefix)).events).toEqual([]);
        // `limit`: pages of at most 2, each continuing where the last one ended.
        const paged = await readOn(head, prefix, { limit: 2 });
        expect(paged.events.map((e) => e.position)).toEqual(all.map((e) => e.position));
        expect(paged.events).toEqual(all);
      });

      it("reads only streams with the prefix: 'saga-' by default, every stream with ''", async () => {
        const base = allPrefix();
        const id = uniqueName('');
        const head = await store.headPosition();
        await store.append(`${base}a-1`, [event('A')], 'no_stream');
        await store.append(`${base}b-1`, [event('B')], 'no_stream');
        await store.append(`${base}a-2`, [event('A')], 'no_stream');
        await store.append(`other-${id}`, [event('Other')], 'no_stream');
        await store.append(`saga-${id}`, [event('Saga')], 'no_stream');
        // Appended last: once it is readable, so is every earlier append of this test.
        await readCount(head, `saga-${id}`, 1);
        expect((await readOn(head, `${base}a-`)).events.map((e) => e.stream)).toEqual([`${base}a-1`, `${base}a-2`]);
        expect((await readOn(head, `${base}nothing-`)).events).toEqual([]);
        // `saga-${id}` was appended last: once it is read, everything of this test was passed.
        const sawSaga = (events: readonly GlobalEvent[]): boolean => events.some((e) => e.stream === `saga-${id}`);
        const byDefault = (await readOn(head, undefined, { until: sawSaga })).events.map((e) => e.stream);
        expect(byDefault.every((s) => s.startsWith('saga-'))).toBe(true);
        expect(byDefault).toContain(`saga-${id}`);
        expect(byDefault).not.toContain(`other-${id}`);
        const everything = (await readOn(head, '', { until: sawSaga })).events.map((e) => e.stream);
        expect(everything).toEqual(expect.arrayContaining([`${base}a-1`, `${base}b-1`, `${base}a-2`, `other-${id}`, `saga-${id}`]));
        expect(everything.indexOf(`other-${id}`)).toBeLessThan(everything.indexOf(`saga-${id}`));
      });

      it('moves headPosition with appends: after it comes exactly what was appended later', async () => {
        const prefix = allPrefix();
        // A store may show an append in its global order only once older transactions elsewhere
        // have ended (PostgreSQL): each append is waited for before the head is taken.
        const before = await store.headPosition();
        await store.append(`${prefix}x`, [event('X0'), event('X1')], 'no_stream');
        await readCount(before, prefix, 2);
        const middle = await store.headPosition();
        expect(middle).toBeDefined();
        expect(middle).not.toBe(before);
        await store.append(`${prefix}y`, [event('Y0')], 'no_stream');
        await readCount(middle, prefix, 1);
        const after = await store.headPosition();
        expect(after).not.toBe(middle);
        expect((await readOn(middle, prefix)).events.map((e) => e.type)).toEqual(['Y0']);
        expect((await readOn(before, prefix)).events.map((e) => e.type)).toEqual(['X0', 'X1', 'Y0']);
        expect((await readOn(after, prefix)).events).toEqual([]);
      });

      it('returns no events after the head, and none at all from an empty store', async () => {
        const head = await store.headPosition();
        if (head === undefined) {
          // A fresh store (not a shared server): nothing to read, and so no position to go on from.
          expect(await store.readAll({ prefix: '' })).toEqual({ events: [] });
          expect(await store.readAll()).toEqual({ events: [] });
          await store.append(stream(), [event('A')], 'no_stream');
          await waitFor(async () => (await store.headPosition()) !== undefined, { timeoutMs, message: 'a head once an event is readable' });
        } else {
          const page = await store.readAll({ after: head, prefix: allPrefix() });
          expect(page.events).toEqual([]);
          expect(page.position).toBeDefined();
        }
      });

      it('hands out a position that a reader tailing during concurrent appends can follow: every event exactly once', async () => {
        const prefix = allPrefix();
        const head = await store.headPosition();
        const seen: GlobalEvent[] = [];
        let position = head;
        let writing = true;
        const tail = async (): Promise<void> => {
          for (let reads = 0; writing || reads === 0; reads += 1) {
            const page = await readPage(position, prefix, 7);
            seen.push(...page.events);
            position = page.position ?? position;
            if (page.events.length === 0) await sleep(1);
          }
        };
        const tailing = tail();
        await Promise.all(
          Array.from({ length: 10 }, async (_, writer) => {
            for (let i = 0; i < 5; i += 1) await store.append(`${prefix}${writer}`, numbered(2, i * 2), i === 0 ? 'no_stream' : i * 2 - 1);
          }),
        );
        writing = false;
        await tailing;
        // A transaction still open anywhere on the server (another test's, another process's) may
        // hold back what a reader can see (PostgreSQL's horizon, globalOrder.ts): the reader follows
        // once it ends, so it reads on until it has caught up, not just once.
        await waitFor(
          async () => {
            const more = await readOn(position, prefix);
            seen.push(...more.events);
            position = more.position ?? position;
            return seen.length >= 100;
          },
          { timeoutMs, message: 'the tailing reader to catch up with the 100 events appended' },
        );
        // Caught up: the store says nothing more is visible, and nothing came twice.
        seen.push(...(await readOn(position, prefix)).events);
        expect(seen).toHaveLength(100);
        const keys = seen.map((e) => `${e.stream}@${e.revision}`);
        expect(new Set(keys).size).toBe(100);
        for (let writer = 0; writer < 10; writer += 1) {
          expect(seen.filter((e) => e.stream === `${prefix}${writer}`).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        }
      });

      it('refuses a malformed position with an error that names it', async () => {
        for (const position of ['not-a-position', '-1', '1.5']) {
          await expect(store.readAll({ after: position }), `position '${position}'`).rejects.toThrow(position);
        }
      });

      it('refuses a position past its end with an error that names it', async () => {
        await store.append(stream(), [event('A')], 'no_stream');
        const pastEnd = positionPastEnd(await store.headPosition());
        await expect(store.readAll({ after: pastEnd })).rejects.toThrow(pastEnd);
      });

      it('refuses a limit out of range', async () => {
        for (const limit of [0, -1, 1.5]) await expect(store.readAll({ limit }), `limit ${limit}`).rejects.toThrow(/limit/);
      });
    });

    describe('onAppended', () => {
      const listen = (listener: () => void = () => undefined): { calls: () => number; stop: () => void } => {
        let calls = 0;
        const stop = store.onAppended(() => {
          calls += 1;
          listener();
        });
        cleanups.push(stop);
        return { calls: () => calls, stop };
      };

      it('tells a listener after an append, and again after the next', async () => {
        const s = stream();
        const heard = listen();
        const before = heard.calls();
        await store.append(s, [event('A')], 'no_stream');
        await waitFor(() => heard.calls() > before, { timeoutMs, message: 'a notice of the first append' });
        // The notice means the append can be read: a reader reads on from where it was.
        expect(await store.read(s)).toHaveLength(1);
        const again = heard.calls();
        await store.append(s, [event('B'), event('C')], 0);
        await waitFor(() => heard.calls() > again, { timeoutMs, message: 'a notice of the second append' });
      });

      it('stops telling a listener that unsubscribed', async () => {
        const stopped = listen();
        const witness = listen();
        stopped.stop();
        stopped.stop(); // twice is harmless
        await store.append(stream(), [event('A')], 'no_stream');
        // The witness proves the store has delivered its notices for this append.
        await waitFor(() => witness.calls() > 0, { timeoutMs, message: 'the witness to hear the append' });
        await sleep(20);
        expect(stopped.calls()).toBe(0);
      });

      it('does not fail the append when a listener throws, and still tells the others', async () => {
        const s = stream();
        const throwing = listen(() => {
          throw new Error('a listener bug (expected by the contract suite)');
        });
        const witness = listen();
        await expect(store.append(s, [event('A')], 'no_stream')).resolves.toMatchObject({ lastRevision: 0 });
        await waitFor(() => witness.calls() > 0 && throwing.calls() > 0, { timeoutMs, message: 'both listeners to hear the append' });
        expect((await store.append(s, [event('B')], 0)).lastRevision).toBe(1);
        expect((await store.read(s)).map((e) => e.type)).toEqual(['A', 'B']);
      });
    });

    describe('execution index', () => {
      const t0 = Date.parse('2026-03-01T12:00:00.000Z');
      /** A time `minutes` after the suite's reference time, as `toISOString` writes it. */
      const at = (minutes: number): string => new Date(t0 + minutes * 60_000).toISOString();
      const service = (): string => uniqueName('contract-svc-');

      const indexEntry = (executionId: string, of: string, overrides: Partial<ExecutionIndexEntry> = {}): ExecutionIndexEntry => ({
        executionId,
        service: of,
        definitionName: 'order',
        definitionVersion: '1',
        status: 'running',
        phase: 'forward',
        open: true,
        startedAt: at(0),
        updatedAt: at(1),
        user: null,
        nextDueAt: null,
        waitingFor: 'reply from stock.reserve',
        revision: 0,
        ...overrides,
      });

      /** Entries of a service, with ids that sort like their position in the list (`…-00`, `…-01`, …). */
      const entriesOf = (of: string, overrides: readonly Partial<ExecutionIndexEntry>[]): ExecutionIndexEntry[] => {
        const base = uniqueName('exec-');
        return overrides.map((o, i) => indexEntry(`${base}-${String(i).padStart(3, '0')}`, of, o));
      };

      /** Checks once on an inline index; waits for it to hold on a projected one. */
      const eventually = async (what: string, check: () => Promise<void>): Promise<void> => {
        if (store.index.consistency === 'inline') return check();
        await waitFor(
          async () => {
            await check();
            return true;
          },
          { timeoutMs, message: what },
        );
      };

      /** Puts entries of fresh services, and waits until every one of them can be queried. */
      const seed = async (entries: readonly ExecutionIndexEntry[]): Promise<void> => {
        await store.index.put(entries);
        for (const of of new Set(entries.map((e) => e.service))) {
          const expected = idsOf(entries.filter((e) => e.service === of));
          await eventually(`the entries of ${of} to be indexed`, async () => {
            expect(idsOf((await store.index.query({ service: of, limit: 1_000 })).entries)).toEqual(expected);
          });
        }
      };

      /** Every entry of a query, page after page. */
      const queryAll = async (query: ExecutionQuery & { readonly service: string }): Promise<ExecutionIndexEntry[]> => {
        const found: ExecutionIndexEntry[] = [];
        let after: string | undefined;
        for (let pages = 0; ; pages += 1) {
          if (pages === 100) throw new Error('query kept returning a nextCursor');
          const page = await store.index.query(after === undefined ? query : { ...query, after });
          found.push(...page.entries);
          after = page.nextCursor;
          if (after === undefined) return found;
        }
      };

      const badEntries = (id: string, of: string): [string, ExecutionIndexEntry][] => [
        ['an empty executionId', indexEntry('', of)],
        ['a negative revision', indexEntry(id, of, { revision: -1 })],
        ['a revision that is not a whole number', indexEntry(id, of, { revision: 1.5 })],
        ['a startedAt that is not a time', indexEntry(id, of, { startedAt: 'yesterday' })],
        ['a nextDueAt that is not a time', indexEntry(id, of, { nextDueAt: 'soon' })],
        ['an open that is not a boolean', indexEntry(id, of, { open: 'yes' as unknown as boolean })],
        ['no service', indexEntry(id, of, { service: undefined as unknown as string })],
      ];

      describe('get, put, remove and appends', () => {
        it('says how it is kept, and has no entry for an unknown execution', async () => {
          expect(['inline', 'projected']).toContain(store.index.consistency);
          expect(await store.index.get(uniqueName('exec-unknown-'))).toBeUndefined();
          const lag = await store.index.lag();
          if (store.index.consistency === 'inline') expect(lag.events).toBe(0);
          else expect(Number.isSafeInteger(lag.events) && lag.events >= 0).toBe(true);
        });

        it('writes the entry given with an append, and replaces it with the next one', async () => {
          const id = uniqueName('exec-');
          const s = `saga-${id}`;
          const of = service();
          const created = indexEntry(id, of, { status: 'created', revision: 1, user: 'ada' });
          await store.append(s, [event('Created'), event('Started')], 'no_stream', { index: created });
          await eventually('the first entry', async () => expect(await store.index.get(id)).toEqual(created));
          const finished = indexEntry(id, of, { status: 'finished', phase: 'ended', open: false, updatedAt: at(5), waitingFor: null, revision: 2, user: 'ada' });
          await store.append(s, [event('Finished')], 1, { index: finished });
          await eventually('the replaced entry', async () => expect(await store.index.get(id)).toEqual(finished));
          expect((await store.index.query({ service: of })).entries).toEqual([finished]);
        });

        it('leaves the entry alone when an append without one succeeds', async () => {
          const id = uniqueName('exec-');
          const entry = indexEntry(id, service());
          await store.append(`saga-${id}`, [event('Created')], 'no_stream', { index: entry });
          await eventually('the entry', async () => expect(await store.index.get(id)).toEqual(entry));
          await store.append(`saga-${id}`, [event('Note')], 0);
          await eventually('the unchanged entry', async () => expect(await store.index.get(id)).toEqual(entry));
        });

        it('writes no index entry when the append fails with a concurrency conflict', async () => {
          const id = uniqueName('exec-');
          const s = `saga-${id}`;
          const of = service();
          const first = indexEntry(id, of);
          await store.append(s, [event('Created')], 'no_stream', { index: first });
          await eventually('the first entry', async () => expect(await store.index.get(id)).toEqual(first));
          const lost = indexEntry(id, of, { status: 'errored', phase: 'ended', open: false, revision: 1 });
          await expectConflict(store.append(s, [event('Lost')], 'no_stream', { index: lost }), { stream: s, expectedRevision: 'no_stream', actualRevision: 0 });
          await expectConflict(store.append(s, [event('Lost')], 3, { index: lost }), { stream: s, expectedRevision: 3, actualRevision: 0 });
          // Inline: checked at once, the entry was never touched. Projected: the losing entry never lands.
          await eventually('the first entry to stay', async () => expect(await store.index.get(id)).toEqual(first));
          const other = uniqueName('exec-');
          await expectConflict(store.append(`saga-${other}`, [event('Lost')], 0, { index: indexEntry(other, of) }), {
            stream: `saga-${other}`,
            expectedRevision: 0,
            actualRevision: 'no_stream',
          });
          expect(await store.index.get(other)).toBeUndefined();
          expect((await store.index.query({ service: of })).entries).toEqual([first]);
        });

        it('refuses an append with a bad index entry and writes neither the events nor the entry', async () => {
          const id = uniqueName('exec-');
          const s = `saga-${id}`;
          const of = service();
          for (const [what, bad] of badEntries(id, of)) {
            await expect(store.append(s, [event('Created')], 'no_stream', { index: bad }), what).rejects.toThrow(/index entry/);
          }
          expect(await store.read(s)).toEqual([]);
          expect(await store.index.get(id)).toBeUndefined();
          const good = indexEntry(id, of);
          await store.append(s, [event('Created')], 'no_stream', { index: good });
          for (const [what, bad] of badEntries(id, of)) {
            await expect(store.append(s, [event('Next')], 0, { index: bad }), what).rejects.toThrow(/index entry/);
          }
          expect((await store.read(s)).map((e) => e.type)).toEqual(['Created']);
          await eventually('the good entry', async () => expect(await store.index.get(id)).toEqual(good));
        });

        it('puts entries as given, replaces them, and gets them back', async () => {
          const of = service();
          const [a, b] = entriesOf(of, [{ user: 'ada', nextDueAt: at(30) }, { status: 'paused', waitingFor: null }]) as [ExecutionIndexEntry, ExecutionIndexEntry];
          await store.index.put([a, b]);
          await eventually('both entries', async () => {
            expect(await store.index.get(a.executionId)).toEqual(a);
            expect(await store.index.get(b.executionId)).toEqual(b);
          });
          const replaced: ExecutionIndexEntry = { ...a, status: 'finished', phase: 'ended', open: false, nextDueAt: null, revision: 7 };
          await store.index.put([replaced]);
          await eventually('the replaced entry', async () => expect(await store.index.get(a.executionId)).toEqual(replaced));
          expect(await store.index.get(b.executionId)).toEqual(b);
          await store.index.put([]);
          expect(idsOf((await store.index.query({ service: of })).entries)).toEqual(idsOf([a, b]));
        });

        it('refuses a put with a bad entry and writes none of the entries given with it', async () => {
          const of = service();
          const good = indexEntry(uniqueName('exec-'), of);
          for (const [what, bad] of badEntries(uniqueName('exec-'), of)) {
            await expect(store.index.put([good, bad]), what).rejects.toThrow(/index entry/);
          }
          expect(await store.index.get(good.executionId)).toBeUndefined();
          expect((await store.index.query({ service: of })).entries).toEqual([]);
        });

        it('removes entries; removing an unknown one is harmless', async () => {
          const of = service();
          const [a, b, c] = entriesOf(of, [{}, {}, {}]) as [ExecutionIndexEntry, ExecutionIndexEntry, ExecutionIndexEntry];
          await seed([a, b, c]);
          await store.index.remove([a.executionId, c.executionId, uniqueName('exec-unknown-')]);
          await eventually('the removal', async () => {
            expect(await store.index.get(a.executionId)).toBeUndefined();
            expect(await store.index.get(c.executionId)).toBeUndefined();
            expect((await store.index.query({ service: of })).entries).toEqual([b]);
          });
          expect(await store.index.get(b.executionId)).toEqual(b);
          await store.index.remove([]);
          expect((await store.index.claim({ service: of, owner: 'w', leaseMs: 60_000 })).map((e) => e.executionId)).toEqual([b.executionId]);
        });
      });

      describe('query', () => {
        it('filters by service', async () => {
          const [one, two] = [service(), service()];
          const ofOne = entriesOf(one, [{}, {}]);
          const ofTwo = entriesOf(two, [{}]);
          await seed([...ofOne, ...ofTwo]);
          expect(idsOf((await store.index.query({ service: one })).entries)).toEqual(idsOf(ofOne));
          expect((await store.index.query({ service: two })).entries).toEqual(ofTwo);
          expect((await store.index.query({ service: service() })).entries).toEqual([]);
        });

        it('filters by one status or any of several', async () => {
          const of = service();
          const entries = entriesOf(of, [{ status: 'running' }, { status: 'finished', open: false }, { status: 'errored' }, { status: 'paused' }, { status: 'running' }]);
          await seed(entries);
          const idsWith = (...statuses: string[]): string[] => idsOf(entries.filter((e) => statuses.includes(e.status)));
          expect(idsOf(await queryAll({ service: of, status: 'running' }))).toEqual(idsWith('running'));
          expect(idsOf(await queryAll({ service: of, status: ['finished', 'errored'] }))).toEqual(idsWith('finished', 'errored'));
          expect(idsOf(await queryAll({ service: of, status: ['paused'] }))).toEqual(idsWith('paused'));
          expect(await queryAll({ service: of, status: 'created' })).toEqual([]);
        });

        it('filters by definition name and version, and by user', async () => {
          const of = service();
          const entries = entriesOf(of, [
            { definitionName: 'order', definitionVersion: '1', user: 'ada' },
            { definitionName: 'order', definitionVersion: '2', user: 'bob' },
            { definitionName: 'refund', definitionVersion: '1', user: null },
            { definitionName: 'order', definitionVersion: '2', user: 'ada' },
          ]);
          await seed(entries);
          const ids = (...indexes: number[]): string[] => idsOf(indexes.map((i) => entries[i] as ExecutionIndexEntry));
          expect(idsOf(await queryAll({ service: of, definitionName: 'order' }))).toEqual(ids(0, 1, 3));
          expect(idsOf(await queryAll({ service: of, definitionName: 'order', definitionVersion: '2' }))).toEqual(ids(1, 3));
          expect(idsOf(await queryAll({ service: of, definitionVersion: '1' }))).toEqual(ids(0, 2));
          expect(idsOf(await queryAll({ service: of, user: 'ada' }))).toEqual(ids(0, 3));
          expect(idsOf(await queryAll({ service: of, user: 'ada', definitionVersion: '2' }))).toEqual(ids(3));
          expect(await queryAll({ service: of, definitionName: 'nothing' })).toEqual([]);
        });

        it('filters by start time: from inclusive, to exclusive', async () => {
          const of = service();
          const entries = entriesOf(of, [{ startedAt: at(0) }, { startedAt: at(10) }, { startedAt: at(20) }, { startedAt: at(30) }]);
          await seed(entries);
          const ids = (...indexes: number[]): string[] => idsOf(indexes.map((i) => entries[i] as ExecutionIndexEntry));
          expect(idsOf(await queryAll({ service: of, startedFrom: at(10) }))).toEqual(ids(1, 2, 3));
          expect(idsOf(await queryAll({ service: of, startedTo: at(20) }))).toEqual(ids(0, 1));
          expect(idsOf(await queryAll({ service: of, startedFrom: at(10), startedTo: at(30) }))).toEqual(ids(1, 2));
          expect(idsOf(await queryAll({ service: of, startedFrom: at(5), startedTo: at(9) }))).toEqual([]);
          // Any ISO-8601 spelling of the same instant.
          expect(idsOf(await queryAll({ service: of, startedFrom: '2026-03-01T13:10:00+01:00' }))).toEqual(ids(1, 2, 3));
        });

        it('filters by open, and by dueBefore (inclusive; an entry without a due time never matches)', async () => {
          const of = service();
          const entries = entriesOf(of, [
            { open: true, nextDueAt: at(5) },
            { open: true, nextDueAt: at(15) },
            { open: true, nextDueAt: null },
            { open: false, status: 'finished', phase: 'ended', nextDueAt: null },
            { open: false, status: 'errored', phase: 'ended', nextDueAt: at(1) },
          ]);
          await seed(entries);
          const ids = (...indexes: number[]): string[] => idsOf(indexes.map((i) => entries[i] as ExecutionIndexEntry));
          expect(idsOf(await queryAll({ service: of, open: true }))).toEqual(ids(0, 1, 2));
          expect(idsOf(await queryAll({ service: of, open: false }))).toEqual(ids(3, 4));
          expect(idsOf(await queryAll({ service: of, dueBefore: at(5) }))).toEqual(ids(0, 4));
          expect(idsOf(await queryAll({ service: of, dueBefore: at(15) }))).toEqual(ids(0, 1, 4));
          expect(idsOf(await queryAll({ service: of, dueBefore: at(15), open: true }))).toEqual(ids(0, 1));
          expect(await queryAll({ service: of, dueBefore: at(0) })).toEqual([]);
        });

        it('returns newest first: by startedAt, then by executionId', async () => {
          const of = service();
          const entries = entriesOf(of, [{ startedAt: at(10) }, { startedAt: at(30) }, { startedAt: at(10) }, { startedAt: at(20) }, { startedAt: at(10) }]);
          // Put in an order that is neither the answer nor its reverse.
          await seed([entries[3], entries[0], entries[4], entries[1], entries[2]] as ExecutionIndexEntry[]);
          const order = (await store.index.query({ service: of })).entries.map((e) => entries.findIndex((x) => x.executionId === e.executionId));
          // Ids sort like their index: equal start times come largest id first.
          expect(order).toEqual([1, 3, 4, 2, 0]);
          expect((await store.index.query({ service: of })).entries).toEqual([1, 3, 4, 2, 0].map((i) => entries[i]));
        });

        it('pages with nextCursor, 100 by default: nothing skipped or repeated, also when entries come and go between pages', async () => {
          const of = service();
          // 25 entries over 7 start times, so that page boundaries fall inside runs of equal startedAt.
          const entries = entriesOf(
            of,
            Array.from({ length: 25 }, (_, i) => ({ startedAt: at(100 + (i % 7)) })),
          );
          await seed(entries);
          const expected = (await store.index.query({ service: of, limit: 1_000 })).entries;
          expect(expected).toHaveLength(25);
          const first = await store.index.query({ service: of, limit: 10 });
          expect(first.entries).toEqual(expected.slice(0, 10));
          expect(first.nextCursor).toEqual(expect.any(String));
          // Between pages: two newer entries (before the cursor: never seen), an older one (seen at
          // the end), and the last entry of the first page removed. The next pages neither skip nor
          // repeat (a cursor that counted entries would repeat one).
          const [newer, newest, older] = entriesOf(of, [{ startedAt: at(998) }, { startedAt: at(999) }, { startedAt: at(-999) }]) as [
            ExecutionIndexEntry,
            ExecutionIndexEntry,
            ExecutionIndexEntry,
          ];
          await store.index.put([newer, newest, older]);
          await store.index.remove([(expected[9] as ExecutionIndexEntry).executionId]);
          await eventually('the entries added and removed between pages', async () => {
            expect((await store.index.query({ service: of, limit: 1_000 })).entries).toHaveLength(27);
          });
          const second = await store.index.query({ service: of, limit: 10, after: first.nextCursor as string });
          expect(second.entries).toEqual(expected.slice(10, 20));
          const third = await store.index.query({ service: of, limit: 10, after: second.nextCursor as string });
          expect(third.entries).toEqual([...expected.slice(20), older]);
          expect(third.nextCursor).toBeUndefined();

          const many = entriesOf(of, Array.from({ length: 80 }, (_, i) => ({ startedAt: at(200 + i) })));
          await seed([...entries.filter((e) => e.executionId !== expected[9]?.executionId), newer, newest, older, ...many]);
          const byDefault = await store.index.query({ service: of });
          expect(byDefault.entries).toHaveLength(100);
          expect(byDefault.nextCursor).toEqual(expect.any(String));
          const rest = await store.index.query({ service: of, after: byDefault.nextCursor as string });
          expect(rest.entries).toHaveLength(7);
          expect(rest.nextCursor).toBeUndefined();
          expect(new Set([...byDefault.entries, ...rest.entries].map((e) => e.executionId)).size).toBe(107);
          expect(await queryAll({ service: of, limit: 7 })).toEqual([...byDefault.entries, ...rest.entries]);
        });

        it('refuses an invalid cursor, limit, status or time with a clear error', async () => {
          const of = service();
          await expect(store.index.query({ service: of, after: 'not-a-cursor' })).rejects.toThrow(/cursor 'not-a-cursor'/);
          for (const limit of [0, -1, 1.5, 1_001]) {
            await expect(store.index.query({ service: of, limit }), `limit ${limit}`).rejects.toThrow(/limit/);
          }
          await expect(store.index.query({ service: of, startedFrom: 'yesterday' })).rejects.toThrow(/startedFrom 'yesterday'/);
          await expect(store.index.query({ service: of, dueBefore: 'soon' })).rejects.toThrow(/dueBefore 'soon'/);
          await expect(store.index.query({ service: of, status: [1] as unknown as string[] })).rejects.toThrow(/status/);
        });
      });

      describe('claim', () => {
        const lease = 60_000;
        const claimIds = async (of: string, owner: string, more: { leaseMs?: number; dueBefore?: string; limit?: number } = {}): Promise<string[]> =>
          idsOf(await store.index.claim({ service: of, owner, leaseMs: lease, ...more }));

        /** Six open entries due at `at(0…5)`, and, not due: open later, open without a time, closed. */
        const claimable = async (): Promise<{ of: string; due: ExecutionIndexEntry[]; open: ExecutionIndexEntry[]; all: ExecutionIndexEntry[] }> => {
          const of = service();
          const all = entriesOf(of, [
            ...Array.from({ length: 6 }, (_, i) => ({ nextDueAt: at(i) })),
            { nextDueAt: at(600) },
            { nextDueAt: null },
            { open: false, status: 'finished', phase: 'ended' as const, nextDueAt: at(0) },
          ]);
          await seed(all);
          return { of, due: all.slice(0, 6), open: all.slice(0, 8), all };
        };

        it('claims the open entries of its service due by dueBefore (inclusive); never closed ones', async () => {
          const { of, due } = await claimable();
          await seed(entriesOf(service(), [{ nextDueAt: at(0) }]));
          expect(await claimIds(of, 'a', { dueBefore: at(-1) })).toEqual([]);
          const claimed = await store.index.claim({ service: of, owner: 'a', leaseMs: lease, dueBefore: at(5) });
          expect(idsOf(claimed)).toEqual(idsOf(due));
          // A claim returns the entries as they are.
          expect(claimed.find((e) => e.executionId === due[2]?.executionId)).toEqual(due[2]);
          const early = await claimable();
          expect(await claimIds(early.of, 'a', { dueBefore: at(2) })).toEqual(idsOf(early.due.slice(0, 3)));
          expect(await claimIds(service(), 'a')).toEqual([]);
        });

        it('claims every open entry of its service without dueBefore, due or not; never closed ones', async () => {
          const { of, open, all } = await claimable();
          const claimed = await claimIds(of, 'a');
          expect(claimed).toEqual(idsOf(open));
          expect(claimed).not.toContain(all[8]?.executionId);
        });

        it('gives an owner at most `limit` entries', async () => {
          const { of, due } = await claimable();
          const claimed = await claimIds(of, 'a', { dueBefore: at(5), limit: 4 });
          expect(claimed).toHaveLength(4);
          expect(idsOf(due)).toEqual(expect.arrayContaining(claimed));
        });

        it(
          leases
            ? 'gives two owners disjoint sets of the due entries'
            : 'gives every owner every due entry (this store cannot lease)',
          async () => {
            const { of, due } = await claimable();
            const a = await claimIds(of, 'owner-a', { dueBefore: at(5), limit: 4 });
            expect(a).toHaveLength(4);
            const b = await claimIds(of, 'owner-b', { dueBefore: at(5) });
            if (leases) {
              expect(b).toHaveLength(2);
              expect(b.filter((id) => a.includes(id))).toEqual([]);
              expect([...a, ...b].sort()).toEqual(idsOf(due));
              expect(await claimIds(of, 'owner-c', { dueBefore: at(5) })).toEqual([]);
            } else {
              expect(b).toEqual(idsOf(due));
            }
          },
        );

        it(leases ? 'gives two owners claiming at once disjoint sets' : 'gives two owners claiming at once every due entry each', async () => {
          const { of, due } = await claimable();
          const [a, b] = await Promise.all([claimIds(of, 'owner-a', { dueBefore: at(5) }), claimIds(of, 'owner-b', { dueBefore: at(5) })]);
          if (leases) {
            expect(a.filter((id) => b.includes(id))).toEqual([]);
            expect([...a, ...b].sort()).toEqual(idsOf(due));
          } else {
            expect(a).toEqual(idsOf(due));
            expect(b).toEqual(idsOf(due));
          }
        });

        it(
          leases
            ? 'gives an owner that claims again the next entries, not those it holds a live lease on'
            : 'gives an owner that claims again every due entry again (this store cannot lease)',
          async () => {
            const { of, due } = await claimable();
            const first = await claimIds(of, 'owner-a', { dueBefore: at(5), limit: 4 });
            expect(first).toHaveLength(4);
            const second = await claimIds(of, 'owner-a', { dueBefore: at(5), limit: 4 });
            if (leases) {
              expect(second).toHaveLength(2);
              expect([...first, ...second].sort()).toEqual(idsOf(due));
              expect(await claimIds(of, 'owner-a', { dueBefore: at(5) })).toEqual([]);
            } else {
              expect(second).toHaveLength(4);
              expect(await claimIds(of, 'owner-a', { dueBefore: at(5) })).toEqual(idsOf(due));
            }
          },
        );

        it('lets the same owner claim its entries again once its lease expired', async () => {
          const { of, due } = await claimable();
          expect(await claimIds(of, 'owner-a', { dueBefore: at(5), leaseMs: 1 })).toEqual(idsOf(due));
          await sleep(20);
          expect(await claimIds(of, 'owner-a', { dueBefore: at(5) })).toEqual(idsOf(due));
        });

        it('lets another owner claim entries whose lease expired', async () => {
          const { of, due } = await claimable();
          expect(await claimIds(of, 'owner-a', { dueBefore: at(5), leaseMs: 1 })).toEqual(idsOf(due));
          await sleep(20);
          expect(await claimIds(of, 'owner-b', { dueBefore: at(5) })).toEqual(idsOf(due));
          expect(await claimIds(of, 'owner-a', { dueBefore: at(5) })).toEqual(leases ? [] : idsOf(due));
        });

        it('does not claim an entry that was closed or removed since', async () => {
          const { of, due } = await claimable();
          const [first, second] = due as [ExecutionIndexEntry, ExecutionIndexEntry];
          expect(await claimIds(of, 'owner-a', { dueBefore: at(5), leaseMs: 1 })).toEqual(idsOf(due));
          await store.index.put([{ ...first, open: false, status: 'finished', phase: 'ended', nextDueAt: null, revision: 9 }]);
          await store.index.remove([second.executionId]);
          await eventually('the closed and the removed entry', async () => {
            expect(idsOf((await store.index.query({ service: of, open: true, dueBefore: at(5) })).entries)).toEqual(idsOf(due.slice(2)));
          });
          await sleep(20);
          expect(await claimIds(of, 'owner-b', { dueBefore: at(5) })).toEqual(idsOf(due.slice(2)));
        });

        it(leases ? 'an append with a lease gives its writer the entry: others cannot claim it until it expires' : 'an append with a lease is accepted (this store cannot lease)', async () => {
          const of = service();
          const s = stream();
          const id = s.slice('saga-'.length);
          await store.append(s, [event('A')], 'no_stream', { index: indexEntry(id, of), lease: { owner: 'writer', leaseMs: 60_000 } });
          await eventually('the entry', async () => expect(await store.index.get(id)).toBeDefined());
          expect(await claimIds(of, 'other')).toEqual(leases ? [] : [id]);
          await store.append(s, [event('B')], 0, { index: indexEntry(id, of, { revision: 1 }), lease: { owner: 'writer', leaseMs: 1 } });
          await eventually('the second entry', async () => expect((await store.index.get(id))?.revision).toBe(1));
          await sleep(20);
          expect(await claimIds(of, 'other')).toEqual([id]);
          await expect(store.append(s, [event('C')], 1, { index: indexEntry(id, of, { revision: 2 }), lease: { owner: '', leaseMs: 5 } })).rejects.toThrow(/owner/);
          expect(await store.read(s)).toHaveLength(2);
        });

        it(leases ? 'renew keeps an owner\'s open entries its own; release gives them up' : 'renew and release hold nothing (this store cannot lease)', async () => {
          const { of, open } = await claimable();
          expect(await claimIds(of, 'holder', { leaseMs: 1 })).toEqual(idsOf(open));
          expect(await store.index.renew({ service: of, owner: 'holder', leaseMs: 60_000 })).toBe(leases ? open.length : 0);
          expect(await store.index.renew({ service: service(), owner: 'holder', leaseMs: 60_000 })).toBe(0);
          await sleep(20);
          expect(await claimIds(of, 'other')).toEqual(leases ? [] : idsOf(open));
          expect(await store.index.release('holder')).toBe(leases ? open.length : 0);
          expect(await claimIds(of, 'taker')).toEqual(idsOf(open));
          expect(await store.index.release('nobody')).toBe(0);
          await expect(store.index.renew({ service: of, owner: '', leaseMs: 5 })).rejects.toThrow(/owner/);
          await expect(store.index.renew({ service: of, owner: 'a', leaseMs: 0 })).rejects.toThrow(/leaseMs/);
          await expect(store.index.release('')).rejects.toThrow(/owner/);
        });

        it('refuses a claim without a service or owner, or with a bad lease, limit or time', async () => {
          const of = service();
          await expect(store.index.claim({ service: '', owner: 'a', leaseMs: lease })).rejects.toThrow(/service/);
          await expect(store.index.claim({ service: of, owner: '', leaseMs: lease })).rejects.toThrow(/owner/);
          for (const leaseMs of [0, -5, 1.5]) await expect(store.index.claim({ service: of, owner: 'a', leaseMs }), `leaseMs ${leaseMs}`).rejects.toThrow(/leaseMs/);
          await expect(store.index.claim({ service: of, owner: 'a', leaseMs: lease, limit: 0 })).rejects.toThrow(/limit/);
          await expect(store.index.claim({ service: of, owner: 'a', leaseMs: lease, dueBefore: 'soon' })).rejects.toThrow(/dueBefore 'soon'/);
        });
      });
    });
  });
};
