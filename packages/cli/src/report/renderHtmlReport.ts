/**
 * `saga report`: one execution as a single HTML file an auditor can open offline, archive and
 * print. Everything is inline (styles, the SVG diagram, the exported history as JSON data); there
 * is no script, so the page shows the same thing in any browser, now and in ten years.
 */
import type { JsonObject, JsonValue, RecordedSagaEvent, SagaExecution, SagaShape } from '@saga/core';
import type { DefinitionLike } from '../definitions/loadDefinition.js';
import { diagramFromHistory, diagramFromShape, nodeStatusOf } from '../diagram/sagaDiagram.js';
import { compensationTargets } from '../diagram/compensationTargets.js';
import { renderSvg } from '../diagram/renderSvg.js';
import type { ExecutionDiff } from '../diff/executionDiff.js';
import { escapeHtml } from '../format/escapeHtml.js';
import { elapsed, preciseTime } from '../format/time.js';
import { exportHistory, historyDigest, historyFormat } from '../history/historyExport.js';
import { checkDefinition } from '../verify/definitionCheck.js';
import { checkHistory, type Finding } from '../verify/historyInvariants.js';
import { auditTrail, type ChildRecord, type Message, type StepRecord, type TimelineEntry } from './auditTrail.js';
import { reportCommand, reportFileName } from './reportFile.js';
import { reportStyles } from './reportStyles.js';
import { stepStatusText } from './stepStatusText.js';

export interface ReportInput {
  readonly stream: string;
  /** The decoded events (for a stream that stops decoding: those before the first bad one). */
  readonly events: readonly RecordedSagaEvent[];
  /** The fold of `events`; computed when absent. */
  readonly execution?: SagaExecution;
  /** The definition, to draw the whole saga and check the history against it. */
  readonly definition?: DefinitionLike | SagaShape;
  /** A stream that stops decoding: where and why, and the events stored from there on. */
  readonly corruption?: { readonly revision: number; readonly reason: string; readonly stored: readonly { readonly revision: number; readonly type: string; readonly recordedAt: string }[] };
  /** Shown in the header: which store the history was read from (credentials already hidden). */
  readonly store?: string;
  readonly generatedAt?: string;
  readonly generator?: string;
}

const json = (value: JsonValue | undefined): string => escapeHtml(JSON.stringify(value ?? null, null, 2) ?? 'null');
const oneLine = (value: JsonValue | undefined, max = 90): string => {
  const text = JSON.stringify(value ?? null) ?? 'null';
  return escapeHtml(text.length > max ? `${text.slice(0, max - 1)}…` : text);
};

/**
 * A context as pretty JSON with its top-level entries marked against `before`: added, changed,
 * removed (struck through). What a step did is read at a glance, and the full value is still there.
 */
const jsonWithChanges = (before: JsonObject, after: JsonObject): string => {
  const keys = Object.keys(after);
  const removed = Object.keys(before).filter((key) => !Object.hasOwn(after, key));
  const entry = (key: string, value: JsonValue | undefined, last: boolean): string => {
    const text = JSON.stringify(value ?? null, null, 2)?.split('\n').join('\n  ') ?? 'null';
    return escapeHtml(`  ${JSON.stringify(key)}: ${text}${last ? '' : ','}`);
  };
  const lines = keys.map((key, index) => {
    const last = index === keys.length - 1 && removed.length === 0;
    const kind = !Object.hasOwn(before, key) ? 'added' : JSON.stringify(before[key]) !== JSON.stringify(after[key]) ? 'changed' : '';
    const line = entry(key, after[key], last);
    return kind ? `<span class="${kind}" title="${kind} by this step">${line}</span>` : line;
  });
  lines.push(...removed.map((key, index) => `<span class="removed" title="removed by this step">${entry(key, before[key], index === removed.length - 1)}</span>`));
  return `<pre class="json">{\n${lines.join('\n')}\n}</pre>`;
};

const isShape = (definition: DefinitionLike | SagaShape): definition is SagaShape => Array.isArray((definition as SagaShape).steps) && !('fingerprint' in definition);

const badge = (status: string, label = status, title?: string): string =>
  `<span class="badge ${escapeHtml(status)}"${title !== undefined ? ` title="${escapeHtml(title)}"` : ''}>${escapeHtml(label)}</span>`;

/** A step status in words, with the engine's name of it on hover. */
const stepStatusSpan = (status: string, kind: string): string => `<span title="${escapeHtml(`engine status: ${status}`)}">${escapeHtml(stepStatusText(status, kind))}</span>`;

const fact = (term: string, value: string): string => `<div><dt>${escapeHtml(term)}</dt><dd>${value}</dd></div>`;

const changesList = (diff: ExecutionDiff): string => {
  const items: string[] = [];
  if (diff.status?.before !== undefined && diff.status.after !== undefined) {
    items.push(`<li class="meta">status ${escapeHtml(diff.status.before)} → <strong>${escapeHtml(diff.status.after)}</strong></li>`);
  }
  for (const step of diff.steps) {
    const before = step.before === undefined ? 'not started' : stepStatusSpan(step.before, step.kind);
    items.push(`<li class="meta">step ${escapeHtml(step.path)}: ${before} → <strong>${step.after === undefined ? '' : stepStatusSpan(step.after, step.kind)}</strong></li>`);
  }
  for (const change of diff.context) {
    if (change.kind === 'added') items.push(`<li class="added">+ ${escapeHtml(change.path)} = ${oneLine(change.after)}</li>`);
    else if (change.kind === 'removed') items.push(`<li class="removed">− ${escapeHtml(change.path)} (was ${oneLine(change.before)})</li>`);
    else items.push(`<li class="changed">~ ${escapeHtml(change.path)}: ${oneLine(change.before, 50)} → ${oneLine(change.after, 50)}</li>`);
  }
  if (diff.transaction) items.push(`<li class="meta">transaction ${escapeHtml(diff.transaction.before ?? 'none')} → ${escapeHtml(diff.transaction.after ?? 'none')}</li>`);
  return items.length > 0 ? `<ul class="changes">${items.join('')}</ul>` : '';
};

const timelineEntry = (entry: TimelineEntry): string => {
  // The summary already shows a short payload in full; repeat it only when the summary had to cut it.
  const shownInSummary = entry.payload !== undefined && entry.summary.includes(JSON.stringify(entry.payload) ?? '');
  const payload = entry.payload !== undefined && !shownInSummary ? `<ul class="changes"><li class="meta">payload ${oneLine(entry.payload, 140)}</li></ul>` : '';
  // A timer's own bookkeeping is in its summary; listing the timer set again would be noise.
  const changes = entry.category === 'start' || entry.category === 'timer' ? '' : changesList(entry.diff);
  return (
    `<li class="event category-${entry.category}" data-revision="${entry.revision}" data-type="${escapeHtml(entry.type)}">` +
    `<span class="rev">#${entry.revision}</span>` +
    `<div class="line"><span class="type">${entry.category === 'compensation' ? '↩ ' : ''}${escapeHtml(entry.type)}</span>` +
    (entry.step !== undefined ? `<span class="step-ref">step ${escapeHtml(entry.step)}</span>` : '') +
    `<time datetime="${escapeHtml(entry.recordedAt)}">${escapeHtml(preciseTime(entry.recordedAt))}</time></div>` +
    `<div class="summary">${escapeHtml(entry.summary)}</div>${payload}${changes}</li>`
  );
};

const message = (label: string, m: Message | undefined): string => {
  if (!m) return '';
  const head =
    m.status !== undefined
      ? `${escapeHtml(m.status)} from ${escapeHtml((m.services ?? []).join(', ') || '?')}`
      : `${escapeHtml(m.target ?? '')} <span class="mono">(request ${escapeHtml(m.requestId)})</span>`;
  return `<div class="cell"><h4>${escapeHtml(label)} · #${m.revision} · ${escapeHtml(preciseTime(m.at))}</h4><div class="msg">${head}</div><pre>${json(m.payload)}</pre></div>`;
};

/** A link to another execution's report file, with the command that writes it (it may not exist yet). */
type Link = (executionId: string) => string;

const reportLink = (link: Link, executionId: string, text: string): string =>
  `<a class="report-link" href="${escapeHtml(link(executionId))}">${escapeHtml(text)}</a>` +
  (link === reportFileName ? ` <span class="mono">(${escapeHtml(reportCommand(executionId))})</span>` : '');

const childSection = (child: ChildRecord, link: Link): string => {
  const ended = (label: string, end: ChildRecord['ended']): string =>
    end
      ? `<div class="msg">${escapeHtml(label)} at #${end.revision}: <strong>${escapeHtml(end.outcome)}</strong>${end.error ? ` — ${escapeHtml(end.error.name)}: ${escapeHtml(end.error.message)}` : ''}</div>`
      : '';
  return (
    `<div class="child" data-child="${escapeHtml(child.id)}"><h4>Child execution</h4>` +
    `<div class="msg">${escapeHtml(child.definition.name)}@${escapeHtml(child.definition.version)} · <span class="mono">${escapeHtml(child.id)}</span>, started at #${child.startedAt.revision}, ${escapeHtml(preciseTime(child.startedAt.at))}</div>` +
    (child.ended ? ended('Ended', child.ended) : '<div class="msg">Not ended yet: the step waits for it.</div>') +
    (child.compensationRequested ? `<div class="msg">↩ Asked to undo its steps at #${child.compensationRequested.revision}, ${escapeHtml(preciseTime(child.compensationRequested.at))}</div>` : '') +
    ended('Its compensation ended', child.compensationEnded) +
    `<div class="msg">Its own report: ${reportLink(link, child.id, link(child.id))}</div></div>`
  );
};

/**
 * The cards of the steps under `parent` (undefined: the top level). A step inside a branch of a
 * parallel step is shown in that step's card, grouped by branch, so the branches read side by side.
 */
const stepCards = (steps: readonly StepRecord[], parent: string | undefined, link: Link): string => {
  const parallels = steps.filter((s) => s.kind === 'parallel').map((s) => s.path);
  // The innermost parallel step a path is inside of.
  const owner = (path: string): string | undefined => parallels.filter((p) => path.startsWith(`${p}.`)).sort((a, b) => b.length - a.length)[0];
  const cards = (under: string | undefined, within: (step: StepRecord) => boolean): string =>
    steps
      .filter((s) => owner(s.path) === under && within(s))
      .map((s) => stepCard(s, link, s.kind === 'parallel' ? branchGroups(s, (branch) => cards(s.path, (b) => b.path.startsWith(`${s.path}.${branch}.`))) : ''))
      .join('');
  return cards(parent, () => true);
};

/** A parallel step's branches side by side, each with the cards of its own steps. */
const branchGroups = (parallel: StepRecord, cardsOf: (branch: number) => string): string => {
  const groups = Array.from({ length: parallel.branches ?? 0 }, (_, branch) => {
    const cards = cardsOf(branch);
    return `<div class="branch" data-branch="${branch}"><h4>‖ Branch ${branch}</h4>${cards || '<p class="subtitle">No step of this branch ran.</p>'}</div>`;
  });
  return `<div class="branches">${groups.join('')}</div>`;
};

const stepCard = (step: StepRecord, link: Link, inner = ''): string => {
  const status = nodeStatusOf(step.status);
  const cells: string[] = [];
  cells.push(`<div class="cell"><h4>Input context</h4><pre>${json(step.input)}</pre></div>`);
  cells.push(
    step.output
      ? `<div class="cell"><h4>Output context <span class="legend-note">(changes marked)</span></h4>${jsonWithChanges(step.input, step.output)}</div>`
      : `<div class="cell"><h4>Output context</h4><div class="msg">${step.failure ? 'none: the step failed' : 'none yet'}</div></div>`,
  );
  cells.push(message(step.resends ? `Request (re-sent ${step.resends}× with the same id)` : 'Request', step.request), message('Reply', step.reply));
  const branch =
    step.kind === 'conditional' && step.branch !== undefined
      ? `<div class="msg">Branch taken: <strong>${step.branch === null ? 'none applied' : step.branch === 'else' ? 'else' : `#${step.branch}`}</strong></div>`
      : '';
  const parallel = step.kind === 'parallel' && step.branches !== undefined ? `<div class="msg">Started <strong>${step.branches} branches at once</strong>; it finishes when all have.</div>` : '';
  const child = step.child ? childSection(step.child, link) : '';
  const failure = step.failure
    ? `<div class="callout bad"><strong>At #${step.failure.revision}, ${stepStatusSpan(step.failure.status, step.kind)}</strong>${escapeHtml(step.failure.error.name)}: ${escapeHtml(step.failure.error.message)}</div>`
    : '';
  const c = step.compensation;
  const compensation = c
    ? `<div class="compensation${c.failed ? ' failed' : ''}"><h3>↩ Compensation</h3>` +
      (c.attempts ?? [])
        .map((a) => `<div class="msg">Attempt ${a.attempt} failed at #${a.revision}: ${escapeHtml(a.error.message)} (retried)</div>`)
        .join('') +
      (c.failed ? `<div class="msg"><strong>Failed at #${c.failed.revision}:</strong> ${escapeHtml(c.failed.error.name)}: ${escapeHtml(c.failed.error.message)}</div>` : '') +
      (c.resumedAt ? `<div class="msg">Resumed by an operator at #${c.resumedAt.revision}, ${escapeHtml(preciseTime(c.resumedAt.at))}</div>` : '') +
      (c.compensatedAt ? `<div class="msg">Compensated at #${c.compensatedAt.revision}, ${escapeHtml(preciseTime(c.compensatedAt.at))}</div>` : '') +
      `<div class="grid">${message('Compensation request', c.request)}${message('Compensation reply', c.reply)}</div>` +
      (c.context ? `<div class="cell"><h4>Context after compensation <span class="legend-note">(changes marked)</span></h4>${jsonWithChanges(c.contextBefore ?? c.context, c.context)}</div>` : '') +
      '</div>'
    : '';
  return (
    `<article class="step-card ${status}" data-path="${escapeHtml(step.path)}">` +
    `<header><h3>Step ${escapeHtml(step.path)}</h3><span class="kind">${escapeHtml(step.kind)} step</span>${badge(status, stepStatusText(step.status, step.kind), `engine status: ${step.status}`)}</header>` +
    `${branch}${parallel}${child}${failure}<div class="grid">${cells.join('')}</div>${compensation}${inner}</article>`
  );
};

const findingsList = (findings: readonly Finding[]): string =>
  `<ul>${findings.map((f) => `<li>${f.revision !== undefined ? `revision ${f.revision}: ` : ''}${escapeHtml(f.message)}</li>`).join('')}</ul>`;

/** The report's parts: its body (sections), and what the document around it needs. */
export interface ReportBody {
  readonly title: string;
  readonly shortId: string;
  /** The status in words, as the header badge shows it. */
  readonly statusLabel: string;
  /** Whether the history decodes and obeys every rule (and matches the definition, when given). */
  readonly verified: boolean;
  /** The header (title, status, who and when) and the sections after it; `body` is both. */
  readonly head: string;
  readonly sections: string;
  readonly body: string;
  /** The exported history, as embedded in the report file. */
  readonly history: ReturnType<typeof exportHistory>;
}

export interface ReportBodyOptions {
  /** Put the diagram's stylesheet inside its SVG (default); `saga ui` serves it as a file instead. */
  readonly embedStyles?: boolean;
  /** Where another execution's report is (a child's, the parent's): `saga report`'s file name by default, `saga ui` its page. */
  readonly childLink?: (executionId: string) => string;
}

/** The report's sections, shared by `saga report` (a file) and `saga ui` (a page among others). */
export const renderReportBody = (input: ReportInput, options: ReportBodyOptions = {}): ReportBody => {
  const { events, stream } = input;
  const checked = checkHistory(events, stream);
  const execution = input.execution ?? checked.execution;
  const definition = input.definition;
  const shape = definition === undefined ? undefined : isShape(definition) ? definition : definition.describe();
  const definitionVerdict = definition !== undefined && !isShape(definition) ? checkDefinition(events, [definition]) : undefined;
  const planned = definition !== undefined && !isShape(definition) ? compensationTargets(definition, execution.context) : undefined;
  const drawn = shape ? diagramFromShape(shape, { execution, events }, planned) : diagramFromHistory(execution, events);
  // Links to other executions (a child's, the parent's): report files side by side, or the console's pages.
  const childLink = options.childLink ?? reportFileName;
  const diagram = input.corruption ? { ...drawn, outcome: { status: 'errored' as const, label: `revision ${input.corruption.revision} does not decode` } } : drawn;
  const trail = auditTrail(events);
  const history = exportHistory(execution, events, stream);
  const digest = historyDigest(history);
  const generatedAt = input.generatedAt ?? new Date().toISOString();
  const title = `${execution.definition.name}@${execution.definition.version}`;
  const compensated = execution.compensation.done.length > 0;

  const problems = [...checked.problems, ...(definitionVerdict?.kind === 'checked' ? definitionVerdict.problems : [])];
  const verdicts: string[] = [];
  if (input.corruption) {
    verdicts.push(
      `<div class="callout bad" id="integrity"><strong>✗ The stored history does not decode at revision ${input.corruption.revision}</strong>` +
        `${escapeHtml(input.corruption.reason)}. This report shows revisions 0–${events.length - 1}, the part that decodes; ` +
        `the events stored from revision ${input.corruption.revision} on are listed at the end of the timeline.</div>`,
    );
  }
  if (problems.length > 0) {
    verdicts.push(`<div class="callout bad" id="integrity-problems"><strong>✗ ${problems.length} rule${problems.length === 1 ? '' : 's'} broken in this history</strong>${findingsList(problems)}</div>`);
  } else if (!input.corruption) {
    const definitionText =
      definitionVerdict?.kind === 'checked'
        ? ` It matches the definition ${escapeHtml(title)} (shape ${escapeHtml(execution.definition.fingerprint)}).`
        : ' The definition itself was not checked (pass --definition to compare it).';
    verdicts.push(
      `<div class="callout ok" id="integrity"><strong>✓ History verified</strong>All ${events.length} events decode, fold, and obey the engine's rules ` +
        `(replies match their requests, compensations run in reverse order, a decided transaction stays decided).${definitionText}</div>`,
    );
  }
  if (checked.warnings.length > 0) verdicts.push(`<div class="callout warn"><strong>Warnings</strong>${findingsList(checked.warnings)}</div>`);

  const outcome: string[] = [];
  if (execution.error) {
    outcome.push(`<div class="callout bad" id="error"><strong>Error: ${escapeHtml(execution.error.name)}</strong>${escapeHtml(execution.error.message)}</div>`);
  }
  if (execution.compensation.plan.length > 0 || execution.compensation.failed) {
    const { plan, done, failed } = execution.compensation;
    outcome.push(
      `<div class="callout ${failed ? 'bad' : 'warn'}" id="compensation"><strong>↩ Compensation${failed ? ' failed' : done.length > 0 ? ' completed' : ''}</strong>` +
        `Steps undone in reverse order: ${escapeHtml(done.join(' → ') || 'none yet')} ` +
        `<span class="mono">(plan ${escapeHtml(plan.join(', ') || 'empty')}; steps with nothing to undo are skipped)</span>` +
        (failed ? `<br>Step ${escapeHtml(failed.path)} could not be compensated: ${escapeHtml(failed.error.message)}. An operator must act.` : '') +
        '</div>',
    );
  }
  if (execution.pendingRequests.length > 0) {
    // Every request in flight: a parallel step waits on one per branch.
    const n = execution.pendingRequests.length;
    outcome.push(
      `<div class="callout info" id="pending"><strong>Waiting for ${n === 1 ? 'a reply' : `${n} replies`}</strong>` +
        execution.pendingRequests
          .map(
            (p) =>
              `<div class="pending-request" data-path="${escapeHtml(p.path)}">Step ${escapeHtml(p.path)} sent <span class="mono">${escapeHtml(p.target)}</span> ` +
              `(${p.purpose === 'compensate' ? 'compensation' : 'request'} ${escapeHtml(p.requestId)}) at ${escapeHtml(preciseTime(p.sentAt))}.<pre>${json(p.payload)}</pre></div>`,
          )
          .join('') +
        '</div>',
    );
  }
  if (execution.pendingChildren.length > 0) {
    outcome.push(
      `<div class="callout info" id="pending-children"><strong>Waiting for ${execution.pendingChildren.length === 1 ? 'a child execution' : `${execution.pendingChildren.length} child executions`}</strong>` +
        execution.pendingChildren
          .map(
            (c) =>
              `<div class="pending-child" data-path="${escapeHtml(c.path)}">Step ${escapeHtml(c.path)}: ${escapeHtml(c.definition.name)}@${escapeHtml(c.definition.version)} ` +
              `${c.purpose === 'compensate' ? 'undoing its steps' : 'running'}, ${reportLink(childLink, c.childId, c.childId)}</div>`,
          )
          .join('') +
        '</div>',
    );
  }
  const tx = execution.transaction;
  const votes = tx.votes.map((v) => `${v.service}: ${v.vote === undefined ? 'no answer yet' : v.vote ? 'yes' : `no${v.reason ? ` (${v.reason})` : ''}`}`);

  const corruptedTail = (input.corruption?.stored ?? [])
    .filter((e) => e.revision >= (input.corruption?.revision ?? Infinity))
    .map(
      (e) =>
        `<li class="event corrupted" data-revision="${e.revision}"><span class="rev">#${e.revision}</span>` +
        `<div class="line"><span class="type">✗ ${escapeHtml(e.type)}</span><time>${escapeHtml(preciseTime(e.recordedAt))}</time></div>` +
        `<div class="summary">${e.revision === input.corruption?.revision ? escapeHtml(input.corruption.reason) : 'not decoded (after the first event that does not decode)'}</div></li>`,
    );

  // A stream that stops decoding is not "running": it is stuck, and the badge must say so.
  const statusLabel = input.corruption
    ? 'corrupted'
    : execution.status === 'errored' && execution.compensation.failed
      ? 'errored · compensation stopped'
      : execution.status === 'errored' && compensated
        ? 'errored · compensated'
        : execution.status;
  const badgeStatus = input.corruption ? 'failed' : execution.status;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const shortId = execution.id.slice(0, 8);
  const head = [
    '<header class="report-head">',
    '<div class="eyebrow">Saga execution · audit report</div>',
    `<h1>${escapeHtml(title)} ${badge(badgeStatus, statusLabel)}</h1>`,
    `<div class="subtitle">Execution <span class="mono">${escapeHtml(execution.id)}</span>${execution.user ? ` · started by <strong>${escapeHtml(execution.user)}</strong>` : ''}` +
      ` · ${escapeHtml(preciseTime(execution.startedAt))}</div>`,
    '</header>',
  ].join('\n');
  const sections = [
    '<section id="summary"><dl class="facts">',
    fact('Definition', `${escapeHtml(title)} <span class="mono">shape ${escapeHtml(execution.definition.fingerprint)}</span>`),
    fact('Status', `${badge(badgeStatus, statusLabel)} <span class="mono">phase ${escapeHtml(execution.phase)}</span>`),
    fact('Started', `${escapeHtml(preciseTime(execution.startedAt))}`),
    fact('Last event', `${escapeHtml(preciseTime(execution.updatedAt))} <span class="mono">(${escapeHtml(elapsed(execution.startedAt, execution.updatedAt))} after start)</span>`),
    fact('Started by', escapeHtml(execution.user ?? '(no user recorded)')),
    fact('Service', escapeHtml(execution.service)),
    ...(execution.parent
      ? [fact('Parent', `a child execution, run by step ${escapeHtml(execution.parent.path)} of ${reportLink(childLink, execution.parent.executionId, execution.parent.executionId)}`)]
      : []),
    fact('Events', `${events.length}${input.corruption ? ` decoded of ${input.corruption.stored.length} stored` : ''} <span class="mono">(revisions 0–${Math.max(0, events.length - 1)})</span>`),
    fact('Transaction', `${escapeHtml(tx.status)}${votes.length > 0 ? ` <span class="mono">(${escapeHtml(votes.join('; '))})</span>` : ''}`),
    fact('Stream', `<span class="mono">${escapeHtml(stream)}</span>`),
    fact('Store', `<span class="mono">${escapeHtml(input.store ?? 'not recorded')}</span>`),
    '</dl></section>',
    `<section id="verdict">${verdicts.join('')}${outcome.join('')}</section>`,
    '<section id="diagram" class="diagram-section"><h2>Flow</h2>',
    `<div class="diagram">${renderSvg(diagram, { embedStyles: options.embedStyles ?? true, childLink })}</div></section>`,
    `<section id="timeline-section"><h2>Timeline <span class="subtitle">(${plural(input.corruption?.stored.length ?? events.length, 'event')}, UTC)</span></h2>`,
    `<ol class="timeline" id="timeline">${trail.timeline.map(timelineEntry).join('')}${corruptedTail.join('')}</ol></section>`,
    '<section id="steps-section"><h2>Steps</h2>',
    `<div class="steps" id="steps">${stepCards(trail.steps, undefined, childLink) || '<p class="subtitle">No step ran.</p>'}</div></section>`,
    '<section id="context"><h2>Final context</h2>',
    `<pre>${json(execution.context)}</pre></section>`,
    '<footer class="report-foot">',
    `<div>Generated ${escapeHtml(preciseTime(generatedAt))} by ${escapeHtml(input.generator ?? 'saga report')} from the event stream <span class="mono">${escapeHtml(stream)}</span>.</div>`,
    input.corruption
      ? `<div>History digest (SHA-256 of the <code>${historyFormat}</code> export of revisions 0–${events.length - 1}, the part that decodes): <code id="digest">${digest}</code></div>`
      : `<div>History digest (SHA-256 of the <code>${historyFormat}</code> export; <code>saga history ${escapeHtml(shortId)}… --json | sha256sum</code> prints the same): <code id="digest">${digest}</code></div>`,
    '<div>The exported history is embedded in this file (<code>script#saga-history</code>). The page loads nothing from the network.</div>',
    '</footer>',
  ].join('\n');
  return { title, shortId, statusLabel, verified: problems.length === 0 && !input.corruption, head, sections, body: `${head}\n${sections}`, history };
};

export const renderHtmlReport = (input: ReportInput): string => {
  const { title, shortId, statusLabel, body, history } = renderReportBody(input);
  // `<` is escaped so that no value in the history can close the script element.
  const embedded = JSON.stringify(history).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(input.generator ?? 'saga report')}">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)} · ${escapeHtml(shortId)} · ${escapeHtml(statusLabel)}</title>
<style>${reportStyles}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="saga-history">${embedded}</script>
</body>
</html>
`;
};
