/**
 * The executions table (`/`): the filters as a form (they live in the URL, so a filtered view can be
 * bookmarked or shared), the counts by status, and the table that `executionsView.js` fills from
 * `/api/executions` and keeps live.
 */
import { SagaStatus } from '@saga/core';
import { renderPage, type ConsoleInfo } from './pageLayout.js';

const statusBoxes = Object.values(SagaStatus)
  .map((status) => `<label><input type="checkbox" name="status" value="${status}"> ${status}</label>`)
  .join('');

const field = (name: string, label: string, placeholder: string, type = 'text'): string =>
  `<label>${label}<input type="${type}" name="${name}" id="filter-${name}" placeholder="${placeholder}" autocomplete="off"></label>`;

export const renderExecutionsPage = (info: ConsoleInfo): string =>
  renderPage(info, {
    title: 'Executions',
    script: 'executionsView.js',
    body: [
      '<div class="listing-head"><h1>Executions</h1><span id="live" class="live off">connecting…</span></div>',
      '<div id="counts" class="counts" aria-live="polite"><span class="total">counting…</span></div>',
      '<form id="filters" class="filters" method="get" action="/">',
      `<fieldset><legend>Status</legend>${statusBoxes}<label><input type="checkbox" name="open" value="true"> open only</label></fieldset>`,
      field('definition', 'Definition', 'name or name@version'),
      field('service', 'Service', 'order'),
      field('user', 'User', 'alice'),
      field('since', 'Started since', '2026-12-01 or 24h'),
      field('until', 'Started before', '2026-12-02 or 1h'),
      field('context', 'Context', 'orderId=order-1001'),
      '<div class="buttons"><button type="submit" id="apply">Filter</button><button type="button" class="secondary" id="clear">Clear</button></div>',
      '</form>',
      '<div class="listing-head"><span id="criteria" class="criteria"></span></div>',
      '<div id="error" class="callout bad hidden" role="alert"></div>',
      '<table class="executions" id="executions"><thead><tr>',
      '<th>Started (UTC)</th><th>Execution</th><th>Definition</th><th>Status</th><th>User</th><th>Service</th><th>Waiting for</th><th>Updated</th>',
      '</tr></thead><tbody><tr><td colspan="8" class="empty">Loading…</td></tr></tbody></table>',
      '<nav class="pager"><button type="button" class="secondary" id="newest" disabled>Newest</button><button type="button" id="older" disabled>Older →</button></nav>',
    ].join('\n'),
  });
