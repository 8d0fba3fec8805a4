import Table from 'cli-table3';
import { summarizeEvent, type SagaEvent, type SagaExecution, type SagaHistoryEntry } from '@saga/core';

/** An execution's outcome and its whole recorded history, as a table. */
export const printExecution = (title: string, execution: SagaExecution, history: readonly SagaHistoryEntry[]): void => {
  console.log(`\n${title}`);
  console.log(`  execution ${execution.id}: ${execution.status.toUpperCase()}` + (execution.error ? ` (${execution.error.name}: ${execution.error.message})` : ''));
  console.log(`  context: ${JSON.stringify(execution.context)}`);
  const table = new Table({
    head: ['rev', 'time', 'event', 'step', 'what happened'],
    colWidths: [5, 14, 25, 7, 64],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const entry of history) {
    const { step, summary } = summarizeEvent({ type: entry.type, data: entry.data } as SagaEvent);
    table.push([entry.revision, entry.recordedAt.slice(11, 23), entry.type, step ?? '', summary]);
  }
  console.log(table.toString());
};
