/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The executions table: reads the filters from the address (so a view can be bookmarked), asks
 * `/api/executions` for the page and `/api/counts` for the counts, and keeps the first page live.
 */
import { ApiError, followChanges, getJson } from './api.js';
import { byId, el, shortTime, show } from './dom.js';

interface Entry {
  readonly executionId: string;
  readonly service: string;
  readonly definitionName: string;
  readonly definitionVersion: string;
  readonly status: string;
  readonly phase: string;
  readonly open: boolean;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly user: string | null;
  readonly waitingFor: string | null;
}

interface Page {
  readonly executions: readonly Entry[];
  readonly nextCursor?: string;
  readonly criteria: readonly string[];
  readonly streamsRead?: number;
  readonly indexLag?: number;
}

interface Counts {
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly asOf: string;
}

const params = new URLSearchParams(location.search);
const filterNames = ['definition', 'service', 'user', 'since', 'until', 'context'];

/** The filters as given, without empty fields (a submitted form sends every field). */
const filters = (): URLSearchParams => {
  const kept = new URLSearchParams();
  for (const [name, value] of params) if (value.trim() !== '' && name !== 'token') kept.append(name, value.trim());
  return kept;
};

const fillForm = (): void => {
  const form = byId<HTMLFormElement>('filters');
  for (const name of filterNames) {
    const input = form.elements.namedItem(name);
    if (input instanceof HTMLInputElement) input.value = params.get(name) ?? '';
  }
  const statuses = new Set(params.getAll('status').flatMap((s) => s.split(',')));
  for (const box of form.querySelectorAll<HTMLInputElement>('input[name="status"]')) box.checked = statuses.has(box.value);
  const open = form.querySelector<HTMLInputElement>('input[name="open"]');
  if (open) open.checked = params.get('open') === 'true';
};

const go = (next: URLSearchParams): void => {
  const query = next.toString();
  location.assign(query === '' ? '/' : `/?${query}`);
};

const row = (entry: Entry, changed: boolean): HTMLElement => {
  const link = el('a', { href: `/executions/${encodeURIComponent(entry.executionId)}`, title: entry.executionId }, entry.executionId.slice(0, 8));
  return el(
    'tr',
    { 'data-id': entry.executionId, 'data-status': entry.status, ...(changed ? { class: 'changed' } : {}) },
    el('td', { class: 'time' }, shortTime(entry.startedAt)),
    el('td', { class: 'id' }, link),
    el('td', {}, `${entry.definitionName}@${entry.definitionVersion}`),
    el('td', {}, el('span', { class: `badge ${entry.status}` }, entry.status)),
    el('td', { class: 'user' }, entry.user ?? ''),
    el('td', {}, entry.service),
    el('td', {}, entry.waitingFor ?? ''),
    el('td', { class: 'time' }, shortTime(entry.updatedAt)),
  );
};

const showError = (error: unknown): void => {
  const box = byId('error');
  box.textContent = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  show(box, true);
};

let loading = 0;

const loadPage = async (changed: ReadonlySet<string> = new Set()): Promise<void> => {
  const ticket = ++loading;
  const page = await getJson<Page>(`/api/executions?${filters().toString()}`);
  if (ticket !== loading) return;
  const body = byId('executions').querySelector('tbody');
  if (!body) return;
  body.replaceChildren(
    ...(page.executions.length > 0
      ? page.executions.map((entry) => row(entry, changed.has(entry.executionId)))
      : [el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'No execution matches these filters.'))]),
  );
  const words = page.criteria.length > 0 ? `Filtered by ${page.criteria.join(', ')}` : 'All executions, newest first';
  const extra = [page.streamsRead !== undefined ? `${page.streamsRead} streams read for the context filter` : '', page.indexLag ? `the index is ${page.indexLag} events behind` : '']
    .filter(Boolean)
    .join('; ');
  byId('criteria').textContent = `${words}${params.has('after') ? ' (older page)' : ''}${extra ? ` · ${extra}` : ''}`;
  const older = byId<HTMLButtonElement>('older');
  older.disabled = page.nextCursor === undefined;
  older.dataset.cursor = page.nextCursor ?? '';
  byId<HTMLButtonElement>('newest').disabled = !params.has('after');
  document.body.dataset.loaded = String(ticket);
};

const showCounts = ({ counts, total }: Counts): void => {
  const badges = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) =>
      el('a', { href: `/?status=${encodeURIComponent(status)}`, 'data-status': status, title: `Show only ${status} executions` }, el('span', { class: `badge ${status}` }, `${status} ${count.toLocaleString('en-US')}`)),
    );
  byId('counts').replaceChildren(...badges, el('span', { class: 'total' }, `${total.toLocaleString('en-US')} in the store`));
};

const loadCounts = async (): Promise<void> => showCounts(await getJson<Counts>('/api/counts'));

const start = (): void => {
  fillForm();
  byId<HTMLFormElement>('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(byId<HTMLFormElement>('filters'));
    const next = new URLSearchParams();
    for (const [name, value] of form) if (typeof value === 'string' && value.trim() !== '') next.append(name, value.trim());
    go(next);
  });
  byId('clear').addEventListener('click', () => go(new URLSearchParams()));
  byId('older').addEventListener('click', () => {
    const next = filters();
    next.set('after', byId<HTMLButtonElement>('older').dataset.cursor ?? '');
    go(next);
  });
  byId('newest').addEventListener('click', () => {
    const next = filters();
    next.delete('after');
    go(next);
  });
  loadPage().catch(showError);
  loadCounts().catch(showError);
  const live = byId('live');
  followChanges(
    (ids) => {
      // Older pages stay as they are: rows moving under the reader's eyes would lose their place.
      if (params.has('after')) {
        live.textContent = 'changes since this page loaded: back to Newest to see them';
        return;
      }
      loadPage(new Set(ids)).catch(showError);
    },
    (connected) => {
      live.className = `live ${connected ? 'on' : 'off'}`;
      live.textContent = connected ? 'live' : 'reconnecting…';
    },
    (counts) => showCounts(counts as Counts),
  );
};

start();
