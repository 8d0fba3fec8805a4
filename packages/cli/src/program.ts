/**
 * The `saga` command line: global options, the commands, and how failures become messages and
 * exit codes (0 ok, 1 a problem found or a failure, 2 a usage error).
 */
import { Command, CommanderError } from 'commander';
import { SagaError } from '@saga/core';
import { CliError, exitCodes } from './cliError.js';
import { terminalText } from './format/terminalText.js';
import { createCommandContext } from './commands/commandContext.js';
import { registerCancel } from './commands/cancel.js';
import { registerDiagram } from './commands/diagram.js';
import { registerHistory } from './commands/history.js';
import { registerList } from './commands/list.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerResume } from './commands/resume.js';
import { registerShow } from './commands/show.js';
import { registerTail } from './commands/tail.js';
import { registerUi } from './commands/ui.js';
import { registerVerify } from './commands/verify.js';
import { cliVersion } from './version.js';

export const createProgram = (onExitCode: (code: number) => void): Command => {
  const program = new Command('saga')
    .description('Inspect and audit saga executions: what happened, when, and why.')
    .version(cliVersion, '-V, --version')
    .option('--store <url>', 'the event store (default: $SAGA_STORE_URL, else sqlite:./.saga/saga.db or $SAGA_HOME/saga.db)')
    .option('--no-color', 'plain output, without colours (also: NO_COLOR=1)')
    .exitOverride()
    .showHelpAfterError('(saga --help lists the commands; saga <command> --help their options)')
    .configureOutput({ outputError: (text, write) => write(terminalText(`saga: ${text.replace(/^error: /, '')}`, false)) })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a problem was found (verify) or the command failed, 2 the command line is wrong.\n' +
        'Executions are named by id, by their stream name (saga-<id>), or by the first characters of the id.',
    );
  const context = createCommandContext(onExitCode);
  for (const register of [registerList, registerShow, registerHistory, registerReplay, registerVerify, registerDiagram, registerReport, registerTail, registerResume, registerCancel, registerUi]) {
    register(program, context);
  }
  return program;
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Errors name ids, URLs and values from the store: escaped like every other line (see `terminalText`). */
const writeError = (text: string): void => void process.stderr.write(terminalText(text, false));

/** Runs the command line; resolves with the exit code instead of exiting, so output is flushed first. */
export const run = async (argv: readonly string[]): Promise<number> => {
  let exitCode: number = exitCodes.ok;
  const program = createProgram((code) => {
    exitCode = Math.max(exitCode, code);
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    if (error instanceof CliError) {
      writeError(`saga: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof SagaError) {
      writeError(`saga: ${error.message}\n`);
      return exitCodes.problem;
    }
    writeError(`saga: unexpected error: ${describe(error)}\n`);
    if (process.env.SAGA_DEBUG && error instanceof Error && error.stack) writeError(`${error.stack}\n`);
    else writeError('(set SAGA_DEBUG=1 to see where it happened)\n');
    return exitCodes.problem;
  }
};
