/**
 * `pnpm --filter @saga/example-parallel-order start`: four orders, each printed with its history and
 * its shipping child's, then what each service recorded. `--json` prints the same as one JSON
 * document (what the end-to-end test reads).
 */
import { runDemo } from './demo.js';
import { printExecution } from './printExecution.js';

const { runs, ledgers } = await runDemo();
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ runs, ledgers }));
} else {
  for (const run of runs) {
    console.log(`\n=== ${run.title}`);
    printExecution('The order:', run.order, run.history);
    if (run.child) printExecution(`Its shipping child (manager.get('${run.child.execution.id}')):`, run.child.execution, run.child.history);
  }
  console.log('\nWhat each service recorded, in order:');
  for (const [service, lines] of Object.entries(ledgers)) console.log(`  ${service.padEnd(8)} ${lines.join(' · ')}`);
}
