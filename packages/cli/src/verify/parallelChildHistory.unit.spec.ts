import { InMemoryEventStore, type RecordedSagaEvent } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordFanOut, type FanOutHistories } from '../../test/fanOutHistories.js';
import { indexOf, renumber } from '../../test/histories.js';
import { checkHistory } from './historyInvariants.js';

let runs: FanOutHistories;
beforeAll(async () => {
  runs = await recordFanOut(new InMemoryEventStore());
});

const messages = (events: readonly RecordedSagaEvent[], stream: string) => checkHistory(events, stream).problems.map((p) => `${p.revision ?? '-'}: ${p.message}`);

/** What `saga verify` reports of parallel and child steps (the rules are @saga/execution's checkHistory). */
describe('saga verify on parallel and child steps', () => {
  it('finds nothing wrong with a parent and a child the engine wrote', () => {
    for (const run of Object.values(runs)) {
      for (const { events, stream } of [run.parent, run.child]) expect(messages(events, stream)).toEqual([]);
    }
  });

  it("catches a child's outcome recorded twice", () => {
    const { events, stream } = runs.finished.parent;
    const ended = events[indexOf(events, 'ChildEnded')];
    if (!ended) throw new Error('no ChildEnded');
    const twice = renumber([...events.slice(0, indexOf(events, 'ChildEnded') + 1), ended, ...events.slice(indexOf(events, 'ChildEnded') + 1)]);
    const childId = ended.type === 'ChildEnded' ? ended.data.childId : '';
    expect(messages(twice, stream)).toEqual([`14: child ${childId} of step 2 ended, but the step was not waiting for it`]);
  });

  it('catches branches compensated out of reverse completion order', () => {
    const { events, stream } = runs.compensated.parent;
    // Undo branch 0 (finished first) before branch 1 (finished last): swap the two compensations.
    const from = indexOf(events, 'CompensationRequestSent', '1.1.0');
    const middle = indexOf(events, 'CompensationRequestSent', '1.0.0');
    const to = indexOf(events, 'StepCompensated', '1.0.0');
    const swapped = renumber([...events.slice(0, from), ...events.slice(middle, to + 1), ...events.slice(from, middle), ...events.slice(to + 1)]);
    expect(swapped.map((e) => e.type)).toEqual(events.map((e) => e.type));
    expect(messages(swapped, stream)).toContain('23: step 1.1.0 is compensated after step 1.0.0: compensations must run in reverse order (2, 1.1.0, 1.0.0, 0)');
  });
});
