import { InMemoryEventStore } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordFanOut, type FanOutHistories } from '../../test/fanOutHistories.js';
import { fanOutOrder } from '../../test/fixtures/fanOutSaga.mjs';
import { reportFileName } from '../report/reportFile.js';
import { renderSvg } from './renderSvg.js';
import { diagramFromHistory, diagramFromShape } from './sagaDiagram.js';
import { diagramToMermaid, toMermaid } from './toMermaid.js';

let runs: FanOutHistories;
beforeAll(async () => {
  runs = await recordFanOut(new InMemoryEventStore());
});

/** The x and y of the box of the step at `path` in an SVG. */
const boxOf = (svg: string, path: string): { x: number; y: number } => {
  const match = new RegExp(`data-path="${path.replaceAll('.', '\\.')}"[^>]*>(?:<title>[^<]*</title>)?<rect x="([\\d.]+)" y="([\\d.]+)"`).exec(svg);
  if (!match) throw new Error(`no box for step ${path}`);
  return { x: Number(match[1]), y: Number(match[2]) };
};

describe('the diagram model of parallel and child steps', () => {
  it('gives a parallel step one branch per parallel branch, all taken once it started, and names a child step\'s saga and execution', () => {
    const { parent } = runs.finished;
    const diagram = diagramFromShape(fanOutOrder.describe(), { execution: parent.execution, events: parent.events });
    const parallel = diagram.steps[1];
    expect(parallel).toMatchObject({ kind: 'parallel', status: 'finished', detail: '2 branches at once' });
    expect(parallel?.branches?.map((b) => [b.label, b.taken, b.steps.map((s) => [s.path, s.status])])).toEqual([
      ['‖ 0 · reserve_stock', true, [['1.0.0', 'finished']]],
      ['‖ 1 · charge_card', true, [['1.1.0', 'finished']]],
    ]);
    const childId = parent.execution.steps.find((s) => s.path === '2')?.childId;
    expect(diagram.steps[2]).toMatchObject({ kind: 'child', detail: 'runs ship_parcel@2', child: { name: 'ship_parcel', version: '2', id: childId, outcome: 'finished' } });
  });

  it('from the history alone: the branches that ran, the child named from ChildStarted, its undo once asked for', () => {
    const { parent } = runs.compensated;
    const diagram = diagramFromHistory(parent.execution, parent.events);
    expect(diagram.steps.map((s) => [s.path, s.kind, s.status])).toEqual([
      ['0', 'local', 'compensated'],
      ['1', 'parallel', 'finished'],
      ['2', 'child', 'compensated'],
      ['3', 'local', 'failed'],
    ]);
    expect(diagram.steps[1]?.branches?.map((b) => b.steps.map((s) => [s.path, s.compensation?.status]))).toEqual([[['1.0.0', 'compensated']], [['1.1.0', 'compensated']]]);
    expect(diagram.steps[2]).toMatchObject({ detail: 'runs ship_parcel@2', child: { outcome: 'compensated' }, compensation: { status: 'compensated' } });
  });
});

describe('toMermaid with parallel and child steps', () => {
  it('draws a parallel step as a fork (hexagon, not a decision diamond) whose branches meet at a join node', () => {
    const lines = toMermaid(fanOutOrder.describe()).trimEnd().split('\n');
    expect(lines).toContain('  s1{{"1 · parallel<br/><small>2 branches at once</small>"}}');
    expect(lines.some((l) => l.startsWith('  s1{"'))).toBe(false);
    expect(lines).toContain('  subgraph b1_0 ["‖ 0 · reserve_stock"]');
    expect(lines).toContain('  subgraph b1_1 ["‖ 1 · charge_card"]');
    expect(lines).toContain('  s1 -->|‖ 0| s1_0_0');
    expect(lines).toContain('  s1 -->|‖ 1| s1_1_0');
    expect(lines).toContain('  j1(("join 1"))');
    expect(lines).toContain('  s1_0_0 --> j1');
    expect(lines).toContain('  s1_1_0 --> j1');
    expect(lines).toContain('  j1 --> s2');
    // No branch goes on by itself: the step after the parallel one is entered from the join only.
    expect(lines.filter((l) => l.endsWith('--> s2'))).toEqual(['  j1 --> s2']);
    expect(lines).toContain('  s2[["2 · child saga<br/><small>runs ship_parcel@2</small>"]]');
  });

  it('with an execution, names the child execution and links its node to the child\'s report', () => {
    const { parent } = runs.finished;
    const childId = parent.execution.steps.find((s) => s.path === '2')?.childId ?? '';
    const text = diagramToMermaid(diagramFromShape(fanOutOrder.describe(), { execution: parent.execution, events: parent.events }), { childLink: reportFileName });
    expect(text).toContain(`s2[["2 · child saga<br/><small>runs ship_parcel@2 · child ${childId} · finished</small>"]]`);
    expect(text).toContain(`  click s2 href "saga-report-${childId}.html" "the report of child ${childId}"`);
    expect(text).toMatch(/class [^\n]*\bj1\b[^\n]* finished/);
    // Without a link function, no click line (saga diagram of a definition alone).
    expect(toMermaid(fanOutOrder.describe())).not.toContain('click');
  });
});

describe('renderSvg with parallel and child steps', () => {
  it('draws the branches side by side between a fork bar and a join bar', () => {
    const { parent } = runs.finished;
    const svg = renderSvg(diagramFromShape(fanOutOrder.describe(), { execution: parent.execution, events: parent.events }));
    expect(svg.match(/<rect class="bar fork finished" data-path="1"/g)).toHaveLength(1);
    expect(svg.match(/<rect class="bar join finished" data-path="1"/g)).toHaveLength(1);
    expect(svg.match(/<g class="branch taken">/g)).toHaveLength(2);
    const left = boxOf(svg, '1.0.0');
    const right = boxOf(svg, '1.1.0');
    expect(left.y).toBe(right.y);
    expect(right.x - left.x).toBeGreaterThan(200);
    const fork = Number(/class="bar fork[^"]*" data-path="1" x="[\d.]+" y="([\d.]+)"/.exec(svg)?.[1]);
    const join = Number(/class="bar join[^"]*" data-path="1" x="[\d.]+" y="([\d.]+)"/.exec(svg)?.[1]);
    expect(fork).toBeLessThan(left.y);
    expect(join).toBeGreaterThan(left.y + 50);
    expect(boxOf(svg, '2').y).toBeGreaterThan(join);
  });

  it('shows the child execution on its node, and links it to the child\'s report when told where reports are', () => {
    const { parent } = runs.finished;
    const childId = parent.execution.steps.find((s) => s.path === '2')?.childId ?? '';
    const diagram = diagramFromShape(fanOutOrder.describe(), { execution: parent.execution, events: parent.events });
    const plain = renderSvg(diagram);
    expect(plain).toContain(`data-child="${childId}"`);
    expect(plain).toContain(`child ${childId.slice(0, 8)} · finished`);
    expect(plain).not.toContain('href=');
    const linked = renderSvg(diagram, { childLink: reportFileName });
    expect(linked).toContain(`<a class="child-link" href="saga-report-${childId}.html"><g class="node step child finished" data-path="2"`);
  });
});
