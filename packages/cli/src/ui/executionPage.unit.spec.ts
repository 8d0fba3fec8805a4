import { InMemoryBroker, InMemoryEventStore, Saga, SagaManager, SagaRequest, type JsonObject, type RecordedEvent } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hostileUser, hostileValue } from '../../test/consoleStore.js';
import { recordFanOut, type FanOutHistories } from '../../test/fanOutHistories.js';
import type { RecordedHistory } from '../../test/histories.js';
import { preciseTime } from '../format/time.js';
import { readExecution } from '../store/loadExecution.js';
import { renderExecutionPage } from './executionPage.js';
import { reportAt, type ExecutionView } from './executionView.js';

let runs: FanOutHistories;
beforeAll(async () => {
  runs = await recordFanOut(new InMemoryEventStore());
});

const info = { storeLabel: 'memory', allowActions: false, operator: 'dana' };
const viewOf = (recorded: RecordedHistory): ExecutionView => ({
  loaded: {
    id: recorded.execution.id,
    stream: recorded.stream,
    // As the store holds them (only the page's "events stored" figure reads these).
    stored: recorded.events.map((e): RecordedEvent => ({ stream: recorded.stream, revision: e.revision, type: e.type, data: e.data as JsonObject, metadata: {}, recordedAt: e.recordedAt })),
    events: recorded.events,
    execution: recorded.execution,
  },
  lastRevision: recorded.events.length - 1,
});
const pageOf = (view: ExecutionView): string => renderExecutionPage(info, view, reportAt(view, view.lastRevision, info.storeLabel));
const page = (recorded: RecordedHistory): string => pageOf(viewOf(recorded));

/** Runs `definition` on an in-memory store, without participants (a remote step waits), and returns the console's view of it. */
const runAlone = async (definition: Saga, run: { context?: JsonObject; user?: string } = {}): Promise<ExecutionView> => {
  const store = new InMemoryEventStore();
  const manager = new SagaManager({ store, broker: new InMemoryBroker(), service: 'svc' });
  await manager.setup();
  try {
    const execution = await manager.run({ definition, pauseOnDisk: true, raiseOnError: false, ...run });
    const loaded = await readExecution(store, execution.id);
    return { loaded, lastRevision: loaded.events.length - 1 };
  } finally {
    await manager.destroy();
  }
};

describe('the console page of a parent and of its child', () => {
  it('lists the child executions of a parent, each linked to its page; the report inside links the child to its page too', () => {
    const { parent, child } = runs.finished;
    const html = page(parent);
    expect(html).toContain(`<div class="subtitle" id="children">Child executions: <ul><li><a class="child" href="/executions/${child.execution.id}">${child.execution.id}</a> <span class="mono">step 2 · finished</span></li></ul></div>`);
    expect(html).toContain(`<a class="child-link" href="/executions/${child.execution.id}">`);
    expect(html).not.toContain('id="parent"');
  });

  it('links a child to its parent\'s page', () => {
    const { parent, child } = runs.finished;
    const html = page(child);
    expect(html).toContain(`child of <a id="parent" href="/executions/${parent.execution.id}">${parent.execution.id}</a> (its step 2)`);
    expect(html).not.toContain('id="children"');
  });
});

describe('the console page of one execution', () => {
  it('shows each branch of a parallel step, side by side in its card', () => {
    const html = page(runs.finished.parent);
    const card = /<article class="step-card [^"]*" data-path="1">[\s\S]*?<\/article><\/div><\/div><\/article>/.exec(html)?.[0] ?? '';
    expect(card).toContain('Started <strong>2 branches at once</strong>');
    expect(card).toContain('<div class="branch" data-branch="0"><h4>‖ Branch 0</h4>');
    expect(card).toContain('<div class="branch" data-branch="1"><h4>‖ Branch 1</h4>');
    expect(card).toContain('data-path="1.0.0"');
    expect(card).toContain('data-path="1.1.0"');
  });

  it('lists the timers the execution waits on, and says when there is none', async () => {
    const due = new Saga('due_soon', { version: '1', deadlineMs: 3_600_000 })
      .remoteStep()
      .onExecute(() => new SagaRequest('stock.reserve', { sku: 'A1' }))
      .commit();
    const waiting = await runAlone(due);
    const { timers } = waiting.loaded.execution;
    const deadline = timers.find((t) => t.purpose === 'deadline');
    const reply = timers.find((t) => t.purpose === 'reply');
    expect(timers).toHaveLength(2);
    const html = pageOf(waiting);
    expect(html).toContain(
      '<div class="callout info timers" id="timers"><strong>Timers pending</strong><ul>' +
        `<li><strong>deadline</strong> due ${preciseTime(deadline?.dueAt ?? '')}</li>` +
        `<li><strong>reply</strong> due ${preciseTime(reply?.dueAt ?? '')} · step 0 · request <span class="mono">${reply?.requestId ?? '?'}</span></li></ul></div>`,
    );
    expect(page(runs.finished.parent)).toContain('<p class="subtitle timers" id="timers">No timer pending.</p>');
  });

  it('says in its header where the execution stands: definition, status in words, verdict, who, when, transaction, the report to download', async () => {
    const view = await runAlone(new Saga('take_note', { version: '3' }).localStep().onExecute((ctx) => ctx.with({ seen: true })).commit(), { user: 'erin' });
    const { execution, id } = view.loaded;
    const html = pageOf(view);
    expect(html).toContain('<h1><span id="title">take_note@3</span> <span class="badge finished" id="status">finished</span> <span class="badge verified" id="verified"');
    expect(html).toContain(`Started by <strong id="started-by">erin</strong> at ${preciseTime(execution.startedAt)} · service <strong>svc</strong> · transaction <strong id="transaction">${execution.transaction.status}</strong>`);
    expect(html).toContain(`<a class="download" id="download-report" href="/executions/${id}/report.html" download>`);
  });

  it('escapes every value of the store: a hostile user, context key and value are text, escapes shown', async () => {
    const note = new Saga('take_note', { version: '1' })
      .localStep()
      .onExecute((ctx) => ctx.with({ seen: true }))
      .commit();
    const html = pageOf(await runAlone(note, { context: { note: hostileValue, [hostileValue]: 'key' }, user: hostileUser }));
    expect(html).toContain('Started by <strong id="started-by">&lt;b id=bold&gt;mallory&lt;/b&gt;</strong>');
    expect(html).not.toContain('<b id=bold>');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toMatch(/<\/style>|<style/);
    // The one script is the page's own module; the context's is text.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(');
    // The terminal escape is shown as \u001b, never sent as the control character itself.
    expect(html).not.toContain('\u001b');
    expect(html).toContain('\\u001b[2J');
  });
});
