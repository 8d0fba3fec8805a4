import type { EventStoreDBClient } from '@eventstore/db-client';

/** The calls of `@eventstore/db-client` the store makes, and nothing else. */
export type EsdbClient = Pick<EventStoreDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'setStreamMetadata' | 'dispose'>;
