/**
 * The document every console page shares: the stylesheet and the page's script as files (no inline
 * script or style: the CSP forbids both), the top bar with the store (credentials hidden) and the
 * mode (read-only, or actions enabled and who is recorded as doing them).
 */
import { escapeHtml } from '../format/escapeHtml.js';

export interface ConsoleInfo {
  /** The store, as `describeStore` writes it (credentials already hidden). */
  readonly storeLabel: string;
  readonly allowActions: boolean;
  readonly operator: string;
}

export interface PageInput {
  readonly title: string;
  readonly body: string;
  /** The page's module under /assets/client/, e.g. `executionsView.js`. */
  readonly script?: string;
  /** Data the script reads (`data-*` attributes of <body>), escaped here. */
  readonly data?: Readonly<Record<string, string>>;
}

export const renderPage = (info: ConsoleInfo, input: PageInput): string => {
  const data = Object.entries(input.data ?? {})
    .map(([key, value]) => ` data-${key}="${escapeHtml(value)}"`)
    .join('');
  const mode = info.allowActions
    ? `<span class="mode actions" id="mode" title="Actions are recorded as done by ${escapeHtml(info.operator)}">actions enabled · ${escapeHtml(info.operator)}</span>`
    : '<span class="mode" id="mode" title="Start saga ui with --allow-actions to resume, fork or cancel">read-only</span>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(input.title)} · saga ui</title>
<link rel="stylesheet" href="/assets/ui.css">
${input.script ? `<script type="module" src="/assets/client/${escapeHtml(input.script)}"></script>` : ''}
</head>
<body${data}>
<header class="topbar"><a href="/">saga ui</a><span class="store" id="store" title="The store this console reads">${escapeHtml(info.storeLabel)}</span>${mode}</header>
<main class="console">
${input.body}
</main>
</body>
</html>
`;
};

/** A page for a request that failed: the status and the message that says what to do. */
export const errorPage = (info: ConsoleInfo, message: string, status: number): string =>
  renderPage(info, {
    title: `Error ${status}`,
    body: `<h1>Error ${status}</h1><div class="callout bad" id="error-message">${escapeHtml(message)}</div><p><a href="/">Back to the executions</a></p>`,
  });
