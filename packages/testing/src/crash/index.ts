// Crash tests in real processes: decorators that halt a process at a chosen point of the engine's
// work, and the catalogue of those points.
export { haltingEventStore, type StoreAcknowledgement, type AppendMatcher, type HaltingEventStoreOptions } from './haltingEventStore.js';
export { haltingBroker, type HaltingBrokerOptions, type PublishMatcher } from './haltingBroker.js';
export { engineCrashPoints, haltAtCrashPoint, isEngineCrashPoint, type EngineCrashPoint, type HaltAtCrashPointOptions } from './engineCrashPoints.js';
