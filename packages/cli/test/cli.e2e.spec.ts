/**
 * The built `saga` binary against a SQLite store with recorded executions: one finished, one
 * compensated, one paused, one whose stream does not decode.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordStore, type RecordedStore } from './recordedStore.js';
import { binPath, runCli, type CliOptions } from './runCli.js';

let dir: string;
let recorded: RecordedStore;
let env: CliOptions;

const saga = (...args: string[]) => runCli(args, env);
const fixture = join(import.meta.dirname, 'fixtures', 'orderSaga.mjs');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-cli-'));
  recorded = await recordStore(dir);
  env = { env: { SAGA_STORE_URL: recorded.url } };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Exported {
  readonly format: string;
  readonly execution: Record<string, unknown>;
  readonly events: readonly { readonly revision: number; readonly type: string; readonly data: Record<string, unknown> }[];
}

/** The recorded events, read through the CLI's own export (revisions are not hard-coded: the engine may record more events). */
const historyOf = async (id: string): Promise<Exported> => JSON.parse((await saga('history', id, '--json')).stdout) as Exported;
const revisionOf = (history: Exported, type: string, path?: string): number => {
  const event = history.events.find((e) => e.type === type && (path === undefined || e.data.path === path));
  if (!event) throw new Error(`no ${type}${path !== undefined ? ` for step ${path}` : ''} in the history`);
  return event.revision;
};

/** The execution ids in the order a table lists them. */
const idsIn = (text: string): string[] => [...text.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0]);

/** The cursor `saga list` prints under a page that has a next one. */
const nextCursorIn = (text: string): string | undefined => /Next page: --after (\S+)/.exec(text)?.[1];

describe('saga list', () => {
  it('lists every execution from the index, newest first, with its status and what it waits for', async () => {
    const { code, stdout } = await saga('list');
    expect(code).toBe(0);
    const { finished, compensated, paused, corrupted } = recorded.ids;
    expect(idsIn(stdout)).toEqual([corrupted, paused, compensated, finished]);
    for (const status of ['PAUSED', 'ERRORED', 'FINISHED']) expect(stdout).toContain(status);
    expect(stdout).toMatch(/│ service\s+│/);
    expect(stdout).toContain('waiting for reply from stock.reserve');
    expect(stdout).toContain('4 executions, newest first.');
    expect(nextCursorIn(stdout)).toBeUndefined();
  });

  it('filters by status, definition, service, user and open executions', async () => {
    const { finished, compensated, paused, corrupted } = recorded.ids;
    expect(idsIn((await saga('list', '--status', 'paused')).stdout)).toEqual([paused]);
    const ended = await saga('list', '--status', 'errored,finished', '--definition', 'create_order@1');
    expect(idsIn(ended.stdout)).toEqual([compensated, finished]);
    expect(ended.stdout).toContain('2 executions matching status errored,finished, definition create_order@1, newest first.');
    expect(idsIn((await saga('list', '--status', 'errored', '--status', 'finished', '--definition', 'create_order')).stdout)).toEqual([compensated, finished]);
    const otherVersion = await saga('list', '--definition', 'create_order@2');
    expect(otherVersion.code).toBe(0);
    expect(otherVersion.stdout).toContain(`No execution matching definition create_order@2 in the store ${recorded.url} (from SAGA_STORE_URL).`);
    expect(idsIn((await saga('list', '--user', 'alice')).stdout)).toEqual([finished]);
    expect(idsIn((await saga('list', '--service', 'order')).stdout)).toHaveLength(4);
    expect(idsIn((await saga('list', '--service', 'billing')).stdout)).toEqual([]);
    expect(idsIn((await saga('list', '--open')).stdout)).toEqual([corrupted, paused]);
  });

  it('pages with the cursor it prints', async () => {
    const first = await saga('list', '--limit', '3');
    expect(idsIn(first.stdout)).toEqual([recorded.ids.corrupted, recorded.ids.paused, recorded.ids.compensated]);
    const cursor = nextCursorIn(first.stdout);
    expect(cursor).toBeDefined();
    const second = await saga('list', '--limit', '3', '--after', cursor ?? '');
    expect(idsIn(second.stdout)).toEqual([recorded.ids.finished]);
    expect(nextCursorIn(second.stdout)).toBeUndefined();
    const bad = await saga('list', '--after', 'page-2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--after 'page-2' is not a cursor of `saga list`");
    const tooMany = await saga('list', '--limit', '5000');
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('--limit must be at most 1000');
  });

  it('finds executions by a value of their context, reading only the candidates the index gives', async () => {
    const byOrder = await saga('list', '--context', 'orderId=order-1002');
    expect(idsIn(byOrder.stdout)).toEqual([recorded.ids.compensated]);
    expect(byOrder.stdout).toContain('newest first. --context is not indexed: 4 streams read.');
    expect(idsIn((await saga('list', '--context', 'amount=5000', '--context', 'reservation.sku=B7')).stdout)).toEqual([recorded.ids.compensated]);
    const narrowed = await saga('list', '--status', 'finished', '--context', 'sku=A1');
    expect(idsIn(narrowed.stdout)).toEqual([recorded.ids.finished]);
    expect(narrowed.stdout).toContain('newest first. --context is not indexed: 1 stream read.');
    const paged = await saga('list', '--context', 'state=pending', '--limit', '1');
    expect(idsIn(paged.stdout)).toHaveLength(1);
    const rest = await saga('list', '--context', 'state=pending', '--limit', '1', '--after', nextCursorIn(paged.stdout) ?? '');
    expect(idsIn(rest.stdout)).not.toContain(idsIn(paged.stdout)[0]);
    const none = await saga('list', '--context', 'orderId=order-9999');
    expect(none.stdout).toContain('No execution matching context orderId=order-9999 in the store');
    expect((await saga('list', '--context', 'orderId')).code).toBe(2);
    const help = (await saga('list', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('Not indexed: reads the stream of every execution the other filters leave');
  });

  it('takes --since and --until as a duration or a date', async () => {
    expect(idsIn((await saga('list', '--since', '1h')).stdout)).toHaveLength(4);
    expect(idsIn((await saga('list', '--since', '1h', '--until', '2999-01-01')).stdout)).toHaveLength(4);
    const future = await saga('list', '--since', '2999-01-01');
    expect(future.code).toBe(0);
    expect(future.stdout).toContain('No execution matching since 2999-01-01 00:00:00Z in the store');
    expect(idsIn((await saga('list', '--until', '1h')).stdout)).toEqual([]);
    const bad = await saga('list', '--since', 'yesterday');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since 'yesterday' is neither a date nor a duration");
    expect((await saga('list', '--until', 'later')).stderr).toContain("--until 'later' is neither a date nor a duration");
    expect((await saga('list', '--since', '2026-03-02', '--until', '2026-03-01')).stderr).toContain('is not before --until');
  });

  it('rejects an unknown status as a usage error', async () => {
    const { code, stderr } = await saga('list', '--status', 'done');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown status done');
    expect((await saga('list', '--status', 'corrupted')).stderr).toContain('streams that do not decode are found by `saga verify --all`');
  });
});

describe('saga show', () => {
  it('shows status, context, steps, the pending request', async () => {
    const { code, stdout } = await saga('show', recorded.ids.paused.slice(0, 8));
    expect(code).toBe(0);
    expect(stdout).toContain(`Execution ${recorded.ids.paused}  PAUSED`);
    expect(stdout).toMatch(/waiting for\s+stock\.reserve \{"sku":"C3"\}/);
    expect(stdout).toMatch(/│ 1\s+│ remote\s+│ paused-by-on-execute/);
    expect(stdout).toContain('"orderId": "order-1003"');
  });

  it('shows the error and the compensation of a failed execution', async () => {
    const { stdout } = await saga('show', recorded.ids.compensated);
    expect(stdout).toContain('ERRORED');
    expect(stdout).toContain('error         ErrorReply: Step 2 got a 400 reply: card declined: 5000 is over the limit');
    expect(stdout).toContain('compensation  plan 1, 0; done 1, 0');
    expect(stdout).toContain('"state": "cancelled"');
  });

  it('says what to do with an unknown id', async () => {
    const { code, stderr } = await saga('show', 'no-such-execution');
    expect(code).toBe(1);
    expect(stderr).toContain(`saga: No execution 'no-such-execution' in the store ${recorded.url} (from SAGA_STORE_URL).`);
    expect(stderr).toContain('`saga list` shows the executions this store holds');
  });

  it('shows what decodes of a corrupted stream, and fails', async () => {
    const { code, stdout, stderr } = await saga('show', recorded.ids.corrupted);
    expect(code).toBe(1);
    expect(stdout).toContain('"orderId": "order-1004"');
    expect(stderr).toContain(`The history of execution ${recorded.ids.corrupted} does not decode at revision 1: StepFinished does not decode`);
  });
});

describe('saga history', () => {
  it('prints one row per event with a summary', async () => {
    const { code, stdout } = await saga('history', recorded.ids.compensated);
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((line) => /^│ \d+/.test(line));
    const types = rows.map((row) => row.split('│')[3]?.trim());
    expect(types).toEqual((await historyOf(recorded.ids.compensated)).events.map((e) => e.type));
    // The story of a declined card, in order (timer events may sit between these).
    const story = ['SagaStarted', 'StepFailed', 'CompensationRequestSent', 'StepCompensated', 'StepCompensated', 'SagaFailed', 'TransactionRejected'];
    expect(types.filter((type) => story.includes(type ?? ''))).toEqual(story);
    expect(rows.map((row) => Number(row.split('│')[1]))).toEqual(rows.map((_, index) => index));
    expect(stdout).toContain('↩ stock.release');
    expect(stdout).toContain('← ERROR from payment');
  });

  it('exports saga-history/1 JSON', async () => {
    const { code, stdout } = await saga('history', recorded.ids.finished, '--json');
    expect(code).toBe(0);
    const history = JSON.parse(stdout) as { format: string; execution: Record<string, unknown>; events: Record<string, unknown>[] };
    expect(Object.keys(history)).toEqual(['format', 'execution', 'events']);
    expect(history.format).toBe('saga-history/1');
    expect(history.execution).toMatchObject({ id: recorded.ids.finished, status: 'finished', user: 'alice', definition: { name: 'create_order', version: '1' } });
    expect(history.events.map((e) => Object.keys(e))).toSatisfy((keys: string[][]) => keys.every((k) => k.join() === 'revision,type,recordedAt,data'));
    expect(history.events.map((e) => e.revision)).toEqual(history.events.map((_, index) => index));
    expect(history.events.slice(-2).map((e) => e.type)).toEqual(['TransactionCommitted', 'TransactionNotified']);
  });

  it('marks the event that does not decode, and fails', async () => {
    const { code, stdout, stderr } = await saga('history', recorded.ids.corrupted);
    expect(code).toBe(1);
    expect(stdout).toMatch(/│ 1\s+│.*│ ✗ StepFinished │\s+│ StepFinished does not decode: kind is missing/);
    expect(stdout).toContain('not decoded (after the first event that does not decode)');
    expect(stderr).toContain('does not decode at revision 1');
    const json = await saga('history', recorded.ids.corrupted, '--json');
    expect(json.code).toBe(1);
    expect(json.stdout).toBe('');
  });
});

describe('saga replay', () => {
  it('shows the execution before the compensation, and what the revision changed', async () => {
    const history = await historyOf(recorded.ids.compensated);
    // StepFailed: the revision before the compensation starts.
    const failed = revisionOf(history, 'StepFailed');
    const { code, stdout } = await saga('replay', recorded.ids.compensated, '--to', String(failed));
    expect(code).toBe(0);
    expect(stdout).toContain(`As it was at revision ${failed} of 0–${history.events.length - 1}`);
    expect(stdout).toContain('"state": "pending"');
    expect(stdout).toContain(`What revision ${failed} changed: StepFailed (step 2)`);
    expect(stdout).toContain('phase        forward → compensating');
    expect(stdout).toContain('step 2       running-on-error → errored-on-error');
    expect(stdout).toContain('compensation plan 1, 0; done (nothing yet)');
  });

  it('shows a context change as a diff', async () => {
    const history = await historyOf(recorded.ids.compensated);
    const undone = revisionOf(history, 'StepCompensated', '0');
    const { stdout } = await saga('replay', recorded.ids.compensated, '--to', String(undone));
    expect(stdout).toContain(`What revision ${undone} changed: StepCompensated (step 0)`);
    expect(stdout).toContain('context      ~ state: "pending" → "cancelled"');
    const start = await saga('replay', recorded.ids.compensated, '--to', String(revisionOf(history, 'StepFinished', '1')));
    expect(start.stdout).toMatch(/\+ reservation = \{"sku":"B7","reservationId":"R-B7"\}/);
  });

  it('rejects revisions it cannot replay', async () => {
    const past = await saga('replay', recorded.ids.compensated, '--to', '99');
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('--to 99 is past the end: execution');
    expect((await saga('replay', recorded.ids.compensated, '--to', 'last')).code).toBe(2);
    const corrupted = await saga('replay', recorded.ids.corrupted, '--to', '2');
    expect(corrupted.code).toBe(1);
    expect(corrupted.stderr).toContain('Replay up to revision 0 at most');
  });
});

describe('saga verify', () => {
  it('passes a good history and names the broken one', async () => {
    const good = await saga('verify', recorded.ids.finished, '--definition', `${fixture}#createOrder`);
    expect(good.code).toBe(0);
    const events = (await historyOf(recorded.ids.finished)).events.length;
    expect(good.stdout).toContain(`✓ ${recorded.ids.finished} create_order@1, ${events} events: decodes, folds, rules hold; matches create_order@1`);
    const bad = await saga('verify', recorded.ids.corrupted);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`✗ ${recorded.ids.corrupted}`);
    expect(bad.stdout).toContain('revision 1: StepFinished does not decode: kind is missing (must be "local" | "remote" | "conditional" | "parallel" | "child")');
  });

  it('verifies every stream and the index with --all, and exits 1 on any problem', async () => {
    const { code, stdout } = await saga('verify', '--all', '--definition', fixture);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ 1 of 4 executions with problems (1 do not decode)');
    expect(stdout).toContain('4 checked against their definition');
    expect(stdout).toContain('✓ index: 4 entries as their streams give them (1 stream that does not decode not compared).');
    expect(stdout).not.toContain(recorded.ids.finished);
  });

  it('checks the index entry of one execution', async () => {
    const { code, stdout } = await saga('verify', recorded.ids.paused);
    expect(code).toBe(0);
    expect(stdout).toContain('; index entry matches');
    const rebuild = await saga('verify', recorded.ids.paused, '--rebuild-index');
    expect(rebuild.code).toBe(2);
    expect(rebuild.stderr).toContain('--rebuild-index rewrites the whole index: use it with --all.');
  });

  it('catches a definition whose shape changed without a new version', async () => {
    const { code, stdout } = await saga('verify', recorded.ids.finished, '--definition', `${fixture}#createOrderEdited`);
    expect(code).toBe(1);
    expect(stdout).toContain('its steps changed without a new version');
    expect(stdout).toContain('StepFinished names step 4, which the definition does not have');
  });

  // A progress bar needs a terminal: `script` gives the command one.
  it.skipIf(!existsSync('/usr/bin/script'))('draws a progress bar on a terminal', async () => {
    const command = [process.execPath, binPath, 'verify', '--all'].join(' ');
    const { stdout } = await runCli([], { ...env, spawn: ['/usr/bin/script', '-qec', command, '/dev/null'] });
    expect(stdout).toContain('verifying');
    expect(stdout).toContain('4/4 executions | 1 with problems');
    expect(stdout).toContain('✗ 1 of 4 executions with problems');
    expect(stdout).toContain('checking the index');
    expect(stdout).toContain('✓ index: 4 entries');
  });

  it('needs an id or --all', async () => {
    const { code, stderr } = await saga('verify');
    expect(code).toBe(2);
    expect(stderr).toContain('saga verify needs an execution id, or --all');
  });
});

describe('saga diagram', () => {
  it('draws the definition as a Mermaid flowchart', async () => {
    const { code, stdout } = await saga('diagram', '--definition', `${fixture}#createOrder`);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('flowchart TD');
    expect(stdout).toContain('s3{"3 · conditional');
    expect(stdout).toContain('subgraph b3_0 ["if #35;0 · ship_express"]');
    expect(stdout).toContain('subgraph b3_else ["else · ship_standard"]');
    expect(stdout).toContain('s1 -.-> u1');
    expect(stdout).not.toContain('classDef');
  });

  it('highlights the path an execution took', async () => {
    const { stdout } = await saga('diagram', '--definition', `${fixture}#createOrder`, '--execution', recorded.ids.compensated);
    expect(stdout).toContain('class s0,u0,s1,u1 compensated');
    expect(stdout).toContain('class s2,finish failed');
    expect(stdout).toContain('finish(["errored · compensated"])');
    const finished = await saga('diagram', '--definition', `${fixture}#createOrder`, '--execution', recorded.ids.finished);
    expect(finished.stdout).toContain('class s0,s1,s2,s3,s3_0_0,s4,finish finished');
  });

  it('says why a definition cannot be loaded', async () => {
    const missing = await saga('diagram', '--definition', './nowhere/sagas.js#createOrder');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Cannot load the definition module './nowhere/sagas.js'");
    const noExport = await saga('diagram', '--definition', `${fixture}#cancelOrder`);
    expect(noExport.stderr).toContain("has no export 'cancelOrder'. Its sagas: createOrder, createOrderEdited.");
    const notSaga = await saga('diagram', '--definition', `${fixture}#notASaga`);
    expect(notSaga.stderr).toContain("The export 'notASaga' of");
    expect(notSaga.stderr).toContain('is not a saga definition');
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, 'export const x = ;\n');
    const syntax = await saga('diagram', '--definition', `${broken}#x`);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toContain('importing it failed');
  });
});

describe('saga report', () => {
  it('writes a self-contained HTML file', async () => {
    const file = join(dir, 'report.html');
    const { code, stdout } = await saga('report', recorded.ids.compensated, '--html', file);
    expect(code).toBe(0);
    const events = (await historyOf(recorded.ids.compensated)).events.length;
    expect(stdout).toContain(`Wrote ${file}: create_order@1 errored, ${events} events`);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(?:script|link|img)[^>]+(?:src|href)=/);
    expect(html).toContain('<script type="application/json" id="saga-history">');
  });

  it('writes what decodes of a corrupted stream, and fails', async () => {
    const file = join(dir, 'corrupted.html');
    const { code, stderr } = await saga('report', recorded.ids.corrupted, '--html', file);
    expect(code).toBe(1);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('The stored history does not decode at revision 1');
    expect(stderr).toContain('does not decode at revision 1');
  });
});

describe('errors a person can act on', () => {
  it('a store file that does not exist', async () => {
    const { code, stderr } = await runCli(['list', '--store', `sqlite:${join(dir, 'typo.db')}`]);
    expect(code).toBe(1);
    expect(stderr).toContain(`There is no event store at ${join(dir, 'typo.db')}: the file does not exist (the --store option is sqlite:`);
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
  });

  it('no store where the embedded default looks', async () => {
    const { code, stderr } = await runCli(['list'], { cwd: dir, env: { SAGA_HOME: undefined } });
    expect(code).toBe(1);
    expect(stderr).toContain(`There is no event store here: ${join(dir, '.saga', 'saga.db')} does not exist`);
  });

  it('a store that cannot be opened', async () => {
    const notDb = join(dir, 'not-a-database.db');
    writeFileSync(notDb, 'this is not SQLite'.repeat(100));
    const { code, stderr } = await runCli(['list', '--store', `sqlite:${notDb}`]);
    expect(code).toBe(1);
    expect(stderr).toContain(`saga: Cannot reach the store sqlite:${notDb} (from the --store option)`);
    expect(stderr).toContain('not a SQLite database');
  });

  it('a store URL with an unknown scheme', async () => {
    const { code, stderr } = await runCli(['list', '--store', 'mongodb://db/sagas']);
    expect(code).toBe(1);
    expect(stderr).toContain('has scheme mongodb:; known stores: memory:, sqlite:');
  });

  it('usage errors exit 2, help exits 0', async () => {
    const unknown = await saga('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("saga: unknown command 'frobnicate'");
    const missing = await saga('replay', recorded.ids.finished);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--to <revision>' not specified");
    const help = await saga('--help');
    expect(help.code).toBe(0);
    for (const command of ['list', 'show', 'history', 'replay', 'verify', 'diagram', 'report', 'tail']) expect(help.stdout).toContain(command);
    expect((await saga()).code).toBe(2);
  });
});
