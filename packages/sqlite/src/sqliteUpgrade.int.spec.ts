// A file written by schema version 1 (before the execution index) opened by this store: the
// migration adds `saga_executions` and fills it from the streams already there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeHistory, fold, indexEntryOf } from '@saga/core';
import type { ExecutionIndexEntry, JsonObject } from '@saga/core';
import { SqliteEventStore } from './sqliteEventStore.js';

const root = mkdtempSync(join(tmpdir(), 'saga-sqlite-upgrade-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Version 1 of the schema, as released (copied here on purpose: the test must not follow later edits). */
const schemaVersion1 = `
  CREATE TABLE events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream          TEXT    NOT NULL,
    revision        INTEGER NOT NULL,
    type            TEXT    NOT NULL,
    data            TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    recorded_at     TEXT    NOT NULL,
    UNIQUE (stream, revision)
  );
  CREATE TABLE streams (
    stream           TEXT    PRIMARY KEY NOT NULL,
    created_position INTEGER NOT NULL UNIQUE,
    last_revision    INTEGER NOT NULL,
    created_at       TEXT    NOT NULL
  );
`;

interface OldEvent {
  readonly type: string;
  readonly data: JsonObject;
  readonly recordedAt: string;
}

const started = (executionId: string, at: string, overrides: JsonObject = {}): OldEvent => ({
  type: 'SagaStarted',
  data: {
    executionId,
    definition: { name: 'order', version: '1', fingerprint: 'f-1' },
    context: { total: 42 },
    user: 'ann',
    autocommit: true,
    service: 'shop',
    ...overrides,
  },
  recordedAt: at,
});

/** Streams as the version-1 store wrote them, interleaved as real appends would be. */
const oldStreams: ReadonlyArray<readonly [string, readonly OldEvent[]]> = [
  [
    'saga-finished',
    [
      started('finished', '2026-03-01T10:00:00.000Z'),
      { type: 'StepFinished', data: { path: '0', kind: 'local', context: { total: 42, done: true } }, recordedAt: '2026-03-01T10:00:01.000Z' },
      { type: 'SagaCompleted', data: { context: { total: 42, done: true } }, recordedAt: '2026-03-01T10:00:01.000Z' },
    ],
  ],
  [
    'saga-waiting',
    [
      started('waiting', '2026-03-01T11:00:00.000Z', { user: null }),
      { type: 'RequestSent', data: { path: '0', requestId: 'r-1', target: 'stock.reserve', payload: { sku: 'x' } }, recordedAt: '2026-03-01T11:00:00.000Z' },
      {
        type: 'TimerScheduled',
        data: { timerId: 't-1', purpose: 'reply', dueAt: '2026-03-01T11:05:00.000Z', requestId: 'r-1', path: '0' },
        recordedAt: '2026-03-01T11:00:00.000Z',
      },
    ],
  ],
  ['saga-broken', [{ type: 'StepFinished', data: { path: '0', kind: 'local' }, recordedAt: '2026-03-01T12:00:00.000Z' }]],
  ['saga-misnamed', [started('someone-else', '2026-03-01T12:30:00.000Z')]],
  ['orders-projection', [started('projection', '2026-03-01T13:00:00.000Z')]],
];

/** Writes the streams with version 1's DDL by hand, as an older @saga/sqlite left the file. */
const writeVersion1File = (filename: string): void => {
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(schemaVersion1);
    db.pragma('user_version = 1');
    const insertEvent = db.prepare('INSERT INTO events (stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?)');
    const insertStream = db.prepare('INSERT INTO streams (stream, created_position, last_revision, created_at) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const [stream, events] of oldStreams) {
        let first: number | undefined;
        events.forEach((event, revision) => {
          const result = insertEvent.run(stream, revision, event.type, JSON.stringify(event.data), '{}', event.recordedAt);
          first ??= Number(result.lastInsertRowid);
        });
        insertStream.run(stream, first, events.length - 1, events[0]?.recordedAt);
      }
    })();
  } finally {
    db.close();
  }
};

const expectedEntry = (stream: string): ExecutionIndexEntry => {
  const events = oldStreams.find(([name]) => name === stream)?.[1] ?? [];
  return indexEntryOf(fold(decodeHistory(events.map((e, revision) => ({ ...e, stream, revision })), stream)));
};

describe('SqliteEventStore upgrading a version-1 file', () => {
  it('adds the execution index and fills it from the streams, skipping those that do not decode', async () => {
    const filename = join(root, 'version-1.db');
    writeVersion1File(filename);

    const store = new SqliteEventStore({ filename });
    try {
      await store.setup();
      const raw = new Database(filename, { readonly: true });
      try {
        expect(raw.pragma('user_version', { simple: true })).toBe(2);
        expect(raw.prepare('SELECT count(*) FROM saga_executions').pluck().get()).toBe(2);
      } finally {
        raw.close();
      }

      const finished = await store.index.get('finished');
      expect(finished).toEqual(expectedEntry('saga-finished'));
      expect(finished).toMatchObject({ service: 'shop', status: 'finished', phase: 'ended', open: false, user: 'ann', revision: 2, startedAt: '2026-03-01T10:00:00.000Z' });

      const waiting = await store.index.get('waiting');
      expect(waiting).toEqual(expectedEntry('saga-waiting'));
      expect(waiting).toMatchObject({ open: true, user: null, nextDueAt: '2026-03-01T11:05:00.000Z', revision: 2 });
      expect(waiting?.waitingFor).toMatch(/stock\.reserve/);

      // Not executions of this engine: no entry, and the open did not fail.
      expect(await store.index.get('broken')).toBeUndefined();
      expect(await store.index.get('someone-else')).toBeUndefined();
      expect(await store.index.get('projection')).toBeUndefined();
      expect((await store.index.query()).entries.map((e) => e.executionId)).toEqual(['waiting', 'finished']);
      expect((await store.index.claim({ service: 'shop', owner: 'w', leaseMs: 1_000 })).map((e) => e.executionId)).toEqual(['waiting']);

      // The events are untouched, and the global order goes on from where version 1 left it.
      expect((await store.read('saga-finished')).map((e) => e.type)).toEqual(['SagaStarted', 'StepFinished', 'SagaCompleted']);
      const head = Number(await store.headPosition());
      expect(head).toBe(oldStreams.reduce((sum, [, events]) => sum + events.length, 0));
      await store.append('saga-finished', [{ type: 'Later', data: {} }], 2);
      expect((await store.readAll({ after: String(head) })).events.map((e) => e.position)).toEqual([String(head + 1)]);
    } finally {
      await store.destroy();
    }

    // Opened again: already at version 2, nothing rebuilt (an entry written since is kept as it is).
    const again = new SqliteEventStore({ filename });
    try {
      await again.index.put([{ ...expectedEntry('saga-finished'), waitingFor: 'kept' }]);
      await again.destroy();
      const third = new SqliteEventStore({ filename });
      expect(await third.index.get('finished')).toMatchObject({ waitingFor: 'kept' });
      await third.destroy();
    } finally {
      await again.destroy();
    }
  });
});
