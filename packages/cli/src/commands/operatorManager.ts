/**
 * A manager for an operator's command on one execution (`saga resume`, `saga cancel`): the store
 * the CLI opened, the broker its participants listen on, and the definition the execution runs
 * (its callbacks are the compensations). No recovery and no sweeps: the command does its one thing.
 */
import type { Command } from 'commander';
import { SagaManager, brokerFromUrl, type Saga } from '@saga/core';
import { CliError } from '../cliError.js';
import { loadDefinitions } from '../definitions/loadDefinition.js';
import { adapterImporter } from '../store/adapterImport.js';
import type { CommandContext } from './commandContext.js';

export interface OperatorManagerOptions {
  readonly definition: string;
  readonly broker?: string;
  readonly service?: string;
}

/** Runs `act` with a set-up manager for execution `id`; destroys it and the broker afterwards. */
export const withOperatorManager = async (
  context: CommandContext,
  command: Command,
  id: string,
  options: OperatorManagerOptions,
  act: (manager: SagaManager) => Promise<void>,
): Promise<void> => {
  const [loaded] = await loadDefinitions(options.definition, { single: true });
  if (!loaded) throw new CliError(`No definition found at ${options.definition}.`);
  await context.withStore(command, async (store) => {
    const brokerUrl = options.broker ?? process.env.SAGA_BROKER_URL ?? 'memory:';
    const adapters = adapterImporter();
    const broker = await brokerFromUrl(brokerUrl, options.broker ? 'The broker URL' : 'SAGA_BROKER_URL', { importAdapter: adapters.importAdapter }).catch((error: unknown) => {
      throw adapters.explain(error);
    });
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
      await act(manager);
    } finally {
      await manager.destroy();
      await broker.destroy();
    }
  });
};
