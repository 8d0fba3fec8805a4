/** `saga report <id> --html <file>`: one execution as a self-contained HTML page for an auditor. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cliError.js';
import { loadDefinitions } from '../definitions/loadDefinition.js';
import { renderHtmlReport } from '../report/renderHtmlReport.js';
import { reportFileName } from '../report/reportFile.js';
import { corruptionNotice, loadExecution } from '../store/loadExecution.js';
import { describeStore } from '../store/storeLocation.js';
import { cliVersion } from '../version.js';
import type { CommandContext } from './commandContext.js';
import { checkExecutionFits } from './diagram.js';

interface ReportOptions {
  /** A file, or `true` for `--html` alone: then `saga-report-<id>.html`, the name a parent's or child's report links to. */
  readonly html: string | true;
  readonly definition?: string;
}

export const registerReport = (program: Command, context: CommandContext): void => {
  program
    .command('report')
    .description('write an execution as a self-contained HTML report (timeline, steps, compensations, diagram)')
    .argument('<id>', 'execution id (or its first characters)')
    .requiredOption('--html [file]', 'where to write the report (default saga-report-<id>.html, the name reports of parents and children link to)')
    .option('--definition <module#export>', 'the saga definition, to draw the whole saga and check the history against it')
    .action(async (id: string, options: ReportOptions, command: Command) => {
      const io = context.io(command);
      const definition = options.definition !== undefined ? (await loadDefinitions(options.definition, { single: true }))[0]?.definition : undefined;
      await context.withStore(command, async (store, location) => {
        const loaded = await loadExecution(store, id, location);
        const notice = corruptionNotice(loaded);
        if (loaded.events.length === 0 && notice) throw new CliError(notice);
        if (definition) checkExecutionFits(definition, loaded, io);
        const html = renderHtmlReport({
          stream: loaded.stream,
          events: loaded.events,
          execution: loaded.execution,
          ...(definition ? { definition } : {}),
          ...(loaded.corruption
            ? { corruption: { revision: loaded.corruption.revision, reason: loaded.corruption.reason, stored: loaded.stored } }
            : {}),
          store: describeStore(location),
          generator: `saga report (@saga/cli ${cliVersion})`,
        });
        const file = resolve(process.cwd(), options.html === true ? reportFileName(loaded.execution.id || loaded.id) : options.html);
        try {
          await writeFile(file, html, 'utf8');
        } catch (error) {
          throw new CliError(`Cannot write the report to ${file}: ${error instanceof Error ? error.message : String(error)}. Choose a writable path.`);
        }
        const { execution } = loaded;
        io.out(
          `Wrote ${file}: ${execution.definition.name}@${execution.definition.version} ${execution.status}, ` +
            `${loaded.stored.length} events, ${Math.ceil(Buffer.byteLength(html) / 1024)} KB.`,
        );
        if (notice) {
          io.err(io.style.red(`✗ ${notice}`));
          context.setExitCode(1);
        }
      });
    });
};
