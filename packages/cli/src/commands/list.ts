/**
 * `saga list`: executions, newest first, a page at a time, from the store's execution index: no
 * stream is read, whatever the store holds, except with `--context` (the context is not indexed).
 */
import type { Command } from 'commander';
import { describeStore } from '../store/storeLocation.js';
import { printExecutionList } from '../format/executionList.js';
import { parseContextFilter } from '../list/contextFilter.js';
import { listPage } from '../list/listPage.js';
import { listQuery, listStatuses, type ListOptions } from '../list/listQuery.js';
import type { CommandContext } from './commandContext.js';
import { wholeNumber } from './parseNumber.js';

const collect = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value];

export const registerList = (program: Command, context: CommandContext): void => {
  program
    .command('list')
    .description('list executions, newest first, from the execution index')
    .option('--status <status>', `only these statuses, comma-separated or repeated: ${listStatuses.join(', ')}`, collect)
    .option('--definition <name[@version]>', 'only executions of this saga (name, or name@version)')
    .option('--service <name>', 'only executions started by this service')
    .option('--user <user>', 'only executions started for this user')
    .option('--since <when>', 'only executions started at or after an ISO date (2026-03-01) or a duration back from now (30m, 24h, 7d)')
    .option('--until <when>', 'only executions started before an ISO date or a duration back from now')
    .option('--open', 'only executions the engine still owes work (a reply or votes awaited, a timer, a message to send, an operator)')
    .option(
      '--context <key=value>',
      'only executions whose context has this value, e.g. orderId=order-1234 (repeatable). Not indexed: reads the stream of every execution the other filters leave, so narrow them (--since, --definition) on a large store',
      collect,
    )
    .option('--limit <n>', 'executions per page (at most 1000)', wholeNumber('--limit', 1), 20)
    .option('--after <cursor>', 'the page after this cursor (printed under the previous page; keep the same filters)')
    .addHelpText('after', '\nStreams that do not decode are not told apart here: `saga verify --all` finds them, and checks the index against the streams.')
    .action(async (options: ListOptions, command: Command) => {
      const io = context.io(command);
      const { query, criteria } = listQuery(options);
      const contextFilters = (options.context ?? []).map(parseContextFilter);
      await context.withStore(command, async (store, location) => {
        if (store.index.consistency === 'projected') {
          const lag = await store.index.lag();
          if (lag.events > 0) io.err(io.style.yellow(`The index is ${lag.events} event${lag.events === 1 ? '' : 's'} behind the store: the newest changes may not be listed yet.`));
        }
        const page = await listPage(store, { query, contextFilters, limit: options.limit, ...(options.after !== undefined ? { after: options.after } : {}) });
        for (const id of page.orphaned) {
          io.err(io.style.red(`Execution ${id} is in the index but has no stream: \`saga verify --all\` reports such entries, \`saga verify --all --rebuild-index\` removes them.`));
        }
        printExecutionList(io, page, { store: describeStore(location), criteria, continued: options.after !== undefined });
      });
    });
};
