// What checkInvariants itself adds to the rules it applies, where mutation testing
// (`pnpm mutation testing-checkInvariants`) found no test: the wording of an event that does not
// decode, and an event that carries no time.
import { describe, expect, it } from 'vitest';
import { checkInvariants } from './checkInvariants.js';

const started = { executionId: 'e1', definition: { name: 't', version: '1', fingerprint: 'f' }, context: {}, user: null, autocommit: true, service: 'order' };

describe('checkInvariants: events it cannot read', () => {
  it('an event that does not decode is reported alone, with the decoder’s reason in full', () => {
    const violations = checkInvariants([
      { revision: 0, type: 'SagaStarted', data: started, recordedAt: '2030-01-01T00:00:00.000Z' },
      { revision: 1, type: 'StepExploded', data: {}, recordedAt: '2030-01-01T00:00:01.000Z' },
    ]);
    expect(violations).toEqual([
      "rev 1 StepExploded: does not decode (The history of 'history' is corrupted at revision 1: unknown event type 'StepExploded'. " +
        'Nothing was written to it. Inspect it with `saga history` / `saga verify` and repair or archive the stream.)',
    ]);
  });

  it('an event without its time breaks the history: the violation shows the empty time it was given', () => {
    expect(checkInvariants([{ revision: 0, type: 'SagaStarted', data: started }])).toEqual(["rev 0 SagaStarted: recordedAt '' is not a timestamp"]);
  });
});
