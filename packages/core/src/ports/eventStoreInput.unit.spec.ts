import { describe, expect, it } from 'vitest';
import type { NewEvent } from './eventStore.js';
import { assertAppendable, assertExpectedRevision, readFromRevision, resolveListStreamsOptions } from './eventStoreInput.js';

describe('the input checks every store shares', () => {
  it('accepts events with a type and JSON objects as data and metadata', () => {
    expect(() => assertAppendable('saga-1', [{ type: 'A', data: {} }, { type: 'B', data: { n: 1 }, metadata: { m: true } }])).not.toThrow();
  });

  it('refuses, saying what to fix: no stream name, no events, no type, data or metadata that is not an object', () => {
    expect(() => assertAppendable('', [{ type: 'A', data: {} }])).toThrow('A stream name must be a non-empty string.');
    expect(() => assertAppendable('saga-1', [])).toThrow(/the list of events is empty/);
    expect(() => assertAppendable('saga-1', [{ type: 'A', data: {} }, { type: '', data: {} }])).toThrow(/event 1 has no type/);
    expect(() => assertAppendable('saga-1', [{ type: 'A', data: [] as never }])).toThrow(/the data of event 0 \(A\) must be a JSON object/);
    expect(() => assertAppendable('saga-1', [{ type: 'A', data: {}, metadata: 'm' as never }])).toThrow(/the metadata of event 0 \(A\) must be a JSON object/);
    expect(() => assertAppendable('saga-1', [null as unknown as NewEvent])).toThrow(/event 0 has no type/);
  });

  it('takes expected revisions the port knows, within the store\'s range', () => {
    for (const expected of ['no_stream', 'any', 0, 41] as const) expect(() => assertExpectedRevision('saga-1', expected)).not.toThrow();
    expect(() => assertExpectedRevision('saga-1', -1)).toThrow(/expected revision -1 is not/);
    expect(() => assertExpectedRevision('saga-1', 1.5)).toThrow(/expected revision 1.5 is not/);
    expect(() => assertExpectedRevision('saga-1', 10, 10)).toThrow(/expected revision 10 is not/);
  });

  it('reads from revision 0 unless told, and lists saga- streams 100 at a time unless told', () => {
    expect(readFromRevision('saga-1', {})).toBe(0);
    expect(() => readFromRevision('saga-1', { fromRevision: -1 })).toThrow("Cannot read stream 'saga-1' from revision -1: use a whole number ≥ 0.");
    expect(resolveListStreamsOptions({})).toEqual({ prefix: 'saga-', limit: 100 });
    expect(() => resolveListStreamsOptions({ limit: 0 })).toThrow('Invalid listStreams limit 0: use a whole number ≥ 1.');
    expect(() => resolveListStreamsOptions({ prefix: 3 as never })).toThrow(/Invalid listStreams prefix 3/);
  });
});
