// Stream names: one stream per execution, named so that EventStoreDB's category projection groups
// every execution under `$ce-saga`, and the id can be read back from the name (recovery, the CLI).
import { describe, expect, it } from 'vitest';
import { executionIdOf, executionStream } from './executionStream.js';

describe('executionStream', () => {
  it('names the stream saga-<id>', () => {
    expect(executionStream('0b6f7c1e-5d2a-4c1b-9a57-3e2f1d0c9b8a')).toBe('saga-0b6f7c1e-5d2a-4c1b-9a57-3e2f1d0c9b8a');
  });

  it('reads the id back from the stream name, dashes in the id included', () => {
    for (const id of ['a', 'a-b-c', '0b6f7c1e-5d2a-4c1b-9a57-3e2f1d0c9b8a']) expect(executionIdOf(executionStream(id))).toBe(id);
  });

  it('starts with the category before the first dash, which is how EventStoreDB splits categories', () => {
    expect(executionStream('x-y').split('-')[0]).toBe('saga');
  });
});
