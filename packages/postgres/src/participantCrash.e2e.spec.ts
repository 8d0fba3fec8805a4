import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestChildProcess, isProcessGone, stopChildProcesses, type ChildMessage } from '@saga/testing';
import { quoteIdentifier } from './sqlIdentifiers.js';
import { postgresTestServer } from './testServer.js';

const server = await postgresTestServer();
afterAll(() => server.stop());

const childScript = fileURLToPath(new URL('../test/fixtures/participantChild.ts', import.meta.url));

/**
 * A participant on a `PostgresInbox` is killed (SIGKILL) twice while handling one request — with its
 * effect written but not committed, then with the effect and the reply's record committed but the
 * reply not sent — and restarted each time; the request is delivered again to every new process.
 * The effect happens once, and so does the commit hook across a third kill.
 */
(server.skip === undefined ? describe : describe.skip)('a participant killed and restarted on a PostgresInbox', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await stopChildProcesses();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('applies a request and a commit once across SIGKILLs at each point', { timeout: 120_000 }, async () => {
    const url = server.url ?? '';
    const schema = server.freshSchema('participant_crash');
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    cleanups.push(() => db.end());
    await db.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await db.query(`CREATE TABLE ${quoteIdentifier(schema)}.effects (key TEXT NOT NULL)`);
    const effects = async (): Promise<Record<string, number>> => {
      const rows = await db.query<{ key: string; n: string }>(`SELECT key, count(*) AS n FROM ${quoteIdentifier(schema)}.effects GROUP BY key ORDER BY key`);
      return Object.fromEntries(rows.rows.map((r) => [r.key, Number(r.n)]));
    };
    const recorded = async (): Promise<string[]> =>
      (await db.query<{ slot: string; key: string }>(`SELECT slot, key FROM ${quoteIdentifier(schema)}.saga_participant_inbox ORDER BY slot, key`)).rows.map((r) => `${r.slot} ${r.key}`);

    let deliveries = 0;
    const start = async (halt: 'in-handler' | 'after-commit' | 'never') => {
      const child = TestChildProcess.start({ script: childScript, args: [url, schema, halt], name: `participant (halts ${halt})` });
      await child.ready();
      const deliver = (what: { requestId: string } | { action: 'commit' | 'reject' }): string => {
        deliveries += 1;
        const id = `delivery-${deliveries}`;
        child.send({ type: 'deliver', id, sagaId: 's1', ...what });
        return id;
      };
      const drained = (id: string): Promise<ChildMessage> => child.waitForMessage((m) => m.type === 'drained' && m.id === id, { point: `${id} handled`, timeoutMs: 30_000 });
      const killed = async () => {
        expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL' });
        expect(isProcessGone(child.pid)).toBe(true);
      };
      return { child, deliver, drained, killed };
    };

    // 1. Killed inside the handler: its effect is written in the open transaction, nothing committed.
    const first = await start('in-handler');
    first.deliver({ requestId: 'r1' });
    await first.child.waitForMessage((m) => m.type === 'halted', { point: 'the handler, effect written', timeoutMs: 30_000 });
    await first.killed();
    expect(await effects()).toEqual({});

    // 2. Restarted, the request again: it runs (nothing was recorded), commits, and is killed before its reply goes out.
    const second = await start('after-commit');
    second.deliver({ requestId: 'r1' });
    await second.child.waitForMessage((m) => m.type === 'halted', { point: 'the reply, after the commit', timeoutMs: 30_000 });
    expect(second.child.messages.filter((m) => m.type === 'handled')).toHaveLength(1);
    await second.killed();
    expect(await effects()).toEqual({ r1: 1 });
    expect(await recorded()).toEqual(['request r1']);

    // 3. Restarted, the request re-sent (its reply was lost): answered from the inbox, the handler does not run.
    const third = await start('never');
    await third.drained(third.deliver({ requestId: 'r1' }));
    expect(third.child.messages.filter((m) => m.type === 'handled')).toEqual([]);
    expect(third.child.messages.find((m) => m.type === 'reply')).toMatchObject({ requestId: 'r1', payload: { reserved: 'r1' } });
    await third.drained(third.deliver({ action: 'commit' }));
    expect(await effects()).toEqual({ 'commit s1': 1, r1: 1 });
    await third.killed();

    // 4. Restarted once more: the commit redelivered, and a reject after it, take no effect.
    const fourth = await start('never');
    await fourth.drained(fourth.deliver({ action: 'commit' }));
    await fourth.drained(fourth.deliver({ action: 'reject' }));
    await fourth.drained(fourth.deliver({ requestId: 'r1' }));
    expect(fourth.child.messages.filter((m) => m.type === 'handled')).toEqual([]);
    expect(await effects()).toEqual({ 'commit s1': 1, r1: 1 });
    expect(await recorded()).toEqual(['outcome s1', 'request r1']);
  });
});
