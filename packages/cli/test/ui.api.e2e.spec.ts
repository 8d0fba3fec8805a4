/**
 * The console's JSON endpoints, against the built `saga ui` on a recorded SQLite store: pagination,
 * filters, errors for bad parameters, one execution and its replay, access (Host, token), read-only
 * refusals, and each action with its preview, its conflict check and what it appends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConsoleStore, type ConsoleStore } from './consoleStore.js';
import { startConsole, type RunningConsole } from './consoleProcess.js';
import { runCli } from './runCli.js';

const definitions = join(import.meta.dirname, 'fixtures', 'consoleSagas.mjs');

interface Entry {
  readonly executionId: string;
  readonly status: string;
  readonly user: string | null;
  readonly service: string;
  readonly definitionName: string;
  readonly startedAt: string;
}
interface Page {
  readonly executions: Entry[];
  readonly nextCursor?: string;
  readonly criteria: string[];
}
interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly parameter?: string };
}

let dir: string;
let recorded: ConsoleStore;
let ui: RunningConsole;

const get = async (path: string, init: RequestInit = {}, base = ui.origin) => {
  const response = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
};

const page = async (query: string): Promise<Page> => {
  const response = await get(`/api/executions${query}`);
  expect(response.status, response.text).toBe(200);
  return response.json() as Page;
};

const refused = async (path: string, init: RequestInit = {}): Promise<{ status: number; error: ErrorBody['error'] }> => {
  const response = await get(path, init);
  return { status: response.status, error: (response.json() as ErrorBody).error };
};

const history = async (id: string): Promise<{ type: string; data: Record<string, unknown> }[]> => {
  const result = await runCli(['history', id, '--json'], { env: { SAGA_STORE_URL: recorded.url } });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { events: { type: string; data: Record<string, unknown> }[] }).events;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-ui-api-'));
  recorded = await recordConsoleStore(dir);
  ui = await startConsole(['--definitions', definitions], { SAGA_STORE_URL: recorded.url });
}, 60_000);

afterAll(async () => {
  await ui?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether something accepts TCP connections at host:port. */
const accepts = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

describe('saga ui, the command', () => {
  it('takes --store, listens on 127.0.0.1:4545 by default, and on no other address of the machine', async () => {
    const started = await startConsole(['--store', recorded.url], {}, { defaultPort: true });
    try {
      expect(started.url).toBe('http://127.0.0.1:4545/');
      await expect.poll(() => started.stderr()).toContain(`Serving ${recorded.url}`);
      expect(((await get('/api/executions', {}, started.origin)).json() as Page).executions).toHaveLength(6);
      expect(await accepts('127.0.0.1', 4545)).toBe(true);
      // Every other address this machine has: nothing listens there (the console is not reachable from the network).
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a !== undefined && !a.internal && a.family === 'IPv4')
        .map((a) => a?.address ?? '');
      for (const address of others) expect(await accepts(address, 4545), address).toBe(false);
    } finally {
      await started.stop();
    }
  });
});

describe('GET /api/executions', () => {
  it('lists every execution newest first, a page at a time, with cursors that cover each exactly once', async () => {
    const all = await page('');
    expect(all.executions).toHaveLength(6);
    const started = all.executions.map((e) => Date.parse(e.startedAt));
    expect(started).toEqual([...started].sort((a, b) => b - a));
    expect(all.executions[0]?.executionId).toBe(recorded.console.hostile);
    expect(all.nextCursor).toBeUndefined();

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const next = await page(`?limit=4${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
      expect(next.executions.length).toBeLessThanOrEqual(4);
      seen.push(...next.executions.map((e) => e.executionId));
      cursor = next.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 5);
    expect(pages).toBe(2);
    expect(seen).toEqual(all.executions.map((e) => e.executionId));
  });

  it('filters by status, definition, service, user, time and context, and says so in words', async () => {
    const errored = await page('?status=errored');
    expect(new Set(errored.executions.map((e) => e.executionId))).toEqual(new Set([recorded.ids.compensated, recorded.console.stuck]));
    expect(errored.criteria).toEqual(['status errored']);

    const several = await page('?status=paused&status=finished');
    expect(several.executions.map((e) => e.status).sort()).toEqual(['finished', 'finished', 'paused']);

    expect((await page('?definition=book_ledger@1')).executions.map((e) => e.executionId)).toEqual([recorded.console.stuck]);
    expect((await page('?definition=create_order@2')).executions).toEqual([]);
    expect((await page('?service=billing')).executions.map((e) => e.executionId).sort()).toEqual([recorded.console.stuck, recorded.console.hostile].sort());
    expect((await page('?user=alice')).executions.map((e) => e.executionId)).toEqual([recorded.ids.finished]);
    expect((await page('?open=true')).executions.map((e) => e.executionId)).toEqual(expect.arrayContaining([recorded.ids.paused, recorded.console.stuck]));

    const byContext = await page(`?context=${encodeURIComponent('orderId=order-1002')}`);
    expect(byContext.executions.map((e) => e.executionId)).toEqual([recorded.ids.compensated]);
    expect(byContext.criteria).toEqual(['context orderId=order-1002']);

    expect((await page('?until=2000-01-01')).executions).toEqual([]);
    expect((await page('?since=2000-01-01')).executions).toHaveLength(6);
  });

  it.each([
    ['?status=bogus', 'status', /unknown status bogus; use one or more of created, running, paused, finished, errored/],
    ['?limit=0', 'limit', /limit '0' must be a whole number from 1 to 1000/],
    ['?limit=abc', 'limit', /limit 'abc'/],
    ['?limit=5000', 'limit', /limit must be at most 1000, got 5000/],
    ['?after=not-a-cursor', 'after', /after 'not-a-cursor' is not a cursor/],
    ['?since=someday', 'since', /since/],
    ['?since=2026-12-02&until=2026-12-01', 'since', /is not before/],
    ['?definition=a&definition=b', 'definition', /definition is given 2 times/],
    ['?open=maybe', 'open', /open 'maybe' must be true or false/],
    ['?context=orderId', 'context', /use key=value/],
    ['?colour=red', 'colour', /Unknown parameter 'colour'/],
  ])('refuses %s with 400, the parameter and what to do', async (query, parameter, message) => {
    const { status, error } = await refused(`/api/executions${query}`);
    expect(status).toBe(400);
    expect(error.code).toBe('bad_parameter');
    expect(error.parameter).toBe(parameter);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/--/);
  });
});

describe('GET /api/counts', () => {
  it('counts the executions by status from the index', async () => {
    const response = await get('/api/counts');
    expect(response.status).toBe(200);
    const counts = response.json() as { counts: Record<string, number>; total: number };
    expect(counts.counts).toEqual({ finished: 2, errored: 2, paused: 1, running: 1 });
    expect(counts.total).toBe(6);
  });
});

describe('GET /api/executions/<id>', () => {
  it('gives the folded execution, its events in words, and whether its history verifies', async () => {
    const response = await get(`/api/executions/${recorded.ids.compensated}`);
    expect(response.status).toBe(200);
    const body = response.json() as { statusLabel: string; verified: boolean; definitionLoaded: boolean; lastRevision: number; events: { type: string; summary: string }[]; execution: { compensation: { done: string[] } } };
    expect(body.statusLabel).toBe('errored · compensated');
    expect(body.verified).toBe(true);
    expect(body.definitionLoaded).toBe(true);
    expect(body.execution.compensation.done).toEqual(['1', '0']);
    expect(body.events).toHaveLength(body.lastRevision + 1);
    expect(body.events.find((e) => e.type === 'StepFailed')?.summary).toContain('card declined');
  });

  it('says when a history does not decode', async () => {
    const body = (await get(`/api/executions/${recorded.ids.corrupted}`)).json() as { verified: boolean; corruption: { revision: number; reason: string; problems: unknown[] } };
    expect(body.verified).toBe(false);
    expect(body.corruption.revision).toBe(1);
    expect(body.corruption.reason).toBe('StepFinished does not decode: kind is missing (must be "local" | "remote" | "conditional" | "parallel" | "child")');
    // The same as data, for a program: which field, what fits there, what was found.
    expect(body.corruption.problems).toEqual([{ path: 'data.kind', expected: '"local" | "remote" | "conditional" | "parallel" | "child"', actual: 'undefined' }]);
  });

  it('answers 422 with the reason for a stream whose first event does not decode', async () => {
    const { status, error } = await refused(`/api/executions/${recorded.console.unreadable}`);
    expect(status).toBe(422);
    expect(error.code).toBe('corrupted');
    expect(error.message).toMatch(new RegExp(`The history of execution ${recorded.console.unreadable} does not decode at revision 0: .*Nothing can be folded`));
    expect((await get(`/executions/${recorded.console.unreadable}`)).status).toBe(422);
  });

  it('shows the execution as it was at a revision, and refuses revisions it does not have', async () => {
    const view = (await get(`/api/executions/${recorded.ids.compensated}/view?upTo=1`)).json() as { revision: number; statusLabel: string; html: string };
    expect(view.revision).toBe(1);
    expect(view.statusLabel).toBe('running');
    expect(view.html.match(/<li class="event/g)).toHaveLength(2);
    const { status, error } = await refused(`/api/executions/${recorded.ids.compensated}/view?upTo=999`);
    expect(status).toBe(400);
    expect(error.parameter).toBe('upTo');
    expect(error.message).toMatch(/must be a revision from 0 to \d+/);
    expect((await refused(`/api/executions/${recorded.ids.compensated}/view?upTo=-1`)).status).toBe(400);
  });

  it('answers 404 for an id the store does not hold and 400 for one that is not an id', async () => {
    const missing = await refused('/api/executions/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.error.message).toMatch(/No execution 00000000-0000-0000-0000-000000000000 in the store sqlite:/);
    const bad = await refused(`/api/executions/${encodeURIComponent('<script>')}`);
    expect(bad.status).toBe(400);
    expect(bad.error.code).toBe('bad_parameter');
  });

  it('serves the report `saga report --html` writes, as a download', async () => {
    const response = await get(`/executions/${recorded.ids.compensated}/report.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="saga-report-${recorded.ids.compensated}.html"`);
    expect(response.text).toContain('<script type="application/json" id="saga-history">');
    expect(response.text).toContain('It matches the definition create_order@1');
  });

  it('the download is the file saga report --html writes, but for who generated it and when', async () => {
    const id = recorded.ids.compensated;
    const file = join(dir, 'from-the-cli.html');
    const written = await runCli(['report', id, '--html', file, '--definition', `${join(import.meta.dirname, 'fixtures', 'orderSaga.mjs')}#createOrder`], { env: { SAGA_STORE_URL: recorded.url } });
    expect(written.code, written.stderr).toBe(0);
    const generated = (html: string) => html.replace(/<meta name="generator" content="[^"]*">/, '<meta name="generator">').replace(/<div>Generated [^<]* by [^<]* from /, '<div>Generated from ');
    const downloaded = (await get(`/executions/${id}/report.html`)).text;
    expect(downloaded).toContain('<meta name="generator" content="saga ui (@saga/cli ');
    expect(generated(downloaded)).toBe(generated(readFileSync(file, 'utf8')));
  });
});

describe('access', () => {
  it('sends a strict policy with every answer: scripts and styles only as files from the console', async () => {
    for (const path of ['/', `/executions/${recorded.ids.finished}`, '/api/executions', '/assets/ui.css', '/assets/client/executionsView.js', '/nowhere']) {
      const response = await get(path);
      expect(response.headers.get('content-security-policy'), path).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const pageHtml = (await get(`/executions/${recorded.ids.compensated}`)).text;
    expect(pageHtml).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(pageHtml).not.toMatch(/<style|style="/);
    expect((await get('/assets/client/../uiServer.js')).status).toBe(404);
  });

  it('refuses a request that names another host (DNS rebinding)', async () => {
    // fetch will not send another Host header: node:http does, as a browser on a rebound name would.
    const answer = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${ui.origin}/api/executions`, { headers: { host } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.on('error', reject);
        request.end();
      });
    const rebound = await answer('attacker.example');
    expect(rebound.status).toBe(403);
    expect((JSON.parse(rebound.body) as ErrorBody).error.message).toMatch(/answers to 127\.0\.0\.1:\d+ only/);
    expect((await answer(`localhost:${new URL(ui.origin).port}`)).status).toBe(200);
  });

  it('needs a token when it listens beyond loopback, and takes it once from the printed URL', async () => {
    const open = await startConsole(['--host', '0.0.0.0'], { SAGA_STORE_URL: recorded.url });
    try {
      const token = new URL(open.url).searchParams.get('token') ?? '';
      expect(token.length).toBeGreaterThanOrEqual(32);
      const base = `http://127.0.0.1:${new URL(open.url).port}`;
      const without = await get('/api/executions', {}, base);
      expect(without.status).toBe(401);
      expect((without.json() as ErrorBody).error.message).toMatch(/needs its token/);
      expect((await get('/api/executions', { headers: { authorization: 'Bearer wrong' } }, base)).status).toBe(401);
      expect((await get('/api/executions', { headers: { authorization: `Bearer ${token}` } }, base)).status).toBe(200);
      const first = await get(`/?token=${token}`, {}, base);
      expect(first.status).toBe(303);
      expect(first.headers.get('location')).toBe('/');
      const cookie = first.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/^saga_ui_token=[^;]+; HttpOnly; SameSite=Strict; Path=\/$/);
      expect((await get('/', { headers: { cookie: cookie.split(';')[0] ?? '' } }, base)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe('actions', () => {
  it('are refused by a read-only console, whose previews say so', async () => {
    const readOnly = await startConsole(['--definitions', definitions], { SAGA_STORE_URL: recorded.url });
    try {
      const preview = (await get(`/api/executions/${recorded.console.stuck}/actions/resume`, {}, readOnly.origin)).json() as { allowed: boolean; available: boolean };
      expect(preview).toMatchObject({ allowed: false, available: true });
      const response = await get(`/api/executions/${recorded.console.stuck}/actions/resume`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ expectedRevision: 0 }),
      }, readOnly.origin);
      expect(response.status).toBe(403);
      expect((response.json() as ErrorBody).error.message).toMatch(/read-only: start it with saga ui --allow-actions/);
    } finally {
      await readOnly.stop();
    }
  });

  describe('with --allow-actions', () => {
    let acting: RunningConsole;
    beforeAll(async () => {
      acting = await startConsole(['--definitions', definitions, '--allow-actions', '--operator', 'dana'], { SAGA_STORE_URL: recorded.url });
    }, 30_000);
    afterAll(async () => acting?.stop());

    const post = (id: string, action: string, body: unknown, headers: Record<string, string> = {}) =>
      get(`/api/executions/${id}/actions/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }, acting.origin);
    const preview = async (id: string, action: string, query = '') =>
      (await get(`/api/executions/${id}/actions/${action}${query}`, {}, acting.origin)).json() as {
        available: boolean;
        why?: string;
        atRevision: number;
        appends: { stream: string; expectedRevision: number | string; events: { type: string; data: Record<string, unknown> }[] }[];
        recordedBy: string;
      };

    it('refuse bodies that are not JSON, other origins, and a revision the operator did not review', async () => {
      const id = recorded.console.stuck;
      const notJson = await get(`/api/executions/${id}/actions/resume`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, acting.origin);
      expect(notJson.status).toBe(400);
      expect((await post(id, 'resume', { expectedRevision: 0 }, { origin: 'http://attacker.example' })).status).toBe(403);
      expect((await post(id, 'resume', {})).status).toBe(400);
      const stale = await post(id, 'resume', { expectedRevision: 0 });
      expect(stale.status).toBe(409);
      expect((stale.json() as ErrorBody).error.message).toMatch(/moved on since you reviewed the action \(you saw revision 0, it is at \d+ now\)/);
      expect((await post(id, 'explode', { expectedRevision: 0 })).status).toBe(404);
    });

    it('resume: previews the CompensationResumed it appends (with who resumes), then appends it', async () => {
      const id = recorded.console.stuck;
      const before = await history(id);
      const plan = await preview(id, 'resume');
      expect(plan.available).toBe(true);
      expect(plan.atRevision).toBe(before.length - 1);
      expect(plan.appends).toEqual([{ stream: `saga-${id}`, expectedRevision: before.length - 1, events: [{ type: 'CompensationResumed', data: { path: '0', by: 'dana' } }] }]);
      const done = await post(id, 'resume', { expectedRevision: plan.atRevision });
      expect(done.status, done.text).toBe(200);
      const after = await history(id);
      expect(after[before.length]).toMatchObject({ type: 'CompensationResumed', data: { path: '0', by: 'dana' } });
      // The ledger is still down: the compensation stopped again, visibly.
      expect(after.at(-1)?.type).toBe('CompensationFailed');
    });

    it('cancel: needs a reason, records who asked', async () => {
      const id = recorded.ids.paused;
      expect((await preview(id, 'cancel')).why).toMatch(/say why/);
      const plan = await preview(id, 'cancel', '?reason=customer%20withdrew');
      expect(plan.appends[0]?.events).toEqual([{ type: 'CancelRequested', data: { reason: 'customer withdrew', by: 'dana' } }]);
      const done = await post(id, 'cancel', { expectedRevision: plan.atRevision, reason: 'customer withdrew' });
      expect(done.status, done.text).toBe(200);
      const after = await history(id);
      expect(after[plan.atRevision + 1]).toMatchObject({ type: 'CancelRequested', data: { reason: 'customer withdrew', by: 'dana' } });
      expect((await preview(id, 'cancel', '?reason=again')).available).toBe(false);
    });

    it('fork: copies the history up to a revision into a new execution that says where it came from', async () => {
      const id = recorded.ids.compensated;
      const events = await history(id);
      const from = events.findIndex((e) => e.type === 'StepFinished' && e.data.path === '1');
      expect((await preview(id, 'fork', `?fromRevision=${events.length - 1}`)).why).toMatch(/fork from a revision before its first failure/);
      const plan = await preview(id, 'fork', `?fromRevision=${from}`);
      expect(plan.available).toBe(true);
      expect(plan.appends[0]?.events.map((e) => e.type)).toEqual(events.slice(0, from + 1).filter((e) => !e.type.startsWith('Timer')).map((e) => e.type));
      expect(plan.appends[0]?.events[0]?.data.forkedFrom).toEqual({ executionId: id, revision: from, by: 'dana' });
      const done = await post(id, 'fork', { expectedRevision: plan.atRevision, fromRevision: from });
      expect(done.status, done.text).toBe(200);
      const fork = (done.json() as { executionId: string }).executionId;
      expect(fork).not.toBe(id);
      const forked = await history(fork);
      expect(forked[0]?.data.forkedFrom).toEqual({ executionId: id, revision: from, by: 'dana' });
      expect(acting.stdout()).toContain(`dana forked ${id} from revision ${from} into ${fork}`);
    });
  });
});
