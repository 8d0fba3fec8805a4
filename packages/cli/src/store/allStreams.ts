import type { EventStore, StreamSummary } from '@saga/core';

/** Every execution stream's summary, oldest first, following the store's cursor page by page. */
export const allStreams = async (store: EventStore, pageSize = 500): Promise<StreamSummary[]> => {
  const streams: StreamSummary[] = [];
  let after: string | undefined;
  do {
    const page = await store.listStreams({ prefix: 'saga-', limit: pageSize, ...(after !== undefined ? { after } : {}) });
    streams.push(...page.streams);
    after = page.nextCursor;
  } while (after !== undefined);
  return streams;
};
