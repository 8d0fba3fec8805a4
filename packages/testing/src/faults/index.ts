// The fault-injection kit: the suite every store + broker pair runs, and the tools it is made of
// (usable on their own in an application's tests).
export { faultSuite, type FaultSuiteOptions } from './faultSuite.js';
export type { FaultEnvironment } from './faultWorld.js';
export type { BrokerBacklog, ConsumerGroup, GroupBacklog } from './brokerBacklog.js';
export { checkInvariants, type CheckInvariantsOptions, type HistoryEvent } from './checkInvariants.js';
export { settledProblem, loadHistory, waitUntilSettled } from './settled.js';
export {
  crashingStore,
  lostEvents,
  SimulatedCrashError,
  type AcknowledgedAppend,
  type CrashingStore,
  type CrashingStoreOptions,
  type CrashPoint,
} from './crashingStore.js';
export {
  faultyBroker,
  SimulatedDeliveryFailure,
  type DeliveryPlan,
  type FaultCounts,
  type FaultyBroker,
  type PublishFault,
  type PublishPlan,
  type QuietOptions,
} from './faultyBroker.js';
export { countingParticipant, type CountingParticipant, type CountingParticipantOptions, type EffectHandler, type EffectRecord } from './countingParticipant.js';
export { malformedMessage, malformedReply, malformedRequest, malformedTransactionCommand, randomJson, type FuzzTargets, type MalformedKind, type MalformedMessage } from './malformedMessages.js';
export { seededRandom, faultSeed, type Prng } from './prng.js';
export { FaultFigures, type FaultFigureSnapshot, type FaultKind } from './faultFigures.js';
