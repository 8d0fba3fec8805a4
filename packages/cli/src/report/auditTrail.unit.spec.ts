import { beforeAll, describe, expect, it } from 'vitest';
import { recordHistories, type Histories } from '../../test/histories.js';
import { auditTrail } from './auditTrail.js';
import { renderHtmlReport } from './renderHtmlReport.js';
import { createOrder } from '../../test/fixtures/orderSaga.mjs';

let histories: Histories;
beforeAll(async () => {
  histories = await recordHistories();
});

describe('auditTrail', () => {
  it('gives each step its input and output context, request, reply and compensation', () => {
    const { steps, timeline } = auditTrail(histories.compensated.events);
    expect(timeline).toHaveLength(histories.compensated.events.length);
    expect(steps.map((s) => [s.path, s.status])).toEqual([
      ['0', 'compensated'],
      ['1', 'compensated'],
      ['2', 'errored-on-error'],
    ]);
    const [local, stock, payment] = steps;
    expect(local?.input).toEqual({ orderId: 'o-2', sku: 'B7', amount: 5000 });
    expect(local?.output).toEqual({ orderId: 'o-2', sku: 'B7', amount: 5000, state: 'pending' });
    expect(local?.compensation?.context).toMatchObject({ state: 'cancelled' });
    expect(stock?.request).toMatchObject({ target: 'stock.reserve', payload: { sku: 'B7' } });
    expect(stock?.reply).toMatchObject({ status: 'SUCCESS', services: ['stock'] });
    expect(stock?.compensation?.request?.target).toBe('stock.release');
    expect(stock?.compensation?.reply?.status).toBe('SUCCESS');
    expect(payment?.reply?.status).toBe('ERROR');
    expect(payment?.failure?.status).toBe('errored-on-error');
    expect(payment?.output).toBeUndefined();
    expect(timeline.filter((e) => e.category === 'compensation').map((e) => e.type)).toEqual(['CompensationRequestSent', 'StepCompensated', 'StepCompensated']);
  });
});

describe('renderHtmlReport', () => {
  it('is one page with nothing to fetch', () => {
    const { events, stream } = histories.compensated;
    const html = renderHtmlReport({ events, stream, definition: createOrder, generatedAt: '2026-03-01T00:00:00.000Z' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(?:script|link|img|iframe)[^>]+(?:src|href)=/i);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="saga-diagram"');
    expect(html).toContain('History verified');
  });

  it('keeps a value from the history from closing its script element', () => {
    const { events, stream } = histories.finished;
    const [first, ...rest] = events;
    if (first?.type !== 'SagaStarted') throw new Error('no SagaStarted');
    const hostile = { ...first, data: { ...first.data, context: { note: '</script><script>alert(1)</script>' } } };
    const html = renderHtmlReport({ events: [hostile, ...rest], stream });
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).toContain('&lt;/script&gt;');
  });

  /** What a reader sees: no markup, no attributes, not the embedded export. */
  const visible = (html: string): string => html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]*>/g, ' ');
  const engineNames = /running-on-|paused-by-on-execute|paused-on-failure|errored-(?:on|by)-/;

  it('says step statuses in words, with the engine name on hover', () => {
    const compensated = renderHtmlReport({ ...histories.compensated, definition: createOrder });
    expect(visible(compensated)).not.toMatch(engineNames);
    expect(compensated).toContain('<span class="badge failed" title="engine status: errored-on-error">failed: the participant answered with an error</span>');
    expect(visible(compensated)).toContain('failed: the participant answered with an error: ErrorReply');
    const paused = renderHtmlReport({ ...histories.paused, definition: createOrder });
    expect(visible(paused)).not.toMatch(engineNames);
    expect(visible(paused)).toContain('waiting for the reply');
  });

  it('labels each compensation with its target, also those that did not run', () => {
    const finished = renderHtmlReport({ ...histories.finished, definition: createOrder });
    expect(finished).not.toContain('onFailure');
    for (const label of ['↩ local undo', '↩ stock.release', '↩ payment.refund', '↩ shipping.cancel']) expect(visible(finished)).toContain(label);
    const compensated = renderHtmlReport({ ...histories.compensated });
    expect(compensated).not.toContain('onFailure');
    expect(visible(compensated)).toContain('↩ local undo');
  });
});
