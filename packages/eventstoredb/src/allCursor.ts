import type { Position } from '@eventstore/db-client';
import { SagaError } from '@saga/core';

const cursorTag = 'esdb1:';

/** Opaque to callers: the `$all` position of the first event of the last stream of a page. */
export const encodeCursor = (position: Position): string =>
  Buffer.from(`${cursorTag}${position.commit.toString(10)}:${position.prepare.toString(10)}`, 'utf8').toString('base64url');

export const decodeCursor = (cursor: string): Position => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = text.startsWith(cursorTag) ? /^(\d{1,20}):(\d{1,20})$/.exec(text.slice(cursorTag.length)) : null;
  if (match === null) {
    throw new SagaError(`Invalid listStreams cursor '${cursor}': pass the nextCursor of a previous page of this store, or omit it.`);
  }
  return { commit: BigInt(match[1] ?? '0'), prepare: BigInt(match[2] ?? '0') };
};

/** Order of two positions in `$all`. */
export const comparePositions = (a: Position, b: Position): number =>
  a.commit !== b.commit ? (a.commit < b.commit ? -1 : 1) : a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1;
