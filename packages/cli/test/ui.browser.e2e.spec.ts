/**
 * The console as an operator uses it, in headless Chromium: search, open an execution, move the
 * replay slider, see the compensation, try an action with and without --allow-actions, a hostile
 * context shown as text, and a new execution appearing live. No Content-Security-Policy violation
 * is allowed on any page. Screenshots go to test-artifacts/ (the README's come from there).
 * Skipped, with one line saying why, when Chromium is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryBroker, SagaManager } from '@saga/core';
import { SqliteEventStore } from '@saga/sqlite';
import { hostileShown, hostileUser, recordConsoleStore, type ConsoleStore } from './consoleStore.js';
import { startConsole, type RunningConsole } from './consoleProcess.js';
import { createOrder, startParticipants } from './fixtures/orderSaga.mjs';
import { packageDir } from './runCli.js';

const chromiumPath = process.env.SAGA_TEST_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const skipReason = `skipped: no Chromium at ${chromiumPath} (install it, or set SAGA_TEST_CHROMIUM; CI installs it)`;
const artifacts = join(packageDir, 'test-artifacts');
const definitions = join(import.meta.dirname, 'fixtures', 'consoleSagas.mjs');

let dir: string;
let recorded: ConsoleStore;
let browser: Browser | undefined;
let readOnly: RunningConsole;
let acting: RunningConsole;

/** A page that records what the browser refused (CSP) and every dialog a script opened. */
const open = async (url: string): Promise<{ page: Page; violations: string[]; dialogs: string[] }> => {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const violations: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, violations, dialogs };
};

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage });

describe.skipIf(!hasChromium)(hasChromium ? 'saga ui in a browser' : `saga ui in a browser — ${skipReason}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'saga-ui-browser-'));
    mkdirSync(artifacts, { recursive: true });
    recorded = await recordConsoleStore(dir);
    [readOnly, acting] = await Promise.all([
      startConsole(['--definitions', definitions, '--interval', '200'], { SAGA_STORE_URL: recorded.url }),
      startConsole(['--definitions', definitions, '--allow-actions', '--operator', 'dana'], { SAGA_STORE_URL: recorded.url }),
    ]);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([readOnly?.stop(), acting?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the executions with counts, filters them by status, and opens one', async () => {
    const { page, violations } = await open(readOnly.url);
    const rows = page.locator('#executions tbody tr[data-id]');
    await expect.poll(() => rows.count()).toBe(6);
    await expect.poll(() => page.locator('#counts a[data-status="errored"]').textContent()).toBe('errored 2');
    expect(await page.locator('#counts .total').textContent()).toBe('6 in the store');
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    await shot(page, 'ui-executions');

    await page.locator('#filters input[name="status"][value="errored"]').check();
    await page.locator('#filter-definition').fill('create_order');
    await Promise.all([page.waitForURL(/status=errored/), page.locator('#apply').click()]);
    expect(new URL(page.url()).search).toBe('?status=errored&definition=create_order');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-id')).toBe(recorded.ids.compensated);
    expect(await page.locator('#criteria').textContent()).toBe('Filtered by status errored, definition create_order');
    // The form shows the filters the address holds.
    expect(await page.locator('#filters input[name="status"][value="errored"]').isChecked()).toBe(true);

    await Promise.all([page.waitForURL(/\/executions\//), rows.first().locator('td.id a').click()]);
    expect(await page.locator('#status').textContent()).toBe('errored · compensated');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('pages through the table (Older, Newest) and filters by context and start time from the form', async () => {
    const { page, violations } = await open(`${readOnly.origin}/?limit=4`);
    const rows = page.locator('#executions tbody tr[data-id]');
    const ids = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    await expect.poll(() => rows.count()).toBe(4);
    const first = await ids();
    expect(await page.locator('#newest').isDisabled()).toBe(true);
    await Promise.all([page.waitForURL(/after=/), page.locator('#older').click()]);
    await expect.poll(() => rows.count()).toBe(2);
    const second = await ids();
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    expect(await page.locator('#older').isDisabled()).toBe(true);
    expect(await page.locator('#criteria').textContent()).toBe('All executions, newest first (older page)');
    await Promise.all([page.waitForURL((url) => !url.search.includes('after=')), page.locator('#newest').click()]);
    await expect.poll(ids).toEqual(first);

    await page.goto(`${readOnly.origin}/`);
    await page.locator('#filter-context').fill('orderId=order-1002');
    await page.locator('#filter-since').fill('2000-01-01');
    await Promise.all([page.waitForURL(/context=/), page.locator('#apply').click()]);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-id')).toBe(recorded.ids.compensated);
    expect(await page.locator('#criteria').textContent()).toMatch(/^Filtered by .*context orderId=order-1002/);
    await page.locator('#filter-until').fill('2000-01-02');
    await Promise.all([page.waitForURL(/until=/), page.locator('#apply').click()]);
    await expect.poll(() => page.locator('#executions tbody td.empty').textContent()).toBe('No execution matches these filters.');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows one execution: verified, the compensation, the diagram, and the replay slider', async () => {
    const { page, violations } = await open(`${readOnly.origin}/executions/${recorded.ids.compensated}`);
    expect(await page.locator('#verified').textContent()).toBe('✓ verified');
    expect(await page.locator('#started-by').textContent()).toBe('bob');
    expect(await page.locator('#transaction').textContent()).toBe('rejected');
    expect(await page.locator('#compensation').textContent()).toContain('Steps undone in reverse order: 1 → 0');
    const svg = page.locator('#diagram svg.saga-diagram');
    // Styled by the console's stylesheet (the SVG carries none): a compensated step is orange.
    const fill = await svg.locator('g.node.step.compensated rect').first().evaluate((rect) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(rect).fill);
    expect(fill).toBe('rgb(255, 244, 224)');
    expect(await page.locator('#download-report').getAttribute('href')).toBe(`/executions/${recorded.ids.compensated}/report.html`);
    // Step 1's card: the request sent and the reply taken, with their bodies, and the compensation's request.
    const reserve = (await page.locator('#steps article.step-card[data-path="1"]').textContent()) ?? '';
    expect(reserve).toMatch(/Request · #\d+ · .*stock\.reserve \(request [0-9a-f-]+\)\{\s*"sku": "B7"\s*\}/);
    expect(reserve).toMatch(/Reply · #\d+ · .*SUCCESS from stock\{\s*"sku": "B7",\s*"reservationId": "R-B7"\s*\}/);
    expect(reserve).toMatch(/Compensation request · #\d+ · .*stock\.release \(request [0-9a-f-]+\)\{\s*"reservation": \{\s*"sku": "B7",\s*"reservationId": "R-B7"\s*\}\s*\}/);
    expect(await page.locator('#steps article.step-card[data-path="2"]').textContent()).toMatch(/Reply · #\d+ · .* from payment[\s\S]*card declined/);
    expect(await page.locator('#actions-disabled').textContent()).toContain('saga ui --allow-actions');
    expect(await page.locator('button[data-action]').count()).toBe(0);
    await shot(page, 'ui-execution');
    await shot(page, 'ui-execution-full', true);

    const slider = page.locator('#replay-slider');
    const last = Number(await slider.getAttribute('max'));
    expect(await page.locator('#timeline li.event').count()).toBe(last + 1);
    await slider.fill('2');
    await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.shownRevision === '2');
    expect(await page.locator('#timeline li.event').count()).toBe(3);
    expect(await page.locator('#replay-label').textContent()).toMatch(/^revision 2 of \d+: as it was after RequestSent at .* \(paused\)$/);
    expect(await page.locator('#as-of').textContent()).toBe('At revision 2: as it was then');
    expect(await page.locator('#compensation').count()).toBe(0);
    expect(await svg.locator('g.node.step.compensated').count()).toBe(0);
    expect(await page.locator('#diagram svg g.node.step.finished').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-path')))).toEqual(['0']);
    await page.setViewportSize({ width: 1280, height: 1700 });
    await page.locator('#replay').evaluate((section) => (section as unknown as { scrollIntoView(): void }).scrollIntoView());
    await shot(page, 'ui-replay');
    await page.setViewportSize({ width: 1280, height: 900 });

    await slider.fill(String(last));
    await page.waitForFunction((end) => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.shownRevision === end, String(last));
    expect(await page.locator('#compensation').count()).toBe(1);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows a hostile context and user as text: no markup, no script, escapes visible', async () => {
    const { page, violations, dialogs } = await open(`${readOnly.origin}/executions/${recorded.console.hostile}`);
    expect(await page.locator('#started-by').textContent()).toBe(hostileUser);
    expect(await page.locator('#context pre').textContent()).toContain(JSON.stringify(hostileShown).slice(1, -1).replaceAll('\\\\', '\\'));
    expect(await page.locator('#pwned, #bold').count()).toBe(0);
    await page.locator('#context').evaluate((section) => (section as unknown as { scrollIntoView(): void }).scrollIntoView());
    await shot(page, 'ui-hostile');
    expect(await page.locator('script').evaluateAll((scripts) => scripts.map((s) => s.getAttribute('src') ?? 'inline'))).toEqual(['/assets/client/executionView.js']);

    const list = await open(`${readOnly.origin}/?service=billing`);
    const row = list.page.locator(`#executions tbody tr[data-id="${recorded.console.hostile}"]`);
    await expect.poll(() => row.locator('td.user').textContent()).toBe(hostileUser);
    expect(await list.page.locator('#bold').count()).toBe(0);
    expect([...violations, ...list.violations]).toEqual([]);
    expect([...dialogs, ...list.dialogs]).toEqual([]);
    await list.page.close();
    await page.close();
  });

  it('adds an execution to the open table as soon as the store has it', async () => {
    const { page, violations } = await open(readOnly.url);
    const rows = page.locator('#executions tbody tr[data-id]');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(6);
    await expect.poll(() => page.locator('#live').textContent()).toBe('live');
    const before = await rows.count();
    // Another process's store object on the same file: the console learns of it by reading the feed.
    const store = new SqliteEventStore({ filename: recorded.file });
    const broker = new InMemoryBroker();
    const manager = new SagaManager({ store, broker, service: 'order' });
    await manager.setup();
    const participants = await startParticipants(broker);
    let id: string;
    try {
      id = (await manager.run({ definition: createOrder, context: { orderId: 'order-2001', sku: 'Z9', amount: 7, express: true }, user: 'erin' })).id;
    } finally {
      await participants.destroy();
      await manager.destroy();
      await store.destroy();
    }
    await expect.poll(() => rows.first().getAttribute('data-id'), { timeout: 15_000 }).toBe(id);
    expect(await rows.count()).toBe(before + 1);
    await expect.poll(() => page.locator('#counts .total').textContent(), { timeout: 15_000 }).toBe(`${before + 1} in the store`);
    expect(violations).toEqual([]);
    await page.close();
  });

  it('with --allow-actions: resume shows what it appends, and appends it once confirmed', async () => {
    const { page, violations } = await open(`${acting.origin}/executions/${recorded.console.stuck}`);
    expect(await page.locator('#mode').textContent()).toBe('actions enabled · dana');
    expect(await page.locator('#status').textContent()).toBe('errored · compensation stopped');
    const resume = page.locator('#action-resume');
    await expect.poll(() => resume.isDisabled()).toBe(false);
    await expect.poll(() => page.locator('#action-cancel').isDisabled()).toBe(true);
    const last = Number(await page.locator('#replay-slider').getAttribute('max'));
    await resume.click();
    const dialog = page.locator('#confirm');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const appends = (await page.locator('#confirm-appends').textContent()) ?? '';
    expect(appends).toContain(`saga-${recorded.console.stuck} (expected revision ${last}):`);
    expect(JSON.parse(appends.slice(appends.indexOf('\n') + 1))).toEqual([{ type: 'CompensationResumed', data: { path: '0', by: 'dana' } }]);
    expect(await page.locator('#confirm-by').textContent()).toContain('CompensationResumed records by: dana.');
    await shot(page, 'ui-action-confirm');

    // Back: nothing is written.
    await page.locator('#confirm-cancel').click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.reload();
    expect(Number(await page.locator('#replay-slider').getAttribute('max'))).toBe(last);

    await page.locator('#action-resume').click();
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await Promise.all([page.waitForEvent('load'), page.locator('#confirm-ok').click()]);
    await expect.poll(async () => Number(await page.locator('#replay-slider').getAttribute('max'))).toBeGreaterThan(last);
    expect(await page.locator(`#timeline li.event[data-revision="${last + 1}"]`).getAttribute('data-type')).toBe('CompensationResumed');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('with --allow-actions: cancel records the reason and the operator; a page open elsewhere follows', async () => {
    // The same execution open in the read-only console: it reloads when the execution moves on.
    const watcher = await open(`${readOnly.origin}/executions/${recorded.ids.paused}`);
    const watched = Number(await watcher.page.locator('#replay-slider').getAttribute('max'));
    const { page, violations } = await open(`${acting.origin}/executions/${recorded.ids.paused}`);
    const cancel = page.locator('#action-cancel');
    await expect.poll(() => cancel.isDisabled()).toBe(false);
    await cancel.click();
    await expect.poll(() => page.locator('#action-result').textContent()).toBe('Cannot cancel: say why (the reason is recorded in the history).');
    await page.locator('#cancel-reason').fill('customer <withdrew>');
    await cancel.click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    expect(await page.locator('#confirm-appends').textContent()).toContain('"by": "dana"');
    await Promise.all([page.waitForEvent('load'), page.locator('#confirm-ok').click()]);
    await expect.poll(() => page.locator('#timeline li.event[data-type="CancelRequested"] .summary').textContent()).toContain('customer <withdrew>');
    await expect.poll(async () => Number(await watcher.page.locator('#replay-slider').getAttribute('max')), { timeout: 15_000 }).toBeGreaterThan(watched);
    expect(await watcher.page.locator('#timeline li.event[data-type="CancelRequested"]').count()).toBe(1);
    expect([...violations, ...watcher.violations]).toEqual([]);
    await watcher.page.close();
    await page.close();
  });

  it('with --allow-actions: fork from the revision the slider is on, confirmed, opens the new execution', async () => {
    const id = recorded.ids.compensated;
    const events = ((await (await fetch(`${acting.origin}/api/executions/${id}`)).json()) as { events: { revision: number; type: string; step: string | null }[] }).events;
    const from = events.find((e) => e.type === 'StepFinished' && e.step === '1')?.revision ?? -1;
    const { page, violations } = await open(`${acting.origin}/executions/${id}`);
    const fork = page.locator('#action-fork');
    // At the end (after the failure) there is nothing to fork from; at step 1's end there is.
    await expect.poll(() => fork.getAttribute('title')).toMatch(/^Not now: .*fork from a revision before its first failure/);
    expect(await fork.isDisabled()).toBe(true);
    await page.locator('#replay-slider').fill(String(from));
    await page.waitForFunction((at) => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.shownRevision === at, String(from));
    await expect.poll(() => fork.isDisabled()).toBe(false);
    expect(await page.locator('#fork-revision').textContent()).toBe(String(from));
    await fork.click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    const appends = (await page.locator('#confirm-appends').textContent()) ?? '';
    expect(appends.startsWith('saga-<new id> (expected revision no_stream):\n')).toBe(true);
    const planned = JSON.parse(appends.slice(appends.indexOf('\n') + 1)) as { type: string; data: Record<string, unknown> }[];
    // Timers are left out of a fork (the new execution schedules its own).
    expect(planned.map((e) => e.type)).toEqual(events.slice(0, from + 1).filter((e) => !e.type.startsWith('Timer')).map((e) => e.type));
    expect(planned[0]?.data.forkedFrom).toEqual({ executionId: id, revision: from, by: 'dana' });
    await shot(page, 'ui-fork-confirm');
    await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/executions/') && !url.pathname.endsWith(id)), page.locator('#confirm-ok').click()]);
    const forkId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');
    expect(await page.locator('#forked-from').textContent()).toBe(id);
    expect(await page.locator('#who').textContent()).toContain(forkId);
    const forked = (await (await fetch(`${acting.origin}/api/executions/${forkId}`)).json()) as { execution: { forkedFrom: unknown } };
    expect(forked.execution.forkedFrom).toEqual({ executionId: id, revision: from, by: 'dana' });
    expect(violations).toEqual([]);
    await page.close();
  });

  it('without --allow-actions the API refuses what the page does not offer', async () => {
    const { page } = await open(`${readOnly.origin}/executions/${recorded.console.stuck}`);
    const status = await page.evaluate(async (id) => {
      const response = await fetch(`/api/executions/${id}/actions/resume`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ expectedRevision: 0 }) });
      return response.status;
    }, recorded.console.stuck);
    expect(status).toBe(403);
    await page.close();
  });
});
