import { sqliteEventStoreFromUrl } from './sqliteUrl.js';

export { SqliteEventStore } from './sqliteEventStore.js';
export type { SqliteEventStoreOptions } from './sqliteEventStore.js';
export { SqliteInbox, type SqliteInboxOptions } from './sqliteInbox.js';
export { inboxSchemaVersion } from './inboxSchema.js';
export { sqliteEventStoreFromUrl };

/** The name every store adapter exports, so `SagaManager.fromConfig` can load any of them by URL. */
export const createEventStore = sqliteEventStoreFromUrl;
