/**
 * What an operator sees of a parallel step and a child saga, from the built binary on a SQLite
 * store the engine wrote in this file's setup: `saga show` and `saga history` (requests, children,
 * the parent), `saga report --html` with its default file name (each report links to the other's
 * file, which the same command writes), `saga verify` (the history checker's rules for them), and
 * `saga diagram` with the execution.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@saga/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFanOut, type FanOutHistories } from './fanOutHistories.js';
import { runCli } from './runCli.js';

const fixture = join(import.meta.dirname, 'fixtures', 'fanOutSaga.mjs');

let dir: string;
let url: string;
let runs: FanOutHistories;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'saga-cli-fanout-'));
  const file = join(dir, 'saga.db');
  const store = new SqliteEventStore({ filename: file });
  try {
    runs = await recordFanOut(store);
  } finally {
    await store.destroy();
  }
  url = `sqlite:${file}`;
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const saga = (...args: string[]) => runCli(args, { env: { SAGA_STORE_URL: url }, cwd: dir });
const ids = (run: keyof FanOutHistories) => ({ parent: runs[run].parent.execution.id, child: runs[run].child.execution.id });

describe('saga show and saga history of a parent and its child', () => {
  it('show: the branch steps, the child step with its child id, and the children of the parent', async () => {
    const { parent, child } = ids('compensated');
    const { code, stdout, stderr } = await saga('show', parent);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`children\\s+${child} \\(step 2, compensated\\)`));
    expect(stdout).toMatch(/1\.0\.0\s+│?\s*remote\s+│?\s*compensated/);
    expect(stdout).toMatch(/\b1\s+│?\s*parallel\b/);
    expect(stdout).toContain(`child ${child}`);
    expect(stdout).toMatch(/waiting for\s+nothing/);
  });

  it('show and history of the child name its parent and the step that runs it', async () => {
    const { parent, child } = ids('compensated');
    const show = await saga('show', child);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`parent\\s+${parent} \\(its step 2 runs this execution\\)`));
    const history = await saga('history', child);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain(`parent        ${parent}`);
    // The summary column is cut to the terminal's width: its start is enough.
    expect(history.stdout).toMatch(/CompensationRequested\s+│\s+│ compensating: parent/);
    const parentHistory = await saga('history', parent);
    expect(parentHistory.stdout).toContain('started 2 branches at once');
    expect(parentHistory.stdout).toContain(`asked child ${child} to compensate`);
  });

  it('history --json exports the children and the parent', async () => {
    const { parent, child } = ids('finished');
    const exported = JSON.parse((await saga('history', parent, '--json')).stdout) as { execution: { steps: { path: string; childId: string | null }[]; parent: unknown; pendingRequests: unknown[] } };
    expect(exported.execution.steps.find((s) => s.path === '2')?.childId).toBe(child);
    expect(exported.execution.parent).toBeNull();
    expect(exported.execution.pendingRequests).toEqual([]);
    const childExport = JSON.parse((await saga('history', child, '--json')).stdout) as { execution: { parent: unknown } };
    expect(childExport.execution.parent).toEqual({ executionId: parent, path: '2' });
  });
});

describe('saga report --html of a parent and its child', () => {
  it('writes saga-report-<id>.html by default; the parent links to the child\'s file and the child back to the parent\'s', async () => {
    const { parent, child } = ids('compensated');
    for (const id of [parent, child]) {
      const result = await saga('report', id, '--html');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Wrote ${join(dir, `saga-report-${id}.html`)}`);
    }
    const parentHtml = readFileSync(join(dir, `saga-report-${parent}.html`), 'utf8');
    const childHtml = readFileSync(join(dir, `saga-report-${child}.html`), 'utf8');
    expect(parentHtml).toContain(`<a class="report-link" href="saga-report-${child}.html">`);
    expect(parentHtml).toContain(`<div class="child" data-child="${child}">`);
    expect(parentHtml).toContain('<div class="branch" data-branch="1"><h4>‖ Branch 1</h4>');
    expect(parentHtml).toContain('✓ History verified');
    expect(childHtml).toContain(`<dt>Parent</dt><dd>a child execution, run by step 2 of <a class="report-link" href="saga-report-${parent}.html">`);
    expect(childHtml).toContain('✓ History verified');
  });

  it('with the definition: the whole saga drawn, fork and join bars, the child node linked', async () => {
    const { parent, child } = ids('finished');
    const file = join(dir, 'with-definition.html');
    const result = await saga('report', parent, '--html', file, '--definition', `${fixture}#fanOutOrder`);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('It matches the definition fan_out_order@1');
    expect(html).toContain('<rect class="bar join finished" data-path="1"');
    expect(html).toContain(`<a class="child-link" href="saga-report-${child}.html">`);
  });
});

describe('saga verify and saga diagram', () => {
  it('verify: parent and child histories obey the rules; the parent matches its definition', async () => {
    const { parent, child } = ids('compensated');
    const checked = await saga('verify', parent, '--definition', `${fixture}#fanOutOrder`);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    const childChecked = await saga('verify', child, '--definition', `${fixture}#shipParcel`);
    expect(childChecked.code, childChecked.stdout + childChecked.stderr).toBe(0);
  });

  it('diagram --execution: a fork with its branches and join, the child named and linked', async () => {
    const { parent, child } = ids('finished');
    const { code, stdout, stderr } = await saga('diagram', '--definition', `${fixture}#fanOutOrder`, '--execution', parent);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('s1{{"1 · parallel');
    expect(stdout).toContain('j1 --> s2');
    expect(stdout).toContain(`click s2 href "saga-report-${child}.html"`);
  });
});
