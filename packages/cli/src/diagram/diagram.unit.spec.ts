import { Saga, SagaRequest } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOrder } from '../../test/fixtures/orderSaga.mjs';
import { recordHistories, type Histories } from '../../test/histories.js';
import { compensationTargets } from './compensationTargets.js';
import { renderSvg } from './renderSvg.js';
import { diagramFromHistory, diagramFromShape } from './sagaDiagram.js';
import { diagramToMermaid, toMermaid } from './toMermaid.js';

let histories: Histories;
beforeAll(async () => {
  histories = await recordHistories();
});

describe('toMermaid', () => {
  it('draws one node per step, a decision with its branches as subgraphs, dotted compensations', () => {
    const text = toMermaid(createOrder.describe());
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    expect(lines).toContain('  s0["0 · local step<br/><small>onExecute</small>"]');
    expect(lines).toContain('  s3{"3 · conditional<br/><small>2 branches</small>"}');
    expect(lines).toContain('  subgraph b3_0 ["if #35;0 · ship_express"]');
    expect(lines).toContain('    s3_else_0["3.else.0 · remote step<br/><small>onExecute · onSuccess</small>"]');
    expect(lines).toContain('  s2 -.-> u2');
    expect(lines).toContain('  s3 -->|if #35;0| s3_0_0');
    expect(lines).toContain('  s3_0_0 --> s4');
    expect(lines).toContain('  s3_else_0 --> s4');
    expect(lines).toContain('  s4 --> finish');
    // Edges come after every subgraph, so none pulls a node into a branch.
    expect(lines.findIndex((l) => l.includes('-->'))).toBeGreaterThan(lines.lastIndexOf('  end'));
    expect(text).not.toContain('classDef');
  });

  it('draws a conditional without else with a "none applies" edge', () => {
    const branch = new Saga('extra').localStep().onExecute((ctx) => ctx).commit();
    const saga = new Saga('maybe')
      .conditionalStep()
      .ifThen(() => true, branch)
      .remoteStep()
      .onExecute(() => new SagaRequest('x.y', {}))
      .commit();
    const text = toMermaid(saga.describe());
    expect(text).toContain('s0 -->|none applies| s1');
    expect(text).toContain('s0_0_0 --> s1');
  });

  it('colours the path of an execution by status', () => {
    const { execution, events } = histories.compensated;
    const text = diagramToMermaid(diagramFromShape(createOrder.describe(), { execution, events }));
    expect(text).toContain('class s0,u0,s1,u1 compensated');
    expect(text).toContain('class s2,finish failed');
    expect(text).toContain('classDef compensated fill:#fff4e0');
    expect(text).toContain('u1[/"undo 1<br/><small>↩ stock.release</small>"/]');
    expect(text).toMatch(/linkStyle [\d,]+ stroke:#1f2937/);
  });
});

describe('undo nodes', () => {
  it('name the target of a compensation, also one that did not run, and never the hook', () => {
    const { execution, events } = histories.finished;
    const text = diagramToMermaid(diagramFromShape(createOrder.describe(), { execution, events }, compensationTargets(createOrder, execution.context)));
    expect(text).toContain('u0[/"undo 0<br/><small>↩ local undo</small>"/]');
    expect(text).toContain('u2[/"undo 2<br/><small>↩ payment.refund</small>"/]');
    expect(text).toContain('u3_0_0[/"undo 3.0.0<br/><small>↩ shipping.cancel</small>"/]');
    expect(text).not.toContain('onFailure');
  });

  it('say what kind of undo it is when the target cannot be known without running it', () => {
    let calls = 0;
    const saga = new Saga('opaque')
      .remoteStep()
      .onExecute(() => new SagaRequest('a.do', {}))
      .onFailure(() => {
        calls += 1;
        throw new Error('needs the database');
      })
      .remoteStep()
      .onExecute(() => new SagaRequest('b.do', {}))
      .onFailure(async () => new SagaRequest('b.undo', {}))
      .commit();
    const text = toMermaid(saga.describe());
    expect(text.match(/↩ compensation request/g)).toHaveLength(2);
    const targets = compensationTargets(saga, {});
    expect([...targets]).toEqual([]);
    expect(calls).toBe(1);
    expect(diagramToMermaid(diagramFromShape(saga.describe(), undefined, targets))).not.toContain('onFailure');
  });
});

describe('renderSvg', () => {
  it('draws a self-contained SVG with a node per step and the taken branch', () => {
    const { execution, events } = histories.finished;
    const svg = renderSvg(diagramFromShape(createOrder.describe(), { execution, events }));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="saga-diagram"/);
    expect(svg).not.toMatch(/href=|@import|url\((?!#)/);
    expect(svg.match(/<g class="node step finished"/g)).toHaveLength(5);
    expect(svg).toContain('<g class="node step notReached" data-path="3.else.0"');
    expect(svg).toContain('<g class="branch taken"><rect class="frame"');
    expect(svg).toContain('→ shipping.schedule');
    const [, width, height] = /width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    expect(Number(width)).toBeGreaterThan(500);
    expect(Number(height)).toBeGreaterThan(600);
  });

  it('escapes what it draws and shortens long labels', () => {
    const saga = new Saga('<evil & "co">').localStep().onExecute((ctx) => ctx).commit();
    const svg = renderSvg(diagramFromShape(saga.describe()));
    expect(svg).toContain('&lt;evil &amp; &quot;co&quot;&gt;@1');
    expect(svg).not.toContain('<evil');
  });

  it('draws only what ran when there is no definition', () => {
    const { execution, events } = histories.paused;
    const diagram = diagramFromHistory(execution, events);
    expect(diagram.partial).toBe(true);
    expect(diagram.steps.map((s) => [s.path, s.status])).toEqual([
      ['0', 'finished'],
      ['1', 'active'],
    ]);
    expect(renderSvg(diagram)).toContain('Only the steps this execution ran');
  });
});
