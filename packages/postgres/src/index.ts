import { postgresEventStoreFromUrl } from './postgresUrl.js';

export { PostgresEventStore } from './postgresEventStore.js';
export type { PostgresEventStoreOptions } from './postgresEventStore.js';
export type { TransientRetryPolicy as RetryPolicy } from '@saga/core';
export { schemaVersion } from './migrations.js';
export { PostgresInbox, type PostgresInboxOptions } from './postgresInbox.js';
export { inboxSchemaVersion } from './inboxMigrations.js';
export { postgresEventStoreFromUrl };

/** The name every store adapter exports, so `SagaManager.fromConfig` can load any of them by URL. */
export const createEventStore = postgresEventStoreFromUrl;
