/**
 * What an execution must do next (`nextAction`'s answer). Its own file so that the step kind modules,
 * which both produce and perform actions, need not import `nextAction` (which imports them).
 */
import type { ChildSagaStep, ConditionalSagaStep, LocalSagaStep, ParallelSagaStep, RemoteSagaStep } from '@saga/definitions';
import type { PendingRequest } from '@saga/execution';

export type Action =
  | { readonly type: 'runLocal'; readonly path: string; readonly step: LocalSagaStep }
  | { readonly type: 'sendRequest'; readonly path: string; readonly step: RemoteSagaStep }
  | { readonly type: 'chooseBranch'; readonly path: string; readonly step: ConditionalSagaStep }
  | { readonly type: 'finishConditional'; readonly path: string }
  /** Opens a parallel step: its branches run from the next action on, each on its own context. */
  | { readonly type: 'startParallel'; readonly path: string; readonly step: ParallelSagaStep }
  /** Every branch of the parallel step finished: their contexts become one (`onJoin`). */
  | { readonly type: 'joinParallel'; readonly path: string; readonly step: ParallelSagaStep }
  /** Starts the child step's saga as an execution of its own; the step waits for its end. */
  | { readonly type: 'startChild'; readonly path: string; readonly step: ChildSagaStep }
  | { readonly type: 'complete' }
  | { readonly type: 'compensateLocal'; readonly path: string; readonly step: LocalSagaStep }
  | { readonly type: 'compensateRemote'; readonly path: string; readonly step: RemoteSagaStep }
  /** Asks the finished child of a child step to compensate its own steps. */
  | { readonly type: 'compensateChild'; readonly path: string; readonly step: ChildSagaStep }
  | { readonly type: 'fail' }
  | { readonly type: 'requestVotes' }
  | { readonly type: 'decideVotes' }
  /** A cancel was requested and nothing is in flight: compensation of the finished steps starts. */
  | { readonly type: 'cancel' }
  /** A step failed while others were in flight; nothing is in flight any more: compensation starts. */
  | { readonly type: 'startCompensation' }
  /** Nothing to do until a reply (or votes) arrive. */
  | { readonly type: 'await'; readonly pending?: PendingRequest }
  /** Nothing to do: terminal, or waiting for an operator's commit/reject. */
  | { readonly type: 'idle' };

/** What the forward walk over a saga's steps can come to (compensation and the transaction are not its business). */
export type ForwardAction = Exclude<
  Action,
  { type: 'compensateLocal' | 'compensateRemote' | 'compensateChild' | 'fail' | 'requestVotes' | 'decideVotes' | 'idle' | 'cancel' | 'startCompensation' }
>;

export type ActionOf<T extends Action['type']> = Extract<Action, { readonly type: T }>;
