/**
 * The HTML report as an auditor sees it: opened from disk in headless Chromium with the network
 * unused, checked for what it shows, and captured as screenshots under test-artifacts/ (screen and
 * print). Skipped, with one line saying why, when Chromium is not installed.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordStore, type RecordedStore } from './recordedStore.js';
import { packageDir, runCli } from './runCli.js';

const chromiumPath = process.env.SAGA_TEST_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const skipReason = `skipped: no Chromium at ${chromiumPath} (install it, or set SAGA_TEST_CHROMIUM; CI installs it)`;
const artifacts = join(packageDir, 'test-artifacts');
const fixture = join(import.meta.dirname, 'fixtures', 'orderSaga.mjs');

let dir: string;
let recorded: RecordedStore;
let browser: Browser | undefined;

const writeReport = async (id: string, name: string, definition = true): Promise<string> => {
  const file = join(dir, `${name}.html`);
  const args = ['report', id, '--html', file, ...(definition ? ['--definition', `${fixture}#createOrder`] : [])];
  const result = await runCli(args, { env: { SAGA_STORE_URL: recorded.url } });
  expect(result.code, result.stderr).toBe(0);
  return file;
};

/** Opens a report the way an auditor does (from disk) and records every request the page makes. */
const open = async (file: string): Promise<{ page: Page; requests: string[] }> => {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(file).href);
  return { page, requests };
};

// Without Chromium the suite is skipped, and its name says why in one line.
describe.skipIf(!hasChromium)(hasChromium ? 'saga report in a browser' : `saga report in a browser — ${skipReason}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'saga-report-'));
    mkdirSync(artifacts, { recursive: true });
    recorded = await recordStore(dir);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the timeline, the compensation and the diagram of a compensated order, offline', async () => {
    const file = await writeReport(recorded.ids.compensated, 'report-compensated');
    const { page, requests } = await open(file);
    const history = JSON.parse((await page.locator('#saga-history').textContent()) ?? '{}') as { format: string; events: { type: string }[] };
    expect(history.format).toBe('saga-history/1');

    expect(await page.title()).toContain('create_order@1');
    await expect.poll(() => page.locator('h1 .badge').textContent()).toBe('errored · compensated');
    expect(await page.locator('#integrity').textContent()).toContain('History verified');
    expect(await page.locator('#integrity').textContent()).toContain('It matches the definition create_order@1');

    // The timeline: one entry per event, the compensation marked as such.
    const entries = page.locator('#timeline li.event');
    expect(await entries.count()).toBe(history.events.length);
    expect(await entries.locator('.type').allTextContents()).toEqual(history.events.map((e) => (e.type === 'CompensationRequestSent' || e.type === 'StepCompensated' ? `↩ ${e.type}` : e.type)));
    const compensations = page.locator('#timeline li.event.category-compensation');
    expect(await compensations.count()).toBe(3);
    expect(await compensations.first().textContent()).toContain('↩ stock.release');
    expect(await page.locator('#timeline li.event[data-type="StepFailed"]').textContent()).toContain('card declined: 5000 is over the limit');
    expect(await page.locator('#compensation').textContent()).toContain('Steps undone in reverse order: 1 → 0');

    // Steps: input and output context, request and reply, the compensation.
    const payment = page.locator('#steps article[data-path="2"]');
    expect(await payment.textContent()).toContain('payment.charge');
    expect(await payment.textContent()).toContain('ERROR from payment');
    const stock = page.locator('#steps article[data-path="1"]');
    expect(await stock.locator('.compensation').textContent()).toContain('stock.release');
    expect(await stock.locator('.json .added').textContent()).toContain('"reservation"');
    expect(await page.locator('#steps article[data-path="0"] .compensation .json .changed').textContent()).toContain('"state": "cancelled"');

    // The diagram is drawn (inline SVG, nothing fetched): statuses on the path it took.
    const svg = page.locator('#diagram svg.saga-diagram');
    const box = await svg.boundingBox();
    expect(box?.width).toBeGreaterThan(400);
    expect(box?.height).toBeGreaterThan(400);
    expect(await svg.locator('g.node.step').count()).toBe(6);
    expect(await svg.locator('g.node.decision').count()).toBe(1);
    expect(await svg.locator('g.node.step.compensated').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-path')))).toEqual(['0', '1']);
    expect(await svg.locator('g.node.step.failed').getAttribute('data-path')).toBe('2');
    expect(await svg.locator('g.node.undo.compensated').count()).toBe(2);
    expect(await svg.locator('g.node.step.notReached').count()).toBe(3);
    expect(await svg.locator('g.node.decision.notReached').count()).toBe(1);
    const fill = await svg.locator('g.node.step.compensated rect').first().evaluate((rect) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(rect).fill);
    expect(fill).toBe('rgb(255, 244, 224)');

    expect(requests).toEqual([pathToFileURL(file).href]);
    await page.screenshot({ path: join(artifacts, 'report-compensated.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: join(artifacts, 'report-compensated-print.png'), fullPage: true });
    await page.close();
  });

  it('highlights the branch a finished order took', async () => {
    const file = await writeReport(recorded.ids.finished, 'report-finished');
    const { page, requests } = await open(file);
    const svg = page.locator('#diagram svg.saga-diagram');
    expect(await svg.locator('g.branch.taken .branch-label').textContent()).toBe('if #0 · ship_express');
    expect(await svg.locator('g.node:is(.step, .decision).finished').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-path')))).toEqual(['0', '1', '2', '3', '3.0.0', '4']);
    expect(await svg.locator('g.node.step.notReached').getAttribute('data-path')).toBe('3.else.0');
    expect(await page.locator('#timeline li.event[data-type="TransactionCommitted"]').count()).toBe(1);
    expect(requests).toHaveLength(1);
    await page.screenshot({ path: join(artifacts, 'report-finished.png'), fullPage: true });
    await page.close();
  });

  it('draws the steps that ran when no definition is given, and shows a corrupted stream', async () => {
    const file = await writeReport(recorded.ids.paused, 'report-paused', false);
    const { page } = await open(file);
    expect(await page.locator('#pending').textContent()).toContain('stock.reserve');
    expect(await page.locator('#diagram').textContent()).toContain('Only the steps this execution ran');
    expect(await page.locator('#diagram g.node.step.active').getAttribute('data-path')).toBe('1');
    await page.close();

    const corrupted = join(dir, 'report-corrupted.html');
    await runCli(['report', recorded.ids.corrupted, '--html', corrupted], { env: { SAGA_STORE_URL: recorded.url } });
    const opened = await open(corrupted);
    expect(await opened.page.locator('#integrity').textContent()).toContain('The stored history does not decode at revision 1');
    expect(await opened.page.locator('#timeline li.event.corrupted').count()).toBe(2);
    await opened.page.screenshot({ path: join(artifacts, 'report-corrupted.png'), fullPage: true });
    await opened.page.close();
  });
});
