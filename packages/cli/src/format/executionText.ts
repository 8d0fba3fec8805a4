/** An execution as an operator reads it at a terminal (`saga show`, `saga replay`). */
import type { SagaExecution } from '@saga/core';
import { block, cut, oneLine } from './json.js';
import type { Style } from './style.js';
import { elapsed, preciseTime } from './time.js';
import { timerText } from '../diff/executionDiff.js';
import { relationLines } from './relationText.js';
import { table } from './table.js';

const field = (name: string, value: string): string => `  ${name.padEnd(14)}${value}`;

const transactionText = (execution: SagaExecution): string => {
  const { status, participants, votes } = execution.transaction;
  if (status === 'none') return participants.length === 0 ? 'none (no participant answered)' : 'none';
  const answered = votes.map((v) => `${v.service} ${v.vote === undefined ? '?' : v.vote ? 'yes' : `no${v.reason ? ` (${v.reason})` : ''}`}`);
  return `${status} — participants ${participants.join(', ') || 'none'}${answered.length > 0 ? `; votes: ${answered.join(', ')}` : ''}`;
};

export const executionLines = (execution: SagaExecution, style: Style): string[] => {
  const lines: string[] = [];
  const { definition } = execution;
  lines.push(`${style.bold(`Execution ${execution.id}`)}  ${style.status(execution.status)}`);
  lines.push(field('definition', `${definition.name}@${definition.version} ${style.dim(`(shape ${definition.fingerprint})`)}`));
  lines.push(field('status', `${style.status(execution.status)} ${style.dim(`(phase ${execution.phase})`)}`));
  lines.push(field('started', `${preciseTime(execution.startedAt)}${execution.user ? ` by ${execution.user}` : ''} via service ${execution.service}`));
  lines.push(
    field('last event', `revision ${execution.revision} at ${preciseTime(execution.updatedAt)} ${style.dim(`(${elapsed(execution.startedAt, execution.updatedAt)} after start)`)}`),
  );
  if (execution.key !== undefined) lines.push(field('key', execution.key));
  lines.push(...relationLines(execution));
  if (execution.cancellation) {
    const { reason, by, requestedAt } = execution.cancellation;
    lines.push(field('cancelled', style.red(`${reason}${by ? ` (by ${by})` : ''}${requestedAt ? ` at ${preciseTime(requestedAt)}` : ''}`)));
  }
  if (execution.error) lines.push(field('error', style.red(`${execution.error.name}: ${execution.error.message}`)));
  const { plan, done, failed, attempts } = execution.compensation;
  if (plan.length > 0 || failed) {
    const retried = Object.entries(attempts).map(([path, count]) => `; step ${path} failed ${count} attempt${count === 1 ? '' : 's'}`);
    lines.push(
      field(
        'compensation',
        `plan ${plan.join(', ') || '(nothing to undo)'}; done ${done.join(', ') || '(none yet)'}${retried.join('')}` +
          (failed ? style.red(`; FAILED at step ${failed.path}: ${failed.error.message}`) : ''),
      ),
    );
  }
  lines.push(field('transaction', transactionText(execution)));
  for (const [index, timer] of execution.timers.entries()) lines.push(field(index === 0 ? 'timers' : '', timerText(timer)));
  // Every request in flight (a parallel step waits on one per branch) and every child running.
  const waiting = [
    ...execution.pendingRequests.map(
      (pending) =>
        style.blue(`${pending.purpose === 'compensate' ? '↩ compensation ' : ''}${pending.target}`) +
        ` ${oneLine(pending.payload, 60)} ${style.dim(`(step ${pending.path}, request ${pending.requestId}, sent ${preciseTime(pending.sentAt)}${pending.attempt > 1 ? `, attempt ${pending.attempt}` : ''})`)}`,
    ),
    ...execution.pendingChildren.map(
      (child) =>
        style.blue(`${child.purpose === 'compensate' ? '↩ ' : ''}child ${child.definition.name}@${child.definition.version} ${child.childId}`) +
        ` ${style.dim(`(step ${child.path}, ${child.purpose === 'compensate' ? 'undoing its steps' : 'running'})`)}`,
    ),
  ];
  if (waiting.length === 0) lines.push(field('waiting for', style.dim('nothing')));
  waiting.forEach((line, index) => lines.push(field(index === 0 ? 'waiting for' : '', line)));
  lines.push('');
  if (execution.steps.length > 0) {
    const rows = table(['step', 'kind', 'status', 'branch', 'request / child / error']);
    for (const step of execution.steps) {
      rows.push([
        step.path,
        step.kind,
        style.stepStatus(step.status),
        step.branch === undefined ? '' : step.branch === null ? 'none' : String(step.branch),
        step.error ? style.red(cut(`${step.error.name}: ${step.error.message}`, 70)) : step.childId !== undefined ? `child ${step.childId}` : (step.requestId ?? ''),
      ]);
    }
    lines.push(style.bold('Steps'), rows.toString(), '');
  }
  lines.push(style.bold('Context'), block(execution.context));
  return lines;
};
