import type { SagaExecution } from '@saga/execution';

/** Whether an execution is waiting for a message (a reply or votes) rather than done. */
export const isAwaiting = (execution: SagaExecution): boolean =>
  execution.pendingRequests.length > 0 ||
  execution.pendingChildren.length > 0 ||
  execution.transaction.status === 'reserving' ||
  (execution.phase === 'compensating' && execution.timers.some((t) => t.purpose === 'retry'));
