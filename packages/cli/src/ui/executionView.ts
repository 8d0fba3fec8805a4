/**
 * One execution as the console shows it: read from its stream (never from the index, which only
 * summarises), with the definition it runs when `--definitions` provided it, and the report's
 * sections at any revision: the replay slider asks for the execution as it was after revision N.
 */
import type { EventStore } from '@saga/core';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import { renderReportBody, type ReportBody } from '../report/renderHtmlReport.js';
import { corruptionNotice, readExecution, type LoadedExecution } from '../store/loadExecution.js';
import { HttpError } from './httpError.js';

export interface ExecutionView {
  readonly loaded: LoadedExecution;
  /** The definition it runs (name and version), when the console was given it. */
  readonly definition?: DefinitionLike;
  /** The last revision that decodes (the slider's end). */
  readonly lastRevision: number;
}

const idPattern = /^[\w.:-]{1,200}$/;

export const assertExecutionId = (id: string): string => {
  if (!idPattern.test(id)) throw new HttpError('bad_parameter', `'${id}' is not an execution id: ids are letters, digits and . : _ - (the table links to each).`, 'id');
  return id;
};

export const definitionFor = (definitions: readonly DefinitionLike[], name: string, version: string): DefinitionLike | undefined =>
  definitions.find((d) => d.name === name && d.version === version);

export const loadExecutionView = async (store: EventStore, id: string, definitions: readonly DefinitionLike[], storeLabel: string): Promise<ExecutionView> => {
  const loaded = await readExecution(store, assertExecutionId(id));
  if (loaded.stored.length === 0) {
    throw new HttpError('not_found', `No execution ${id} in the store ${storeLabel}: the table lists the executions it holds.`);
  }
  // Not even its first event decodes: there is no execution to draw, only the reason to show.
  if (loaded.events.length === 0) throw new HttpError('corrupted', corruptionNotice(loaded) ?? `The history of execution ${id} does not decode.`);
  const { name, version } = loaded.execution.definition;
  const definition = definitionFor(definitions, name, version);
  return { loaded, ...(definition ? { definition } : {}), lastRevision: loaded.events.length - 1 };
};

/** `upTo` from the query string: a revision of this execution, or the last one when absent. */
export const revisionParam = (view: ExecutionView, text: string | null): number => {
  if (text === null || text === '') return view.lastRevision;
  if (!/^\d+$/.test(text) || Number(text) > view.lastRevision) {
    throw new HttpError('bad_parameter', `upTo '${text}' must be a revision from 0 to ${view.lastRevision}.`, 'upTo');
  }
  return Number(text);
};

/** The console's page of an execution. */
export const executionPath = (executionId: string): string => `/executions/${encodeURIComponent(executionId)}`;

/** The report's sections as the execution was after revision `upTo` (the whole history by default). */
export const reportAt = (view: ExecutionView, upTo: number, storeLabel: string): ReportBody => {
  const { loaded, definition } = view;
  const whole = upTo >= view.lastRevision;
  const events = whole ? loaded.events : loaded.events.slice(0, upTo + 1);
  return renderReportBody(
    {
      stream: loaded.stream,
      events,
      ...(whole ? { execution: loaded.execution } : {}),
      ...(definition ? { definition } : {}),
      ...(whole && loaded.corruption
        ? { corruption: { revision: loaded.corruption.revision, reason: loaded.corruption.reason, stored: loaded.stored } }
        : {}),
      store: storeLabel,
      generator: 'saga ui',
    },
    // A child's node and card, and a child's parent, link to their pages in the console.
    { embedStyles: false, childLink: executionPath },
  );
};
