/**
 * `saga cancel <id> --reason <text> --definition <module#export>`: cancels a running or paused
 * execution. The cancel is recorded first (durable); the execution starts no new step, its request
 * in flight is awaited, and its finished steps are compensated — user code, hence the definition,
 * and the broker its participants listen on for remote compensations.
 */
import type { Command } from 'commander';
import { SagaManager, brokerFromUrl, type Saga } from '@saga/core';
import { CliError } from '../cliError.js';
import { loadDefinitions } from '../definitions/loadDefinition.js';
import { executionLines } from '../format/executionText.js';
import { adapterImporter } from '../store/adapterImport.js';
import type { CommandContext } from './commandContext.js';

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
      const [loaded] = await loadDefinitions(options.definition, { single: true });
      if (!loaded) throw new CliError(`No definition found at ${options.definition}.`);
      await context.withStore(command, async (store) => {
        const brokerUrl = options.broker ?? process.env.SAGA_BROKER_URL ?? 'memory:';
        const adapters = adapterImporter();
        const broker = await brokerFromUrl(brokerUrl, options.broker ? 'The broker URL' : 'SAGA_BROKER_URL', { importAdapter: adapters.importAdapter }).catch(
          (error: unknown) => {
            throw adapters.explain(error);
          },
        );
        const probe = new SagaManager({ store, broker, recoverOnSetup: false, recoveryIntervalMs: 0 });
        const recorded = await probe.get(id);
        const manager = new SagaManager({
          store,
          broker,
          service: options.service ?? recorded.service,
          definitions: [loaded.definition as unknown as Saga],
          recoverOnSetup: false,
          recoveryIntervalMs: 0,
        });
        try {
          await manager.setup();
          const by = options.by ?? process.env.USER;
          const cancelled = await manager.cancel(id, { reason: options.reason, ...(by ? { by } : {}), pauseOnDisk: !options.wait, raiseOnError: false });
          io.out(executionLines(cancelled, io.style).join('\n'));
          if (cancelled.compensation.failed) context.setExitCode(1);
        } finally {
          await manager.destroy();
          await broker.destroy();
        }
      });
    });
};
