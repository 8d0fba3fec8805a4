/**
 * The cases of the crash-point matrix: who is killed, at which point, on which saga, and what the
 * participants' records must show afterwards. Pure data; `runCase` plays one.
 */
import type { EngineCrashPoint } from '@saga/testing';

export const participantCrashPoints = {
  'mid-handler': 'a participant killed mid-handler (effect applied, reply not sent)',
  'mid-commit': 'a participant killed mid-commit (commit hook run, command not acknowledged)',
} as const;

export type ParticipantCrashPoint = keyof typeof participantCrashPoints;

export const isParticipantCrashPoint = (name: string): name is ParticipantCrashPoint => Object.hasOwn(participantCrashPoints, name);

/** The order a case starts: `refuse` fails at shipping (compensation, reject); `hold` is never answered (timeout). */
export interface MatrixOrder {
  readonly orderId: string;
  readonly refuse?: boolean;
  readonly hold?: boolean;
  readonly [key: string]: string | boolean | undefined;
}

export interface MatrixCase {
  readonly name: string;
  readonly order: MatrixOrder;
  /** Where the first manager process halts and is killed. */
  readonly managerPoint?: EngineCrashPoint;
  /** Where the manager that recovers halts and is killed in turn (a third one finishes). */
  readonly recoveryPoint?: EngineCrashPoint;
  /** Where the participants' process halts and is killed (the manager lives on). */
  readonly participantPoint?: ParticipantCrashPoint;
  readonly outcome: 'committed' | 'rejected';
  /** Reply timeout of the managers (short only where the timer is the point). */
  readonly replyTimeoutMs: number;
}

const long = 60_000;

export const matrixCases: readonly MatrixCase[] = [
  { name: 'append-before-publish', order: { orderId: 'o-1' }, managerPoint: 'append-before-publish', outcome: 'committed', replyTimeoutMs: long },
  { name: 'publish-before-reply', order: { orderId: 'o-1' }, managerPoint: 'publish-before-reply', outcome: 'committed', replyTimeoutMs: long },
  { name: 'reply-before-append', order: { orderId: 'o-1' }, managerPoint: 'reply-before-append', outcome: 'committed', replyTimeoutMs: long },
  { name: 'votes-before-outcome', order: { orderId: 'o-1' }, managerPoint: 'votes-before-outcome', outcome: 'committed', replyTimeoutMs: long },
  { name: 'outcome-before-publish (commit)', order: { orderId: 'o-1' }, managerPoint: 'outcome-before-publish', outcome: 'committed', replyTimeoutMs: long },
  { name: 'outcome-before-publish (reject)', order: { orderId: 'o-1', refuse: true }, managerPoint: 'outcome-before-publish', outcome: 'rejected', replyTimeoutMs: long },
  { name: 'mid-compensation', order: { orderId: 'o-1', refuse: true }, managerPoint: 'mid-compensation', outcome: 'rejected', replyTimeoutMs: long },
  { name: 'timer-due', order: { orderId: 'o-1', hold: true }, managerPoint: 'timer-due', outcome: 'rejected', replyTimeoutMs: 1_500 },
  { name: 'during recovery', order: { orderId: 'o-1' }, managerPoint: 'append-before-publish', recoveryPoint: 'first-publish', outcome: 'committed', replyTimeoutMs: long },
  { name: 'participant mid-handler', order: { orderId: 'o-1' }, participantPoint: 'mid-handler', outcome: 'committed', replyTimeoutMs: long },
  { name: 'participant mid-commit', order: { orderId: 'o-1' }, participantPoint: 'mid-commit', outcome: 'committed', replyTimeoutMs: long },
];
