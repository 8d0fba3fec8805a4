/**
 * `saga cancel <id> --reason <text> --definition <module#export>`: cancels a running or paused
 * execution. The cancel is recorded first (durable); the execution starts no new step, its request
 * in flight is awaited, and its finished steps are compensated — user code, hence the definition,
 * and the broker its participants listen on for remote compensations.
 */
import type { Command } from 'commander';
import { executionLines } from '../format/executionText.js';
import type { CommandContext } from './commandContext.js';
import { withOperatorManager } from './operatorManager.js';

interface CancelCommandOptions {
  readonly reason: string;
  readonly by?: string;
  readonly definition: string;
  readonly broker?: string;
  readonly service?: string;
  readonly wait?: boolean;
}

export const registerCancel = (program: Command, context: CommandContext): void => {
  program
    .command('cancel')
    .description('cancel a running or paused execution: it stops at its next step and compensates what it did')
    .argument('<id>', 'execution id')
    .requiredOption('--reason <text>', 'why (recorded in the history and in the SagaCancelledError)')
    .option('--by <who>', 'who cancels (recorded with the reason; default: $USER)')
    .requiredOption('--definition <module#export>', 'the definition the execution runs (the built module and its export)')
    .option('--broker <url>', 'the broker its participants use (default: $SAGA_BROKER_URL, else in-process)')
    .option('--service <name>', 'the service that runs the saga (default: the one recorded in the execution)')
    .option('--wait', 'wait until the execution has compensated and ended (default: return once the cancel is recorded)')
    .action(async (id: string, options: CancelCommandOptions, command: Command) => {
      const io = context.io(command);
      await withOperatorManager(context, command, id, options, async (manager) => {
        const by = options.by ?? process.env.USER;
        const cancelled = await manager.cancel(id, { reason: options.reason, ...(by ? { by } : {}), pauseOnDisk: !options.wait, raiseOnError: false });
        io.out(executionLines(cancelled, io.style).join('\n'));
        if (cancelled.compensation.failed) context.setExitCode(1);
      });
    });
};
