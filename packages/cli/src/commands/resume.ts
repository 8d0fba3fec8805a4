/**
 * `saga resume <id> --definition <module#export>`: retries the compensation that failed, once an
 * operator fixed its cause. It needs the definition (the compensation is user code) and, when the
 * failed compensation is a remote one, the broker its participants listen on.
 */
import type { Command } from 'commander';
import { executionLines } from '../format/executionText.js';
import type { CommandContext } from './commandContext.js';
import { withOperatorManager } from './operatorManager.js';

interface ResumeOptions {
  readonly definition: string;
  readonly broker?: string;
  readonly service?: string;
  readonly by?: string;
}

export const registerResume = (program: Command, context: CommandContext): void => {
  program
    .command('resume')
    .description('retry the failed compensation of an execution (after fixing its cause)')
    .argument('<id>', 'execution id')
    .requiredOption('--definition <module#export>', 'the definition the execution runs (the built module and its export)')
    .option('--broker <url>', 'the broker its participants use (default: $SAGA_BROKER_URL, else in-process)')
    .option('--service <name>', 'the service that runs the saga (default: the one recorded in the execution)')
    .option('--by <who>', 'who resumes (recorded with CompensationResumed; default: $USER)')
    .action(async (id: string, options: ResumeOptions, command: Command) => {
      const io = context.io(command);
      await withOperatorManager(context, command, id, options, async (manager) => {
        // Returns once the compensation goes on: a remote one completes when its participant replies.
        const by = options.by ?? process.env.USER;
        const resumed = await manager.resume(id, { pauseOnDisk: true, raiseOnError: false, ...(by ? { by } : {}) });
        io.out(executionLines(resumed, io.style).join('\n'));
        if (resumed.compensation.failed) context.setExitCode(1);
      });
    });
};
