import { CorruptedHistoryError, type JsonObject } from '@saga/core';

/**
 * A `data` or `metadata` column, parsed. A row written behind the store's back (a manual fix, another
 * tool) may hold text that is not JSON: that is reported as the stream and revision it corrupts,
 * which `saga history` / `saga verify` can then inspect, not as a bare `SyntaxError`.
 */
export const parseStoredJson = (text: string, column: 'data' | 'metadata', stream: string, revision: number): JsonObject => {
  try {
    return JSON.parse(text) as JsonObject;
  } catch (error) {
    throw new CorruptedHistoryError(stream, revision, `its ${column} column is not JSON (${(error as Error).message})`);
  }
};
