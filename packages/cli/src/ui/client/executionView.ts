/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * One execution: the replay slider (the report's sections as they were after revision N, rendered
 * and escaped by the server), the actions with their confirmation, and a live reload when the
 * execution moves on while the operator looks at its present.
 */
import { ApiError, followChanges, getJson, postJson } from './api.js';
import { byId, shortTime } from './dom.js';

interface View {
  readonly revision: number;
  readonly lastRevision: number;
  readonly type?: string;
  readonly recordedAt?: string;
  readonly statusLabel: string;
  readonly html: string;
}

interface Preview {
  readonly allowed: boolean;
  readonly action: string;
  readonly available: boolean;
  readonly why?: string;
  readonly atRevision: number;
  readonly appends: readonly { readonly stream: string; readonly expectedRevision: number | string; readonly events: readonly unknown[] }[];
  readonly then: string;
  readonly recordedBy: string;
}

interface Done {
  readonly action: string;
  readonly executionId: string;
  readonly status: string;
}

const id = document.body.dataset.execution ?? '';
const base = `/api/executions/${encodeURIComponent(id)}`;
const slider = byId<HTMLInputElement>('replay-slider');
const lastRevision = Number(document.body.dataset.lastRevision ?? slider.max);

const say = (text: string, kind: 'ok' | 'bad' | 'info'): void => {
  const box = document.getElementById('action-result');
  if (!box) return;
  box.className = `callout ${kind}`;
  box.textContent = text;
};

let shown = lastRevision;
let asked = 0;

const label = (view: View): void => {
  const output = byId('replay-label');
  const strong = document.createElement('strong');
  strong.textContent = String(view.revision);
  const when = view.revision === view.lastRevision ? 'the execution now' : `as it was after ${view.type ?? '?'} at ${shortTime(view.recordedAt)} (${view.statusLabel})`;
  output.replaceChildren('revision ', strong, ` of ${view.lastRevision}: ${when}`);
  const heading = document.getElementById('as-of');
  if (heading) heading.textContent = view.revision === view.lastRevision ? `At revision ${view.revision}: the execution now` : `At revision ${view.revision}: as it was then`;
};

/** Shows the execution as it was after `revision`; a slower answer to an older request is dropped. */
const showRevision = async (revision: number): Promise<void> => {
  const ticket = ++asked;
  const report = byId('report');
  report.classList.add('stale');
  const view = await getJson<View>(`${base}/view?upTo=${revision}`);
  if (ticket !== asked) return;
  // Server-rendered and escaped there (the same sections as on load); no script runs from it (CSP).
  report.innerHTML = view.html;
  report.classList.remove('stale');
  shown = view.revision;
  label(view);
  document.body.dataset.shownRevision = String(view.revision);
  void refreshFork();
};

let debounce: ReturnType<typeof setTimeout> | undefined;
slider.addEventListener('input', () => {
  if (debounce) clearTimeout(debounce);
  debounce = setTimeout(() => void showRevision(Number(slider.value)).catch((error: unknown) => say(String(error instanceof Error ? error.message : error), 'bad')), 60);
});

const previewUrl = (action: string): string => {
  const query = new URLSearchParams();
  if (action === 'fork') query.set('fromRevision', String(shown));
  if (action === 'cancel') query.set('reason', (document.getElementById('cancel-reason') as HTMLInputElement | null)?.value ?? '');
  return `${base}/actions/${action}?${query.toString()}`;
};

const setAvailability = (button: HTMLButtonElement | null, preview: Preview): void => {
  if (!button) return;
  button.disabled = !preview.available;
  button.title = preview.available ? `Shows what will be appended before anything is written` : `Not now: ${preview.why ?? ''}`;
};

const refreshFork = async (): Promise<void> => {
  const button = document.getElementById('action-fork') as HTMLButtonElement | null;
  const at = document.getElementById('fork-revision');
  if (!button || !at) return;
  at.textContent = String(shown);
  setAvailability(button, await getJson<Preview>(previewUrl('fork')));
};

const confirmAction = async (action: string): Promise<void> => {
  const preview = await getJson<Preview>(previewUrl(action));
  if (!preview.available) {
    say(`Cannot ${action}: ${preview.why ?? 'not available now'}.`, 'bad');
    return;
  }
  const dialog = byId<HTMLDialogElement>('confirm');
  byId('confirm-title').textContent = `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} ${id.slice(0, 8)}…?`;
  byId('confirm-why').textContent = `Reviewed at revision ${preview.atRevision}: if the execution moves on before you confirm, nothing is written and you review again.`;
  // As text: the events are shown exactly as they will be appended, context values included.
  byId('confirm-appends').textContent = preview.appends
    .map((append) => `${append.stream} (expected revision ${append.expectedRevision}):\n${JSON.stringify(append.events, null, 2)}`)
    .join('\n\n');
  byId('confirm-then').textContent = preview.then;
  byId('confirm-by').textContent = preview.recordedBy;
  const ok = byId<HTMLButtonElement>('confirm-ok');
  ok.dataset.action = action;
  ok.dataset.atRevision = String(preview.atRevision);
  ok.disabled = false;
  dialog.showModal();
};

const act = async (): Promise<void> => {
  const ok = byId<HTMLButtonElement>('confirm-ok');
  const action = ok.dataset.action ?? '';
  ok.disabled = true;
  const body = {
    expectedRevision: Number(ok.dataset.atRevision),
    ...(action === 'fork' ? { fromRevision: shown } : {}),
    ...(action === 'cancel' ? { reason: (document.getElementById('cancel-reason') as HTMLInputElement | null)?.value ?? '' } : {}),
  };
  try {
    const done = await postJson<Done>(`${base}/actions/${action}`, body);
    byId<HTMLDialogElement>('confirm').close();
    if (action === 'fork') {
      location.assign(`/executions/${encodeURIComponent(done.executionId)}`);
      return;
    }
    say(`Done: ${action} recorded; the execution is ${done.status}. Reloading…`, 'ok');
    location.reload();
  } catch (error) {
    byId<HTMLDialogElement>('confirm').close();
    say(error instanceof ApiError || error instanceof Error ? error.message : String(error), 'bad');
  }
};

const wireActions = (): void => {
  if (document.body.dataset.actions !== 'true') return;
  for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
    const action = button.dataset.action ?? '';
    button.addEventListener('click', () => void confirmAction(action).catch((error: unknown) => say(error instanceof Error ? error.message : String(error), 'bad')));
  }
  byId('confirm-ok').addEventListener('click', () => void act());
  byId('confirm-cancel').addEventListener('click', () => byId<HTMLDialogElement>('confirm').close());
  const resume = document.getElementById('action-resume') as HTMLButtonElement | null;
  void getJson<Preview>(previewUrl('resume')).then((preview) => setAvailability(resume, preview), () => undefined);
  // Cancel needs a reason: available means "the execution can be cancelled"; the reason is asked on click.
  const cancel = document.getElementById('action-cancel') as HTMLButtonElement | null;
  void getJson<Preview>(`${base}/actions/cancel?reason=-`).then((preview) => setAvailability(cancel, preview), () => undefined);
  void refreshFork();
};

wireActions();
document.body.dataset.shownRevision = String(lastRevision);
followChanges(
  (ids) => {
    if (!ids.includes(id)) return;
    // At the present, show the new present; while replaying the past, say so instead of jumping.
    const dialog = document.getElementById('confirm') as HTMLDialogElement | null;
    if (shown === lastRevision && !dialog?.open) location.reload();
    else say('This execution moved on since the page loaded: reload to see its newest events.', 'info');
  },
  () => undefined,
);
