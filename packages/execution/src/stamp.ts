/**
 * Stamping a decision's state with the time its events were stored, instead of folding them again.
 *
 * A decision folds its events as it makes them (`evolve`, no `recordedAt` yet); once they are
 * appended, the execution must be exactly what a later read folds from the stream. The two differ
 * only where `apply` uses the time an event was recorded: the time of the last change, a start's
 * time, the sending time of the requests sent, and the time a cancel was asked. In a state folded
 * unstamped onto a stored one, those are exactly the times still missing. Properties in
 * `evolve.unit.spec.ts` hold `stamp` to `fold` on every event type; the driver's spec holds every
 * state it stores to the stream's fold.
 */
import type { PendingRequest, SagaExecution } from './sagaExecution.js';

const stampRequest = (request: PendingRequest, recordedAt: string): PendingRequest => (request.sentAt === '' ? { ...request, sentAt: recordedAt } : request);

/**
 * `after` (a stored execution, with the events of one append folded onto it unstamped) as if those
 * events had been folded with their stored `recordedAt`: equal to `fold(events with revisions and
 * recordedAt, before)`, for a fraction of the work. Every time the unstamped fold left out belongs to
 * those events, since the execution they were folded onto was stored (every time in it recorded).
 */
export const stamp = (after: SagaExecution, recordedAt: string): SagaExecution => {
  const requests = after.pendingRequests.some((request) => request.sentAt === '') ? after.pendingRequests.map((request) => stampRequest(request, recordedAt)) : undefined;
  const { cancellation } = after;
  // A spread, not a rest pattern: this runs after every append, and V8 copies a spread of a known shape fast.
  return Object.freeze({
    ...after,
    ...(requests === undefined ? {} : { pendingRequests: requests, ...(requests.length === 1 ? { pendingRequest: requests[0] } : {}) }),
    ...(after.startedAt === undefined ? { startedAt: recordedAt } : {}),
    updatedAt: recordedAt,
    ...(cancellation !== undefined && cancellation.requestedAt === undefined ? { cancellation: { ...cancellation, requestedAt: recordedAt } } : {}),
  });
};
