/**
 * `saga resume <id> --definition <module#export>`: retries the compensation that failed, once an
 * operator fixed its cause. It needs the definition (the compensation is user code) and, when the
 * failed compensation is a remote one, the broker its participants listen on.
 */
import type { Command } from 'commander';
import { SagaManager, brokerFromUrl, type Saga } from '@saga/core';
import { CliError } from '../cliError.js';
import { loadDefinitions } from '../definitions/loadDefinition.js';
import { executionLines } from '../format/executionText.js';
import { adapterImporter } from '../store/adapterImport.js';
import type { CommandContext } from './commandContext.js';

interface ResumeOptions {
  readonly definition: string;
  readonly broker?: string;
  readonly service?: string;
}

export const registerResume = (program: Command, context: CommandContext): void => {
  program
    .command('resume')
    .description('retry the failed compensation of an execution (after fixing its cause)')
    .argument('<id>', 'execution id')
    .requiredOption('--definition <module#export>', 'the definition the execution runs (the built module and its export)')
    .option('--broker <url>', 'the broker its participants use (default: $SAGA_BROKER_URL, else in-process)')
    .option('--service <name>', 'the service that runs the saga (default: the one recorded in the execution)')
    .action(async (id: string, options: ResumeOptions, command: Command) => {
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
          // Returns once the compensation goes on: a remote one completes when its participant replies.
          const resumed = await manager.resume(id, { pauseOnDisk: true, raiseOnError: false });
          io.out(executionLines(resumed, io.style).join('\n'));
          if (resumed.compensation.failed) context.setExitCode(1);
        } finally {
          await manager.destroy();
          await broker.destroy();
        }
      });
    });
};
