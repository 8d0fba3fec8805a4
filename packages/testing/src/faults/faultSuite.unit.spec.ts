// The fault-injection suite on the in-memory adapters: the reference run, and the one that keeps the
// suite itself honest. Real adapters run the same suite from their own packages.
import { InMemoryBroker, InMemoryEventStore } from '@saga/core';
import { faultSuite } from './faultSuite.js';

faultSuite('InMemoryEventStore + InMemoryBroker', async () => ({ store: new InMemoryEventStore(), broker: new InMemoryBroker() }));
