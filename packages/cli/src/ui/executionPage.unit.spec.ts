import { InMemoryEventStore, type JsonObject, type RecordedEvent } from '@saga/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordFanOut, type FanOutHistories } from '../../test/fanOutHistories.js';
import type { RecordedHistory } from '../../test/histories.js';
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
const page = (recorded: RecordedHistory): string => {
  const view = viewOf(recorded);
  return renderExecutionPage(info, view, reportAt(view, view.lastRevision, info.storeLabel));
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
