import { sagaEvent, type RecordedSagaEvent } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexOf, recordHistories, renumber, type Histories } from '../../test/histories.js';
import { checkHistory } from './historyInvariants.js';

let histories: Histories;
beforeAll(async () => {
  histories = await recordHistories();
});

const messages = (events: readonly RecordedSagaEvent[], stream?: string) => checkHistory(events, stream).problems.map((p) => `${p.revision ?? '-'}: ${p.message}`);

describe('checkHistory', () => {
  it('finds nothing wrong with histories the engine wrote', () => {
    for (const { events, stream, execution } of Object.values(histories)) {
      const check = checkHistory(events, stream);
      expect(check.problems).toEqual([]);
      expect(check.warnings).toEqual([]);
      expect(check.execution).toEqual(execution);
    }
  });

  it('catches compensations out of reverse order', () => {
    const events = [...histories.compensated.events];
    const first = indexOf(events, 'StepCompensated', '1');
    const second = indexOf(events, 'StepCompensated', '0');
    // Undo the local step 0 before the remote step 1 was undone.
    const [undo0] = events.splice(second, 1);
    if (!undo0) throw new Error('no StepCompensated for step 0');
    events.splice(indexOf(events, 'CompensationRequestSent', '1'), 0, undo0);
    expect(first).toBeGreaterThan(0);
    expect(messages(renumber(events))).toContainEqual(expect.stringContaining('step 1 is compensated after step 0: compensations must run in reverse order (1, 0)'));
  });

  it('catches a reply to a request that was not pending', () => {
    const events = histories.finished.events.map((e) =>
      e.type === 'ReplyReceived' && e.data.path === '2' ? { ...e, data: { ...e.data, requestId: 'someone-else' } } : e,
    );
    const at = indexOf(events, 'ReplyReceived', '2');
    expect(messages(events)).toContainEqual(expect.stringMatching(new RegExp(`^${at}: reply someone-else matches no earlier RequestSent/CompensationRequestSent$`)));
  });

  it('catches steps moving forward after the compensation started, and a second commit', () => {
    const events = [...histories.compensated.events];
    const finished: RecordedSagaEvent = { ...sagaEvent('StepFinished', { path: '2', kind: 'remote' }), revision: 0, recordedAt: events.at(-1)?.recordedAt ?? '' };
    const committed: RecordedSagaEvent = { ...sagaEvent('TransactionCommitted', { services: ['stock'] }), revision: 0, recordedAt: events.at(-1)?.recordedAt ?? '' };
    const problems = messages(renumber([...events, finished, committed]));
    expect(problems).toContainEqual(expect.stringContaining('StepFinished after the execution left its forward phase (phase: ended)'));
    expect(problems).toContainEqual(expect.stringContaining('the transaction was committed without a vote (transaction rejected)'));
  });

  it('catches an execution id that is not the stream’s, and a timer that never was', () => {
    const { events } = histories.paused;
    expect(messages(events, 'saga-not-this-one')).toContainEqual(expect.stringContaining('SagaStarted names execution'));
    const fired: RecordedSagaEvent = { ...sagaEvent('TimerFired', { timerId: 'ghost' }), revision: events.length, recordedAt: events.at(-1)?.recordedAt ?? '' };
    expect(messages([...events, fired])).toEqual([`${events.length}: timer ghost fired but was never scheduled`]);
  });

  it('catches a request id used twice (a RequestSent copied), with the rule the engine refuses it by', () => {
    const { events } = histories.paused;
    const sent = events[indexOf(events, 'RequestSent')];
    if (!sent) throw new Error('no RequestSent');
    expect(messages(renumber([...events, sent]))).toContainEqual(
      expect.stringMatching(new RegExp(`^${events.length}: RequestSent for step 1 repeats request .+ of revision ${sent.revision}: every request gets a new id$`)),
    );
  });

  it('warns when time runs backwards, without calling it a problem', () => {
    const events = histories.finished.events.map((e, index) => (index === 3 ? { ...e, recordedAt: '2000-01-01T00:00:00.000Z' } : e));
    const check = checkHistory(events);
    expect(check.problems).toEqual([]);
    expect(check.warnings.map((w) => w.revision)).toEqual([3]);
  });

  it('says an empty stream is a problem', () => {
    expect(messages([])).toEqual(['-: the stream has no events']);
  });
});
