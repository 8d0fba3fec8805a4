/**
 * `saga diagram --definition <module#export> [--execution <id>]`: the definition as a Mermaid
 * flowchart (or SVG), with the path an execution took highlighted by status.
 */
import type { Command } from 'commander';
import { CliError, UsageError } from '../cliError.js';
import { loadDefinitions, type DefinitionLike } from '../definitions/loadDefinition.js';
import { compensationTargets } from '../diagram/compensationTargets.js';
import { diagramFromShape } from '../diagram/sagaDiagram.js';
import { renderSvg } from '../diagram/renderSvg.js';
import { diagramToMermaid } from '../diagram/toMermaid.js';
import { reportFileName } from '../report/reportFile.js';
import type { Io } from '../io.js';
import { corruptionNotice, loadExecution, type LoadedExecution } from '../store/loadExecution.js';
import type { CommandContext } from './commandContext.js';

interface DiagramOptions {
  readonly definition: string;
  readonly execution?: string;
  readonly format: string;
}

/** An execution drawn on another saga's diagram would mislead: a different name is an error, a different shape a warning. */
export const checkExecutionFits = (definition: DefinitionLike, loaded: LoadedExecution, io: Io): void => {
  const recorded = loaded.execution.definition;
  if (recorded.name !== definition.name) {
    throw new CliError(
      `Execution ${loaded.id} ran the saga ${recorded.name}@${recorded.version}, but the definition given is ${definition.name}@${definition.version}; ` +
        `pass the module that exports ${recorded.name}.`,
    );
  }
  if (recorded.version !== definition.version || recorded.fingerprint !== definition.fingerprint) {
    io.err(
      io.style.yellow(
        `warning: execution ${loaded.id} ran ${recorded.name}@${recorded.version} (shape ${recorded.fingerprint}); ` +
          `the definition given is @${definition.version} (shape ${definition.fingerprint}), so the drawing may not match what ran.`,
      ),
    );
  }
};

export const registerDiagram = (program: Command, context: CommandContext): void => {
  program
    .command('diagram')
    .description('draw a saga definition as a Mermaid flowchart, optionally with the path an execution took')
    .requiredOption('--definition <module#export>', 'the built module and the export of the saga, e.g. ./dist/orderSaga.js#createOrder')
    .option('--execution <id>', 'highlight the steps this execution ran, by status')
    .option('--format <format>', 'mermaid or svg', 'mermaid')
    .action(async (options: DiagramOptions, command: Command) => {
      if (options.format !== 'mermaid' && options.format !== 'svg') throw new UsageError(`--format ${options.format}: use mermaid or svg.`);
      const io = context.io(command);
      const [loadedDefinition] = await loadDefinitions(options.definition, { single: true });
      if (!loadedDefinition) throw new CliError(`--definition ${options.definition} names no saga.`);
      const { definition } = loadedDefinition;
      const draw = (run?: LoadedExecution) => {
        const planned = compensationTargets(definition, run?.execution.context ?? {});
        const diagram = diagramFromShape(definition.describe(), run ? { execution: run.execution, events: run.events } : undefined, planned);
        // A child step links to the child's report, written by `saga report <childId> --html` beside this one.
        const links = { childLink: reportFileName };
        io.out(options.format === 'svg' ? renderSvg(diagram, links) : diagramToMermaid(diagram, links).trimEnd());
      };
      const executionId = options.execution;
      if (executionId === undefined) {
        draw();
        return;
      }
      await context.withStore(command, async (store, location) => {
        const loaded = await loadExecution(store, executionId, location);
        const notice = corruptionNotice(loaded);
        if (loaded.events.length === 0 && notice) throw new CliError(notice);
        checkExecutionFits(definition, loaded, io);
        draw(loaded);
        if (notice) {
          io.err(io.style.red(`✗ ${notice}`));
          context.setExitCode(1);
        }
      });
    });
};
