/** An `ExecutionDiff` as indented terminal lines: `~ state: "pending" → "cancelled"`. */
import type { ExecutionDiff } from '../diff/executionDiff.js';
import { isEmptyDiff } from '../diff/executionDiff.js';
import type { Style } from './style.js';
import { oneLine } from './json.js';

const label = (text: string): string => text.padEnd(13);
const none = '(none)';

export const formatDiff = (diff: ExecutionDiff, style: Style): string[] => {
  if (isEmptyDiff(diff)) return ['  nothing changed in the folded state (the event is recorded for the audit trail)'];
  const lines: string[] = [];
  if (diff.status) lines.push(`  ${label('status')}${diff.status.before ?? none} → ${style.bold(diff.status.after ?? none)}`);
  if (diff.phase) lines.push(`  ${label('phase')}${diff.phase.before ?? none} → ${diff.phase.after ?? none}`);
  for (const step of diff.steps) {
    lines.push(`  ${label(`step ${step.path}`)}${step.before ?? `(not started, ${step.kind})`} → ${style.stepStatus(step.after ?? none)}`);
  }
  if (diff.pendingRequest) {
    const { before, after } = diff.pendingRequest;
    const text = after
      ? `${after.purpose === 'compensate' ? '↩' : '→'} ${after.target} ${oneLine(after.payload, 60)} (step ${after.path}, request ${after.requestId})`
      : `${none} (the reply to ${before?.target ?? '?'} arrived)`;
    lines.push(`  ${label('waiting for')}${text}`);
  }
  if (diff.error) {
    const after = diff.error.after;
    lines.push(`  ${label('error')}${after ? style.red(`${after.name}: ${after.message}`) : none}`);
  }
  if (diff.compensation) lines.push(`  ${label('compensation')}${diff.compensation.after ?? none}`);
  if (diff.timers) {
    const before = new Set(diff.timers.before ?? []);
    const after = new Set(diff.timers.after ?? []);
    const changes = [...[...after].filter((t) => !before.has(t)).map((t) => `+ ${t}`), ...[...before].filter((t) => !after.has(t)).map((t) => `- ${t}`)];
    changes.forEach((change, index) => lines.push(`  ${label(index === 0 ? 'timers' : '')}${change}`));
  }
  if (diff.transaction) lines.push(`  ${label('transaction')}${diff.transaction.before ?? none} → ${diff.transaction.after ?? none}`);
  diff.context.forEach((change, index) => {
    const head = index === 0 ? label('context') : label('');
    if (change.kind === 'added') lines.push(`  ${head}${style.green(`+ ${change.path} = ${oneLine(change.after, 70)}`)}`);
    else if (change.kind === 'removed') lines.push(`  ${head}${style.red(`- ${change.path} (was ${oneLine(change.before, 60)})`)}`);
    else lines.push(`  ${head}${style.yellow(`~ ${change.path}: ${oneLine(change.before, 40)} → ${oneLine(change.after, 40)}`)}`);
  });
  return lines;
};
