/** `saga show <id>`: the execution now: status, context, steps, pending request, error. */
import type { Command } from 'commander';
import { CliError } from '../cliError.js';
import { executionLines } from '../format/executionText.js';
import { exportHistory } from '../history/historyExport.js';
import { corruptionNotice, loadExecution } from '../store/loadExecution.js';
import type { CommandContext } from './commandContext.js';

export const registerShow = (program: Command, context: CommandContext): void => {
  program
    .command('show')
    .description('show an execution as it is now')
    .argument('<id>', 'execution id (or its first characters)')
    .option('--json', 'print the execution as JSON (the "execution" of saga-history/1)')
    .action(async (id: string, options: { readonly json?: boolean }, command: Command) => {
      const io = context.io(command);
      await context.withStore(command, async (store, location) => {
        const loaded = await loadExecution(store, id, location);
        const notice = corruptionNotice(loaded);
        if (loaded.events.length === 0 && notice) throw new CliError(notice);
        if (options.json) {
          if (notice) throw new CliError(`${notice} Nothing is exported from a history that does not decode.`);
          io.out(JSON.stringify(exportHistory(loaded.execution, loaded.events, loaded.stream).execution, null, 2));
          return;
        }
        io.out(executionLines(loaded.execution, io.style).join('\n'));
        if (notice) {
          io.err(io.style.red(`\n✗ ${notice}`));
          context.setExitCode(1);
        }
      });
    });
};
