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
  /** The participants' inbox: `durable` (PostgresInbox / SqliteInbox, exactly once in effect) or `none` (at least once across their restarts). */
  readonly inbox: 'durable' | 'none';
  /** Reply timeout of the managers (short only where the timer is the point). */
  readonly replyTimeoutMs: number;
}

const long = 60_000;
const order = { orderId: 'o-1' };

export const matrixCases: readonly MatrixCase[] = [
  { name: 'append-before-publish', order, managerPoint: 'append-before-publish', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'publish-before-reply', order, managerPoint: 'publish-before-reply', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'reply-before-append', order, managerPoint: 'reply-before-append', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'votes-before-outcome', order, managerPoint: 'votes-before-outcome', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'outcome-before-publish (commit)', order, managerPoint: 'outcome-before-publish', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'outcome-before-publish (reject)', order: { ...order, refuse: true }, managerPoint: 'outcome-before-publish', outcome: 'rejected', inbox: 'durable', replyTimeoutMs: long },
  { name: 'mid-compensation', order: { ...order, refuse: true }, managerPoint: 'mid-compensation', outcome: 'rejected', inbox: 'durable', replyTimeoutMs: long },
  // The held request never answers: inside SqliteInbox (one handler at a time) it would block every
  // later request of the process, so the participants keep the in-memory inbox here (none is killed).
  { name: 'timer-due', order: { ...order, hold: true }, managerPoint: 'timer-due', outcome: 'rejected', inbox: 'none', replyTimeoutMs: 1_500 },
  { name: 'during recovery', order, managerPoint: 'append-before-publish', recoveryPoint: 'first-publish', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'participant mid-handler', order, participantPoint: 'mid-handler', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'participant mid-handler, no inbox', order, participantPoint: 'mid-handler', outcome: 'committed', inbox: 'none', replyTimeoutMs: long },
  { name: 'participant mid-commit', order, participantPoint: 'mid-commit', outcome: 'committed', inbox: 'durable', replyTimeoutMs: long },
  { name: 'participant mid-commit, no inbox', order, participantPoint: 'mid-commit', outcome: 'committed', inbox: 'none', replyTimeoutMs: long },
];
