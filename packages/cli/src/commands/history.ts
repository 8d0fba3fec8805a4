/** `saga history <id> [--json]`: one row per event; `--json` prints the `saga-history/1` export. */
import type { Command } from 'commander';
import { summarizeEvent, type RecordedEvent, type RecordedSagaEvent } from '@saga/core';
import { CliError } from '../cliError.js';
import { preciseTime, shortTime } from '../format/time.js';
import { exportHistory, historyJson } from '../history/historyExport.js';
import { corruptionNotice, loadExecution } from '../store/loadExecution.js';
import type { CommandContext } from './commandContext.js';
import { fitColumn, table } from '../format/table.js';
import { relationLines } from '../format/relationText.js';

/** The time column: the time of day, and the full date whenever it changes, like a log viewer. */
const timeColumn = (firstDay: string) => {
  let lastDay = firstDay;
  return (iso: string): string => {
    const full = preciseTime(iso);
    const day = full.slice(0, 10);
    if (day === lastDay) return full.slice(11);
    lastDay = day;
    return full;
  };
};

export const registerHistory = (program: Command, context: CommandContext): void => {
  program
    .command('history')
    .description('list every recorded event of an execution')
    .argument('<id>', 'execution id (or its first characters)')
    .option('--json', 'print the history as saga-history/1 JSON (see the README)')
    .action(async (id: string, options: { readonly json?: boolean }, command: Command) => {
      const io = context.io(command);
      await context.withStore(command, async (store, location) => {
        const loaded = await loadExecution(store, id, location);
        const notice = corruptionNotice(loaded, 'history');
        if (options.json) {
          if (notice) throw new CliError(`${notice} Nothing is exported from a history that does not decode.`);
          // io.out adds the final newline back: the output is exactly historyJson, so digests agree.
          io.out(historyJson(exportHistory(loaded.execution, loaded.events, loaded.stream)).slice(0, -1));
          return;
        }
        const { execution } = loaded;
        const decoded = new Map<number, RecordedSagaEvent>(loaded.events.map((e) => [e.revision, e]));
        const head = execution.id
          ? `${io.style.bold(`Execution ${execution.id}`)} ${execution.definition.name}@${execution.definition.version} ${io.style.status(loaded.corruption ? 'corrupted' : execution.status)}`
          : io.style.bold(`Execution ${loaded.id}`);
        const first = shortTime(loaded.stored[0]?.recordedAt);
        const last = shortTime(loaded.stored.at(-1)?.recordedAt);
        const span = last.slice(0, 10) === first.slice(0, 10) ? last.slice(11) : last;
        io.out(`${head}  ${io.style.dim(`${loaded.stored.length} events, ${first} → ${span}`)}`);
        for (const line of relationLines(execution)) io.out(line);
        // Columns other than the summary take about 62 characters.
        const rows = table(['rev', 'time (UTC)', 'event', 'step', 'what happened'], [null, null, null, null, fitColumn(process.stdout, 62, 72)]);
        const time = timeColumn(first.slice(0, 10));
        for (const stored of loaded.stored) rows.push(historyRow(stored, decoded.get(stored.revision), loaded.corruption, time, io.style));
        io.out(rows.toString());
        if (notice) {
          io.err(io.style.red(`✗ ${notice}`));
          context.setExitCode(1);
        }
      });
    });
};

const historyRow = (
  stored: RecordedEvent,
  event: RecordedSagaEvent | undefined,
  corruption: { readonly revision: number; readonly reason: string } | undefined,
  time: (iso: string) => string,
  style: { red: (s: string) => string; yellow: (s: string) => string },
): string[] => {
  if (!event) {
    const why = stored.revision === corruption?.revision ? corruption.reason : 'not decoded (after the first event that does not decode)';
    return [String(stored.revision), time(stored.recordedAt), style.red(`✗ ${stored.type}`), '', style.red(why)];
  }
  const { step, summary } = summarizeEvent(event);
  const compensation =
    event.type === 'CompensationRequestSent' ||
    event.type === 'StepCompensated' ||
    event.type === 'CompensationStarted' ||
    event.type === 'ChildCompensationRequested' ||
    event.type === 'CompensationRequested';
  const paint = compensation ? style.yellow : event.type === 'StepFailed' || event.type === 'SagaFailed' || event.type === 'CompensationFailed' ? style.red : (s: string) => s;
  return [String(event.revision), time(event.recordedAt), paint(event.type), step ?? '', summary];
};
