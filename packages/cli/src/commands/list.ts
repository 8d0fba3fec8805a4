/**
 * `saga list`: executions, newest first, a page at a time. Stream summaries are small, so all of
 * them are read (following the store's cursor) and reversed; only executions that must be shown
 * or filtered by status/definition are read and folded.
 */
import type { Command } from 'commander';
import { executionIdOf, SagaStatus, type JsonObject, type JsonValue, type StreamSummary } from '@saga/core';
import { UsageError } from '../cliError.js';
import type { Style } from '../format/style.js';
import { parseSince } from '../format/since.js';
import { shortTime } from '../format/time.js';
import { allStreams } from '../store/allStreams.js';
import { readExecution, type LoadedExecution } from '../store/loadExecution.js';
import { describeStore } from '../store/storeLocation.js';
import type { Io } from '../io.js';
import type { CommandContext } from './commandContext.js';
import { wholeNumber } from './parseNumber.js';
import { table } from '../format/table.js';

interface ListOptions {
  readonly status?: string;
  readonly definition?: string;
  readonly context?: readonly string[];
  readonly since?: string;
  readonly limit: number;
  readonly page: number;
}

type ListedStatus = SagaStatus | 'corrupted';
const statuses: readonly ListedStatus[] = [...Object.values(SagaStatus), 'corrupted'];

const parseStatuses = (text: string): Set<ListedStatus> => {
  const wanted = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const unknown = wanted.filter((s) => !(statuses as readonly string[]).includes(s));
  if (wanted.length === 0 || unknown.length > 0) {
    throw new UsageError(`--status '${text}': unknown status ${unknown.join(', ') || '(empty)'}; use one or more of ${statuses.join(', ')} (comma-separated).`);
  }
  return new Set(wanted as ListedStatus[]);
};

interface ContextFilter {
  readonly path: readonly string[];
  readonly value: string;
}

const parseContextFilter = (text: string): ContextFilter => {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new UsageError(`--context '${text}': use key=value, e.g. --context orderId=order-1234 (a dotted key reaches into objects: payment.id=C-7).`);
  return { path: text.slice(0, equals).split('.'), value: text.slice(equals + 1) };
};

/** Whether the context holds the value at the path: a string compares as is, anything else as JSON. */
const contextMatches = (context: JsonObject, filter: ContextFilter): boolean => {
  let value: JsonValue | undefined = context;
  for (const key of filter.path) {
    value = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key) ? (value as JsonObject)[key] : undefined;
  }
  if (value === undefined) return false;
  return typeof value === 'string' ? value === filter.value : JSON.stringify(value) === filter.value;
};

const collect = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value];

const statusOf = (loaded: LoadedExecution): ListedStatus => (loaded.corruption ? 'corrupted' : loaded.execution.status);

const matchesDefinition = (loaded: LoadedExecution, wanted: string): boolean => {
  const { name, version } = loaded.execution.definition;
  return wanted === name || wanted === `${name}@${version}`;
};

/** What an operator wants to know next about an execution, in a few words. */
const noteOf = (loaded: LoadedExecution, style: Style): string => {
  const { execution, corruption } = loaded;
  const cut = (text: string) => (text.length > 64 ? `${text.slice(0, 63)}…` : text);
  if (corruption) return style.magenta(cut(`revision ${corruption.revision}: ${corruption.reason}`));
  const pending = execution.pendingRequest;
  if (pending) return cut(`waiting for ${pending.purpose === 'compensate' ? '↩ ' : ''}${pending.target} (step ${pending.path})`);
  if (execution.compensation.failed) return style.red(cut(`compensation of step ${execution.compensation.failed.path} failed`));
  if (execution.transaction.status === 'reserving') return 'waiting for votes';
  if (execution.status === SagaStatus.Errored) {
    return cut(`${execution.compensation.done.length > 0 ? 'compensated · ' : ''}${execution.error?.message ?? 'failed'}`);
  }
  if (execution.status === SagaStatus.Finished) {
    const tx = execution.transaction.status;
    return tx === 'pending' ? 'finished, transaction not committed yet' : tx === 'none' ? 'finished' : `transaction ${tx}`;
  }
  return '';
};

const row = (loaded: LoadedExecution, summary: StreamSummary, style: Style): string[] => {
  const { definition } = loaded.execution;
  return [
    loaded.id,
    loaded.events.length > 0 ? `${definition.name}@${definition.version}` : '?',
    style.status(statusOf(loaded)),
    shortTime(summary.createdAt),
    String(summary.lastRevision + 1),
    noteOf(loaded, style),
  ];
};

export const registerList = (program: Command, context: CommandContext): void => {
  program
    .command('list')
    .description('list executions, newest first')
    .option('--status <status>', `only these statuses, comma-separated: ${statuses.join(', ')}`)
    .option('--definition <name>', 'only executions of this saga (name, or name@version)')
    .option('--context <key=value>', 'only executions whose context has this value, e.g. orderId=order-1234 (repeatable)', collect)
    .option('--since <when>', 'only executions started since an ISO date (2026-03-01) or for a duration (30m, 24h, 7d)')
    .option('--limit <n>', 'executions per page', wholeNumber('--limit', 1), 20)
    .option('--page <n>', 'which page (1 is the newest)', wholeNumber('--page', 1), 1)
    .action(async (options: ListOptions, command: Command) => {
      const io = context.io(command);
      const wantedStatuses = options.status !== undefined ? parseStatuses(options.status) : undefined;
      const since = options.since !== undefined ? parseSince(options.since) : undefined;
      const contextFilters = (options.context ?? []).map(parseContextFilter);
      await context.withStore(command, async (store, location) => {
        const summaries = (await allStreams(store)).filter((s) => since === undefined || Date.parse(s.createdAt) >= since.getTime()).reverse();
        const filtered = wantedStatuses !== undefined || options.definition !== undefined || contextFilters.length > 0;
        const skip = (options.page - 1) * options.limit;
        const shown: [LoadedExecution, StreamSummary][] = [];
        let matched = 0;
        let more = false;
        for (const summary of summaries) {
          if (!filtered && matched < skip) {
            matched += 1;
            continue;
          }
          const loaded = await readExecution(store, executionIdOf(summary.stream));
          if (wantedStatuses !== undefined && !wantedStatuses.has(statusOf(loaded))) continue;
          if (options.definition !== undefined && !matchesDefinition(loaded, options.definition)) continue;
          if (!contextFilters.every((filter) => contextMatches(loaded.execution.context, filter))) continue;
          matched += 1;
          if (matched <= skip) continue;
          if (shown.length === options.limit) {
            more = true;
            break;
          }
          shown.push([loaded, summary]);
        }
        printPage(io, { location: describeStore(location), shown, summaries, options, filtered, more, since });
      });
    });
};

const printPage = (
  io: Io,
  page: {
    readonly location: string;
    readonly shown: readonly [LoadedExecution, StreamSummary][];
    readonly summaries: readonly StreamSummary[];
    readonly options: ListOptions;
    readonly filtered: boolean;
    readonly more: boolean;
    readonly since: Date | undefined;
  },
): void => {
  const { shown, summaries, options, filtered, more } = page;
  const criteria = [
    options.status !== undefined ? `status ${options.status}` : '',
    options.definition !== undefined ? `definition ${options.definition}` : '',
    ...(options.context ?? []).map((filter) => `context ${filter}`),
    page.since !== undefined ? `since ${shortTime(page.since.toISOString())}` : '',
  ].filter(Boolean);
  if (shown.length === 0) {
    io.out(
      summaries.length === 0 && !filtered
        ? `No executions${page.since ? ` since ${shortTime(page.since.toISOString())}` : ''} in the store ${page.location}.`
        : `No execution${criteria.length > 0 ? ` matches ${criteria.join(', ')}` : ''} on page ${options.page}.`,
    );
    return;
  }
  const rows = table(['id', 'definition', 'status', 'started (UTC)', 'events', 'now']);
  for (const [loaded, summary] of shown) rows.push(row(loaded, summary, io.style));
  io.out(rows.toString());
  const first = (options.page - 1) * options.limit + 1;
  const last = first + shown.length - 1;
  const of = filtered ? `matching ${criteria.join(', ')}` : `of ${summaries.length}`;
  const next = more || (!filtered && last < summaries.length) ? ` Next page: --page ${options.page + 1}.` : '';
  io.out(io.style.dim(`Executions ${first}–${last} ${of}, newest first.${next}`));
};
