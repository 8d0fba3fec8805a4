import { createHash } from 'node:crypto';

/** One stream per execution; EventStoreDB's category projection turns `saga-…` into `$ce-saga`. */
export const executionStream = (executionId: string): string => `saga-${executionId}`;

export const executionIdOf = (stream: string): string => stream.slice('saga-'.length);

/**
 * A deterministic event id: the same decision at the same place gets the same id, so a retried
 * append is recognised by stores that de-duplicate by id, while a different decision never is.
 */
export const eventId = (stream: string, revision: number, type: string, data: unknown): string => {
  const hex = createHash('sha256').update(`${stream}\u0000${revision}\u0000${type}\u0000${JSON.stringify(data)}`).digest('hex');
  // Shaped as an RFC 4122 version 5-style UUID so stores that require UUIDs accept it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
};
