/**
 * When is an execution done with, as far as faults go: terminal, or paused where it is meant to
 * pause (an operator's `resume` after a compensation that kept failing, or a caller's `commit` /
 * `reject` with `autocommit: false`). Anything else still waits for a message or a timer.
 */
import { SagaStatus, decodeHistory, executionStream, fold, type EventStore, type RecordedSagaEvent, type SagaExecution } from '@saga/core';

/** Why `execution` is not settled, or undefined when it is. */
export const settledProblem = (execution: SagaExecution): string | undefined => {
  // Every request in flight (a parallel step has one per branch), not only a lone pendingRequest.
  const pending = execution.pendingRequests[0];
  if (pending) return `waits for the reply to ${pending.requestId} (step ${pending.path})${execution.pendingRequests.length > 1 ? ` and ${execution.pendingRequests.length - 1} more` : ''}`;
  const child = execution.pendingChildren[0];
  if (child) return `waits for its child ${child.childId} (step ${child.path})`;
  if (execution.transaction.status === 'reserving') return 'waits for votes';
  if (execution.phase !== 'ended') return `is still ${execution.phase === 'forward' ? 'running forward' : 'compensating'}`;
  if (execution.timers.length > 0) return `ended with ${execution.timers.length} active timer(s)`;
  if (execution.compensation.failed) return undefined;
  if (execution.status !== SagaStatus.Finished && execution.status !== SagaStatus.Errored) return `ended with status ${execution.status}`;
  if (execution.autocommit && execution.transaction.status === 'pending') return 'ended with its transaction neither committed nor rejected';
  const { status, participants, notified } = execution.transaction;
  // The outcome's commands are still owed until TransactionNotified is stored (the last write).
  if ((status === 'committed' || status === 'rejected') && participants.length > 0 && !notified) return `owes its participants the ${status === 'committed' ? 'commit' : 'reject'}`;
  return undefined;
};

/** Reads and folds one execution straight from the store (no manager needed). */
export const loadHistory = async (store: EventStore, executionId: string): Promise<{ events: RecordedSagaEvent[]; execution: SagaExecution }> => {
  const stream = executionStream(executionId);
  const events = decodeHistory(await store.read(stream), stream);
  return { events, execution: fold(events) };
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every execution is settled; fails naming those that are not (and why) once none of
 * them has moved for `timeoutMs`: no new event in any unsettled execution, none newly settled. A
 * stalled execution fails as soon as a fixed deadline would; a slow machine (CI, a loaded laptop)
 * only makes the wait longer, as long as the executions progress. The test's own timeout bounds it.
 */
export const waitUntilSettled = async (store: EventStore, executionIds: readonly string[], timeoutMs: number): Promise<Map<string, SagaExecution>> => {
  const settled = new Map<string, SagaExecution>();
  let progress: string | undefined;
  let movedAt = Date.now();
  for (;;) {
    const waiting: string[] = [];
    // How far the unsettled executions are: it changes with every event appended to any of them.
    let revisions = 0;
    for (const id of executionIds) {
      if (settled.has(id)) continue;
      const { execution } = await loadHistory(store, id);
      const problem = settledProblem(execution);
      if (problem === undefined) settled.set(id, execution);
      else {
        waiting.push(`${id} ${problem}`);
        revisions += execution.revision + 1;
      }
    }
    if (waiting.length === 0) return settled;
    const now = `${settled.size}/${revisions}`;
    if (now !== progress) {
      progress = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt >= timeoutMs) {
      const sample = waiting.slice(0, 5).join('; ');
      throw new Error(
        `${waiting.length} of ${executionIds.length} execution(s) did not settle, none of them moving for ${timeoutMs} ms: ${sample}${waiting.length > 5 ? '; …' : ''}`,
      );
    }
    await sleep(25);
  }
};
