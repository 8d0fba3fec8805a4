/**
 * `saga replay <id> --to <revision>`: the execution as it was right after that event, and what the
 * event changed compared with the revision before it.
 */
import type { Command } from 'commander';
import { fold, summarizeEvent } from '@saga/core';
import { CliError, UsageError } from '../cliError.js';
import { diffExecutions } from '../diff/executionDiff.js';
import { formatDiff } from '../format/diffText.js';
import { executionLines } from '../format/executionText.js';
import { preciseTime } from '../format/time.js';
import { loadExecution } from '../store/loadExecution.js';
import type { CommandContext } from './commandContext.js';
import { wholeNumber } from './parseNumber.js';

export const registerReplay = (program: Command, context: CommandContext): void => {
  program
    .command('replay')
    .description('show an execution as it was at a revision, and what that revision changed')
    .argument('<id>', 'execution id (or its first characters)')
    .requiredOption('--to <revision>', 'the revision to stop at (0 is SagaStarted)', wholeNumber('--to'))
    .action(async (id: string, options: { readonly to: number }, command: Command) => {
      const io = context.io(command);
      await context.withStore(command, async (store, location) => {
        const loaded = await loadExecution(store, id, location);
        const lastStored = (loaded.stored.at(-1)?.revision ?? 0);
        if (options.to > lastStored) {
          throw new UsageError(`--to ${options.to} is past the end: execution ${loaded.id} has revisions 0 to ${lastStored}.`);
        }
        const events = loaded.events.filter((e) => e.revision <= options.to);
        const event = events.at(-1);
        if (loaded.corruption && options.to >= loaded.corruption.revision) {
          throw new CliError(
            `Revision ${options.to} of execution ${loaded.id} cannot be replayed: the history does not decode at revision ${loaded.corruption.revision} ` +
              `(${loaded.corruption.reason}). Replay up to revision ${loaded.corruption.revision - 1} at most.`,
          );
        }
        if (!event) throw new CliError(`Execution ${loaded.id} has no event at revision ${options.to}.`);
        const after = fold(events);
        const before = fold(events.slice(0, -1));
        const { step, summary } = summarizeEvent(event);
        io.out(io.style.dim(`As it was at revision ${options.to} of 0–${lastStored}, ${preciseTime(event.recordedAt)}:`));
        io.out(executionLines(after, io.style).join('\n'));
        io.out('');
        io.out(io.style.bold(`What revision ${options.to} changed`) + `: ${event.type}${step !== undefined ? ` (step ${step})` : ''} — ${summary}`);
        io.out(formatDiff(diffExecutions(before, after), io.style).join('\n'));
        if (options.to < lastStored) io.out(io.style.dim(`\nNext: saga replay ${loaded.id} --to ${options.to + 1}`));
      });
    });
};
