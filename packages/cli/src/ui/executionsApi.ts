/**
 * `GET /api/executions`: one page of the executions table, newest first, from the execution index.
 * The parameters are `saga list`'s options (status, definition, service, user, since, until, open,
 * context, limit, after), checked by the same code, so the console and the CLI filter alike.
 */
import type { EventStore, ExecutionIndexEntry } from '@saga/core';
import { UsageError } from '../cliError.js';
import { parseContextFilter } from '../list/contextFilter.js';
import { listPage } from '../list/listPage.js';
import { listQuery, type ListOptions } from '../list/listQuery.js';
import { HttpError } from './httpError.js';

export interface ExecutionsPage {
  readonly executions: readonly ExecutionIndexEntry[];
  readonly nextCursor?: string;
  /** The filters in words, as `saga list` prints them. */
  readonly criteria: readonly string[];
  /** With `context`: how many streams were read to fill the page. */
  readonly streamsRead?: number;
  /** How far the index is behind the store (projected indexes only). */
  readonly indexLag?: number;
}

const known = ['status', 'definition', 'service', 'user', 'since', 'until', 'open', 'context', 'limit', 'after'] as const;
export const defaultPageSize = 50;

const single = (params: URLSearchParams, name: string): string | undefined => {
  const values = params.getAll(name);
  if (values.length > 1) throw new HttpError('bad_parameter', `${name} is given ${values.length} times; give it once.`, name);
  const value = values[0]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

const pageSize = (text: string | undefined): number => {
  if (text === undefined) return defaultPageSize;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new HttpError('bad_parameter', `limit '${text}' must be a whole number from 1 to 1000.`, 'limit');
  return Number(text);
};

const openFlag = (text: string | undefined): boolean | undefined => {
  if (text === undefined || text === 'false') return undefined;
  if (text === 'true') return true;
  throw new HttpError('bad_parameter', `open '${text}' must be true or false.`, 'open');
};

/** The URL's parameters as `saga list`'s options; an unknown parameter is an error, not ignored. */
export const listOptionsOf = (params: URLSearchParams): { options: ListOptions; context: readonly string[] } => {
  for (const name of new Set(params.keys())) {
    if (name === 'token') continue;
    if (!(known as readonly string[]).includes(name)) {
      throw new HttpError('bad_parameter', `Unknown parameter '${name}': use ${known.join(', ')}.`, name);
    }
  }
  const status = params.getAll('status').filter((s) => s.trim() !== '');
  const context = params.getAll('context').filter((s) => s.trim() !== '');
  const values = Object.fromEntries((['definition', 'service', 'user', 'since', 'until', 'after'] as const).map((name) => [name, single(params, name)]));
  const options: ListOptions = {
    ...Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)),
    ...(status.length > 0 ? { status } : {}),
    ...(openFlag(single(params, 'open')) ? { open: true } : {}),
    ...(context.length > 0 ? { context } : {}),
    limit: pageSize(single(params, 'limit')),
  };
  return { options, context };
};

/** `saga list` names its options `--status`; here they are parameters: the same message, without the dashes. */
const asParameterError = (error: UsageError): HttpError => {
  const parameter = /--(\w+)/.exec(error.message)?.[1];
  return new HttpError('bad_parameter', error.message.replace(/--(\w+)/g, '$1'), parameter);
};

export const executionsPage = async (store: EventStore, params: URLSearchParams): Promise<ExecutionsPage> => {
  let request: { query: ListOptions; built: ReturnType<typeof listQuery>; filters: ReturnType<typeof parseContextFilter>[] };
  try {
    const { options, context } = listOptionsOf(params);
    request = { query: options, built: listQuery(options), filters: context.map(parseContextFilter) };
  } catch (error) {
    if (error instanceof UsageError) throw asParameterError(error);
    throw error;
  }
  const { query, built, filters } = request;
  const page = await listPage(store, { query: built.query, contextFilters: filters, limit: query.limit, ...(query.after !== undefined ? { after: query.after } : {}) });
  const lag = store.index.consistency === 'projected' ? (await store.index.lag()).events : 0;
  return {
    executions: page.entries,
    ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}),
    criteria: built.criteria,
    ...(page.streamsRead !== undefined ? { streamsRead: page.streamsRead } : {}),
    ...(lag > 0 ? { indexLag: lag } : {}),
  };
};
