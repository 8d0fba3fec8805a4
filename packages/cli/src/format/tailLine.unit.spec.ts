import { describe, expect, it } from 'vitest';
import type { GlobalEvent } from '@saga/core';
import type { Io } from '../io.js';
import { createStyle } from './style.js';
import { eventPrinter, tailLine } from './tailLine.js';

const captured = (): Io & { readonly lines: string[] } => {
  const lines: string[] = [];
  return { lines, out: (text) => void lines.push(text), err: () => undefined, style: createStyle(false), errStream: process.stderr };
};

const at = '2026-03-01T12:00:00.000Z';
const event = (stream: string, revision: number, type: string, data: Record<string, unknown>, position = revision + 1): GlobalEvent => ({
  stream,
  revision,
  type,
  data: data as GlobalEvent['data'],
  metadata: {},
  recordedAt: at,
  position: String(position),
});
const started = (id: string) =>
  event(`saga-${id}`, 0, 'SagaStarted', {
    executionId: id,
    definition: { name: 'create_order', version: '1', fingerprint: 'f' },
    context: {},
    user: 'carol',
    autocommit: true,
    service: 'order',
  });

describe('saga tail lines', () => {
  it('prints time, execution, revision, type, step and summary', () => {
    const io = captured();
    expect(tailLine(io, started('3f2a9c1e-0000-4000-8000-000000000001'))).toBe(
      '2026-03-01 12:00:00.000Z  3f2a9c1e  #0   SagaStarted                      create_order@1 for carol, context {}',
    );
    expect(tailLine(io, event('saga-3f2a9c1e-x', 1, 'StepFinished', { path: '0', kind: 'local' }))).toMatch(/#1\s+StepFinished\s+0\s+local step done$/);
  });

  it('marks an event that does not decode instead of stopping', () => {
    expect(tailLine(captured(), event('saga-abc', 1, 'StepFinished', { path: '0' }))).toMatch(/#1\s+StepFinished ✗ The history of 'saga-abc' is corrupted at revision 1/);
  });

  it('prints each event once, in the order the feed gives them, across streams', () => {
    const io = captured();
    const print = eventPrinter(io);
    const a = started('aaaaaaaa-1');
    const b = started('bbbbbbbb-1');
    const a1 = event('saga-aaaaaaaa-1', 1, 'StepFinished', { path: '0', kind: 'local' }, 3);
    print([a, b]);
    print([a, a1]);
    expect(io.lines.map((l) => /\s(\w{8})\s+#(\d+)/.exec(l)?.slice(1).join('#'))).toEqual(['aaaaaaaa#0', 'bbbbbbbb#0', 'aaaaaaaa#1']);
  });
});
