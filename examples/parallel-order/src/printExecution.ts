import Table from 'cli-table3';
import { summarizeEvent, type SagaEvent, type SagaExecution, type SagaHistoryEntry } from '@saga/core';

/** An execution's outcome and its recorded history, as a table (steps of a branch are `1.<branch>.<step>`). */
export const printExecution = (title: string, execution: SagaExecution, history: readonly SagaHistoryEntry[]): void => {
  console.log(`\n${title}`);
  console.log(`  execution ${execution.id}: ${execution.status.toUpperCase()}` + (execution.error ? ` (${execution.error.name}: ${execution.error.message})` : ''));
  console.log(`  context: ${JSON.stringify(execution.context)}`);
  const table = new Table({
    head: ['rev', 'event', 'step', 'what happened'],
    colWidths: [5, 28, 9, 78],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const entry of history) {
    if (entry.type === 'TimerScheduled') continue; // every request's reply timeout: noise here
    const { step, summary } = summarizeEvent({ type: entry.type, data: entry.data } as SagaEvent);
    table.push([entry.revision, entry.type, step ?? '', summary]);
  }
  console.log(table.toString());
};
