import { eventStoreDbEventStoreFromUrl } from './eventStoreDbUrl.js';

export { EventStoreDbEventStore } from './eventStoreDbEventStore.js';
export type { EventStoreDbEventStoreOptions } from './eventStoreDbEventStore.js';
export type { EventStoreDbExecutionIndex, ProjectedIndexOptions as EventStoreDbIndexOptions } from './projectedIndex.js';
export type { EsdbClient } from './esdbClient.js';
export { AppendTooLargeError, isAppendTooLargeError } from './appendTooLargeError.js';
export { DeletedStreamError, isDeletedStreamError } from './deletedStreamError.js';
export type { TransientRetryPolicy as RetryPolicy } from '@saga/core';
export { eventStoreDbEventStoreFromUrl };

/** The name every store adapter exports, so `SagaManager.fromConfig` can load any of them by URL. */
export const createEventStore = eventStoreDbEventStoreFromUrl;
