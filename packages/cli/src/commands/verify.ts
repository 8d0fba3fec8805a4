/**
 * `saga verify <id> | --all`: every stream decodes and folds, the engine's rules hold between its
 * events, and (with --definition) it matches its definition. Exit code 1 when anything is wrong.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { executionIdOf } from '@saga/core';
import { UsageError } from '../cliError.js';
import { loadDefinitions, type DefinitionLike } from '../definitions/loadDefinition.js';
import type { Io } from '../io.js';
import { allStreams } from '../store/allStreams.js';
import { resolveExecutionId } from '../store/loadExecution.js';
import { describeStore } from '../store/storeLocation.js';
import { verifyExecution, type Verification } from '../verify/verifyExecution.js';
import type { CommandContext } from './commandContext.js';

interface VerifyOptions {
  readonly all?: boolean;
  readonly definition?: readonly string[];
  readonly progress: boolean;
}

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
  return `${io.style.green('✓')} ${result.id} ${io.style.dim(`${result.definition ?? '?'}, ${result.events} events`)}: decodes, folds, rules hold; ${definition}${warnings}`;
};

export const registerVerify = (program: Command, context: CommandContext): void => {
  program
    .command('verify')
    .description('check that histories decode, fold and obey the engine rules (exit code 1 if not)')
    .argument('[id]', 'execution id (or its first characters)')
    .option('--all', 'verify every execution in the store')
    .option('--definition <module#export>', 'check executions against this definition (repeatable; without #export, every saga the module exports)', collect)
    .option('--no-progress', 'no progress bar (it is shown only on a terminal anyway)')
    .action(async (id: string | undefined, options: VerifyOptions, command: Command) => {
      if ((id === undefined) === (options.all !== true)) throw new UsageError('saga verify needs an execution id, or --all for every execution (not both).');
      const io = context.io(command);
      const definitions: DefinitionLike[] = [];
      for (const spec of options.definition ?? []) definitions.push(...(await loadDefinitions(spec)).map((loaded) => loaded.definition));
      await context.withStore(command, async (store, location) => {
        const ids = options.all ? (await allStreams(store)).map((s) => executionIdOf(s.stream)) : [await resolveExecutionId(store, id ?? '', location)];
        const showBar = options.all === true && options.progress && io.errStream.isTTY === true && ids.length > 1;
        const bar = showBar
          ? new SingleBar({ stream: io.errStream, format: 'verifying {bar} {value}/{total} executions | {problems} with problems', hideCursor: true, clearOnComplete: true }, Presets.shades_classic)
          : undefined;
        bar?.start(ids.length, 0, { problems: 0 });
        const results: Verification[] = [];
        let failing = 0;
        for (const executionId of ids) {
          const result = await verifyExecution(store, executionId, definitions);
          results.push(result);
          if (result.problems.length > 0) failing += 1;
          bar?.increment(1, { problems: failing });
        }
        bar?.stop();
        report(io, results, { all: options.all === true, store: describeStore(location), definitions });
        if (failing > 0) context.setExitCode(1);
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
