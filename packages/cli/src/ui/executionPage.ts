/**
 * One execution (`/executions/<id>`): a header that says where it stands (status in words, who,
 * when, the transaction, whether its history verifies), the replay slider, the actions (when the
 * console allows them), the timers it waits on, and the report's sections: flow diagram, timeline
 * with what each event changed, steps with their request and reply bodies, compensation.
 */
import { escapeHtml } from '../format/escapeHtml.js';
import { preciseTime } from '../format/time.js';
import type { ReportBody } from '../report/renderHtmlReport.js';
import { executionPath, type ExecutionView } from './executionView.js';
import { renderPage, type ConsoleInfo } from './pageLayout.js';

const timersSection = (view: ExecutionView): string => {
  const timers = view.loaded.execution.timers;
  if (timers.length === 0) return '<p class="subtitle timers" id="timers">No timer pending.</p>';
  const items = timers
    .map(
      (t) =>
        `<li><strong>${escapeHtml(t.purpose)}</strong> due ${escapeHtml(preciseTime(t.dueAt))}` +
        `${t.path !== undefined ? ` · step ${escapeHtml(t.path)}` : ''}${t.requestId !== undefined ? ` · request <span class="mono">${escapeHtml(t.requestId)}</span>` : ''}</li>`,
    )
    .join('');
  return `<div class="callout info timers" id="timers"><strong>Timers pending</strong><ul>${items}</ul></div>`;
};

const actionsSection = (info: ConsoleInfo): string => {
  if (!info.allowActions) {
    return (
      '<section class="actions" id="actions" data-enabled="false"><h2>Actions</h2>' +
      '<p class="note" id="actions-disabled">This console is read-only. Start it with <code>saga ui --allow-actions</code> to resume a stopped compensation, fork from a revision or cancel.</p></section>'
    );
  }
  return [
    '<section class="actions" id="actions" data-enabled="true"><h2>Actions</h2>',
    '<div class="row">',
    '<button type="button" data-action="resume" id="action-resume">Resume compensation…</button>',
    '<button type="button" data-action="fork" id="action-fork">Fork from revision <span id="fork-revision"></span>…</button>',
    '<input type="text" id="cancel-reason" placeholder="why cancel (recorded in the history)" maxlength="500">',
    '<button type="button" class="danger" data-action="cancel" id="action-cancel">Cancel…</button>',
    '</div>',
    `<p class="note">Each action shows what it appends before anything is written. Recorded as done by <strong>${escapeHtml(info.operator)}</strong> where the history has a field for it.</p>`,
    '</section>',
    '<dialog id="confirm"><h2 id="confirm-title"></h2><p id="confirm-why"></p>',
    '<h3>Appended</h3><pre id="confirm-appends"></pre><p id="confirm-then"></p><p id="confirm-by" class="subtitle"></p>',
    '<div class="buttons"><button type="button" class="secondary" id="confirm-cancel">Back</button><button type="button" id="confirm-ok">Append</button></div></dialog>',
  ].join('\n');
};

export const renderExecutionPage = (info: ConsoleInfo, view: ExecutionView, report: ReportBody): string => {
  const { execution, id, events } = view.loaded;
  const last = events[view.lastRevision];
  const tx = execution.transaction;
  const forked = execution.forkedFrom
    ? ` · forked from <a id="forked-from" href="/executions/${encodeURIComponent(execution.forkedFrom.executionId)}">${escapeHtml(execution.forkedFrom.executionId)}</a> at revision ${execution.forkedFrom.revision}`
    : '';
  const parent = execution.parent
    ? ` · child of <a id="parent" href="${escapeHtml(executionPath(execution.parent.executionId))}">${escapeHtml(execution.parent.executionId)}</a> (its step ${escapeHtml(execution.parent.path)})`
    : '';
  const children = execution.steps.flatMap((step) =>
    step.childId === undefined
      ? []
      : [`<li><a class="child" href="${escapeHtml(executionPath(step.childId))}">${escapeHtml(step.childId)}</a> <span class="mono">step ${escapeHtml(step.path)} · ${escapeHtml(step.status)}</span></li>`],
  );
  const childList = children.length > 0 ? `<div class="subtitle" id="children">Child executions: <ul>${children.join('')}</ul></div>` : '';
  const verified = report.verified
    ? '<span class="badge verified" id="verified" title="Every event decodes, folds and obeys the engine\'s rules">✓ verified</span>'
    : '<span class="badge unverified" id="verified" title="See the verdict below">✗ not verified</span>';
  const definitionNote = view.definition ? '' : ' <span class="mono" title="Pass --definitions to check it and draw the whole saga">(definition not loaded)</span>';
  const when = (iso: string | undefined): string => escapeHtml(iso ? preciseTime(iso) : '?');
  const body = [
    '<section id="execution-head">',
    '<div class="eyebrow">Saga execution</div>',
    `<h1><span id="title">${escapeHtml(report.title)}</span> <span class="badge ${escapeHtml(execution.status)}" id="status">${escapeHtml(report.statusLabel)}</span> ${verified}</h1>`,
    `<div class="subtitle" id="who">Execution <span class="mono">${escapeHtml(id)}</span>${definitionNote}</div>`,
    '<div class="subtitle">',
    `Started by <strong id="started-by">${escapeHtml(execution.user ?? '(no user recorded)')}</strong> at ${when(execution.startedAt)} · ` +
      `service <strong>${escapeHtml(execution.service)}</strong> · transaction <strong id="transaction">${escapeHtml(tx.status)}</strong> · ` +
      `last event #${view.lastRevision} ${escapeHtml(last?.type ?? '')} at ${when(execution.updatedAt)}${forked}${parent}`,
    '</div>',
    childList,
    `<div class="head-actions"><a class="download" id="download-report" href="/executions/${encodeURIComponent(id)}/report.html" download>Download the report (saga report --html)</a>` +
      `<a href="/api/executions/${encodeURIComponent(id)}">JSON</a></div>`,
    '</section>',
    '<section class="replay" id="replay">',
    '<label for="replay-slider">Replay</label>',
    `<input type="range" id="replay-slider" min="0" max="${view.lastRevision}" value="${view.lastRevision}" step="1">`,
    `<output id="replay-label" for="replay-slider">revision <strong>${view.lastRevision}</strong> of ${view.lastRevision}: the execution now</output>`,
    '</section>',
    '<div id="action-result" class="hidden" role="status"></div>',
    actionsSection(info),
    timersSection(view),
    `<h2 class="as-of" id="as-of">At revision ${view.lastRevision}: the execution now</h2>`,
    `<div id="report">${report.sections}</div>`,
  ].join('\n');
  return renderPage(info, {
    title: `${report.title} · ${id.slice(0, 8)} · ${report.statusLabel}`,
    script: 'executionView.js',
    body,
    data: { execution: id, 'last-revision': String(view.lastRevision), actions: String(info.allowActions) },
  });
};
