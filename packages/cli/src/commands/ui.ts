/**
 * `saga ui`: the operator console, a local web app over any store the CLI opens. Read-only unless
 * started with `--allow-actions`; on 127.0.0.1 unless told otherwise, and then only with a token.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { brokerFromUrl, type Logger } from '@saga/core';
import type { Io } from '../io.js';
import { loadDefinitions, type DefinitionLike } from '../definitions/loadDefinition.js';
import { adapterImporter } from '../store/adapterImport.js';
import { describeStore } from '../store/storeLocation.js';
import { startUiServer } from '../ui/uiServer.js';
import { generateToken, isLoopback } from '../ui/uiSecurity.js';
import { cliVersion } from '../version.js';
import type { CommandContext } from './commandContext.js';
import { wholeNumber } from './parseNumber.js';

interface UiOptions {
  readonly port: number;
  readonly host: string;
  readonly token?: string;
  readonly definitions?: string;
  readonly allowActions?: boolean;
  readonly broker?: string;
  readonly operator?: string;
  readonly interval: number;
}

/** Resolves on Ctrl-C (or SIGTERM); the open server keeps the process alive until then. */
const untilInterrupted = (): Promise<void> =>
  new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/** The console's log: actions on standard output (who did what), problems on standard error. */
const consoleLogger = (io: Io): Logger => {
  const line = (fields: Record<string, unknown>, message: string) => `${new Date().toISOString()} ${message}${typeof fields.error === 'string' ? `: ${fields.error}` : ''}`;
  return {
    debug: () => undefined,
    info: (fields, message) => io.out(line(fields, message)),
    warn: (fields, message) => io.err(io.style.yellow(line(fields, message))),
    error: (fields, message) => io.err(io.style.red(line(fields, message))),
  };
};

const defaultOperator = (): string => {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
};

export const registerUi = (program: Command, context: CommandContext): void => {
  program
    .command('ui')
    .description('serve the operator console: search executions, open one, replay it, act on it (read-only by default)')
    .option('--port <n>', 'the port to listen on (0: any free port)', wholeNumber('--port', 0), 4545)
    .option('--host <address>', 'the address to listen on; anything but loopback needs a token', '127.0.0.1')
    .option('--token <secret>', 'required of every request (default: $SAGA_UI_TOKEN; generated when --host is not loopback)')
    .option('--definitions <module>', 'the built module exporting the sagas (./dist/sagas.js): draws whole sagas, checks histories, and is needed for actions')
    .option('--allow-actions', 'allow resuming, forking and cancelling executions (each behind a confirmation)')
    .option('--broker <url>', 'the broker the participants use, for actions (default: $SAGA_BROKER_URL, else in-process)')
    .option('--operator <name>', 'who actions are recorded as done by (default: the system user)')
    .option('--interval <ms>', 'how often live updates read a store that cannot announce appends', wholeNumber('--interval', 50), 1_000)
    .action(async (options: UiOptions, command: Command) => {
      const io = context.io(command);
      const definitions: DefinitionLike[] =
        options.definitions !== undefined ? (await loadDefinitions(options.definitions)).map((loaded) => loaded.definition) : [];
      const fromEnv = process.env.SAGA_UI_TOKEN;
      const token = options.token ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined) ?? (isLoopback(options.host) ? undefined : generateToken());
      const operator = options.operator ?? defaultOperator();
      const brokerUrl = options.broker ?? process.env.SAGA_BROKER_URL ?? 'memory:';
      const openBroker = async () => {
        const adapters = adapterImporter();
        return brokerFromUrl(brokerUrl, options.broker ? 'The broker URL' : 'SAGA_BROKER_URL', { importAdapter: adapters.importAdapter }).catch((error: unknown) => {
          throw adapters.explain(error);
        });
      };
      await context.withStore(command, async (store, location) => {
        const server = await startUiServer({
          store,
          storeLabel: describeStore(location),
          host: options.host,
          port: options.port,
          ...(token !== undefined ? { token } : {}),
          allowActions: options.allowActions === true,
          operator,
          definitions,
          openBroker,
          logger: consoleLogger(io),
          pollMs: options.interval,
          generator: `saga ui (@saga/cli ${cliVersion})`,
        });
        const mode = options.allowActions ? `actions allowed, recorded as ${operator}` : 'read-only';
        io.out(`saga ui: ${server.url}`);
        if (options.allowActions && options.broker === undefined && !process.env.SAGA_BROKER_URL) {
          io.err(
            io.style.yellow(
              'Actions send remote requests on an in-process broker (no --broker, no SAGA_BROKER_URL): a remote compensation resumed here reaches no participant. Pass --broker <url>.',
            ),
          );
        }
        if (options.allowActions && definitions.length === 0) io.err(io.style.yellow('No --definitions: every action will be refused (its callbacks are needed to continue an execution).'));
        io.err(io.style.dim(`Serving ${describeStore(location)} (${mode}${definitions.length > 0 ? `, ${definitions.length} definition${definitions.length === 1 ? '' : 's'}` : ''}); Ctrl-C to stop.`));
        try {
          await untilInterrupted();
        } finally {
          await server.close();
        }
      });
    });
};
