/**
 * One line that says what an event means, for people reading a history (the demo, `saga history`).
 */
import type { JsonValue } from '@saga/definitions';
import type { SagaEvent } from './sagaEvents.js';

const short = (value: JsonValue | undefined, max = 60): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

const statusName: Record<number, string> = { 200: 'SUCCESS', 400: 'ERROR', 500: 'SYSTEM_ERROR' };

export interface EventSummary {
  /** The step the event is about, if any. */
  readonly step?: string;
  readonly summary: string;
}

export const summarizeEvent = (event: SagaEvent): EventSummary => {
  switch (event.type) {
    case 'SagaStarted': {
      const { definition, context, user, forkedFrom } = event.data;
      const origin = forkedFrom ? ` (forked from ${forkedFrom.executionId} at revision ${forkedFrom.revision})` : '';
      return { summary: `${definition.name}@${definition.version}${user ? ` for ${user}` : ''}${origin}, context ${short(context)}` };
    }
    case 'StepFinished':
      return { step: event.data.path, summary: `${event.data.kind} step done` };
    case 'StepFailed':
      return {
        step: event.data.path,
        summary: `${event.data.status}: ${event.data.error.name}: ${event.data.error.message}${event.data.compensate ? ' (will be compensated)' : ''}`,
      };
    case 'RequestSent':
      return { step: event.data.path, summary: `→ ${event.data.target} ${short(event.data.payload, 40)}` };
    case 'CompensationRequestSent':
      return { step: event.data.path, summary: `↩ ${event.data.target} ${short(event.data.payload, 40)}` };
    case 'ReplyReceived':
      return {
        step: event.data.path,
        summary:
          `← ${statusName[event.data.status] ?? event.data.status} from ${event.data.relatedServices.join(', ') || '?'} ${short(event.data.payload, 40)}` +
          (event.data.autocommit === undefined ? '' : ` (autocommit ${event.data.autocommit ? 'on' : 'off'} from here)`),
      };
    case 'BranchChosen':
      return { step: event.data.path, summary: event.data.branch === null ? 'no branch applies' : `branch ${event.data.branch}` };
    case 'SagaCompleted':
      return { summary: 'all steps done' };
    case 'StepCompensated':
      return { step: event.data.path, summary: 'compensated' };
    case 'CompensationFailed':
      return { step: event.data.path, summary: `compensation failed: ${event.data.error.message}` };
    case 'SagaFailed':
      return { summary: `failed: ${event.data.error.name}: ${event.data.error.message}` };
    case 'VotesRequested':
      return { summary: `asked ${event.data.votes.map((v) => v.service).join(', ')} to reserve` };
    case 'VoteReceived':
      return { summary: `${event.data.service} voted ${event.data.vote ? 'yes' : 'no'}${event.data.reason ? ` (${event.data.reason})` : ''}` };
    case 'TransactionCommitted':
      return { summary: `committed on ${event.data.services.join(', ')}` };
    case 'TransactionRejected':
      return { summary: `rejected on ${event.data.services.join(', ')}: ${event.data.reason}` };
    case 'CommitFailed':
      return { summary: `commit failed: ${event.data.error.message}` };
    case 'TimerScheduled':
      return { ...(event.data.path ? { step: event.data.path } : {}), summary: `${event.data.purpose} timer due ${event.data.dueAt}` };
    case 'TimerFired':
      return { summary: `timer ${event.data.timerId.slice(0, 8)} fired` };
    case 'RequestResent':
      return { step: event.data.path, summary: `request re-sent (attempt ${event.data.attempt}, same id)` };
    case 'CompensationAttemptFailed':
      return { step: event.data.path, summary: `compensation attempt ${event.data.attempt} failed: ${event.data.error.message}` };
    case 'TransactionNotified':
      return { summary: `outcome sent to ${event.data.services.join(', ')}` };
    case 'CompensationResumed':
      return { step: event.data.path, summary: `compensation resumed by ${event.data.by ?? 'an operator'}` };
    case 'CancelRequested':
      return { summary: `cancel requested${event.data.by ? ` by ${event.data.by}` : ''}: ${event.data.reason}` };
    case 'CancelStarted':
      return { summary: 'cancelled: compensating the finished steps' };
    case 'ParallelStarted':
      return { step: event.data.path, summary: `started ${event.data.branches} branches at once` };
    case 'CompensationStarted':
      return { summary: 'the requests in flight ended: compensating' };
    case 'ChildStarted':
      return { step: event.data.path, summary: `started child ${event.data.definition.name}@${event.data.definition.version} (${event.data.childId})` };
    case 'ChildEnded':
      return { step: event.data.path, summary: `child ${event.data.childId} ${event.data.outcome}${event.data.error ? `: ${event.data.error.message}` : ''}` };
    case 'ChildCompensationRequested':
      return { step: event.data.path, summary: `asked child ${event.data.childId} to compensate` };
    case 'CompensationRequested':
      return { summary: `compensating: parent ${event.data.parentId} compensates the step that ran this execution` };
  }
};
