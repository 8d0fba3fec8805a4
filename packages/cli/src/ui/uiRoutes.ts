/**
 * What each path of the console answers. Pages: `/` (executions), `/executions/<id>` (one execution),
 * `/executions/<id>/report.html` (the `saga report --html` file). JSON: `/api/executions`,
 * `/api/counts`, `/api/executions/<id>`, `/api/executions/<id>/view?upTo=N`,
 * `/api/executions/<id>/actions/<action>` (GET previews, POST acts). Live: `/api/live` (SSE).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Broker, EventStore, Logger } from '@saga/core';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import { auditTrail } from '../report/auditTrail.js';
import { renderHtmlReport } from '../report/renderHtmlReport.js';
import { renderExecutionPage } from './executionPage.js';
import { renderExecutionsPage } from './executionsPage.js';
import { executionsPage } from './executionsApi.js';
import { loadExecutionView, reportAt, revisionParam, type ExecutionView } from './executionView.js';
import { HttpError } from './httpError.js';
import { sendAsset, sendHtml, sendJson } from './httpResponse.js';
import type { LiveUpdates } from './liveUpdates.js';
import { isActionName, performAction, previewAction, type ActionName, type ActionRequest } from './operatorActions.js';
import type { ConsoleInfo } from './pageLayout.js';
import { assetAt } from './staticAssets.js';
import type { StatusCounter } from './statusCounts.js';
import { checkSameOrigin, securityHeaders } from './uiSecurity.js';

export interface RouteContext {
  readonly store: EventStore;
  readonly info: ConsoleInfo;
  readonly definitions: readonly DefinitionLike[];
  readonly counter: StatusCounter;
  readonly live: LiveUpdates;
  readonly openBroker: () => Promise<Broker>;
  readonly logger: Logger;
  readonly generator: string;
}

const maxBody = 16 * 1024;

const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new HttpError('bad_parameter', `The request body is over ${maxBody} bytes: an action needs only its parameters.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError('bad_parameter', 'The request body is not JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError('bad_parameter', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
};

const wholeNumber = (value: unknown, name: string): number | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) throw new HttpError('bad_parameter', `${name} must be a whole number ≥ 0.`, name);
  return number;
};

const actionRequest = (source: Record<string, unknown>): ActionRequest => {
  const fromRevision = wholeNumber(source.fromRevision, 'fromRevision');
  if (source.reason !== undefined && typeof source.reason !== 'string') throw new HttpError('bad_parameter', 'reason must be a string.', 'reason');
  return { ...(fromRevision !== undefined ? { fromRevision } : {}), ...(typeof source.reason === 'string' ? { reason: source.reason } : {}) };
};

const actionOf = (name: string): ActionName => {
  if (!isActionName(name)) throw new HttpError('not_found', `There is no action '${name}': the console can resume, fork and cancel.`);
  return name;
};

const method = (req: IncomingMessage, ...allowed: string[]): void => {
  if (!allowed.includes(req.method ?? 'GET')) throw new HttpError('method_not_allowed', `${req.method ?? '?'} is not answered here; use ${allowed.join(' or ')}.`);
};

const executionJson = (view: ExecutionView, ctx: RouteContext) => {
  const report = reportAt(view, view.lastRevision, ctx.info.storeLabel);
  const { loaded } = view;
  return {
    id: loaded.id,
    stream: loaded.stream,
    lastRevision: view.lastRevision,
    statusLabel: report.statusLabel,
    verified: report.verified,
    definitionLoaded: view.definition !== undefined,
    execution: loaded.execution,
    events: auditTrail(loaded.events).timeline.map((e) => ({ revision: e.revision, type: e.type, recordedAt: e.recordedAt, summary: e.summary, step: e.step ?? null, category: e.category })),
    ...(loaded.corruption
      ? { corruption: { revision: loaded.corruption.revision, reason: loaded.corruption.reason, problems: loaded.corruption.problems, stored: loaded.stored.length } }
      : {}),
  };
};

/** Answers a request, or throws an `HttpError`. */
export const route = async (req: IncomingMessage, res: ServerResponse, url: URL, ctx: RouteContext): Promise<void> => {
  const path = url.pathname;
  const asset = assetAt(path);
  if (asset) {
    method(req, 'GET', 'HEAD');
    return sendAsset(res, asset.contentType, asset.body);
  }
  if (path === '/') {
    method(req, 'GET');
    return sendHtml(res, 200, renderExecutionsPage(ctx.info));
  }
  if (path === '/favicon.ico') {
    res.writeHead(204, securityHeaders);
    return void res.end();
  }
  if (path === '/api/executions') {
    method(req, 'GET');
    return sendJson(res, 200, await executionsPage(ctx.store, url.searchParams));
  }
  if (path === '/api/counts') {
    method(req, 'GET');
    return sendJson(res, 200, await ctx.counter.current());
  }
  if (path === '/api/live') {
    method(req, 'GET');
    return ctx.live.serve(req, res);
  }
  const page = /^\/executions\/([^/]+)(\/report\.html)?$/.exec(path);
  if (page) {
    method(req, 'GET');
    const view = await loadExecutionView(ctx.store, decodeURIComponent(page[1] ?? ''), ctx.definitions, ctx.info.storeLabel);
    if (page[2]) {
      const { loaded, definition } = view;
      const html = renderHtmlReport({
        stream: loaded.stream,
        events: loaded.events,
        execution: loaded.execution,
        ...(definition ? { definition } : {}),
        ...(loaded.corruption ? { corruption: { revision: loaded.corruption.revision, reason: loaded.corruption.reason, stored: loaded.stored } } : {}),
        store: ctx.info.storeLabel,
        generator: ctx.generator,
      });
      // The file keeps its own policy (inline styles, nothing else): it is meant to be opened offline.
      return sendHtml(res, 200, html, {
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        'content-disposition': `attachment; filename="saga-report-${loaded.id.replace(/[^\w.-]/g, '_')}.html"`,
      });
    }
    return sendHtml(res, 200, renderExecutionPage(ctx.info, view, reportAt(view, view.lastRevision, ctx.info.storeLabel)));
  }
  const api = /^\/api\/executions\/([^/]+)(?:\/(view)|\/actions\/([^/]+))?$/.exec(path);
  if (api) {
    const id = decodeURIComponent(api[1] ?? '');
    if (api[3] !== undefined) return actionRoute(req, res, url, ctx, id, actionOf(api[3]));
    method(req, 'GET');
    const view = await loadExecutionView(ctx.store, id, ctx.definitions, ctx.info.storeLabel);
    if (api[2] === 'view') {
      for (const name of url.searchParams.keys()) {
        if (name !== 'upTo' && name !== 'token') throw new HttpError('bad_parameter', `Unknown parameter '${name}': the view takes upTo (a revision).`, name);
      }
      const upTo = revisionParam(view, url.searchParams.get('upTo'));
      const report = reportAt(view, upTo, ctx.info.storeLabel);
      const event = view.loaded.events[upTo];
      return sendJson(res, 200, {
        revision: upTo,
        lastRevision: view.lastRevision,
        type: event?.type,
        recordedAt: event?.recordedAt,
        statusLabel: report.statusLabel,
        verified: report.verified,
        html: report.sections,
      });
    }
    return sendJson(res, 200, executionJson(view, ctx));
  }
  throw new HttpError('not_found', `Nothing at ${path}: the executions are at /, one execution at /executions/<id>.`);
};

const actionRoute = async (req: IncomingMessage, res: ServerResponse, url: URL, ctx: RouteContext, id: string, action: ActionName): Promise<void> => {
  method(req, 'GET', 'POST');
  if (req.method === 'GET') {
    const view = await loadExecutionView(ctx.store, id, ctx.definitions, ctx.info.storeLabel);
    const request = actionRequest(Object.fromEntries(url.searchParams));
    return sendJson(res, 200, { allowed: ctx.info.allowActions, ...previewAction(view, action, request, ctx.info.operator) });
  }
  if (!ctx.info.allowActions) {
    throw new HttpError('forbidden', 'This console is read-only: start it with saga ui --allow-actions to resume, fork or cancel executions.');
  }
  checkSameOrigin(req);
  const body = await readJson(req);
  const expectedRevision = wholeNumber(body.expectedRevision, 'expectedRevision');
  if (expectedRevision === undefined) throw new HttpError('bad_parameter', 'expectedRevision is required: the revision the preview was made at (what you reviewed).', 'expectedRevision');
  const view = await loadExecutionView(ctx.store, id, ctx.definitions, ctx.info.storeLabel);
  const request = { ...actionRequest(body), expectedRevision };
  const preview = previewAction(view, action, request, ctx.info.operator);
  const result = await performAction(view, action, request, { store: ctx.store, openBroker: ctx.openBroker, operator: ctx.info.operator });
  ctx.logger.info(
    { action, executionId: id, by: ctx.info.operator, atRevision: view.lastRevision, result: result.executionId },
    `${ctx.info.operator} ${action === 'fork' ? `forked ${id} from revision ${request.fromRevision ?? '?'} into ${result.executionId}` : `${action === 'resume' ? 'resumed' : 'cancelled'} ${id}`}`,
  );
  return sendJson(res, 200, {
    action,
    executionId: result.executionId,
    status: result.execution.status,
    revision: result.execution.revision,
    // A fork's id is chosen when it is made: the preview's placeholder becomes the real one.
    appended: JSON.parse(JSON.stringify(preview.appends).replaceAll('<new id>', result.executionId)) as unknown,
  });
};
