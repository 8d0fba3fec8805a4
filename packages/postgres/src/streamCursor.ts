import { SagaError } from '@saga/core';

const cursorTag = 'pg1:';

/** Opaque to callers: the global position of the first event of the last stream of a page. */
export const encodeCursor = (position: string): string => Buffer.from(`${cursorTag}${position}`, 'utf8').toString('base64url');

export const decodeCursor = (cursor: string): string => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = text.startsWith(cursorTag) ? text.slice(cursorTag.length) : '';
  if (!/^\d{1,19}$/.test(position)) {
    throw new SagaError(`Invalid listStreams cursor '${cursor}': pass the nextCursor of a previous page of this store, or omit it.`);
  }
  return position;
};
