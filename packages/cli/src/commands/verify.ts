/**
 * `saga verify <id> | --all`: every stream decodes and folds, the engine's rules hold between its
 * events, (with --definition) it matches its definition, and the execution index holds what the
 * streams give: an entry per stream, a stream per entry, each entry as its stream folds. With
 * `--rebuild-index`, the index is rewritten from the streams instead of checked. Exit code 1 when
 * anything is wrong.
 */
import type { Command } from 'commander';
import { checkExecutionIndex, checkIndex, describeDifferences, executionIdOf, rebuildIndex, type EventStore, type IndexProgress } from '@saga/core';
import { UsageError } from '../cliError.js';
import { loadDefinitions, type DefinitionLike } from '../definitions/loadDefinition.js';
import { progressBar } from '../format/progressBar.js';
import type { Io } from '../io.js';
import { allStreams } from '../store/allStreams.js';
import { resolveExecutionId } from '../store/loadExecution.js';
import { describeStore } from '../store/storeLocation.js';
import { indexProblems, printIndexCheck, printIndexRebuild } from '../verify/indexReport.js';
import { verifyExecution, type Verification } from '../verify/verifyExecution.js';
import type { CommandContext } from './commandContext.js';

interface VerifyOptions {
  readonly all?: boolean;
  readonly definition?: readonly string[];
  readonly progress: boolean;
  readonly rebuildIndex?: boolean;
}

/** One execution's index entry, checked against its stream: a problem of the verification, or "matches". */
const withIndexEntry = async (store: EventStore, result: Verification): Promise<Verification> => {
  const finding = await checkExecutionIndex(store, result.id);
  if (!finding) return { ...result, indexEntry: 'matches' };
  // A stream that does not decode is already a problem of the verification, with its revision.
  if (finding.kind === 'undecodable') return result;
  const message =
    finding.kind === 'differs'
      ? `its index entry differs from its stream (index ≠ stream): ${describeDifferences(finding.differences)}; \`saga verify --all --rebuild-index\` rewrites it`
      : finding.kind === 'missing'
        ? 'it has no index entry: `saga list`, recovery and timers do not see it; `saga verify --all --rebuild-index` writes it'
        : finding.message;
  return { ...result, problems: [...result.problems, { message }] };
};

/** The index pass of `--all`: checked, or rebuilt; true when it found a problem. */
const indexPass = async (store: EventStore, io: Io, options: { readonly rebuild: boolean; readonly bar: boolean; readonly streams: number; readonly store: string }): Promise<boolean> => {
  const verb = options.rebuild ? 'rebuilding' : 'checking';
  const bar = progressBar(io, options.bar, `${verb} the index {bar} {value}/{total} streams{entries}`, options.streams, { entries: '' });
  const onProgress = (progress: IndexProgress) =>
    progress.phase === 'streams' ? bar.update(progress.done) : bar.update(options.streams, { entries: `, ${progress.done} entries` });
  let report;
  try {
    report = options.rebuild ? await rebuildIndex(store, { onProgress }) : await checkIndex(store, { onProgress });
  } finally {
    bar.stop();
  }
  if ('findings' in report) {
    printIndexCheck(io, report, options.store);
    return indexProblems(report).length > 0;
  }
  printIndexRebuild(io, report, options.store);
  return false;
};

const collect = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value];

const findingLines = (result: Verification, io: Io): string[] => {
  const lines = [`${io.style.red('✗')} ${result.id} ${io.style.dim(`${result.definition ?? '?'}, ${result.events} events`)}`];
  for (const problem of result.problems) lines.push(`    ${problem.revision !== undefined ? `revision ${problem.revision}: ` : ''}${problem.message}`);
  for (const warning of result.warnings) lines.push(io.style.yellow(`    warning: ${warning.revision !== undefined ? `revision ${warning.revision}: ` : ''}${warning.message}`));
  return lines;
};

const okLine = (result: Verification, io: Io): string => {
  const verdict = result.definitionVerdict;
  const definition =
    verdict === undefined ? 'definition not checked (pass --definition)' : verdict.kind === 'checked' ? `matches ${result.definition ?? ''}` : `no definition ${verdict.definition} given`;
  const warnings = result.warnings.map((w) => io.style.yellow(`\n    warning: ${w.revision !== undefined ? `revision ${w.revision}: ` : ''}${w.message}`)).join('');
  const index = result.indexEntry === 'matches' ? '; index entry matches' : '';
  return `${io.style.green('✓')} ${result.id} ${io.style.dim(`${result.definition ?? '?'}, ${result.events} events`)}: decodes, folds, rules hold; ${definition}${index}${warnings}`;
};

export const registerVerify = (program: Command, context: CommandContext): void => {
  program
    .command('verify')
    .description('check that histories decode, fold and obey the engine rules (exit code 1 if not)')
    .argument('[id]', 'execution id (or its first characters)')
    .option('--all', 'verify every execution in the store')
    .option('--definition <module#export>', 'check executions against this definition (repeatable; without #export, every saga the module exports)', collect)
    .option('--rebuild-index', 'with --all: rewrite the execution index from the streams (entries computed from each stream, entries without a stream removed) instead of checking it; streams are not touched')
    .option('--no-progress', 'no progress bar (it is shown only on a terminal anyway)')
    .action(async (id: string | undefined, options: VerifyOptions, command: Command) => {
      if ((id === undefined) === (options.all !== true)) throw new UsageError('saga verify needs an execution id, or --all for every execution (not both).');
      if (options.rebuildIndex === true && options.all !== true) throw new UsageError('--rebuild-index rewrites the whole index: use it with --all.');
      const io = context.io(command);
      const definitions: DefinitionLike[] = [];
      for (const spec of options.definition ?? []) definitions.push(...(await loadDefinitions(spec)).map((loaded) => loaded.definition));
      await context.withStore(command, async (store, location) => {
        const ids = options.all ? (await allStreams(store)).map((s) => executionIdOf(s.stream)) : [await resolveExecutionId(store, id ?? '', location)];
        const showBar = options.all === true && options.progress && ids.length > 1;
        const bar = progressBar(io, showBar, 'verifying {bar} {value}/{total} executions | {problems} with problems', ids.length, { problems: 0 });
        const results: Verification[] = [];
        let failing = 0;
        for (const executionId of ids) {
          const verified = await verifyExecution(store, executionId, definitions);
          const result = options.all === true ? verified : await withIndexEntry(store, verified);
          results.push(result);
          if (result.problems.length > 0) failing += 1;
          bar.increment({ problems: failing });
        }
        bar.stop();
        report(io, results, { all: options.all === true, store: describeStore(location), definitions });
        if (failing > 0) context.setExitCode(1);
        if (options.all !== true) return;
        const indexFailed = await indexPass(store, io, { rebuild: options.rebuildIndex === true, bar: options.progress, streams: ids.length, store: describeStore(location) });
        if (indexFailed) context.setExitCode(1);
      });
    });
};

const report = (io: Io, results: readonly Verification[], scope: { readonly all: boolean; readonly store: string; readonly definitions: readonly DefinitionLike[] }): void => {
  const failing = results.filter((r) => r.problems.length > 0);
  // One id: say what was checked even when all is well; many: list only what needs attention.
  for (const result of results) {
    if (result.problems.length > 0) io.out(findingLines(result, io).join('\n'));
    else if (!scope.all || result.warnings.length > 0) io.out(okLine(result, io));
  }
  if (!scope.all) return;
  const corrupted = failing.filter((r) => r.corrupted).length;
  const checked = results.filter((r) => r.definitionVerdict?.kind === 'checked').length;
  const unchecked = [...new Set(results.flatMap((r) => (r.definitionVerdict?.kind === 'unchecked' ? [r.definitionVerdict.definition] : [])))];
  const definitionText =
    scope.definitions.length === 0
      ? 'definitions not checked (pass --definition module#export)'
      : `${checked} checked against their definition${unchecked.length > 0 ? `; no definition given for ${unchecked.join(', ')}` : ''}`;
  const verdict =
    failing.length === 0
      ? io.style.green(`✓ ${results.length} execution${results.length === 1 ? '' : 's'} verified, no problem`)
      : io.style.red(`✗ ${failing.length} of ${results.length} executions with problems${corrupted > 0 ? ` (${corrupted} do not decode)` : ''}`);
  io.out(`${verdict} in ${scope.store}; ${definitionText}.`);
};
