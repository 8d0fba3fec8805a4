// @saga/core: everything a user of the engine imports. Definitions and the execution model are
// re-exported so that `@saga/core` is the only import an application needs.
export * from '@saga/definitions';
export * from '@saga/execution';

// Ports: what adapters implement.
export * from './ports/eventStore.js';
export * from './ports/broker.js';
export { resolveSubscribeOptions, deadLetterReason } from './ports/subscribeOptions.js';
export { afterHandlerFailure, abandonedDelivery, type DeadLetterVerdict, type FailedDelivery } from './ports/deliveryFailure.js';
export * from './ports/clock.js';
export * from './ports/logger.js';
export { ConcurrencyConflictError, isConcurrencyConflictError } from './ports/concurrencyConflictError.js';
export { PoisonMessageError, isPoisonMessageError } from './ports/poisonMessageError.js';

// In-memory adapters.
export { InMemoryEventStore, type InMemoryEventStoreOptions } from './inMemory/inMemoryEventStore.js';
export { InMemoryBroker, type DeadLetter, type DrainOptions, type InMemoryBrokerOptions } from './inMemory/inMemoryBroker.js';

// The engine.
export { SagaManager, type SagaManagerOptions } from './manager/sagaManager.js';
export { SagaClient, type SagaClientOptions, type RunOptions, type SagaHistoryEntry, type ExecutionKey, type CancelOptions, type ResumeOptions } from './manager/sagaClient.js';
export { executionIdForKey } from './manager/executionIdForKey.js';
export { SagaWorker, type SagaWorkerOptions, type RecoveryReport, type DefinitionCheckReport } from './manager/sagaWorker.js';
export type { EngineOptions } from './manager/engine.js';
export type { ExecutionCacheOptions } from './manager/executionCache.js';
export { nextAction, isAwaiting, type Action } from './manager/nextAction.js';
export { forkProblem, forkedPrefix } from './manager/preconditions.js';
export {
  decide,
  defaultCompensationRetry,
  defaultDecideOptions,
  withRetries,
  telemetryStepObserver,
  type ChildCommand,
  type DecideInput,
  type DecideOptions,
  type Decision,
  type ObservedStep,
  type Outgoing,
  type ReplyLatency,
  type RetryCall,
  type StepObserver,
} from './manager/decide.js';
export type { Outcome } from './manager/callUserCode.js';
export { executionStream, executionIdOf } from './manager/executionStream.js';
export {
  SagaParticipant,
  type SagaParticipantOptions,
  type RequestHandler,
  type RequestMeta,
  type HandleOptions,
  type TransactionHook,
} from './participant/sagaParticipant.js';
export { transactionSlot, type ParticipantInbox, type InboxRequest, type InboxCommand, type InboxWork, type InboxReply, type InboxTransaction, type InboxSlot } from './participant/participantInbox.js';
export { InMemoryInbox, type InMemoryInboxOptions } from './participant/inMemoryInbox.js';
export {
  pruneOnSchedule,
  resolveInboxRetention,
  defaultInboxRetentionMs,
  type InboxRetentionOptions,
  type ResolvedInboxRetention,
} from './participant/inboxRetention.js';
export type { TransactionAction } from './wire/sagaMessages.js';
export { SagaBusinessError } from './participant/sagaBusinessError.js';
export {
  SagaFailedError,
  CommitFailedError,
  SagaRollbackError,
  SagaCancelledError,
  SagaNotFoundError,
  SagaAlreadyExecutedError,
  DefinitionNotRegisteredError,
  DefinitionConflictError,
  InvalidRunOptionsError,
  UnexpectedResponseError,
  ManagerNotReadyError,
  AdapterNotAvailableError,
} from './errors/runErrors.js';

// The wire format, for adapters and tools that inspect messages.
export { Headers, replyTopic, transactionTopic } from './wire/headers.js';
export { decodeReply, decodeRequest, encodeReply, encodeRequest, type ReplyEnvelope, type RequestEnvelope } from './wire/sagaMessages.js';

// Configuration.
export { type SagaManagerConfig, type AdapterLookup, storeFromUrl, brokerFromUrl, defaultStoreUrl, redactUrl } from './config/resolveConfig.js';
export type { ImportAdapter } from './config/loadAdapter.js';

// What adapters share: input checks, listeners, transient retries, messages on the wire.
export {
  assertAppendable,
  assertExpectedRevision,
  assertStreamName,
  defaultListStreams,
  readFromRevision,
  resolveListStreamsOptions,
  defaultReadAll,
  resolveReadAllOptions,
  parseIntegerPosition,
} from './ports/eventStoreInput.js';
export {
  assertIndexEntry,
  decodeIndexCursor,
  encodeIndexCursor,
  matchesExecutionQuery,
  maxIndexPage,
  newestFirst,
  resolveClaimOptions,
  resolveExecutionQuery,
  resolveLeaseOptions,
  appendLease,
  assertOwner,
  normalizedTime,
  type IndexCursor,
  type ResolvedExecutionQuery,
} from './ports/executionQuery.js';
export { decodeStreamCursor, encodeStreamCursor, parseCursorIndex } from './ports/streamCursor.js';

// The execution index and the store feed.
export { indexEntryOf, isOpen } from './executionIndex/indexEntryOf.js';
export * from './executionIndex/indexMaintenance.js';
export { StoreFeed, type FeedListener, type StoreFeedOptions, type StreamWatch } from './feed/storeFeed.js';
export { defaultTransientRetry, resolveTransientRetry, withTransientRetry, type TransientRetryPolicy } from './ports/transientRetry.js';
export { parseWireBody, toWireMessage, type WireBody, type WireMessage } from './ports/wireMessage.js';
export { abortableDelay } from './ports/abortableDelay.js';
