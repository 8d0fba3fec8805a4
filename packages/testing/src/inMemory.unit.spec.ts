// The contract suites run against the in-memory adapters: that keeps both the suites and the
// adapters honest, and is the reference run for adapter authors.
import { InMemoryBroker, InMemoryEventStore } from '@saga/core';
import { brokerContract } from './brokerContract.js';
import { eventStoreContract } from './eventStoreContract.js';

eventStoreContract('InMemoryEventStore', async () => new InMemoryEventStore());
brokerContract('InMemoryBroker', async () => new InMemoryBroker(), { quietMs: 50 });
