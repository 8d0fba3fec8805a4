/**
 * The index entry of an execution, read off its folded state. Pure: the driver computes it after
 * every decision and hands it to the append, and a rebuild computes it from the streams the same way.
 */
import type { SagaExecution } from '@saga/execution';
import type { ExecutionIndexEntry } from '../ports/eventStore.js';
import { isAwaiting } from '../manager/nextAction.js';

/** What the execution waits for, in words an operator reads in `saga list`. */
const waitingFor = (execution: SagaExecution): string | null => {
  const [pending, ...others] = execution.pendingRequests;
  if (pending) {
    const from = [pending, ...others].map((p) => p.target).join(', ');
    return `${pending.purpose === 'compensate' ? 'compensation reply' : others.length > 0 ? 'replies' : 'reply'} from ${from}`;
  }
  const child = execution.pendingChildren[0];
  if (child) return `child ${child.childId}${child.purpose === 'compensate' ? ' to compensate' : ''}`;
  const { status, notified } = execution.transaction;
  if (status === 'reserving') return 'votes';
  if (execution.compensation.failed) return 'operator: resume';
  if ((status === 'committed' || status === 'rejected') && !notified) return `${status === 'committed' ? 'commit' : 'reject'} to be sent`;
  if (execution.phase === 'compensating' && execution.timers.some((t) => t.purpose === 'retry')) return 'compensation retry';
  if (execution.phase === 'ended' && status === 'pending' && !execution.autocommit) return 'commit or reject';
  return null;
};

const nextDueAt = (execution: SagaExecution): string | null => {
  let earliest: string | null = null;
  for (const timer of execution.timers) if (earliest === null || Date.parse(timer.dueAt) < Date.parse(earliest)) earliest = timer.dueAt;
  return earliest;
};

/** True while the engine still owes the execution work that recovery must find. */
export const isOpen = (execution: SagaExecution): boolean => {
  const { status, notified } = execution.transaction;
  return (
    execution.phase !== 'ended' ||
    isAwaiting(execution) ||
    execution.timers.length > 0 ||
    execution.compensation.failed !== undefined ||
    ((status === 'committed' || status === 'rejected') && !notified)
  );
};

/**
 * `at`: the state is not stamped yet (a decision about to be appended, `Decision.execution`), and
 * this is the moment of the append: it is the entry's `updatedAt`, and its `startedAt` when the
 * execution starts with this append. Without it, the times are the folded state's own.
 */
export const indexEntryOf = (execution: SagaExecution, at?: string): ExecutionIndexEntry => {
  const startedAt = execution.startedAt ?? at ?? new Date(0).toISOString();
  return {
    executionId: execution.id,
    service: execution.service,
    definitionName: execution.definition.name,
    definitionVersion: execution.definition.version,
    status: execution.status,
    phase: execution.phase,
    open: isOpen(execution),
    startedAt,
    updatedAt: at ?? execution.updatedAt ?? startedAt,
    user: execution.user ?? null,
    nextDueAt: nextDueAt(execution),
    waitingFor: waitingFor(execution),
    revision: execution.revision,
  };
};
