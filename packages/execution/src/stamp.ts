/**
 * Stamping a decision's state with the time its events were stored, instead of folding them again.
 *
 * A decision folds its events as it makes them (`evolve`, no `recordedAt` yet); once they are
 * appended, the execution must be exactly what a later read folds from the stream. The two differ
 * only where `apply` uses the time an event was recorded: the time of the last change, a start's
 * time, the sending time of the requests these events sent, and the time a cancel was asked.
 * `stamp.unit.spec.ts` holds `stamp` to `fold` for each of them; the driver's spec holds every
 * state it stores to the stream's fold.
 */
import type { SagaEvent } from './sagaEvents.js';
import type { PendingRequest, SagaExecution } from './sagaExecution.js';

/**
 * `after` (the events folded unstamped onto the execution before them) as if folded with their
 * stored `recordedAt`: equal to `fold(events with revisions and recordedAt, before)`, for a fraction
 * of the work.
 */
export const stamp = (after: SagaExecution, events: readonly SagaEvent[], recordedAt: string): SagaExecution => {
  let started = false;
  let cancelAsked = false;
  let sent: Set<string> | undefined;
  for (const event of events) {
    if (event.type === 'SagaStarted') started = true;
    else if (event.type === 'CancelRequested') cancelAsked = true;
    else if (event.type === 'RequestSent' || event.type === 'CompensationRequestSent') (sent ??= new Set()).add(event.data.requestId);
  }
  const stampRequest = (request: PendingRequest): PendingRequest =>
    sent?.has(request.requestId) && request.sentAt === '' ? { ...request, sentAt: recordedAt } : request;
  // A spread, not a rest pattern: this runs after every append, and V8 copies a spread of a known shape fast.
  const requests = sent === undefined ? undefined : after.pendingRequests.map(stampRequest);
  return Object.freeze({
    ...after,
    ...(requests === undefined ? {} : { pendingRequests: requests, ...(requests.length === 1 ? { pendingRequest: requests[0] } : {}) }),
    ...(started ? { startedAt: recordedAt } : {}),
    updatedAt: recordedAt,
    ...(cancelAsked && after.cancellation && after.cancellation.requestedAt === undefined ? { cancellation: { ...after.cancellation, requestedAt: recordedAt } } : {}),
  });
};
