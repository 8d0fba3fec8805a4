/**
 * What `saga verify --all` says about the execution index: each entry that is not what its stream
 * gives, each stream without an entry and each entry without a stream, by execution; or what
 * `--rebuild-index` changed. Streams that do not decode are reported with the executions already.
 */
import type { IndexCheckReport, IndexFinding, IndexRebuildReport } from '@saga/core';
import type { Io } from '../io.js';

const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;

/** The index findings that are about the index (not streams that do not decode). */
export const indexProblems = (report: IndexCheckReport): IndexFinding[] => report.findings.filter((finding) => finding.kind !== 'undecodable');

const lagNote = (report: IndexCheckReport): string =>
  report.consistency === 'projected' && report.lag.events > 0
    ? ` The index is projected and ${plural(report.lag.events, 'event')} behind: the newest executions may show as missing or stale; run again once it caught up.`
    : '';

export const printIndexCheck = (io: Io, report: IndexCheckReport, store: string): void => {
  const problems = indexProblems(report);
  const undecodable = report.findings.filter((finding) => finding.kind === 'undecodable');
  const unindexed = undecodable.filter((finding) => !finding.indexed).map((finding) => finding.executionId);
  const notCompared =
    undecodable.length > 0
      ? ` (${plural(undecodable.length, 'stream')} that do${undecodable.length === 1 ? 'es' : ''} not decode not compared` +
        `${unindexed.length > 0 ? `; without an entry, so \`saga list\` does not show ${unindexed.length === 1 ? 'it' : 'them'}: ${unindexed.join(', ')}` : ''})`
      : '';
  for (const finding of problems) io.out(`${io.style.red('✗')} ${finding.message}`);
  if (problems.length === 0) {
    io.out(`${io.style.green(`✓ index: ${plural(report.entries, 'entry', 'entries')} as ${report.streams === 1 ? 'its stream gives it' : 'their streams give them'}`)}${notCompared}.${lagNote(report)}`);
    return;
  }
  io.out(
    `${io.style.red(`✗ index: ${plural(problems.length, 'problem')} (${report.entries} entries, ${report.streams} streams)`)} in ${store}${notCompared}; ` +
      `\`saga verify --all --rebuild-index\` rewrites it from the streams.${lagNote(report)}`,
  );
};

export const printIndexRebuild = (io: Io, report: IndexRebuildReport, store: string): void => {
  const removed = report.removed.length > 0 ? `; removed ${plural(report.removed.length, 'entry', 'entries')} without a stream: ${report.removed.join(', ')}` : '';
  const undecodable =
    report.undecodable.length > 0
      ? `; left the entries of ${plural(report.undecodable.length, 'stream')} that do${report.undecodable.length === 1 ? 'es' : ''} not decode as they were: ${report.undecodable.map((u) => u.executionId).join(', ')}`
      : '';
  io.out(
    `${io.style.green('✓')} Rebuilt the index of ${store} from ${plural(report.streams, 'stream')}: wrote ${plural(report.written, 'entry', 'entries')} ` +
      `(${report.added} added, ${report.corrected} corrected)${removed}${undecodable}.`,
  );
};
