import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DemoRun } from './demo.js';
import type { Ledgers } from './participants.js';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const run = async (...args: string[]): Promise<string> => (await promisify(execFile)(process.execPath, [main, ...args], { timeout: 60_000 })).stdout;

/** The built example, run as a user runs it, printing JSON: each order, its child, the services' records. */
let demo: { runs: DemoRun[]; ledgers: Ledgers };
beforeAll(async () => {
  demo = JSON.parse(await run('--json')) as { runs: DemoRun[]; ledgers: Ledgers };
});

const runOf = (orderId: string): DemoRun => {
  const found = demo.runs.find((r) => r.order.context.orderId === orderId);
  if (!found) throw new Error(`no run of ${orderId}`);
  return found;
};
const types = (history: DemoRun['history']): string[] => history.map((e) => e.type);
/** Where in a history the event of `type` at step `path` is (the first one). */
const at = (history: DemoRun['history'], type: string, path?: string): number =>
  history.findIndex((e) => e.type === type && (path === undefined || (e.data as { path?: string }).path === path));
/** What one service recorded about one order. */
const recorded = (lines: readonly string[], orderId: string): string[] => lines.filter((line) => line.split(' ')[1] === orderId).map((line) => line.split(' ')[0] as string);

describe('the parallel-order example (the built dist/main.js)', () => {
  it('order 1: reserves and authorizes in one parallel step, ships in a child, and keeps its tracking number', () => {
    const { order, history, child } = runOf('order-1');
    expect(order.status).toBe('finished');
    expect(recorded(demo.ledgers.stock, 'order-1')).toEqual(['reserve']);
    expect(recorded(demo.ledgers.payment, 'order-1')).toEqual(['authorize']);
    expect(recorded(demo.ledgers.shipping, 'order-1')).toEqual(['book']);
    expect(recorded(demo.ledgers.invoice, 'order-1')).toEqual(['issue']);
    // Both requests were recorded in one append, before either reply.
    const started = at(history, 'ParallelStarted', '1');
    const sent = history.filter((e) => e.type === 'RequestSent' && (e.data as { path: string }).path.startsWith('1.'));
    expect(sent.map((e) => (e.data as { target: string }).target).sort()).toEqual(['payment.authorize', 'stock.reserve']);
    expect(new Set([history[started]?.recordedAt, ...sent.map((e) => e.recordedAt)]).size).toBe(1);
    expect(Math.max(...sent.map((e) => e.revision))).toBeLessThan(at(history, 'ReplyReceived'));
    // The child is an execution of its own, pointing back at its parent; its tracking number is the order's.
    expect(child?.execution).toMatchObject({ status: 'finished', parent: { executionId: order.id, path: '2' } });
    expect(order.context.tracking).toBe(child?.execution.context.tracking);
    expect(order.context.tracking).toMatch(/^TRK-\d{4}$/);
    expect(order.context.shipment).toBe(child?.execution.id);
    expect(history.find((e) => e.type === 'ChildStarted')?.data).toMatchObject({ path: '2', childId: child?.execution.id });
  });

  it('order 2: the payment is declined, the reservation in flight is awaited and then released, nothing is shipped', () => {
    const { order, history, child } = runOf('order-2');
    expect(order.status).toBe('errored');
    expect(order.error?.message).toMatch(/card declined/);
    expect(recorded(demo.ledgers.stock, 'order-2')).toEqual(['reserve', 'release']);
    expect(recorded(demo.ledgers.payment, 'order-2')).toEqual(['decline']);
    expect(recorded(demo.ledgers.shipping, 'order-2')).toEqual([]);
    expect(child).toBeUndefined();
    // Compensation starts once the stock reply is in, and undoes the reservation before the validation.
    const compensating = at(history, 'CompensationStarted');
    expect(compensating).toBeGreaterThan(at(history, 'StepFinished', '1.0.0'));
    expect(compensating).toBeGreaterThan(at(history, 'StepFailed', '1.1.0'));
    expect(at(history, 'CompensationRequestSent', '1.0.0')).toBeGreaterThan(compensating);
    expect(at(history, 'StepCompensated', '1.0.0')).toBeLessThan(at(history, 'StepCompensated', '0'));
    expect(at(history, 'StepCompensated', '1.1.0')).toBe(-1);
    expect(order.context.state).toBe('cancelled');
  });

  it('order 3: shipping fails in the child; the child undoes its own steps, the order undoes both branches', () => {
    const { order, history, child } = runOf('order-3');
    expect(order.status).toBe('errored');
    expect(order.error?.name).toBe('ChildSagaFailedError');
    expect(recorded(demo.ledgers.shipping, 'order-3')).toEqual(['refuse']);
    expect(recorded(demo.ledgers.stock, 'order-3')).toEqual(['reserve', 'release']);
    expect(recorded(demo.ledgers.payment, 'order-3')).toEqual(['authorize', 'void']);
    expect(recorded(demo.ledgers.invoice, 'order-3')).toEqual([]);
    expect(child?.execution.status).toBe('errored');
    expect(child?.execution.context.label).toBeNull();
    expect(types(child?.history ?? [])).toEqual(expect.arrayContaining(['StepFailed', 'StepCompensated', 'SagaFailed']));
    expect(history.find((e) => e.type === 'ChildEnded')?.data).toMatchObject({ outcome: 'errored' });
    // Each branch's finished step is compensated, then the validation.
    for (const branch of ['1.0.0', '1.1.0']) expect(at(history, 'StepCompensated', branch)).toBeLessThan(at(history, 'StepCompensated', '0'));
  });

  it('order 4: the invoice is refused; the finished child compensates in its own stream, then both branches', () => {
    const { order, history, child } = runOf('order-4');
    expect(order.status).toBe('errored');
    expect(recorded(demo.ledgers.invoice, 'order-4')).toEqual(['refuse']);
    expect(recorded(demo.ledgers.shipping, 'order-4')).toEqual(['book', 'cancel']);
    expect(recorded(demo.ledgers.stock, 'order-4')).toEqual(['reserve', 'release']);
    expect(recorded(demo.ledgers.payment, 'order-4')).toEqual(['authorize', 'void']);
    const childHistory = types(child?.history ?? []);
    // The child had committed its participant when it finished: its compensation comes after that.
    expect(childHistory.indexOf('CompensationRequested')).toBeGreaterThan(childHistory.indexOf('TransactionCommitted'));
    expect(childHistory.indexOf('CompensationRequestSent')).toBeGreaterThan(childHistory.indexOf('CompensationRequested'));
    // In the order: the child's step first (the last to finish), then the branches, then the validation.
    const childDone = at(history, 'StepCompensated', '2');
    expect(at(history, 'ChildCompensationRequested', '2')).toBeLessThan(childDone);
    const compensated = history.findIndex((e) => e.type === 'ChildEnded' && (e.data as { outcome: string }).outcome === 'compensated');
    expect(compensated).toBeGreaterThan(at(history, 'ChildCompensationRequested', '2'));
    expect(compensated).toBeLessThan(childDone);
    for (const branch of ['1.0.0', '1.1.0']) {
      expect(at(history, 'StepCompensated', branch)).toBeGreaterThan(childDone);
      expect(at(history, 'StepCompensated', branch)).toBeLessThan(at(history, 'StepCompensated', '0'));
    }
  });

  it('prints each order, its child and the services’ records as plain text', async () => {
    const out = await run();
    expect(out.match(/^=== Order \d/gm)).toHaveLength(4);
    expect(out).toContain('ParallelStarted');
    expect(out).toContain('ChildCompensationRequested');
    expect(out).toMatch(/stock +reserve order-1 · reserve order-2/);
    expect(out).toMatch(/Its shipping child \(manager\.get\('[0-9a-f-]{36}'\)\):/);
  });
});
