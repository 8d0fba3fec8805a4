import { InMemoryEventStore } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordFanOut, type FanOutHistories } from '../../test/fanOutHistories.js';
import { auditTrail } from './auditTrail.js';
import { renderHtmlReport, renderReportBody } from './renderHtmlReport.js';

let runs: FanOutHistories;
beforeAll(async () => {
  runs = await recordFanOut(new InMemoryEventStore());
});

describe('the audit trail of parallel and child steps', () => {
  it('says the new events in words and records the branches and the child', () => {
    const { parent } = runs.compensated;
    const trail = auditTrail(parent.events);
    const said = (type: string) => trail.timeline.filter((e) => e.type === type).map((e) => [e.category, e.summary]);
    const childId = parent.execution.steps.find((s) => s.path === '2')?.childId ?? '';
    expect(said('ParallelStarted')).toEqual([['step', 'started 2 branches at once']]);
    expect(said('ChildStarted')).toEqual([['step', `started child ship_parcel@2 (${childId})`]]);
    expect(said('ChildCompensationRequested')).toEqual([['compensation', `asked child ${childId} to compensate`]]);
    expect(said('ChildEnded')).toEqual([
      ['step', `child ${childId} finished`],
      ['step', `child ${childId} compensated`],
    ]);
    const step = (path: string) => trail.steps.find((s) => s.path === path);
    expect(step('1')).toMatchObject({ kind: 'parallel', branches: 2 });
    expect(step('2')?.child).toMatchObject({ id: childId, definition: { name: 'ship_parcel', version: '2' }, ended: { outcome: 'finished' }, compensationEnded: { outcome: 'compensated' } });
    expect(step('2')?.child?.compensationRequested?.revision).toBeGreaterThan(step('2')?.child?.ended?.revision ?? Infinity);
  });

  it('gives a branch step its branch context, and files a compensation reply under the compensation while branches share the execution', () => {
    const { parent } = runs.compensated;
    const trail = auditTrail(parent.events);
    const charge = trail.steps.find((s) => s.path === '1.1.0');
    expect(charge?.reply?.status).toBe('SUCCESS');
    expect(charge?.compensation?.reply?.payload).toEqual({ refunded: true });
    // Each branch adds its own key; a branch's output does not carry the other branch's.
    expect(Object.keys(charge?.output ?? {})).toContain('payment');
    expect(Object.keys(charge?.output ?? {})).not.toContain('reservation');
  });
});

describe('the HTML report of a parent and of its child', () => {
  it('groups each branch\'s steps under the parallel step and shows the child with a link to its report', () => {
    const { parent } = runs.compensated;
    const childId = parent.execution.steps.find((s) => s.path === '2')?.childId ?? '';
    const html = renderHtmlReport({ stream: parent.stream, events: parent.events, generatedAt: '2026-01-01T00:00:00.000Z' });
    // The parallel step's card runs until the next top-level card (step 2's).
    const start = html.indexOf('<article class="step-card finished" data-path="1">');
    const card = html.slice(start, html.indexOf('<article class="step-card compensated" data-path="2">'));
    expect(start, 'the parallel step card').toBeGreaterThan(0);
    expect(card).toContain('<div class="branches">');
    expect(card).toMatch(/<div class="branch" data-branch="0"><h4>‖ Branch 0<\/h4><article class="step-card compensated" data-path="1\.0\.0">/);
    expect(card).toMatch(/<div class="branch" data-branch="1"><h4>‖ Branch 1<\/h4><article class="step-card compensated" data-path="1\.1\.0">/);
    // Branch steps appear once: inside their parallel step, not again at the top level.
    expect(html.match(/<article class="step-card [a-z]+" data-path="1\.0\.0">/g)?.length).toBe(1);
    expect(html).toContain(`<div class="child" data-child="${childId}">`);
    expect(html).toContain(`<a class="report-link" href="saga-report-${childId}.html">saga-report-${childId}.html</a> <span class="mono">(saga report ${childId} --html)</span>`);
    expect(html).toContain('Ended at #13: <strong>finished</strong>');
    expect(html).toContain('Its compensation ended at #17: <strong>compensated</strong>');
    expect(html).toContain(`href="saga-report-${childId}.html"><g class="node step child compensated" data-path="2"`);
    expect(html).toContain('<div class="summary">started 2 branches at once</div>');
  });

  it('links a child\'s report back to its parent, and the console\'s links where it says', () => {
    const { parent, child } = runs.compensated;
    const html = renderHtmlReport({ stream: child.stream, events: child.events });
    expect(html).toContain(`<dt>Parent</dt><dd>a child execution, run by step 2 of <a class="report-link" href="saga-report-${parent.execution.id}.html">${parent.execution.id}</a>`);
    const body = renderReportBody({ stream: child.stream, events: child.events }, { childLink: (id) => `/executions/${id}` });
    expect(body.body).toContain(`<a class="report-link" href="/executions/${parent.execution.id}">${parent.execution.id}</a></dd>`);
  });

  it('lists every request in flight and every child waited for', () => {
    const { parent } = runs.finished;
    const sent = parent.events.findIndex((e) => e.type === 'RequestSent' && e.data.path === '1.1.0');
    const both = renderHtmlReport({ stream: parent.stream, events: parent.events.slice(0, sent + 1) });
    expect(both).toContain('<strong>Waiting for 2 replies</strong>');
    expect(both).toMatch(/data-path="1\.0\.0">Step 1\.0\.0 sent <span class="mono">stock\.reserve<\/span>/);
    expect(both).toMatch(/data-path="1\.1\.0">Step 1\.1\.0 sent <span class="mono">payment\.charge<\/span>/);
    const started = parent.events.findIndex((e) => e.type === 'ChildStarted');
    const waiting = renderHtmlReport({ stream: parent.stream, events: parent.events.slice(0, started + 1) });
    expect(waiting).toContain('<strong>Waiting for a child execution</strong>');
    expect(waiting).toMatch(/Step 2: ship_parcel@2 running, <a class="report-link"/);
  });
});
